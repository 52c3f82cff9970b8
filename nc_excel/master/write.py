"""Write the rebuilt sheets of the master from the analyses' frames, through ``master.schema``.

Each sheet is one model of the schema written as a named table with
``excel.write.write_table`` into the new master (an XlsxWriter workbook); this
module only chooses titles and intros, orders the frames' columns to the models'
fields and computes the Dashboard's figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from nc_excel.analyses.finance import PROJECT, TOTAL, FinancePosition
from nc_excel.analyses.indicators import PROJECT as ALL_PARTNERS
from nc_excel.analyses.livinglabs import Shortlist
from nc_excel.analyses.schedule import Schedule
from nc_excel.analyses.statement import PROJECT_TOTAL, REPORT_TOTAL
from nc_excel.excel.schema import HEADER_ROW, columns, printed
from nc_excel.excel.style import BORDER, FONT, NAVY
from nc_excel.excel.write import (
    Styles,
    add_format,
    color_words,
    first_page,
    print_setup,
    write_heading,
    write_table,
)
from nc_excel.intake.archive import Register
from nc_excel.master.dashboard import write_dashboard
from nc_excel.master.decisions import Decisions
from nc_excel.master.frames import ReturnFrames, register_frame
from nc_excel.master.glance import MasterView
from nc_excel.master.schema import (
    BUDGET_LINES,
    CERTIFICATES,
    CONTENTS,
    DASHBOARD,
    DECISIONS,
    DELIVERABLES,
    FINANCE,
    FINANCE_POSITION,
    HISTORY,
    INDICATOR_PROGRESS,
    INDICATORS,
    ISSUES,
    LAB_PROGRESS,
    LIVING_LABS,
    ORPHANED,
    PROGRESS,
    REBUILT,
    REGIONS,
    RETURNS,
    SCHEDULE,
    SHORTLIST,
    SHORTLIST_CHANGES,
    STATEMENT,
    STATUS_COLOURS,
    TAB_COLOURS,
    TIMELINE,
    TIMELINE_ACTIVE,
    WORK_PACKAGES,
    ContentsRow,
    Dashboard,
    Sheet,
    TimelineHead,
    living_lab_row,
    month_field,
    timeline_row,
)
from nc_excel.setup.models import ProjectSetup

TIMELINE_MARKS = {"active": TIMELINE_ACTIVE, "due": "#F4B084", "done": STATUS_COLOURS["Done"][0]}
CURRENT_MONTH = "#C00000"


class FrameRows:
    """A frame's rows for ``write_table``, handed over a column at a time as plain Python values
    (missing ones as None): a large master never holds a dict per row."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def __len__(self) -> int:
        return len(self.frame)

    def column(self, name: str) -> list[Any]:
        if not len(self.frame):
            return []  # an empty frame need not have the columns
        values = self.frame[name]
        return values.astype(object).where(values.notna(), None).tolist()


def dashboard(setup: ProjectSetup, period: int, as_of: dt.date, register: Register, fin: FinancePosition, sched: Schedule, lab: Shortlist) -> Dashboard:
    """The Dashboard's figures: every one a count or a sum of what the other sheets show."""
    per = setup.period(period)
    t = fin.totals
    received = {e.partner for e in register.entries if e.kind == "return" and e.period == period and e.status != "duplicate"}
    current = register.current(period)
    accepted = {e.partner for e in current}
    missing = [p.code for p in setup.partners if p.code not in accepted]
    statuses = sched.deliverables["status"]
    return Dashboard(
        period=per.number, period_start=per.start, period_end=per.end, as_of=as_of,
        status_line=sched.status_line, on_track=sched.on_track, partners=len(setup.partners), received=len(received),
        accepted=len(accepted), late=sum(1 for e in current if e.late), missing=", ".join(missing) or None, certified_partners=t.partners_certified, certified=t.certified,
        erdf_due=t.erdf_due, norway_due=t.norway_due, declared_period=t.declared_period, cumulative=t.cumulative, budget=t.budget, absorption_pct=t.absorption_pct,
        deliverables=len(statuses), done=int((statuses == "Done").sum()), overdue=int((statuses == "Overdue").sum()),
        places=len(lab.longlist), shortlisted=int(lab.longlist["shortlisted"].sum()) if len(lab.longlist) else 0, ready=t.partners_ready,
    )


