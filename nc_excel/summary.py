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

``convert_to_pdf`` prints the workbook to PDF through LibreOffice headless.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from nc_excel.finance import money, percent
from nc_excel.libreoffice import ConvertError, convert, soffice_path
from nc_excel.setup.models import ProjectSetup
from nc_excel.workbook_io import SpreadsheetError, open_values
from nc_excel.xlsx import BORDER, FONT, LOCKED_FILL, NAVY, NUMBER_FORMATS, atomic_workbook, print_setup, protect, text_lines, write_value

SHEETS = ("Overview", "Schedule", "Finance", "Living Labs", "Risks and issues")
MASTER_SHEETS = (
    "Dashboard", "Returns", "Issues", "Finance position", "Budget lines", "Living Labs", "Shortlist",
    "Shortlist by region", "Schedule", "Work package status", "Timeline",
)
HEADER_INDEX = 3  # the master's tables have their header in row 4
SOFFICE_HINT = "Install LibreOffice (Debian/Ubuntu: sudo apt-get install libreoffice-calc-nogui) and run the command again."

# Status fills from light to dark (grey levels about 255, 232, 189, 150, 57), so that they
# stay apart in greyscale; the status word is in the cell too.
STATUS = {
    "Not started": ("#FFFFFF", "#595959"),
    "On track": ("#DDEBF7", "#000000"),
    "Done": ("#A9D08E", "#000000"),
    "At risk": ("#ED7D31", "#000000"),
    "Overdue": ("#A50021", "#FFFFFF"),
}
ACTIVE_FILL = "#D6DCE4"  # a work package running in a month of the timeline
SERIES = ("#1F3864", "#8EA9DB", "#D9D9D9")  # chart series: dark, middle, light
# Points of an A4 landscape page inside the margins (LibreOffice prints the header and footer in them).
PAGE_WIDTH, PAGE_HEIGHT = 770.0, 490.0
DEFAULT_ROW = 15.0  # a row whose height is not set (Excel's default)
ROW = 14.0  # a one-line table row; every row written gets its height set, so both applications print alike
SPACER = 8.0
FAR_BELOW = Decimal("0.5")  # a partner below half of the time elapsed is far below it
FAR_ABOVE = Decimal("1.5")


class SummaryError(Exception):
    """The board summary cannot be written; the message says why and what to do."""

    exit_code = 2


# ---------------------------------------------------------------- the master, read


@dataclass(frozen=True)
class MasterView:
    """The master's rebuilt sheets as the board needs them: tables by their master headers."""

    period: int
    period_text: str
    as_of: dt.date
    status_line: str
    dashboard: dict[str, Any]
    partners: pd.DataFrame  # Finance position
    lines: pd.DataFrame  # Budget lines
    deliverables: pd.DataFrame  # Schedule
    work_packages: pd.DataFrame  # Work package status
    timeline: pd.DataFrame  # Timeline
    places: pd.DataFrame  # Living Labs (long list)
    shortlist: pd.DataFrame  # Shortlist
    regions: pd.DataFrame  # Shortlist by region
    returns: pd.DataFrame  # Returns
    issues: pd.DataFrame  # Issues


def _table(grid: list[list[Any]], sheet: str, master: Path) -> pd.DataFrame:
    if len(grid) <= HEADER_INDEX or not grid[HEADER_INDEX] or grid[HEADER_INDEX][0] in ("", None):
        raise SummaryError(f"{master.name}, sheet {sheet!r}: no table with its header in row {HEADER_INDEX + 1}. Rebuild the master with `nc-excel build`.")
    header = [str(h).strip() for h in grid[HEADER_INDEX] if h not in ("", None)]
    rows = [row[: len(header)] for row in grid[HEADER_INDEX + 1:] if any(v not in ("", None) for v in row[: len(header)])]
    return pd.DataFrame(rows, columns=header)


