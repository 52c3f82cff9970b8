"""Build the master workbook from the setup, the archive and the coordinator's decisions.

The master is rebuilt, never patched: its setup sheets are kept exactly as the
coordinator left them, every other sheet is written anew from the latest accepted
returns, and the columns that belong to the coordinator (living-lab decisions,
notes, issue resolutions, deliverable comments) are read from the current master
first and written back to the same rows by stable keys. A decision whose row has
gone is kept on "Orphaned decisions". The old master is backed up, the new one is
written to a temporary file and renamed into place: a failed rebuild changes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import openpyxl
import pandas as pd
from lxml import etree
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from nc_excel.finance import FinancePosition, finance_position
from nc_excel.frames import ReturnFrames, register_frame, return_frames
from nc_excel.intake.archive import Entry, Register
from nc_excel.intake.files import FileProblem, Limits, open_files
from nc_excel.intake.collect import read_opened
from nc_excel.intake.returns import Return
from nc_excel.livinglabs import Shortlist, shortlist
from nc_excel.master_sheets import HEADER_ROW, Column, print_setup, put, register_styles, sheet_title, write_frame
from nc_excel.schedule import Schedule, build_schedule
from nc_excel.setup.models import ProjectSetup
from nc_excel.setup.sheets import SETTINGS_SHEET, SETUP_SHEETS
from nc_excel.workbook_io import SpreadsheetError, open_values
from nc_excel.xlsx import FONT

Progress = Callable[[int, int, str], None]

DASHBOARD = "Dashboard"
REBUILT = (
    DASHBOARD, "Returns", "Issues", "Progress", "Deliverables reported", "Indicators reported", "Finance", "Finance position",
    "Budget lines", "Living Labs", "Shortlist", "Shortlist by region", "Schedule", "Work package status", "Timeline", "Orphaned decisions",
)
SETUP_NAMES = {s.sheet for s in SETUP_SHEETS}
KEPT = SETUP_NAMES | {SETTINGS_SHEET}  # the coordinator's sheets: kept exactly as they are


class MasterError(Exception):
    """The master cannot be rebuilt; the message says why and what to do."""

    exit_code = 2


# ---------------------------------------------------------------- decisions


@dataclass
class Decisions:
    """The coordinator's own columns, by stable key."""

    living_labs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["place_key", "decision", "note"]))
    issues: dict[str, str] = field(default_factory=dict)  # issue key -> resolution
    deliverables: dict[str, str] = field(default_factory=dict)  # deliverable code -> comment
    orphaned: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["sheet", "key", "decision", "note"]))


def _header_map(grid: list[list], header_row: int = HEADER_ROW - 1) -> dict[str, int]:
    if len(grid) <= header_row:
        return {}
    return {str(v).strip(): i for i, v in enumerate(grid[header_row]) if v not in (None, "")}


def _rows(grid: list[list], cols: dict[str, int], names: Sequence[str]) -> list[dict[str, str]]:
    out = []
    for row in grid[HEADER_ROW:]:
        record = {n: row[cols[n]] if cols.get(n) is not None and cols[n] < len(row) else None for n in names}
        out.append({k: "" if v is None else str(v).strip() for k, v in record.items()})
    return out