class MasterWriter:
    """Writes the rebuilt sheets into the master being built, one method per group of sheets."""

    def __init__(self, wb: Workbook, setup: ProjectSetup, period: int, as_of: dt.date) -> None:
        self.wb, self.setup, self.period, self.as_of = wb, setup, period, as_of
        self.styles = Styles(wb)
        self.sheets: dict[str, Worksheet] = {}
        self.about: dict[str, str] = {}  # sheet name -> what it is for, for the Contents sheet

    def sheet(self, sheet: Sheet) -> Worksheet:
        """A new sheet in its group's tab colour."""
        ws = self.sheets[sheet.name] = self.wb.add_worksheet(sheet.name)
        ws.set_tab_color(TAB_COLOURS[sheet.group])
        return ws

    @property
    def header(self) -> str:
        """The printed header of every rebuilt sheet: which master, which period, as of when."""
        return f"{self.setup.project.acronym} master, period {self.period}, as of {self.as_of:%d %B %Y}"

    def table(self, sheet: Sheet, frame: pd.DataFrame, title: str, intro: str, model: type | None = None, *, intro_style: str = "note",
              strong_rows: frozenset[int] = frozenset()) -> Worksheet:
        """``frame`` as the sheet's named table under a title: input columns look like inputs and offer
        their lists, status words are coloured, the header and the key columns stay in view."""
        model = model or sheet.model
        cols = columns(model)
        names = [c.name for c in cols]
        rows = FrameRows(frame)
        ws = self.sheet(sheet)
        shown = printed(model)
        widths = [c.col.width for c in shown]
        write_heading(ws, self.styles, title, intro, intro_style=intro_style, widths=widths[:first_page(widths)])
        self.about[sheet.name] = f"{title}: {_first_sentence(intro)}"
        write_table(ws, self.styles, model, rows, name=sheet.table, top=HEADER_ROW, protected=False,
                    strong_rows=strong_rows, lists={"decisions": list(DECISIONS)})
        if sheet.status in names:
            color_words(ws, self.styles, HEADER_ROW + 1, names.index(sheet.status), HEADER_ROW + max(len(rows), 1), STATUS_COLOURS)
        ws.freeze_panes(HEADER_ROW + 1, sheet.freeze)
        print_setup(ws, header=self.header, repeat_row=HEADER_ROW, widths=widths, repeat_cols=sheet.freeze)
        ws.print_area(0, 0, HEADER_ROW + max(len(rows), 1), len(shown) - 1)  # the aside columns stay off paper
        return ws

    def contents(self) -> Worksheet:
        """The first sheet; its lines are written by ``fill_contents`` once every sheet is."""
        return self.sheet(CONTENTS)

    def fill_contents(self, kept: Sequence[tuple[str, str]]) -> None:
        """One line per sheet, with a link to it, what it is for and its group: the rebuilt sheets as written, then
        ``kept``, the coordinator's sheets (name, what it holds)."""
        ws = self.sheets[CONTENTS.name]
        p = self.setup.project
        write_heading(ws, self.styles, f"{p.name}: master, period {self.period}", f"As of {self.as_of:%d %B %Y}. Every sheet of this workbook: "
                      "click a name to go there. The tab colours follow the groups; your setup sheets come last and are kept as you leave them.",
                      widths=[c.col.width for c in columns(ContentsRow)])
        rows = [{"sheet": name, "group": GROUP_OF[name], "about": self.about.get(name, "")} for name in self.sheets if name != CONTENTS.name]
        rows += [{"sheet": name, "group": "setup", "about": about} for name, about in kept]
        write_table(ws, self.styles, ContentsRow, rows, name=CONTENTS.table, top=HEADER_ROW, protected=False)
        link = self.styles.text("link")
        for r, row in enumerate(rows, start=HEADER_ROW + 1):
            ws.write_url(r, 0, f"internal:'{row['sheet']}'!A1", link, string=row["sheet"], tip=f"Go to {row['sheet']}")
        ws.freeze_panes(HEADER_ROW + 1, 1)
        print_setup(ws, header=self.header, repeat_row=HEADER_ROW, landscape=False)
        ws.print_area(0, 0, HEADER_ROW + len(rows), len(columns(ContentsRow)) - 1)

    def dashboard(self, view: MasterView, fin: FinancePosition, merged: int) -> None:
        """The state at a glance (``master.dashboard``): tiles linked to their sheets, the work packages, two charts, the key figures."""
        ws = self.sheet(DASHBOARD)
        self.about[DASHBOARD.name] = ("The state of the project at a glance: the board's key figures (each a link to its sheet), the work packages, "
                                      "spending and returns period by period, and who is not ready for the joint report.")
        write_dashboard(self.wb, ws, self.styles, self.setup, view, fin, merged=merged, header=self.header)

    def returns(self, register: Register) -> None:
        self.table(RETURNS, register_frame(register.entries), "Returns register", "Every file collected, in the order received, with its verdict. A later accepted return replaces the partner's earlier one "
                   "for the period (Replaced by); nothing is ever removed from this list.")

    def issues(self, issues: pd.DataFrame) -> None:
        self.table(ISSUES, issues, "Open issues",
                   "The issues of each partner's latest return. Note how each was resolved in the yellow column; it is kept across rebuilds.")

    def reported(self, frames: ReturnFrames) -> None:
        self.table(PROGRESS, frames.progress, "Progress per work package", "All periods, as the partners reported them.")
        self.table(DELIVERABLES, frames.deliverables, "Deliverables as reported", "All periods; the Schedule sheet gives the status the project works with.")
        self.table(INDICATORS, frames.indicators, "Output indicators", "All periods, as the partners reported them.")

    def indicator_progress(self, progress: pd.DataFrame) -> None:
        """Each indicator's project line (in bold), then its partners' lines."""
        self.table(INDICATOR_PROGRESS, progress, f"Output indicators against targets, period {self.period}",
                   f"Achieved before period {self.period}, in it and in all; each partner against the target per partner, "
                   "the project (All partners) against the target times the number of reporting partners.",
                   strong_rows=_rows_where(progress["partner"], ALL_PARTNERS))

    def finance(self, frames: ReturnFrames, fin: FinancePosition, statement: pd.DataFrame) -> None:
        """The declared expenditure, the position per partner and cost category, the certificates and the statement of expenditure."""
        self.table(FINANCE, frames.finance, "Expenditure declared", "All periods, one row per partner and cost category, as declared.")
        self.table(FINANCE_POSITION, fin.partners, f"Finance and FLC position, period {self.period}",
                   "ERDF or Norwegian funding due: the partner's co-financing rate (Partners sheet) of its certified costs. "
                   "Ready = reported, certified and without open errors.", strong_rows=_rows_where(fin.partners["partner"], PROJECT))
        self.table(BUDGET_LINES, fin.lines, f"Budget lines, period {self.period}",
                   "Per partner and cost category; cumulative over all accepted returns up to this period.",
                   strong_rows=_rows_where(fin.lines["category_label"], TOTAL))
        self.table(CERTIFICATES, fin.certificates, f"FLC certificates up to period {self.period}",
                   "The current certificate of each partner and period, per cost category, then each partner's total over its periods and the project's. "
                   "Counts = No: the report was corrected after it was certified, so the certificate is ignored until a new one comes.")
        self.table(STATEMENT, statement, f"Statement of expenditure up to period {self.period}",
                   "Per partner report (partner and period) and cost category, in EUR: declared in the accepted return, certified and deducted by first level "
                   "control (per category when a certificate splits it). The ERDF and the Norwegian funding are due per partner report, on its total line; "
                   "the last line adds up the reports.", strong_rows=_rows_where(statement["category_label"], REPORT_TOTAL, PROJECT_TOTAL))

    def history(self, history: pd.DataFrame) -> None:
        self.table(HISTORY, history, f"History, periods 1 to {self.period}",
                   "One row per reporting period, from the latest accepted returns. Plan = the budget times the share of project months over "
                   "at the period's end. Indicator targets reached: achievements summed over the periods, each partner's capped at its target.")

    def living_labs(self, lab: Shortlist, changes: pd.DataFrame | None = None) -> None:
        """The long list, the shortlist, the regions and ``changes``: the shortlist against the previous period's (None in period 1)."""
        self.table(LIVING_LABS, lab.longlist, "Living-lab candidates (long list)",
                   "One row per place, from each partner's latest list. Type Include or Exclude in Decision to override the ranking, "
                   "Selected to confirm a lab for the rest of the project (it stays, and its partners report on it instead of proposing); "
                   "decisions and notes are kept across rebuilds.",
                   model=living_lab_row(self.setup.criteria))
        since = f"since period {self.period - 1}"
        warning = f"{len(changes)} shortlist change(s) {since}: see the sheet {SHORTLIST_CHANGES.name}." if changes is not None and len(changes) else ""
        self.table(SHORTLIST, lab.longlist[lab.longlist["shortlisted"]], f"Living-lab shortlist ({self.setup.project.shortlist_per_region} per region)",
                   warning or "Ranked by weighted score within each region; ties go to more proposers, then more companies, then name.",
                   intro_style="warn" if warning else "note")
        self.table(REGIONS, lab.regions, "Living labs per region", "Regions with fewer eligible candidates than places are flagged.")
        if changes is None:
            self.table(SHORTLIST_CHANGES, pd.DataFrame(), "Shortlist changes", f"Period {self.period} has no earlier shortlist to compare with.")
        else:
            self.table(SHORTLIST_CHANGES, changes, f"{len(changes)} shortlist change(s) {since}",
                       f"The places that left or joined the shortlist {since}: the shortlist the lists of the periods before period "
                       f"{self.period} made (with today's decisions), against this one.")

    def lab_progress(self, frames: ReturnFrames) -> None:
        self.table(LAB_PROGRESS, frames.lab_progress, "Living lab progress",
                   "What the partners report about the living labs selected from their proposals (Selected on Living Labs), all periods.")

    def schedule(self, sched: Schedule, decisions: Decisions) -> None:
        d = sched.deliverables.copy()
        d["comment"] = [decisions.deliverables.get(code, "") for code in d["code"]]
        self.table(SCHEDULE, d, f"Schedule as of {self.as_of:%d %B %Y}", sched.status_line)
        self.table(WORK_PACKAGES, sched.work_packages, "Work packages", "Each takes the worst of its deliverables and its partners' reported progress.")
        self.timeline(sched)

    def timeline(self, sched: Schedule) -> None:
        months = sched.months
        frame = sched.timeline.rename(columns={m: month_field(m) for m in months})
        model = timeline_row(months)
        ws = self.table(TIMELINE, frame, "Timeline", f"Month by month; the current month ({sched.current_month or '-'}) is outlined.", model=model)
        lead = len(columns(TimelineHead))  # the columns before the months
        first, last = HEADER_ROW + 1, HEADER_ROW + max(len(frame), 1)
        for word, color in TIMELINE_MARKS.items():
            ws.conditional_format(first, lead, last, lead + len(months) - 1,
                                  {"type": "cell", "criteria": "equal to", "value": f'"{word}"', "format": self.styles.mark(color, color)})
        header = {"font_name": FONT, "font_size": 10, "bold": True, "font_color": "white", "bg_color": NAVY, "border": 1, "border_color": BORDER,
                  "rotation": 90, "valign": "vcenter"}
        month_head = add_format(self.wb, header)
        current_head = add_format(self.wb, {**header, "bg_color": CURRENT_MONTH})
        for c, month in enumerate(months, start=lead):
            ws.write_string(HEADER_ROW, c, month, current_head if month == sched.current_month else month_head)
        ws.set_row(HEADER_ROW, 48)

    def orphaned(self, orphaned: pd.DataFrame) -> None:
        self.table(ORPHANED, orphaned, "Orphaned decisions",
                   "Decisions whose row has gone (a withdrawn candidate, a resolved file). Kept here, and restored if the row comes back.")


def _rows_where(column: pd.Series, *words: str) -> frozenset[int]:
    """The indexes of the rows whose ``column`` holds one of ``words``: the total lines, written in bold."""
    return frozenset(r for r, value in enumerate(column) if value in words)


GROUP_OF = {s.name: s.group for s in REBUILT}


def _first_sentence(text: str) -> str:
    """The first sentence of a sheet's intro, for its line on the Contents sheet."""
    head, dot, _ = text.partition(". ")
    return head + (dot.strip() or "")