def _dashboard(grid: list[list[Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for row in grid[HEADER_INDEX:]:
        if not row or row[0] in ("", None):
            break
        out[str(row[0]).strip()] = row[1] if len(row) > 1 else None
    return out


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def read_master(master: Path) -> MasterView:
    """The rebuilt sheets of ``master`` (values only); ``SummaryError`` when it was never built."""
    if not master.is_file():
        raise SummaryError(f"{master} does not exist. Create the project with `nc-excel init` and build the master with `nc-excel build --period N`.")
    try:
        grids = open_values(master, set(MASTER_SHEETS))
    except SpreadsheetError as exc:
        raise SummaryError(f"{master} cannot be read ({exc}). Restore it from backups/ or rebuild it with `nc-excel build --period N`.") from exc
    if "Dashboard" not in grids:
        raise SummaryError(f"{master.name} has no Dashboard sheet: the master has not been built yet. Run `nc-excel build --period N` first.")
    missing = [s for s in MASTER_SHEETS if s not in grids]
    if missing:
        raise SummaryError(f"{master.name} lacks the sheet(s) {', '.join(missing)}. Rebuild it with `nc-excel build --period N`.")
    dash = _dashboard(grids["Dashboard"])
    period_text = str(dash.get("Reporting period") or "")
    match = re.match(r"Period (\d+)", period_text)
    as_of = _as_date(dash.get("As of"))
    if match is None or as_of is None:
        raise SummaryError(f"{master.name}: the Dashboard does not say which period and day it was built for. Rebuild it with `nc-excel build --period N`.")
    t = {name: _table(grids[name], name, master) for name in MASTER_SHEETS if name != "Dashboard"}
    return MasterView(
        period=int(match.group(1)), period_text=period_text, as_of=as_of, status_line=str(dash.get("Project status") or ""),
        dashboard=dash, partners=t["Finance position"], lines=t["Budget lines"], deliverables=t["Schedule"],
        work_packages=t["Work package status"], timeline=t["Timeline"], places=t["Living Labs"], shortlist=t["Shortlist"],
        regions=t["Shortlist by region"], returns=t["Returns"], issues=t["Issues"],
    )


# ---------------------------------------------------------------- the figures


def _n(value: Any) -> int:
    return 0 if value in ("", None) else int(value)


def _count_of(text: Any) -> tuple[int, int]:
    match = re.match(r"\s*(\d+) of (\d+)", str(text or ""))
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def _names(codes: Sequence[str], partners: pd.DataFrame) -> str:
    name = dict(zip(partners["Partner"], partners["Name"]))
    return ", ".join(f"{name.get(c, c)} ({c})" for c in codes)


def _join(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _eur(value: Decimal | float) -> str:
    return f"EUR {float(value):,.0f}"


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


@dataclass(frozen=True)
class Figures:
    """The board's numbers, all taken from (or summed over) the master's rows."""

    n_partners: int
    returns_in: int
    accepted: int
    missing: list[str]  # partner codes without an accepted return for the period
    rejected: list[str]  # partners whose latest word for the period is a rejected return
    certified_partners: int
    certified: Decimal
    erdf_due: Decimal
    declared_period: Decimal
    cumulative: Decimal
    budget: Decimal
    absorption: Decimal
    elapsed: Decimal  # % of the project time elapsed on the as-of day
    done: int
    overdue: int
    at_risk: int
    n_deliverables: int
    places: int
    shortlisted: int
    ready: int
    categories: pd.DataFrame = field(repr=False)  # per cost category: label, budget, declared, cumulative, remaining, absorption


def figures(view: MasterView, setup: ProjectSetup) -> Figures:
    p, d, lines = view.partners, view.deliverables, view.lines
    total = (setup.project.end - setup.project.start).days
    elapsed = min(max((view.as_of - setup.project.start).days, 0), total)
    cats = []
    for label in dict.fromkeys(lines["Cost category"]):
        rows = lines[lines["Cost category"] == label]
        budget = sum(map(money, rows["Budget"]), Decimal(0))
        spent = sum(map(money, rows["Cumulative"]), Decimal(0))
        cats.append({"category": label, "budget": budget, "declared": sum(map(money, rows["Declared in period"]), Decimal(0)),
                     "cumulative": spent, "remaining": budget - spent, "absorption": percent(spent, budget)})
    budget = sum(map(money, p["Budget"]), Decimal(0))
    cumulative = sum(map(money, p["Cumulative"]), Decimal(0))
    rejected = sorted(set(p.loc[p["Blocking the joint report"].astype(str).str.contains("rejected return"), "Partner"]),
                      key=list(p["Partner"]).index)
    received, n_partners = _count_of(view.dashboard.get("Returns received"))
    return Figures(
        n_partners=n_partners or len(p), returns_in=received, accepted=_n(view.dashboard.get("Returns accepted")),
        missing=list(p.loc[p["Reported"] == "No", "Partner"]), rejected=rejected,
        certified_partners=int((p["FLC status"] == "Certified").sum()), certified=sum(map(money, p["Certified"]), Decimal(0)),
        erdf_due=sum(map(money, p["ERDF due"]), Decimal(0)), declared_period=sum(map(money, p["Declared in period"]), Decimal(0)),
        cumulative=cumulative, budget=budget, absorption=percent(cumulative, budget),
        elapsed=percent(Decimal(elapsed), Decimal(total or 1)),
        done=int((d["Status"] == "Done").sum()), overdue=int((d["Status"] == "Overdue").sum()), at_risk=int((d["Status"] == "At risk").sum()),
        n_deliverables=len(d), places=len(view.places), shortlisted=len(view.shortlist), ready=int((p["Ready"] == "Yes").sum()),
        categories=pd.DataFrame(cats, columns=["category", "budget", "declared", "cumulative", "remaining", "absorption"]),
    )


def _check_against_dashboard(view: MasterView, f: Figures, master: Path) -> None:
    """The master's tables must add up to its Dashboard; if not, it was edited or half built."""
    dash = view.dashboard
    pairs = [("Spent so far (EUR)", f.cumulative), ("Declared this period (EUR)", f.declared_period), ("Project budget (EUR)", f.budget),
             ("ERDF due on certified costs", f.erdf_due), ("Spending against budget %", f.absorption)]
    for label, value in pairs:
        if label in dash and money(dash[label]).quantize(Decimal("0.01")) != Decimal(value).quantize(Decimal("0.01")):
            raise SummaryError(f"{master.name}: the Dashboard's {label!r} ({dash[label]}) does not equal the sum of the Finance position sheet ({value}). "
                               "Rebuild the master with `nc-excel build` and try again.")


def _deviating(view: MasterView, f: Figures) -> pd.DataFrame:
    """Reported partners whose spending is far below or above the time elapsed."""
    p = view.partners[view.partners["Reported"] == "Yes"]
    rows = []
    for r in p.itertuples(index=False):
        share = money(r[list(p.columns).index("Absorption %")])
        if f.elapsed and share < f.elapsed * FAR_BELOW:
            rows.append((r[0], r[1], share, "far below the time elapsed"))
        elif f.elapsed and share > min(f.elapsed * FAR_ABOVE, Decimal(100)):
            rows.append((r[0], r[1], share, "far above the time elapsed"))
    return pd.DataFrame(rows, columns=["partner", "name", "absorption", "note"])


def key_messages(view: MasterView, f: Figures, setup: ProjectSetup) -> list[str]:
    """Three to five sentences for the Political Board, by fixed rules from the figures."""
    msgs: list[str] = []
    wp = view.work_packages
    behind = wp[wp["Status"].isin(["Overdue", "At risk"])]
    if len(behind):
        why = "; ".join(f"{r['Work package']} {r['Status'].lower()} \u2013 {r['Why']}" for _, r in behind.iterrows())
        msgs.append(f"{len(behind)} of {len(wp)} work packages are behind schedule: {why}.")
    else:
        msgs.append(f"All {len(wp)} work packages are on schedule.")
    overdue = view.deliverables[view.deliverables["Status"] == "Overdue"]
    if len(overdue):
        items = [f"{r['Deliverable']} ({_n(r['Days late'])} days late)" for _, r in overdue.iterrows()]
        msgs[-1] += f" {_plural(len(overdue), 'deliverable is', 'deliverables are')} overdue: {_join(items)}."
    else:
        msgs[-1] += f" No deliverable is overdue; {f.done} of {f.n_deliverables} are done."
    text = f"{f.returns_in} of {f.n_partners} partners have sent their return for period {view.period}"
    if f.missing:
        text += f"; not yet accepted: {_names(f.missing, view.partners)}."
    else:
        text += "; all are accepted."
    if f.rejected:
        text += f" Rejected and waiting for a corrected return: {_names(f.rejected, view.partners)}."
    msgs.append(text)
    pace = "far below" if f.absorption < f.elapsed * Decimal("0.75") else ("above" if f.absorption > f.elapsed else "close to")
    msgs.append(f"Spending is {f.absorption} % of the budget ({_eur(f.cumulative)} of {_eur(f.budget)}) after {f.elapsed} % of the project time: "
                f"{pace} the time elapsed. First level control has certified {_eur(f.certified)} for {f.certified_partners} of {f.n_partners} partners; "
                f"{f.ready} are ready for the joint report.")
    lacking = view.regions[view.regions["Flag"].astype(str) != ""]
    text = f"Living labs: {f.places} places proposed, {f.shortlisted} shortlisted"
    per = setup.project.shortlist_per_region
    full = int((view.regions["Shortlisted"].map(_n) >= per).sum())
    text += f" ({per} per region in {full} of {len(view.regions)} regions)."
    if len(lacking):
        text += " " + "; ".join(f"{r['Region']}: {str(r['Flag']).lower() if str(r['Flag'])[:2] != 'No' else str(r['Flag'])[0].lower() + str(r['Flag'])[1:]}"
                                for _, r in lacking.iterrows()) + "."
    msgs.append(text)
    errors = view.issues[view.issues["Severity"] == "error"]
    flat = view.lines[view.lines["Flat rate right"] == "No"]
    extra = []
    if len(errors):
        extra.append(f"{_plural(len(errors), 'open error')} in the returns ({_join(sorted(set(errors['Partner'].astype(str))))})")
    if len(flat):
        extra.append(f"office flat rate wrong for {_join(list(flat['Partner']))}")
    dev = _deviating(view, f)
    low = dev[dev["note"].str.startswith("far below")]
    if len(low):
        extra.append(f"{_plural(len(low), 'partner')} spent less than half of what the time elapsed suggests ({_join(list(low['partner']))})")
    if extra:
        msgs.append("For the Policy Coordination Group: " + "; ".join(extra) + ". Details on the sheet Risks and issues.")
    return msgs[:5]


# ---------------------------------------------------------------- writing


class _Formats:
    """Formats of the board workbook, made once each (house font, size 10, top aligned)."""

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self._cache: dict[tuple, Format] = {}

    def __call__(self, **props: Any) -> Format:
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            self._cache[key] = self.wb.add_format({"font_name": FONT, "font_size": 10, "valign": "top", **props})
        return self._cache[key]

    def cell(self, kind: str = "text", **extra: Any) -> Format:
        props: dict[str, Any] = {"border": 1, "border_color": BORDER}
        if kind == "wrap":
            props["text_wrap"] = True
        elif kind == "score":
            props["num_format"] = "0.0"
        elif kind == "points":
            props["num_format"] = "+0.0;-0.0;0.0"
        elif kind in NUMBER_FORMATS and kind != "text":
            props["num_format"] = NUMBER_FORMATS[kind]
        if "num_format" in props and props["num_format"] != "General" and "align" not in extra:
            props["num_format"] += "_)"  # room of one character before the next column's text
        return self(**props, **extra)

    def header(self, **extra: Any) -> Format:
        return self(bold=True, font_color="#FFFFFF", bg_color=NAVY, border=1, border_color=BORDER, text_wrap=True, valign="vcenter", **extra)

    def status(self, word: Any, **extra: Any) -> Format:
        fill, color = STATUS.get(str(word), ("#FFFFFF", "#000000"))
        return self.cell(bg_color=fill, font_color=color, bold=str(word) in ("Overdue", "At risk"), **extra)

    def title(self) -> Format:
        return self(bold=True, font_size=16, font_color=NAVY)

    def note(self) -> Format:
        return self(italic=True, font_color="#595959", text_wrap=True)

    def section(self) -> Format:
        return self(bold=True, font_size=12, font_color=NAVY, bottom=2, bottom_color=NAVY)


@dataclass(frozen=True)
class Col:
    """A column of a board table: header, frame column, kind, and the sheet columns it spans."""

    header: str
    name: str
    kind: str = "text"
    first: int | None = None  # None: the column after the previous one
    last: int | None = None  # None: one column wide
    status: bool = False
    align: str | None = None


def _lines(value: Any, width: float) -> int:
    """Lines a wrapped text needs in a column ``width`` characters wide (10 pt, as LibreOffice prints it)."""
    return text_lines(value, width * 1.2)


def _row_height(values: Sequence[Any], widths: Sequence[float], kinds: Sequence[str]) -> float | None:
    lines = max((_lines(v, w) for v, w, k in zip(values, widths, kinds) if k == "wrap"), default=1)
    return 13.5 * min(lines, 12) + 2 if lines > 1 else None


class _Sheet:
    """One sheet of the board workbook: writes tables and text, keeps track of the last row used."""

    def __init__(self, wb: Workbook, fmt: _Formats, name: str, widths: Sequence[float]) -> None:
        self.ws: Worksheet = wb.add_worksheet(name)
        self.fmt, self.widths = fmt, list(widths)
        for c, w in enumerate(widths):
            self.ws.set_column(c, c, w)
        self.row = 0
        self.heights: dict[int, float] = {}
        self.page_top = 0  # first row of the page being filled
        self.breaks: list[int] = []
        self.pending: tuple[str, str | None] | None = None

    @property
    def last_col(self) -> int:
        return len(self.widths) - 1

    def span_width(self, first: int, last: int) -> float:
        return sum(self.widths[first:last + 1])

    def set_row(self, row: int, height: float) -> None:
        self.heights[row] = height
        self.ws.set_row(row, height)

    # -- pages: a section that does not fit on what is left of a page starts a new one

    def _capacity(self) -> float:
        """Points of rows that fit on one printed page at the fit-to-width scale."""
        width = sum(int(w * 7 + 0.5) + 5 for w in self.widths) * 0.75
        return PAGE_HEIGHT / min(1.0, PAGE_WIDTH / width)

    def keep(self, needed: float) -> None:
        """Start a new page here unless ``needed`` points still fit (or the page is empty)."""
        used = sum(self.heights.get(r, DEFAULT_ROW) for r in range(self.page_top, self.row))
        room = self._capacity() - used
        if needed > room and self.row > self.page_top and (needed <= self._capacity() or room < self._capacity() / 3):
            self.breaks.append(self.row)
            self.page_top = self.row

    def put(self, row: int, first: int, last: int, value: Any, fmt: Format) -> None:
        if last > first:
            self.ws.merge_range(row, first, row, last, "", fmt)
        write_value(self.ws, row, first, value, fmt)

    def heading(self, title: str, intro: str) -> None:
        self.ws.write_string(0, 0, title, self.fmt.title())
        self.set_row(0, 24)
        self.put(1, 0, self.last_col, intro, self.fmt.note())
        self.set_row(1, _row_height([intro], [self.span_width(0, self.last_col)], ["wrap"]) or ROW)
        self.set_row(2, SPACER)
        self.row = 3

    def section(self, text: str, note: str | None = None, *, need: float | None = None) -> None:
        """A section heading; written with the next table (kept on its page), or now when ``need`` says how high the content is."""
        self.pending = (text, note)
        if need is not None:
            self._heading(need)

    def _heading(self, need: float) -> None:
        if self.pending is None:
            return
        text, note = self.pending
        self.pending = None
        self.set_row(self.row, SPACER)
        self.row += 1
        self.keep(20 + (ROW if note else 0) + need)
        self.put(self.row, 0, self.last_col, text, self.fmt.section())
        self.set_row(self.row, 20)
        self.row += 1
        if note:
            self.put(self.row, 0, self.last_col, note, self.fmt.note())
            self.set_row(self.row, ROW)
            self.row += 1

    def table(self, frame: pd.DataFrame, cols: Sequence[Col], *, empty: str = "None.") -> tuple[int, int]:
        """Header and rows, kept with their section heading; returns the first and last data row (0-based)."""
        spans, nxt = [], 0
        for c in cols:
            first = nxt if c.first is None else c.first
            last = first if c.last is None else c.last
            spans.append((first, last))
            nxt = last + 1
        records = list(frame[[c.name for c in cols]].itertuples(index=False, name=None)) if len(frame) else []
        heights = [_row_height(record, [self.span_width(a, b) for a, b in spans], [c.kind for c in cols]) for record in records]
        need = 28 + sum(h or ROW for h in heights) if records else ROW
        if self.pending is not None:
            self._heading(need)
        else:
            self.keep(need)
        top = self.row
        if not records:  # nothing to list: one line saying so, no header
            self.put(top, 0, self.last_col, empty, self.fmt.note())
            self.set_row(top, ROW)
            self.row = top + 1
            return top, top - 1
        for c, (first, last) in zip(cols, spans):
            self.put(top, first, last, c.header, self.fmt.header())
        self.set_row(top, 28)
        r = top
        for r, (record, height) in enumerate(zip(records, heights), start=top + 1):
            for c, (first, last), value in zip(cols, spans, record):
                extra = {"align": c.align} if c.align else {}
                fmt = self.fmt.status(value, text_wrap=c.kind == "wrap", **extra) if c.status else self.fmt.cell(c.kind, **extra)
                self.put(r, first, last, _cell(value), fmt)
            self.set_row(r, height or ROW)
        self.row = r + 1
        return top + 1, r

    def chart(self, chart: Any, col: int, height_px: int, *, x_offset: int = 4, row: int | None = None) -> int:
        """Insert ``chart`` below the last row (kept on one page), or beside another at ``row``."""
        if row is None:
            self.row += 1
            self.keep(height_px * 0.75 + 10)
            row = self.row
        self.ws.insert_chart(row, col, chart, {"x_offset": x_offset, "y_offset": 4, "object_position": 3})
        self.row = max(self.row, row + int(height_px * 0.75 / DEFAULT_ROW) + 2)  # rows below a chart keep the default height
        return row

    def finish(self, header: str, footer_day: dt.date, *, fit_height: int = 0, password: str | None = None) -> None:
        print_setup(self.ws, header=header)
        self.ws.set_footer(f"&L&8Figures as of {footer_day:%d %B %Y}&R&8Page &P of &N")
        self.ws.fit_to_pages(1, fit_height)
        self.ws.print_area(0, 0, max(self.row - 1, 0), self.last_col)
        if self.breaks and not fit_height:
            self.ws.set_h_pagebreaks(self.breaks)
        self.ws.hide_gridlines(2)
        protect(self.ws, password)


def _cell(value: Any) -> Any:
    """A value from the master as the board shows it: NaN and NaT as blanks."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


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
        fmt = _Formats(wb)
        args = dict(header=header, footer_day=view.as_of, password=setup.project.template_password)
        _overview(wb, fmt, view, f, setup).finish(fit_height=1, **args)
        _schedule(wb, fmt, view).finish(**args)
        _finance(wb, fmt, view, f).finish(**args)
        _living_labs(wb, fmt, view, setup).finish(**args)
        _risks(wb, fmt, view, f).finish(**args)
        wb.worksheets()[0].activate()


# ---------------------------------------------------------------- Overview


def _overview(wb: Workbook, fmt: _Formats, view: MasterView, f: Figures, setup: ProjectSetup) -> _Sheet:
    tile, gap = 12.5, 1.6
    widths = [1.5] + [w for i in range(5) for w in ((tile, tile) if i == 4 else (tile, tile, gap))] + [1.5]
    s = _Sheet(wb, fmt, "Overview", widths)
    ws, last = s.ws, len(widths) - 2
    s.put(0, 1, last, f"{setup.project.name}: board summary", fmt(bold=True, font_size=20, font_color=NAVY))
    s.set_row(0, 30)
    s.put(1, 1, last, f"{view.period_text}  |  figures as of {view.as_of:%d %B %Y}  |  {setup.project.programme}", fmt(font_size=11, font_color="#404040"))
    s.set_row(1, 18)
    on_track = view.status_line.startswith("On track")
    band = fmt(bold=True, font_size=12, text_wrap=True, valign="vcenter", border=2, border_color="#404040",
               bg_color="#C6E0B4" if on_track else "#F8CBAD", font_color="#000000")
    s.put(3, 1, last, f"Project status: {view.status_line}", band)
    s.set_row(3, max(26, _row_height([view.status_line], [s.span_width(1, last) * 0.85], ["wrap"]) or 0))

    missing = f"Missing: {', '.join(f.missing)}" if f.missing else "Every partner has reported."
    tiles = [
        ("Returns in", [(f.returns_in, f'0" of {f.n_partners}"', "partners reported", "returns_in")], f"{f.accepted} accepted. {missing}"),
        ("FLC certified", [(f.certified_partners, f'0" of {f.n_partners}"', "partners", "flc_partners"),
                           (float(f.certified), "#,##0", "EUR certified", "flc_certified")], f"ERDF due on it: {_eur(f.erdf_due)}"),
        ("Spending against budget", [(float(f.absorption), '0.0" %"', "of the budget", "absorption"),
                                     (float(f.cumulative), "#,##0", "EUR spent", "spent")],
         f"Budget {_eur(f.budget)}; {f.elapsed} % of the project time has passed"),
        ("Deliverables", [(f.done, "0", "done", "deliverables_done"), (f.overdue, "0", "overdue", "deliverables_overdue")],
         f"of {f.n_deliverables} deliverables; {f.at_risk} at risk"),
        ("Living labs", [(f.places, "0", "places proposed", "places"), (f.shortlisted, "0", "shortlisted", "shortlisted")],
         f"{setup.project.shortlist_per_region} per region, {len(view.regions)} regions"),
    ]
    top = 5
    s.set_row(top, 20)
    s.set_row(top + 1, 40)
    s.set_row(top + 2, 15)
    s.set_row(top + 3, 30)
    edge = {"border_color": "#7F7F7F"}
    for i, (label, values, detail) in enumerate(tiles):
        a, b = 1 + 3 * i, 2 + 3 * i
        s.put(top, a, b, label, fmt(bold=True, font_size=11, font_color="#FFFFFF", bg_color=NAVY, align="center", valign="vcenter", border=2, **edge))
        big = {"bold": True, "font_size": 22, "font_color": NAVY, "align": "center", "valign": "vcenter", "bg_color": LOCKED_FILL, "top": 0}
        small = {"font_size": 9, "font_color": "#404040", "align": "center", "bg_color": LOCKED_FILL}
        if len(values) == 1:
            value, num, caption, name = values[0]
            s.put(top + 1, a, b, value, fmt(num_format=num, left=2, right=2, **big, **edge))
            s.put(top + 2, a, b, caption, fmt(left=2, right=2, **small, **edge))
            wb.define_name(f"board_{name}", f"=Overview!${_letter(a)}${top + 2}")
        else:
            for col, (value, num, caption, name), side in zip((a, b), values, ("left", "right")):
                wb.define_name(f"board_{name}", f"=Overview!${_letter(col)}${top + 2}")
                shown = f"{value:,.0f}" + (num.split('"')[1] if '"' in num else "")
                size = 22 if len(shown) <= 5 else 17
                write_value(ws, top + 1, col, value, fmt(num_format=num, **{side: 2}, **{**big, "font_size": size}, **edge))
                write_value(ws, top + 2, col, caption, fmt(**{side: 2}, **small, **edge))
        s.put(top + 3, a, b, detail, fmt(font_size=9, text_wrap=True, align="center", left=2, right=2, bottom=2, bg_color=LOCKED_FILL, **edge))

    s.row = top + 5
    s.put(s.row, 1, last, "Key messages", fmt(bold=True, font_size=13, font_color=NAVY, bottom=2, bottom_color=NAVY))
    s.set_row(s.row, 22)
    s.row += 1
    width = s.span_width(1, last)
    for n, msg in enumerate(key_messages(view, f, setup), start=1):
        ws.write_string(s.row, 0, "", fmt())
        s.put(s.row, 1, last, f"{n}.  {msg}", fmt(font_size=11, text_wrap=True))
        lines = text_lines(msg, width * 0.9)
        s.set_row(s.row, 15.5 * lines + 5)
        s.row += 1
    s.row += 1
    s.put(s.row, 1, last, "Work packages", fmt(bold=True, font_size=13, font_color=NAVY, bottom=2, bottom_color=NAVY))
    s.set_row(s.row, 22)
    s.row += 1
    s.table(view.work_packages, [
        Col("Work package", "Work package", first=1), Col("Title", "Title", "text", 2, 7), Col("Status", "Status", first=8, last=10, status=True, align="center"),
        Col("% complete", "% complete", "decimal", 11, 12, align="center"), Col("Deliverables done", "Deliverables done", "text", 13, align="center"),
        Col("Lead", "Lead", "text", 14, align="center"),
    ])
    s.row += 1
    s.put(s.row, 1, last, f"Source: master.xlsx, rebuilt for period {view.period} as of {view.as_of:%d %B %Y}. "
          "Every figure equals the master's; details on the following sheets.", fmt(italic=True, font_size=9, font_color="#595959"))
    s.row += 1
    s.widths = widths  # print area over every column
    return s


def _letter(col: int) -> str:
    return xl_col_to_name(col)


# ---------------------------------------------------------------- Schedule

MONTH_LETTERS = "JFMAMJJASOND"


def _schedule(wb: Workbook, fmt: _Formats, view: MasterView) -> _Sheet:
    tl = view.timeline
    months = [c for c in tl.columns if re.fullmatch(r"\d{4}-\d{2}", str(c))]
    m0 = 3
    widths = [7, 44, 10] + [2.3] * len(months)
    s = _Sheet(wb, fmt, "Schedule", widths)
    ws, last = s.ws, s.last_col
    s.heading(f"Schedule as of {view.as_of:%d %B %Y}", view.status_line)

    s.section("Timeline", "Shaded months: the work package runs. \u25c6 a deliverable is due, \u2713 it was done (coloured by its status). "
                          "The current month is marked in the header.", need=2 * ROW + 13 * len(tl))
    current = f"{view.as_of:%Y-%m}"
    years: dict[str, list[int]] = {}
    for i, m in enumerate(months):
        years.setdefault(m[:4], []).append(m0 + i)
    head = s.row
    s.set_row(head, ROW)
    s.set_row(head + 1, ROW)
    for c, text in ((0, "Code"), (1, "Work package / deliverable"), (2, "Status")):
        ws.merge_range(head, c, head + 1, c, text, fmt.header())
    for year, cols in years.items():
        s.put(head, cols[0], cols[-1], year, fmt.header(align="center"))
    for i, m in enumerate(months):
        now = m == current
        cell = fmt(bold=True, font_size=8, align="center", border=1, border_color=BORDER,
                   bg_color="#000000" if now else "#D9D9D9", font_color="#FFFFFF" if now else "#000000")
        ws.write_string(head + 1, m0 + i, MONTH_LETTERS[int(m[5:]) - 1], cell)
    r = head + 2
    for row in tl.itertuples(index=False):
        rec = dict(zip(tl.columns, row))
        is_wp = rec["Kind"] == "WP"
        weight = {"bold": True} if is_wp else {}
        s.put(r, 0, 0, rec["Code"], fmt.cell(**weight))
        s.put(r, 1, 1, rec["Title"] if is_wp else f"   {rec['Title']}", fmt.cell(**weight))
        s.put(r, 2, 2, rec["Status"], fmt.status(rec["Status"]))
        for i, m in enumerate(months):
            mark = str(rec.get(m) or "")
            line = {"border": 1, "border_color": "#E7E6E6", "align": "center", "font_size": 8, "valign": "vcenter"}
            if m == current:
                line.update(left=2, right=2, left_color="#000000", right_color="#000000")
            if mark == "active":
                ws.write_blank(r, m0 + i, None, fmt(bg_color=ACTIVE_FILL, **line))
            elif mark in ("due", "done"):
                fill, color = STATUS.get(str(rec["Status"]), ("#FFFFFF", "#000000"))
                if mark == "done":
                    fill, color = STATUS["Done"]
                ws.write_string(r, m0 + i, "\u2713" if mark == "done" else "\u25c6", fmt(bg_color=fill, font_color=color, bold=True, **line))
            else:
                ws.write_blank(r, m0 + i, None, fmt(**line))
        s.set_row(r, 13)
        r += 1
    s.row = r
    ws.freeze_panes(head + 2, 3)

    spans = _spans(m0, last, [8, 6, 6])
    s.section("Work packages")
    s.table(view.work_packages, [
        Col("Code", "Work package"), Col("Title", "Title", "wrap", 1), Col("Status", "Status", first=2, status=True),
        Col("% complete", "% complete", "decimal", *spans[0], align="center"),
        Col("Deliverables done", "Deliverables done", "text", *spans[1], align="center"), Col("Lead", "Lead", "text", *spans[2], align="center"), Col("Why", "Why", "wrap", spans[2][1] + 1, last),
    ])
    late = view.deliverables[view.deliverables["Status"].isin(["Overdue", "At risk"])]
    s.section("Deliverables overdue or at risk")
    spans = _spans(m0, last, [7, 5, 6])
    s.table(late, [
        Col("Code", "Deliverable"), Col("Title", "Title", "wrap", 1), Col("Status", "Status", first=2, status=True),
        Col("Due", "Due", "date", *spans[0], align="center"), Col("Days late", "Days late", "int", *spans[1], align="center"),
        Col("Responsible", "Responsible", "text", *spans[2], align="center"), Col("Why", "Why", "wrap", spans[2][1] + 1, last),
    ], empty="No deliverable is overdue or at risk.")
    return s


def _spans(start: int, last: int, sizes: Sequence[int]) -> list[tuple[int, int]]:
    out, c = [], start
    for n in sizes:
        out.append((c, min(c + n - 1, last)))
        c += n
    return out


# ---------------------------------------------------------------- Finance


def _series_fill(i: int) -> dict[str, Any]:
    return {"fill": {"color": SERIES[i]}, "border": {"color": "#404040", "width": 0.5}}


def _finance(wb: Workbook, fmt: _Formats, view: MasterView, f: Figures) -> _Sheet:
    widths = [8, 38, 8, 13, 13, 13, 11, 13, 13, 13, 12, 8]
    s = _Sheet(wb, fmt, "Finance", widths)
    ws = s.ws
    s.heading(f"Finance and first level control, period {view.period}",
              f"Spent so far = cumulative declared costs of the accepted returns. Expected = {f.elapsed} % of the project time elapsed on "
              f"{view.as_of:%d %B %Y}. ERDF due = co-financing on the certified costs. Ready = reported, certified and without open errors.")
    p = view.partners.copy()
    p["Expected %"] = float(f.elapsed)
    s.section("Per partner")
    first, last_row = s.table(p, [
        Col("Partner", "Partner"), Col("Name", "Name"), Col("Country", "Country", align="center"), Col("Budget", "Budget", "money"),
        Col("Declared in period", "Declared in period", "money"), Col("Spent so far", "Cumulative", "money"),
        Col("Absorption %", "Absorption %", "percent"), Col("Expected %", "Expected %", "percent"),
        Col("FLC status", "FLC status", align="center"), Col("Certified", "Certified", "money"), Col("ERDF due", "ERDF due", "money"),
        Col("Ready", "Ready", align="center"),
    ])
    totals = [("Total", 0, 2), (float(f.budget), 3, 3), (float(f.declared_period), 4, 4), (float(f.cumulative), 5, 5),
              (float(f.absorption), 6, 6), (float(f.elapsed), 7, 7), (f"{f.certified_partners} certified", 8, 8),
              (float(f.certified), 9, 9), (float(f.erdf_due), 10, 10), (f"{f.ready} ready", 11, 11)]
    kinds = {3: "money", 4: "money", 5: "money", 6: "percent", 7: "percent", 9: "money", 10: "money"}
    for value, a, b in totals:
        s.put(s.row, a, b, value, fmt.cell(kinds.get(a, "text"), bold=True, top=2))
    ws.freeze_panes(first, 2)
    s.row += 1

    s.keep(20 + 2 * DEFAULT_ROW + 28 + DEFAULT_ROW * len(f.categories) + 330 * 0.75 + 10)  # the categories with their charts
    s.section("Per cost category", "Summed over the partners' budget lines.")
    cat_first, cat_last = s.table(f.categories, [
        Col("Cost category", "category", "text", 0, 2), Col("Budget", "budget", "money", 3), Col("Declared in period", "declared", "money", 4),
        Col("Spent so far", "cumulative", "money", 5), Col("Absorption %", "absorption", "percent", 6), Col("Remaining", "remaining", "money", 7),
    ])
    sheet = ws.get_name()
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "Spent so far (% of budget)", "categories": [sheet, first, 0, last_row, 0],
                      "values": [sheet, first, 6, last_row, 6], "gap": 60, **_series_fill(0)})
    line = wb.add_chart({"type": "line"})
    line.add_series({"name": f"Time elapsed ({f.elapsed} %)", "categories": [sheet, first, 0, last_row, 0],
                     "values": [sheet, first, 7, last_row, 7], "line": {"color": "#C00000", "width": 2, "dash_type": "dash"}, "marker": {"type": "none"}})
    chart.combine(line)
    chart.set_title({"name": "Spending against budget per partner (%)", "name_font": {"size": 11, "bold": True}})
    chart.set_x_axis({"name": "Partner", "num_font": {"size": 8}, "name_font": {"size": 9}})
    chart.set_y_axis({"name": "% of the partner's budget", "min": 0, "num_format": "0", "name_font": {"size": 9}, "num_font": {"size": 8},
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "bottom", "font": {"size": 9}})
    chart.set_size({"width": 610, "height": 330})
    chart_row = s.chart(chart, 0, 330)

    cats = wb.add_chart({"type": "bar"})
    for i, (name, col) in enumerate((("Budget", 3), ("Spent so far", 5))):
        cats.add_series({"name": name, "categories": [sheet, cat_first, 0, cat_last, 0], "values": [sheet, cat_first, col, cat_last, col],
                         "gap": 80, **_series_fill(1 if i == 0 else 0)})
    cats.set_title({"name": "Budget and spending per cost category (EUR)", "name_font": {"size": 11, "bold": True}})
    # In a bar chart the x axis is the value axis (horizontal) and the y axis holds the categories.
    cats.set_x_axis({"name": "EUR thousand", "min": 0, "num_format": '#,##0,', "name_font": {"size": 9}, "num_font": {"size": 8},
                     "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    cats.set_y_axis({"num_font": {"size": 8}, "reverse": True})
    cats.set_legend({"position": "bottom", "font": {"size": 9}})
    cats.set_size({"width": 470, "height": 330})
    s.chart(cats, 6, 330, row=chart_row, x_offset=30)
    return s


# ---------------------------------------------------------------- Living Labs


def _living_labs(wb: Workbook, fmt: _Formats, view: MasterView, setup: ProjectSetup) -> _Sheet:
    widths = [18, 6, 30, 14, 16, 7, 14, 52]
    s = _Sheet(wb, fmt, "Living Labs", widths)
    ws = s.ws
    per = setup.project.shortlist_per_region
    s.heading(f"Living labs: the shortlist ({per} per region)",
              "Ranked by weighted score (0 to 100) within each region; ties go to more proposers, then more companies. "
              "Place names are as the partners wrote them.")
    s.section("Shortlist")
    s.table(view.shortlist, [
        Col("Region", "Region"), Col("Rank", "Rank", "int", align="center"), Col("Place", "Place", "wrap"), Col("Municipality", "Municipality"),
        Col("Theme", "Theme"), Col("Score", "Score", "score", align="center"), Col("Proposed by", "Proposed by", "wrap"), Col("Why", "Why", "wrap"),
    ], empty="No place is shortlisted yet.")
    s.section("Candidates per region", "Regions with fewer eligible candidates than places are flagged.")
    reg_first, reg_last = s.table(view.regions, [
        Col("Region", "Region"), Col("Candidates", "Candidates", "int", 1, 2, align="center"), Col("Eligible", "Eligible", "int", 3, align="center"),
        Col("Shortlisted", "Shortlisted", "int", 4, align="center"), Col("Flag", "Flag", "wrap", 5, 7),
    ])
    sheet = ws.get_name()
    chart = wb.add_chart({"type": "column"})
    for i, (name, col) in enumerate((("Candidates", 1), ("Eligible", 3), ("Shortlisted", 4))):
        chart.add_series({"name": name, "categories": [sheet, reg_first, 0, reg_last, 0], "values": [sheet, reg_first, col, reg_last, col],
                          "gap": 60, **_series_fill([2, 1, 0][i])})
    chart.set_title({"name": "Living-lab candidates and shortlisted places per region", "name_font": {"size": 11, "bold": True}})
    chart.set_x_axis({"name": "Region", "num_font": {"size": 8, "rotation": -45}, "name_font": {"size": 9}})
    chart.set_y_axis({"name": "Places", "min": 0, "major_unit": 2, "num_format": "0", "name_font": {"size": 9}, "num_font": {"size": 8},
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "bottom", "font": {"size": 9}})
    chart.set_size({"width": 1000, "height": 330})
    s.chart(chart, 0, 330)
    return s


# ---------------------------------------------------------------- Risks and issues


def _risks(wb: Workbook, fmt: _Formats, view: MasterView, f: Figures) -> _Sheet:
    widths = [9, 30, 14, 12, 12, 70]
    s = _Sheet(wb, fmt, "Risks and issues", widths)
    s.heading(f"Risks and issues, period {view.period}",
              f"For the Policy Coordination Group: what needs a decision or a reminder. As of {view.as_of:%d %B %Y}; "
              f"{f.elapsed} % of the project time has passed.")
    d = view.deliverables
    s.section("Deliverables overdue or at risk")
    s.table(d[d["Status"].isin(["Overdue", "At risk"])], [
        Col("Deliverable", "Deliverable"), Col("Title", "Title", "wrap"), Col("Status", "Status", status=True),
        Col("Due", "Due", "date"), Col("Days late", "Days late", "int"), Col("Why", "Why", "wrap"),
    ], empty="No deliverable is overdue or at risk.")

    s.section("Returns missing or rejected")
    p = view.partners
    rows = []
    for r in p[(p["Reported"] == "No") | p["Partner"].isin(f.rejected)].itertuples(index=False):
        rec = dict(zip(p.columns, r))
        rejected = view.returns[(view.returns["Partner"] == rec["Partner"]) & (view.returns["Status"] == "rejected")
                                & (view.returns["Period"].map(_n) == view.period)]
        state = "Rejected" if len(rejected) else "Missing"
        rows.append({"partner": rec["Partner"], "name": rec["Name"], "state": state, "files": len(rejected),
                     "why": rec["Blocking the joint report"] or ("no return received" if state == "Missing" else "")})
    s.table(pd.DataFrame(rows, columns=["partner", "name", "state", "files", "why"]), [
        Col("Partner", "partner"), Col("Name", "name"), Col("Return", "state", align="center"), Col("Rejected files", "files", "int", align="center"),
        Col("Blocking the joint report", "why", "wrap", 4, 5),
    ], empty="Every partner has an accepted return for the period.")

    s.section("Spending far from the time elapsed",
              f"Reported partners below {float(FAR_BELOW) * 100:.0f} % or above {float(FAR_ABOVE) * 100:.0f} % of the expected share "
              f"({f.elapsed} % of the budget).")
    dev = _deviating(view, f)
    dev["expected"] = float(f.elapsed)
    dev["gap"] = [float(a) - float(f.elapsed) for a in dev["absorption"]]
    dev["absorption"] = dev["absorption"].map(float)
    s.table(dev, [
        Col("Partner", "partner"), Col("Name", "name"), Col("Spent %", "absorption", "percent"), Col("Expected %", "expected", "percent"),
        Col("Gap (points)", "gap", "points"), Col("Note", "note"),
    ], empty="No reported partner is far from the expected spending.")

    s.section("Office flat rate not right")
    flat = view.lines[view.lines["Flat rate right"] == "No"]
    s.table(flat, [
        Col("Partner", "Partner"), Col("Name", "Name"), Col("Declared", "Declared in period", "money"), Col("Budget", "Budget", "money"),
        Col("Absorption %", "Absorption %", "percent"), Col("Source file", "Source file"),
    ], empty="Every reported office and administration line equals the flat rate on staff costs.")

    s.section("First level control not certified", "Reported partners whose controller has not certified the period's costs yet.")
    flc = p[(p["Reported"] == "Yes") & (p["FLC status"] != "Certified")]
    s.table(flc, [
        Col("Partner", "Partner"), Col("Name", "Name"), Col("FLC status", "FLC status"), Col("Declared", "Declared in period", "money"),
        Col("Ready", "Ready", align="center"), Col("Blocking the joint report", "Blocking the joint report", "wrap"),
    ], empty="Every reported partner is certified.")

    s.section("Open errors in the returns", "Errors found in each partner's latest return; the coordinator's resolution is noted where given.")
    errors = view.issues[view.issues["Severity"] == "error"]
    s.table(errors, [
        Col("Partner", "Partner"), Col("Problem", "Problem", "wrap", 1, 2), Col("Sheet", "Sheet"), Col("Cell", "Cell"),
        Col("How to fix / resolution", "How to fix", "wrap"),
    ] if "Resolution" not in errors.columns or not errors["Resolution"].astype(str).str.strip().any() else [
        Col("Partner", "Partner"), Col("Problem", "Problem", "wrap", 1, 2), Col("Sheet", "Sheet"), Col("Cell", "Cell"),
        Col("Resolution", "Resolution", "wrap"),
    ], empty="No open errors.")

    s.section("Living labs: regions flagged")
    flagged = view.regions[view.regions["Flag"].astype(str) != ""]
    s.table(flagged, [
        Col("Region", "Region", "text", 0, 1), Col("Candidates", "Candidates", "int", 2, align="center"), Col("Eligible", "Eligible", "int", 3, align="center"),
        Col("Shortlisted", "Shortlisted", "int", 4, align="center"), Col("Flag", "Flag", "wrap", 5),
    ], empty="Every region has its places filled.")
    return s


# ---------------------------------------------------------------- PDF


def convert_to_pdf(workbook: Path, *, timeout: int = 180) -> tuple[Path | None, str | None]:
    """Print ``workbook`` to a PDF beside it with LibreOffice headless: (pdf, None) or (None, why not)."""
    if soffice_path() is None:
        return None, f"LibreOffice (soffice) is not installed, so no PDF was written. {SOFFICE_HINT}"
    target = workbook.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="nc-board-") as tmp:
        outdir = Path(tmp)
        try:
            convert([workbook], "pdf", outdir, timeout=timeout)
        except ConvertError as exc:
            return None, f"{exc}; the workbook {workbook.name} was written."
        made = outdir / f"{workbook.stem}.pdf"
        if not made.is_file() or made.stat().st_size == 0:
            return None, f"LibreOffice could not print {workbook.name} to PDF."
        tmp_target = target.with_name(f".{target.name}.tmp")
        shutil.move(str(made), tmp_target)
        os.replace(tmp_target, target)
    return target, None


# ---------------------------------------------------------------- the action


@dataclass(frozen=True)
class SummaryResult:
    """What ``build_summary`` wrote: the workbook, and the PDF or why there is none."""

    workbook: Path
    pdf: Path | None
    pdf_problem: str | None
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
    master = root / "master.xlsx"
    report(0, steps, "reading the master")
    view = read_master(master)
    if view.period != period:
        raise SummaryError(f"{master.name} was built for period {view.period} (as of {view.as_of:%Y-%m-%d}), not period {period}. "
                           f"Run `nc-excel build --period {period}` first, then write the summary again.")
    _check_against_dashboard(view, figures(view, setup), master)
    path = root / "board" / board_name(setup, period)
    report(1, steps, "writing the workbook")
    write_board(path, view, setup)
    made, problem = None, None
    if pdf:
        report(2, steps, "printing to PDF")
        made, problem = convert_to_pdf(path)
        stale = path.with_suffix(".pdf")
        if made is None and stale.exists():  # an older PDF would no longer match the workbook
            stale.unlink()
            problem = f"{problem} The older {stale.name} was removed, as it no longer matches the workbook."
    report(steps, steps, "done")
    return SummaryResult(workbook=path, pdf=made, pdf_problem=problem, period=period, as_of=view.as_of, status_line=view.status_line)


__all__ = ["MasterView", "SummaryError", "SummaryResult", "board_name", "build_summary", "convert_to_pdf", "key_messages", "read_master", "write_board"]
