"""The board summary: a short, protected, printable workbook for the Political Board
and the Policy Coordination Group, built FROM the master workbook.

Its numbers must equal the master's, so nothing is computed again from the returns:
``read_master`` reads the master's rebuilt sheets with python-calamine (values only)
into a ``MasterView``, and ``write_board`` writes the board workbook from that view
with XlsxWriter. The only figures derived here are sums and shares of the master's
own rows (per cost category, the share of the project time elapsed) and the words
of the key messages, which follow fixed rules so that the same master always gives
the same workbook. Values only: no formulas, no links; partner text stays text.

Sheets: Overview (one A4 page), Schedule, Finance, Living Labs, Risks and issues.
Each is A4 landscape, one page wide, protected, with a print area, a header naming
the project and period and a footer "Page n of m". Status fills differ in lightness
and the status word is always in the cell, so the pages read in greyscale too.

The Overview's key figures are named cells (``board_returns_in``, ``board_flc_certified``,
``board_absorption``, ...), so a reader or a test finds them without knowing the layout.
Pages: every section (heading and table, or a chart) is kept on one printed page when
it fits on one; the heights used for that are set on every row written, so Excel and
LibreOffice break the pages alike.

``excel.libreoffice.convert_to_pdf`` prints the workbook to PDF through LibreOffice headless.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nc_excel.board.figures import check_against_dashboard
from nc_excel.board.layout import Formats
from nc_excel.board.pages import finance, living_labs, overview, risks, schedule
from nc_excel.board.read import MasterView, SummaryError, read_master
from nc_excel.excel.libreoffice import convert_to_pdf
from nc_excel.excel.write import (
    atomic_workbook,
)
from nc_excel.folder import ProjectFolder
from nc_excel.master.glance import figures
from nc_excel.setup.models import ProjectSetup

SHEETS = ("Overview", "Schedule", "Finance", "Living Labs", "Risks and issues")


# ---------------------------------------------------------------- writing


def board_name(setup: ProjectSetup, period: int) -> str:
    return f"{setup.project.acronym}_board_P{period}.xlsx"


def write_board(path: Path, view: MasterView, setup: ProjectSetup) -> None:
    """Write the board workbook for ``view`` to ``path`` (atomically; created on the as-of day)."""
    f = figures(view, setup)
    header = f"{setup.project.name} ({setup.project.acronym}): board summary, period {view.period}"
    created = dt.datetime.combine(view.as_of, dt.time(0, 0))
    with atomic_workbook(path, created=created) as wb:
        wb.set_properties({
            "title": f"{setup.project.name}: board summary, period {view.period}", "subject": view.period_text,
            "author": setup.project.coordinator, "company": setup.project.name, "created": created,
            "comments": f"Built from master.xlsx as of {view.as_of:%Y-%m-%d}.",
        })
        fmt = Formats(wb)
        args = dict(header=header, footer_day=view.as_of, password=setup.project.template_password)
        overview(wb, fmt, view, f, setup).finish(fit_height=1, **args)
        schedule(wb, fmt, view).finish(**args)
        finance(wb, fmt, view, f).finish(**args)
        if view.living_labs:
            living_labs(wb, fmt, view, setup).finish(**args)
        risks(wb, fmt, view, f).finish(**args)
        wb.worksheets()[0].activate()


# ---------------------------------------------------------------- Overview


# ---------------------------------------------------------------- Schedule


# ---------------------------------------------------------------- Finance


# ---------------------------------------------------------------- Living Labs


# ---------------------------------------------------------------- Risks and issues


# ---------------------------------------------------------------- PDF


# ---------------------------------------------------------------- the action


@dataclass(frozen=True)
class SummaryResult:
    """What ``build_summary`` wrote: the workbook, and the PDF or why there is none."""

    workbook: Path
    pdf: Path | None
    pdf_problem: str | None
    stale_pdf: Path | None  # an older PDF that was removed because it no longer matched the workbook
    period: int
    as_of: dt.date
    status_line: str

    @property
    def paths(self) -> list[Path]:
        return [self.workbook] + ([self.pdf] if self.pdf else [])


def build_summary(root: Path, setup: ProjectSetup, period: int, *, pdf: bool = False, progress: Any = None) -> SummaryResult:
    """Read ``root/master.xlsx``, write ``board/<ACRONYM>_board_P<period>.xlsx`` (and its PDF)."""
    report = progress or (lambda done, total, label: None)
    steps = 3 if pdf else 2
    folder = ProjectFolder(root)
    master = folder.master
    report(0, steps, "reading the master")
    view = read_master(master, setup)
    if view.period != period:
        raise SummaryError(f"{master.name} was built for period {view.period} (as of {view.as_of:%Y-%m-%d}), not period {period}. "
                           f"Run `{folder.command(f'build --period {period}')}` first, then write the summary again.")
    check_against_dashboard(view, figures(view, setup), master)
    path = folder.board / board_name(setup, period)
    report(1, steps, "writing the workbook")
    write_board(path, view, setup)
    made, problem, stale = None, None, None
    if pdf:
        report(2, steps, "printing to PDF")
        made, problem = convert_to_pdf(path)
    if made is None and path.with_suffix(".pdf").exists():  # an older PDF would no longer match the workbook
        stale = path.with_suffix(".pdf")
        stale.unlink()
    report(steps, steps, "done")
    return SummaryResult(workbook=path, pdf=made, pdf_problem=problem, stale_pdf=stale, period=period, as_of=view.as_of,
                         status_line=view.dashboard.status_line)