def read_decisions(master: Path) -> Decisions:
    """What the coordinator typed into the rebuilt sheets of the current master."""
    try:
        sheets = open_values(master, {"Living Labs", "Issues", "Schedule", "Orphaned decisions"})
    except SpreadsheetError as exc:
        raise MasterError(f"{master} cannot be read ({exc}). Restore it from backups/ and try again.") from exc
    decisions = Decisions()
    if grid := sheets.get("Living Labs"):
        cols = _header_map(grid)
        rows = [r for r in _rows(grid, cols, ["Place key", "Decision", "Coordinator note"]) if r["Place key"] and (r["Decision"] or r["Coordinator note"])]
        decisions.living_labs = pd.DataFrame(
            [{"place_key": r["Place key"], "decision": r["Decision"], "note": r["Coordinator note"]} for r in rows], columns=["place_key", "decision", "note"]
        )
    if grid := sheets.get("Issues"):
        cols = _header_map(grid)
        decisions.issues = {r["Issue key"]: r["Resolution"] for r in _rows(grid, cols, ["Issue key", "Resolution"]) if r["Issue key"] and r["Resolution"]}
    if grid := sheets.get("Schedule"):
        cols = _header_map(grid)
        decisions.deliverables = {r["Deliverable"]: r["Coordinator comment"] for r in _rows(grid, cols, ["Deliverable", "Coordinator comment"]) if r["Deliverable"] and r["Coordinator comment"]}
    if grid := sheets.get("Orphaned decisions"):
        cols = _header_map(grid)
        decisions.orphaned = pd.DataFrame(
            [{"sheet": r["Sheet"], "key": r["Key"], "decision": r["Decision"], "note": r["Note"]} for r in _rows(grid, cols, ["Sheet", "Key", "Decision", "Note"]) if r["Key"]],
            columns=["sheet", "key", "decision", "note"],
        )
    # A decision orphaned earlier comes back when its row does.
    for r in decisions.orphaned.itertuples():
        if r.sheet == "Living Labs" and r.key not in set(decisions.living_labs["place_key"]):
            decisions.living_labs.loc[len(decisions.living_labs)] = [r.key, r.decision, r.note]
        elif r.sheet == "Issues":
            decisions.issues.setdefault(r.key, r.note)
        elif r.sheet == "Schedule":
            decisions.deliverables.setdefault(r.key, r.note)
    return decisions


# ---------------------------------------------------------------- inputs


def latest_returns(root: Path, setup: ProjectSetup, register: Register, limits: Limits = Limits()) -> list[tuple[Entry, Return]]:
    """The latest accepted return of each partner and period, read back from the archive."""
    entries = [e for e in register.current() if e.archived]
    by_path = {root / e.archived: e for e in entries}
    out: list[tuple[Entry, Return]] = []
    for path, outcome in open_files(list(by_path), limits, then=partial(read_opened, setup=setup)):
        entry = by_path[path]
        if isinstance(outcome, FileProblem):
            raise MasterError(f"The archived return {entry.archived} cannot be read ({outcome.issue.message}). Restore it from a backup of the archive.")
        if outcome.ret is None:
            raise MasterError(f"The archived return {entry.archived} is no longer a return of this project ({outcome.issues[-1].message}).")
        out.append((entry, outcome.ret))
    order = [p.code for p in setup.partners]
    return sorted(out, key=lambda pair: (pair[1].period, order.index(pair[1].partner)))


def issue_key(entry: Entry, code: str, sheet: str | None, cell: str | None, field_name: str | None) -> str:
    return f"{entry.sha256[:12]}|{code}|{sheet or ''}|{cell or ''}|{field_name or ''}"


def open_issues(register: Register, decisions: Decisions) -> pd.DataFrame:
    """The issues of each partner's latest submission per period (and of files not yet attributed)."""
    latest: dict[tuple[str | None, int | None], Entry] = {}
    loose: list[Entry] = []
    for e in register.entries:
        if e.status == "duplicate":
            continue
        if e.partner is None:
            loose.append(e)
        elif (e.partner, e.period) not in latest or e.received >= latest[(e.partner, e.period)].received:
            latest[(e.partner, e.period)] = e
    rows = []
    for e in [*latest.values(), *loose]:
        for i in e.issues:
            key = issue_key(e, i.code, i.sheet, i.cell, i.field)
            rows.append({
                "key": key, "partner": e.partner or "", "period": e.period, "file": e.file, "sheet": i.sheet, "cell": i.cell,
                "severity": str(i.severity), "code": i.code, "message": i.message, "hint": i.hint, "resolution": decisions.issues.get(key, ""),
            })
    return pd.DataFrame(rows, columns=["key", "partner", "period", "file", "sheet", "cell", "severity", "code", "message", "hint", "resolution"])


# ---------------------------------------------------------------- the build


@dataclass
class MasterResult:
    """What a rebuild did, for the closing summary."""

    path: Path
    backup: Path | None
    period: int
    as_of: dt.date
    returns_merged: int
    partners_reported: int
    candidates: int
    places: int
    shortlisted: dict[str, int]
    region_flags: list[str]
    overdue: list[str]
    status_line: str
    orphaned: int
    finance: FinancePosition
    schedule: Schedule
    shortlist: Shortlist


def default_period(setup: ProjectSetup, as_of: dt.date) -> int:
    """The period whose reports are due: the one containing ``as_of``, else the last one started."""
    started = [p for p in setup.periods if p.start <= as_of]
    return (started[-1] if started else setup.periods[0]).number


def check_not_open(master: Path) -> None:
    """Excel and LibreOffice leave a lock file beside a workbook they have open."""
    for lock in (master.with_name(f"~${master.name}"), master.with_name(f".~lock.{master.name}#")):
        if lock.exists():
            raise MasterError(f"{master.name} is open in a spreadsheet application ({lock.name} exists). Close it and run the build again; nothing was changed.")


def _setup_only(master: Path) -> io.BytesIO:
    """The master with only its setup sheets listed, for openpyxl to load quickly.

    The rebuilt sheets of a large project are most of the file; openpyxl loads only
    the sheets the workbook part lists, so the others are dropped from that list.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(master) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                root = etree.fromstring(data)
                ns = {"m": root.nsmap.get(None, "")}
                for sheet in root.findall("m:sheets/m:sheet", ns):
                    if sheet.get("name") not in KEPT:
                        sheet.getparent().remove(sheet)
                for name in root.findall("m:definedNames/m:definedName", ns):
                    if name.get("localSheetId") is not None or not any(f"{s}!" in (name.text or "") or f"'{s}'!" in (name.text or "") for s in KEPT):
                        name.getparent().remove(name)
                for view in root.findall("m:bookViews/m:workbookView", ns):
                    view.set("activeTab", "0")
                    view.attrib.pop("firstSheet", None)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            zout.writestr(info, data)
    out.seek(0)
    return out


def build_master(
    root: Path,
    setup: ProjectSetup,
    *,
    as_of: dt.date,
    period: int | None = None,
    progress: Progress | None = None,
) -> MasterResult:
    """Rebuild ``root/master.xlsx``; see the module docstring for what is kept and how."""
    report = progress or (lambda done, total, label: None)
    master = root / "master.xlsx"
    check_not_open(master)
    steps = 6
    report(0, steps, "decisions")
    decisions = read_decisions(master)
    period = period or default_period(setup, as_of)
    register = Register(root)
    report(1, steps, "reading the archive")
    pairs = latest_returns(root, setup, register)
    frames = return_frames(pairs, setup)
    report(2, steps, "analyses")
    lab = shortlist(frames.candidates, setup.criteria, setup.regions, setup.project.shortlist_per_region, decisions.living_labs)
    sched = build_schedule(
        setup.work_packages, setup.deliverables,
        frames.deliverables[["partner", "period", "code", "status", "date", "comment"]],
        frames.progress[["partner", "period", "work_package", "status", "percent_complete", "problems"]],
        as_of=as_of, at_risk_days=setup.project.at_risk_days, project_start=setup.project.start, project_end=setup.project.end,
    )
    fin = finance_position(setup.partners, setup.project, period, frames.finance, frames.flc, register_frame(register.entries))
    issues = open_issues(register, decisions)
    orphaned = _orphaned(decisions, lab, issues, sched)
    report(3, steps, "writing")
    wb = openpyxl.load_workbook(_setup_only(master), keep_links=False)
    register_styles(wb)
    writer = _Writer(wb, setup, period, as_of)
    writer.dashboard(register, fin, sched, lab, frames, len(pairs))
    writer.returns(register)
    writer.issues(issues)
    writer.reported(frames)
    writer.finance(frames, fin)
    writer.living_labs(lab)
    writer.schedule(sched, decisions)
    writer.orphaned(orphaned)
    order = [wb[name] for name in REBUILT] + [ws for ws in wb.worksheets if ws.title not in REBUILT]
    wb._sheets = order  # Dashboard first, setup sheets after the rebuilt ones
    wb.active = 0
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == DASHBOARD
    report(4, steps, "saving")
    backup = _save(wb, master, root / "backups", as_of, report, steps)
    report(steps, steps, "done")
    return MasterResult(
        path=master, backup=backup, period=period, as_of=as_of, returns_merged=len(pairs),
        partners_reported=fin.totals.partners_reported, candidates=len(frames.candidates), places=len(lab.longlist),
        shortlisted={r.region: int(r.shortlisted) for r in lab.regions.itertuples()},
        region_flags=[f"{r.region}: {r.flag}" for r in lab.regions.itertuples() if r.flag],
        overdue=list(sched.deliverables.loc[sched.deliverables["status"] == "Overdue", "code"]),
        status_line=sched.status_line, orphaned=len(orphaned), finance=fin, schedule=sched, shortlist=lab,
    )


def _orphaned(decisions: Decisions, lab: Shortlist, issues: pd.DataFrame, sched: Schedule) -> pd.DataFrame:
    rows = [{"sheet": "Living Labs", "key": r.place_key, "decision": r.decision, "note": r.note} for r in lab.orphaned_decisions.itertuples()]
    known_issues = set(issues["key"])
    rows += [{"sheet": "Issues", "key": k, "decision": "", "note": v} for k, v in decisions.issues.items() if k not in known_issues]
    known_codes = set(sched.deliverables["code"])
    rows += [{"sheet": "Schedule", "key": k, "decision": "", "note": v} for k, v in decisions.deliverables.items() if k not in known_codes]
    return pd.DataFrame(rows, columns=["sheet", "key", "decision", "note"])


def _save(wb: openpyxl.Workbook, master: Path, backups: Path, as_of: dt.date, report: Progress, steps: int) -> Path:
    """Back up the old master, write the new one beside it and rename it into place."""
    backups.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    backup = backups / f"master_{stamp}.xlsx"
    shutil.copy2(master, backup)
    fd, tmp = tempfile.mkstemp(prefix=".master-", suffix=".xlsx", dir=master.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        report(5, steps, "replacing")
        os.chmod(tmp, master.stat().st_mode & 0o777)
        try:
            os.replace(tmp, master)
        except PermissionError as exc:
            raise MasterError(f"{master.name} cannot be replaced: it is probably open in Excel. Close it and run the build again; the new master was not written.") from exc
    finally:
        Path(tmp).unlink(missing_ok=True)
    return backup


# ---------------------------------------------------------------- the sheets


C = Column  # the column lists below read better short


SOURCE = [C("file", "Source file", 34), C("sha256", "SHA-256", 18)]


class _Writer:
    """Writes the rebuilt sheets into the master being built."""

    def __init__(self, wb: openpyxl.Workbook, setup: ProjectSetup, period: int, as_of: dt.date) -> None:
        self.wb, self.setup, self.period, self.as_of = wb, setup, period, as_of

    def sheet(self, title: str) -> Worksheet:
        return self.wb.create_sheet(title)

    def dashboard(self, register: Register, fin: FinancePosition, sched: Schedule, lab: Shortlist, frames: ReturnFrames, merged: int) -> None:
        ws = self.sheet(DASHBOARD)
        p = self.setup.project
        per = self.setup.period(self.period)
        sheet_title(ws, f"{p.name}: master", f"{p.programme}. Rebuilt from {merged} accepted return(s) in the archive.")
        t = fin.totals
        period_entries = [e for e in register.entries if e.period == self.period and e.status != "duplicate"]
        received = len({e.partner for e in period_entries})
        accepted = {e.partner for e in register.current(self.period)}
        missing = [x.code for x in self.setup.partners if x.code not in accepted]
        done = int((sched.deliverables["status"] == "Done").sum())
        overdue = int((sched.deliverables["status"] == "Overdue").sum())
        rows = [
            ("Reporting period", f"Period {per.number}: {per.start:%d %b %Y} to {per.end:%d %b %Y}", "text"),
            ("As of", self.as_of, "date"),
            ("Project status", sched.status_line, "wrap"),
            ("Returns received", f"{received} of {len(self.setup.partners)} partners", "text"),
            ("Returns accepted", len(accepted), "int"),
            ("Returns missing", f"{len(missing)}: {', '.join(missing)}" if missing else "0", "wrap"),
            ("FLC certified", f"{t.partners_certified} of {t.n_partners} partners, EUR {t.certified:,.2f}", "text"),
            ("ERDF due on certified costs", t.cofinancing, "money"),
            ("Declared this period (EUR)", t.declared_period, "money"),
            ("Spent so far (EUR)", t.cumulative, "money"),
            ("Project budget (EUR)", t.budget, "money"),
            ("Spending against budget %", t.absorption_pct, "percent"),
            ("Deliverables done / overdue", f"{done} done, {overdue} overdue of {len(sched.deliverables)}", "text"),
            ("Living labs proposed / shortlisted", f"{len(lab.longlist)} places proposed, {int(lab.longlist['shortlisted'].sum()) if len(lab.longlist) else 0} shortlisted", "text"),
            ("Ready for the joint report", f"{t.partners_ready} of {t.n_partners} partners", "text"),
        ]
        ws.column_dimensions["A"].width = 34
        ws.column_dimensions["B"].width = 70
        for r, (label, value, kind) in enumerate(rows, start=4):
            put(ws, r, 1, label, "nc_label")
            put(ws, r, 2, value, f"nc_{kind}")
        status_row = 6
        ws.row_dimensions[status_row].height = 30
        ws.cell(status_row, 2).font = Font(name=FONT, bold=True, size=11, color="006100" if sched.status_line.startswith("On track") else "9C0006")
        start = 4 + len(rows) + 2
        put(ws, start, 1, "Not ready for the joint report", "nc_header")
        put(ws, start, 2, "Why", "nc_header")
        for r, row in enumerate(fin.readiness.itertuples(), start=start + 1):
            put(ws, r, 1, f"{row.partner_name} ({row.partner})", "nc_text")
            put(ws, r, 2, row.reason, "nc_wrap")
        print_setup(ws, landscape=False)

    def returns(self, register: Register) -> None:
        frame = register_frame(register.entries)
        write_frame(self.sheet("Returns"), frame, [
            C("partner", "Partner", 9), C("period", "Period", 7, "int"), C("file", "File", 34), C("sha256", "SHA-256", 18),
            C("received", "Received", 17, "date"), C("status", "Status", 18), C("errors", "Errors", 7, "int"), C("warnings", "Warnings", 9, "int"),
            C("archived", "Archived as", 40), C("superseded", "Superseded", 10), C("feedback", "Feedback workbook", 36),
        ], table="Returns", title="Returns register", intro="Every file collected, with its verdict. Nothing is ever removed from this list.", status_column="status")

    def issues(self, issues: pd.DataFrame) -> None:
        write_frame(self.sheet("Issues"), issues, [
            C("partner", "Partner", 9), C("period", "Period", 7, "int"), C("file", "File", 30), C("sheet", "Sheet", 13), C("cell", "Cell", 7),
            C("severity", "Severity", 9), C("code", "Code", 20), C("message", "Problem", 50, "wrap"), C("hint", "How to fix", 40, "wrap"),
            C("resolution", "Resolution", 30, "wrap", coordinator=True), C("key", "Issue key", 20),
        ], table="Issues", title="Open issues", intro="The issues of each partner's latest return. Note how each was resolved in the yellow column; it is kept across rebuilds.",
            status_column="severity")

    def reported(self, frames: ReturnFrames) -> None:
        write_frame(self.sheet("Progress"), frames.progress, [
            C("partner", "Partner", 9), C("period", "Period", 7, "int"), C("work_package", "Work package", 10), C("status", "Status", 13),
            C("percent_complete", "% complete", 10, "int"), C("achievements", "Achievements", 50, "wrap"), C("problems", "Problems and deviations", 36, "wrap"),
            C("next_period", "Plans", 30, "wrap"), *SOURCE,
        ], table="MasterProgress", title="Progress per work package", intro="All periods, as the partners reported them.")
        write_frame(self.sheet("Deliverables reported"), frames.deliverables, [
            C("partner", "Partner", 9), C("period", "Period", 7, "int"), C("code", "Deliverable", 11), C("work_package", "Work package", 10),
            C("title", "Title", 36, "wrap"), C("due", "Due", 11, "date"), C("status", "Status", 13), C("date", "Actual or expected", 12, "date"),
            C("comment", "Comment", 36, "wrap"), *SOURCE,
        ], table="MasterDeliverables", title="Deliverables as reported", intro="All periods; the Schedule sheet gives the status the project works with.")
        write_frame(self.sheet("Indicators reported"), frames.indicators, [
            C("partner", "Partner", 9), C("period", "Period", 7, "int"), C("code", "Indicator", 10), C("title", "Output indicator", 36, "wrap"),
            C("unit", "Unit", 12), C("target", "Target", 9, "decimal"), C("previous", "Reported before", 10, "decimal"),
            C("achieved", "Achieved in period", 10, "decimal"), C("cumulative", "Cumulative", 10, "decimal"), C("comment", "Comment", 30, "wrap"), *SOURCE,
        ], table="MasterIndicators", title="Output indicators", intro="All periods, as the partners reported them.")

    def finance(self, frames: ReturnFrames, fin: FinancePosition) -> None:
        write_frame(self.sheet("Finance"), frames.finance, [
            C("partner", "Partner", 9), C("period", "Period", 7, "int"), C("category_label", "Cost category", 30), C("budget", "Budget", 13, "money"),
            C("previous", "Declared before", 13, "money"), C("declared", "Declared in period", 13, "money"), *SOURCE,
        ], table="MasterFinance", title="Expenditure declared", intro="All periods, one row per partner and cost category, as declared.")
        write_frame(self.sheet("Finance position"), fin.partners, [
            C("partner", "Partner", 9), C("partner_name", "Name", 30), C("country", "Country", 8), C("budget", "Budget", 13, "money"),
            C("declared_period", "Declared in period", 13, "money"), C("cumulative", "Cumulative", 13, "money"), C("absorption_pct", "Absorption %", 10, "percent"),
            C("flc_status", "FLC status", 13), C("certified", "Certified", 13, "money"), C("cofinancing", "ERDF due", 13, "money"),
            C("reported", "Reported", 9), C("ready", "Ready", 8), C("blocking", "Blocking the joint report", 40, "wrap"),
        ], table="FinancePosition", title=f"Finance and FLC position, period {self.period}",
            intro=f"Co-financing {self.setup.project.cofinancing_rate:g} % of certified costs. Ready = reported, certified and without open errors.",
            status_column="ready")
        write_frame(self.sheet("Budget lines"), fin.lines, [
            C("partner", "Partner", 9), C("partner_name", "Name", 28), C("category_label", "Cost category", 30), C("budget", "Budget", 13, "money"),
            C("declared_period", "Declared in period", 13, "money"), C("cumulative", "Cumulative", 13, "money"), C("remaining", "Remaining", 13, "money"),
            C("absorption_pct", "Absorption %", 10, "percent"), C("flat_rate_ok", "Flat rate right", 9), C("source", "Source file", 34),
        ], table="BudgetLines", title=f"Budget lines, period {self.period}", intro="Per partner and cost category; cumulative over all accepted returns up to this period.")

    def living_labs(self, lab: Shortlist) -> None:
        crit_cols = [C(f"crit_{c.key}", c.label, 11, "decimal" if c.kind == "score" else "text") for c in self.setup.criteria]
        write_frame(self.sheet("Living Labs"), lab.longlist, [
            C("region", "Region", 16), C("rank", "Rank", 6, "int"), C("name", "Place", 28, "wrap"), C("municipality", "Municipality", 14),
            C("theme", "Theme", 13), C("proposers", "Proposed by", 14), C("companies", "Companies", 9, "int"), C("score", "Score", 7, "decimal"),
            C("eligible", "Eligible", 8), C("ineligible_because", "Not eligible because", 30, "wrap"), C("shortlisted", "Shortlisted", 9),
            C("decision", "Decision", 10, coordinator=True), C("note", "Coordinator note", 28, "wrap", coordinator=True),
            C("reason", "Reason", 40, "wrap"), *crit_cols, C("place_key", "Place key", 24), *SOURCE,
        ], table="LivingLabs", title="Living-lab candidates (long list)",
            intro="One row per place. Type Include or Exclude in Decision to override the ranking; decisions and notes are kept across rebuilds.",
            freeze_cols=3, status_column="shortlisted")
        ws = self.wb["Living Labs"]
        dv = DataValidation(type="list", formula1='"Include,Exclude"', allow_blank=True)
        ws.add_data_validation(dv)
        dv.add(f"L{HEADER_ROW + 1}:L{HEADER_ROW + max(len(lab.longlist), 1)}")
        short = lab.longlist[lab.longlist["shortlisted"]]
        write_frame(self.sheet("Shortlist"), short, [
            C("region", "Region", 16), C("rank", "Rank", 6, "int"), C("name", "Place", 30, "wrap"), C("municipality", "Municipality", 14),
            C("theme", "Theme", 13), C("score", "Score", 7, "decimal"), C("proposers", "Proposed by", 14), C("reason", "Why", 50, "wrap"),
        ], table="Shortlist", title=f"Living-lab shortlist ({self.setup.project.shortlist_per_region} per region)",
            intro="Ranked by weighted score within each region; ties go to more proposers, then more companies, then name.")
        write_frame(self.sheet("Shortlist by region"), lab.regions, [
            C("region", "Region", 20), C("candidates", "Candidates", 11, "int"), C("eligible", "Eligible", 9, "int"),
            C("shortlisted", "Shortlisted", 11, "int"), C("flag", "Flag", 50, "wrap"),
        ], table="RegionFlags", title="Living labs per region", intro="Regions with fewer eligible candidates than places are flagged.")

    def schedule(self, sched: Schedule, decisions: Decisions) -> None:
        d = sched.deliverables.copy()
        d["comment"] = [decisions.deliverables.get(code, "") for code in d["code"]]
        write_frame(self.sheet("Schedule"), d, [
            C("code", "Deliverable", 11), C("work_package", "Work package", 10), C("title", "Title", 36, "wrap"), C("responsible", "Responsible", 11),
            C("due", "Due", 11, "date"), C("status", "Status", 11), C("days_late", "Days late", 8, "int"), C("reported_status", "Reported", 12),
            C("reported_by", "Reported by", 16, "wrap"), C("date", "Actual or expected", 12, "date"), C("why", "Why", 40, "wrap"),
            C("comment", "Coordinator comment", 30, "wrap", coordinator=True),
        ], table="Schedule", title=f"Schedule as of {self.as_of:%d %B %Y}", intro=sched.status_line, status_column="status")
        write_frame(self.sheet("Work package status"), sched.work_packages, [
            C("code", "Work package", 10), C("title", "Title", 40, "wrap"), C("lead", "Lead", 8), C("start", "Start", 11, "date"), C("end", "End", 11, "date"),
            C("status", "Status", 11), C("percent_complete", "% complete", 9, "decimal"), C("deliverables_done", "Deliverables done", 11), C("why", "Why", 50, "wrap"),
        ], table="WorkPackages", title="Work packages", intro="Each takes the worst of its deliverables and its partners' reported progress.", status_column="status")
        self.timeline(sched)

    def timeline(self, sched: Schedule) -> None:
        ws = self.sheet("Timeline")
        frame = sched.timeline
        months = [c for c in frame.columns if c not in ("kind", "code", "title", "status")]
        cols = [C("kind", "Kind", 6), C("code", "Code", 8), C("title", "Title", 36), C("status", "Status", 11)] + [C(m, m, 4.5) for m in months]
        write_frame(ws, frame, cols, table="Timeline", title="Timeline", intro=f"Month by month; the current month ({sched.current_month or '-'}) is outlined.",
                    freeze_cols=4, status_column="status")
        first, last = HEADER_ROW + 1, HEADER_ROW + max(len(frame), 1)
        span = f"E{first}:{get_column_letter(4 + len(months))}{last}"
        for word, color in (("active", "9BC2E6"), ("due", "F4B084"), ("done", "A9D08E")):
            ws.conditional_formatting.add(span, CellIsRule(operator="equal", formula=[f'"{word}"'], fill=PatternFill("solid", fgColor=color, bgColor=color)))
        for c in range(5, 5 + len(months)):
            ws.cell(HEADER_ROW, c).alignment = Alignment(text_rotation=90, vertical="center")
            for r in range(first, last + 1):
                ws.cell(r, c).number_format = ";;;"  # the fill shows the month; the word would only clutter
        ws.row_dimensions[HEADER_ROW].height = 48
        if sched.current_month in months:
            col = 5 + months.index(sched.current_month)
            ws.cell(HEADER_ROW, col).fill = PatternFill("solid", fgColor="C00000")

    def orphaned(self, orphaned: pd.DataFrame) -> None:
        write_frame(self.sheet("Orphaned decisions"), orphaned, [
            C("sheet", "Sheet", 14), C("key", "Key", 40), C("decision", "Decision", 12, coordinator=True), C("note", "Note", 50, "wrap", coordinator=True),
        ], table="Orphaned", title="Orphaned decisions",
            intro="Decisions whose row has gone (a withdrawn candidate, a resolved file). Kept here, and restored if the row comes back.")

