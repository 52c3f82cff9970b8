"""Build the master workbook from the setup, the archive and the coordinator's decisions.

The master is rebuilt, never patched: a new workbook is written with XlsxWriter,
its setup sheets copied cell by cell (``excel.copy``) exactly as the coordinator
left them in the old one, every other sheet written anew from the latest accepted
returns, and the columns that belong to the coordinator (living-lab decisions,
notes, issue resolutions, deliverable comments) are read from the current master
first and written back to the same rows by stable keys. A decision whose row has
gone is kept on "Orphaned decisions". The old master is backed up, the new one is
written to a temporary file and renamed into place: a failed rebuild changes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gc
import io
import shutil
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, TypeVar

import openpyxl
import pandas as pd
from lxml import etree

from nc_excel.analyses.finance import FinancePosition, finance_position, without_totals
from nc_excel.analyses.history import history
from nc_excel.analyses.indicators import indicator_progress
from nc_excel.analyses.livinglabs import Shortlist, shortlist, shortlist_changes
from nc_excel.analyses.schedule import Schedule, build_schedule
from nc_excel.analyses.statement import statement_of_expenditure
from nc_excel.atomic import replacing
from nc_excel.certificate.schema import Certificate
from nc_excel.excel.copy import SheetCopier, copy_names
from nc_excel.excel.write import new_workbook, save
from nc_excel.folder import ProjectFolder
from nc_excel.intake.archive import Archive, Entry, Register
from nc_excel.intake.sniff import Limits
from nc_excel.master.decisions import Decisions, MasterError, read_decisions
from nc_excel.master.frames import (
    Conversions,
    certificate_frame,
    register_frame,
    return_frames,
)
from nc_excel.master.glance import MasterView
from nc_excel.master.schema import (
    DASHBOARD,
    ISSUES,
    LIVING_LABS,
    REBUILT,
    SCHEDULE,
    Dashboard,
)
from nc_excel.master.write import MasterWriter, dashboard
from nc_excel.partner.currency import conversion
from nc_excel.partner.read import Return
from nc_excel.setup.models import ProjectSetup, default_period
from nc_excel.setup.sheets import INSTRUCTIONS_SHEET, SETTINGS_SHEET, SETUP_SHEETS

Progress = Callable[[int, int, str], None]
P = ParamSpec("P")
R = TypeVar("R")

SETUP_NAMES = {s.sheet for s in SETUP_SHEETS}
KEPT = SETUP_NAMES | {SETTINGS_SHEET, INSTRUCTIONS_SHEET}  # the coordinator's sheets: kept exactly as they are
KEPT_ABOUT = {s.sheet: f"Setup: {s.intro}" for s in SETUP_SHEETS} | {
    SETTINGS_SHEET: "Settings of the Excel add-in (where the project folder is).",
    INSTRUCTIONS_SHEET: "How to fill in the setup sheets of a new project.",
}
"""What the coordinator's sheets hold, for the Contents sheet."""
EMPTY = pd.DataFrame()
LARGE = 200
"""Returns merged from which a build is large and minds its peak memory: it frees the returns as soon as they are
in the frames and assembles the master's sheets in temporary files. A smaller master (a few MB of XML) is
assembled in memory: a temporary file per sheet part, and a walk over every object in the process, cost it
more time than they save it memory."""
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


# ---------------------------------------------------------------- inputs


def latest_returns(root: Path, setup: ProjectSetup, register: Register, limits: Limits = Limits()) -> tuple[list[tuple[Entry, Return]], list[str]]:
    """The latest accepted return of each partner and period, read back from the archive.

    An archived return that can no longer be read (a damaged disk, a file edited by
    hand, a project setup that changed under it) does not stop the build: it is left
    out and named, by file, partner and period, in the second list.
    """
    archive = Archive(root, register, setup, limits)
    entries = [e for e in register.current() if e.archived]
    pairs = archive.read_many(entries)
    left_out = [f"{e.archived} ({e.partner}, period {e.period}): {archive.why_not[e.sha256]}" for e in entries if e.sha256 in archive.why_not]
    order = {p.code: n for n, p in enumerate(setup.partners)}
    return sorted(pairs, key=lambda pair: (pair[1].period, order[pair[1].partner])), left_out


def latest_certificates(root: Path, setup: ProjectSetup, register: Register) -> tuple[list[tuple[Entry, Certificate]], list[str]]:
    """The current FLC certificate of each partner and period, read back from the archive; one that
    cannot be read is left out and named, as a return is."""
    archive = Archive(root, register, setup, Limits())
    entries = register.certificates()
    pairs = archive.certificates(entries)
    left_out = [f"{e.archived} ({e.partner}, period {e.period}, FLC certificate): {archive.why_not[e.sha256]}" for e in entries if e.sha256 in archive.why_not]
    return pairs, left_out


def certified_conversions(root: Path, setup: ProjectSetup, register: Register, certificates: Sequence[tuple[Entry, Certificate]],
                          known: Conversions) -> Conversions:
    """``known`` with the conversions of the returns certificates certify that no longer count (withdrawn, or
    replaced by a correction): a certificate's amounts become euros at the rate of the return it certifies,
    counting or not, so a Danish controller's kroner are never shown as euros."""
    wanted = [e for _, cert in certificates if cert.certifies and cert.certifies not in known.by_sha
              and (e := register.first_with(cert.certifies)) is not None and e.archived]
    if not wanted:
        return known
    read = Archive(root, register, setup, Limits()).read_many(wanted)
    return Conversions({**known.by_sha, **{e.sha256: conversion(ret, setup, e.received.date()) for e, ret in read}}, known.by_report)


def issue_key(entry: Entry, code: str, sheet: str | None, cell: str | None, field_name: str | None) -> str:
    return f"{entry.sha256[:12]}|{code}|{sheet or ''}|{cell or ''}|{field_name or ''}"


def open_issues(register: Register, decisions: Decisions) -> pd.DataFrame:
    """The issues of each partner's latest submission per period, and of files not yet attributed.

    "Latest" is by the register's order (the order files were first seen), never by a
    time stamp. A rejected file is not open once the same partner has an accepted
    return that came after it for the same period; a file rejected because it is the
    template of a period that had not started (``future-period``: the partner filled
    in the wrong template) is answered by any accepted return of the partner that
    came after it. Rows keep the register's order.
    """
    entries = [e for e in register.entries if e.status != "duplicate"]
    latest: dict[tuple[str, str, int | None], int] = {}  # a certificate does not hide its return's issues, nor a return its certificate's
    for n, e in enumerate(entries):
        if e.partner is not None:
            latest[(e.kind, e.partner, e.period)] = n

    def answered(n: int, e: Entry) -> bool:
        wrong_template = any(i.code == "future-period" for i in e.issues)
        return any(later.accepted and later.kind == e.kind and later.partner == e.partner and (wrong_template or later.period == e.period)
                   for later in entries[n + 1:])

    rows = []
    for n, e in enumerate(entries):
        if e.partner is not None and (latest[(e.kind, e.partner, e.period)] != n or (e.status == "rejected" and answered(n, e))):
            continue
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
    left_out: list[str]  # archived returns that could not be read, by file, partner and period: why
    register_problems: list[str]  # what the returns register held that it never should (two current returns): which counts, which file to look at
    finance: FinancePosition
    schedule: Schedule
    shortlist: Shortlist
    shortlist_changes: pd.DataFrame | None = None  # the places that left or joined the shortlist since the previous period


def lock_file(master: Path) -> Path | None:
    """The lock file Excel (``~$name``) or LibreOffice (``.~lock.name#``) leaves beside a workbook it has open."""
    return next((lock for lock in (master.with_name(f"~${master.name}"), master.with_name(f".~lock.{master.name}#")) if lock.exists()), None)


def check_not_open(master: Path) -> None:
    if (lock := lock_file(master)) is not None:
        raise MasterError(f"{master.name} is open in a spreadsheet application ({lock.name} exists). Close it and run the build again; nothing was changed.")


def _setup_only(master: Path) -> io.BytesIO:
    """The master with only its setup sheets, for openpyxl to load quickly.

    The rebuilt sheets of a large project are most of the file; openpyxl loads only
    the sheets the workbook part lists, so the others are dropped from that list and
    their parts left out (the copy is stored uncompressed: it only lives in memory).
    """
    out = io.BytesIO()
    with zipfile.ZipFile(master) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
        root = etree.fromstring(zin.read("xl/workbook.xml"))
        ns = {"m": root.nsmap.get(None, "")}
        dropped = set()
        for sheet in root.findall("m:sheets/m:sheet", ns):
            if sheet.get("name") not in KEPT:
                dropped.add(sheet.get(f"{{{RELATIONSHIPS}}}id"))
                sheet.getparent().remove(sheet)
        for name in root.findall("m:definedNames/m:definedName", ns):
            if name.get("localSheetId") is not None or not any(f"{s}!" in (name.text or "") or f"'{s}'!" in (name.text or "") for s in KEPT):
                name.getparent().remove(name)
        for view in root.findall("m:bookViews/m:workbookView", ns):
            view.set("activeTab", "0")
            view.attrib.pop("firstSheet", None)
        rels = etree.fromstring(zin.read("xl/_rels/workbook.xml.rels"))
        skipped = {f"xl/{r.get('Target').lstrip('/').removeprefix('xl/')}" for r in rels if r.get("Id") in dropped}
        skipped |= {f"{part.rsplit('/', 1)[0]}/_rels/{part.rsplit('/', 1)[1]}.rels" for part in skipped}
        for info in zin.infolist():
            if info.filename in skipped:
                continue
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            zout.writestr(info.filename, data)
    out.seek(0)
    return out


def _without_cycle_collector(build: Callable[P, R]) -> Callable[P, R]:
    """Run ``build`` with Python's cycle collector paused (and collect once, where the returns are let go).

    A large build keeps millions of objects alive and makes millions more (the frames,
    XlsxWriter's cells), none of them garbage: the collector, started every few hundred
    allocations, would walk them again and again as they grow, a quarter of the writing's
    time at 1,000 partners, and free nothing.
    """

    @functools.wraps(build)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        collecting = gc.isenabled()
        gc.disable()
        try:
            return build(*args, **kwargs)
        finally:
            if collecting:
                gc.enable()

    return paused


@_without_cycle_collector
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
    folder = ProjectFolder(root)
    master = folder.master
    check_not_open(master)
    steps = 6
    report(0, steps, "decisions")
    decisions = read_decisions(master)
    period = period or default_period(setup, as_of)
    register = Register(root)
    report(1, steps, "reading the archive")
    pairs, left_out = latest_returns(root, setup, register)
    frames = return_frames(pairs, setup)
    merged = len(pairs)
    del pairs  # the returns are in the frames now; a large project's would double the peak memory of the writing
    if merged >= LARGE:
        gc.collect()  # their models hold reference cycles: free them now, for the sheets to reuse the memory
    report(2, steps, "analyses")
    lab = shortlist(frames.candidates, setup.criteria, setup.regions, setup.project.shortlist_per_region, decisions.living_labs)
    changes = _shortlist_since(frames.candidates, setup, decisions, lab, period)
    candidates = len(frames.candidates)
    frames = dataclasses.replace(frames, candidates=EMPTY)  # in the long list now; let go before writing
    sched = build_schedule(
        setup.work_packages, setup.deliverables,
        frames.deliverables[["partner", "period", "code", "status", "date", "comment"]],
        frames.progress[["partner", "period", "work_package", "status", "percent_complete", "problems"]],
        as_of=as_of, at_risk_days=setup.project.at_risk_days, project_start=setup.project.start, project_end=setup.project.end,
    )
    certified, unread = latest_certificates(root, setup, register)
    left_out += unread
    returns = register_frame(register.entries)
    conversions = certified_conversions(root, setup, register, certified, frames.conversions)
    fin = finance_position(setup.partners, setup.project, period, frames.finance, frames.flc, returns, certificate_frame(certified, conversions))
    past = history(setup, period, frames.finance, frames.deliverables, frames.indicators, returns, fin.certified)
    issues = open_issues(register, decisions)
    orphaned = _orphaned(decisions, lab, issues, sched)
    report(3, steps, "writing")
    kept = openpyxl.load_workbook(_setup_only(master), keep_links=False)
    dashboard_figures = dashboard(setup, period, as_of, register, fin, sched, lab)
    progress_rows = indicator_progress(frames.indicators, setup.indicators, period)
    backup = _backup(master, folder)
    try:
        with replacing(master, mode=master.stat().st_mode & 0o777) as tmp:
            wb = new_workbook(tmp, in_memory=merged < LARGE)
            writer = MasterWriter(wb, setup, period, as_of)
            writer.contents()
            writer.dashboard(glance(setup, dashboard_figures, fin, sched, lab, returns, issues, past), fin, merged)
            writer.returns(register)
            writer.issues(issues)
            writer.reported(frames)
            frames = dataclasses.replace(frames, progress=EMPTY, deliverables=EMPTY, indicators=EMPTY)  # written: let go before the next sheets
            writer.schedule(sched, decisions)
            writer.indicator_progress(progress_rows)
            writer.history(past)
            writer.finance(frames, fin, statement_of_expenditure(setup.partners, fin))
            frames = dataclasses.replace(frames, finance=EMPTY, flc=EMPTY)
            if setup.project.living_labs:  # a project without living labs has none of their sheets
                writer.living_labs(lab, changes)
                writer.lab_progress(frames)
            writer.orphaned(orphaned)
            order = [s.name for s in REBUILT]
            if list(writer.sheets) != sorted(writer.sheets, key=order.index):
                raise RuntimeError(f"the master's sheets were written out of order: {list(writer.sheets)}")  # a writer method was called out of turn
            copier = SheetCopier(kept, wb)
            for ws in kept.worksheets:  # the coordinator's sheets, after the rebuilt ones, as they were
                copier.copy(ws, header=writer.header)
            copy_names(kept, wb)
            writer.fill_contents([(ws.title, KEPT_ABOUT.get(ws.title, "A sheet of your own, kept as it is.")) for ws in kept.worksheets])
            writer.sheets[DASHBOARD.name].activate()  # the master opens on the Dashboard
            report(4, steps, "saving")
            save(wb)
            report(5, steps, "replacing")
    except PermissionError as exc:
        raise MasterError(f"{master.name} cannot be replaced: it is probably open in Excel. Close it and run the build again; the new master was not written.") from exc
    report(steps, steps, "done")
    return MasterResult(
        path=master, backup=backup, period=period, as_of=as_of, returns_merged=merged,
        partners_reported=fin.totals.partners_reported, candidates=candidates, places=len(lab.longlist),
        shortlisted={r.region: int(r.shortlisted) for r in lab.regions.itertuples()},
        region_flags=[f"{r.region}: {r.flag}" for r in lab.regions.itertuples() if r.flag],
        overdue=list(sched.deliverables.loc[sched.deliverables["status"] == "Overdue", "code"]),
        status_line=sched.status_line, orphaned=len(orphaned), left_out=left_out, register_problems=register.problems, finance=fin, schedule=sched,
        shortlist=lab, shortlist_changes=changes,
    )


def glance(setup: ProjectSetup, dashboard: Dashboard, fin: FinancePosition, sched: Schedule, lab: Shortlist, returns: pd.DataFrame,
           issues: pd.DataFrame, history: pd.DataFrame) -> MasterView:
    """The master being built as the Dashboard's tiles see it: what the board will read back from it."""
    return MasterView(
        dashboard=dashboard, partners=without_totals(fin.partners), lines=without_totals(fin.lines), deliverables=sched.deliverables,
        work_packages=sched.work_packages, timeline=sched.timeline, months=sched.months, places=lab.longlist,
        shortlist=lab.longlist[lab.longlist["shortlisted"]] if len(lab.longlist) else lab.longlist, regions=lab.regions, returns=returns,
        issues=issues, history=history, living_labs=setup.project.living_labs,
    )


def _shortlist_since(candidates: pd.DataFrame, setup: ProjectSetup, decisions: Decisions, lab: Shortlist, period: int) -> pd.DataFrame | None:
    """The places that left or joined the shortlist since the previous period (None in period 1).

    The previous shortlist is the one the lists of the periods before ``period`` make,
    computed by the same function with today's decisions: the changes are the partners'.
    """
    if period <= 1:
        return None
    earlier = candidates.loc[pd.to_numeric(candidates["period"], errors="coerce") < period]
    before = shortlist(earlier, setup.criteria, setup.regions, setup.project.shortlist_per_region, decisions.living_labs)
    return shortlist_changes(before, lab)


def _orphaned(decisions: Decisions, lab: Shortlist, issues: pd.DataFrame, sched: Schedule) -> pd.DataFrame:
    rows = [{"sheet": LIVING_LABS.name, "key": r.place_key, "decision": r.decision, "note": r.note} for r in lab.orphaned_decisions.itertuples()]
    known_issues = set(issues["key"])
    rows += [{"sheet": ISSUES.name, "key": k, "decision": "", "note": v} for k, v in decisions.issues.items() if k not in known_issues]
    known_codes = set(sched.deliverables["code"])
    rows += [{"sheet": SCHEDULE.name, "key": k, "decision": "", "note": v} for k, v in decisions.deliverables.items() if k not in known_codes]
    return pd.DataFrame(rows, columns=["sheet", "key", "decision", "note"])


def _backup(master: Path, folder: ProjectFolder) -> Path:
    """A copy of the old master in the backups folder, made before the new one replaces it."""
    folder.backups.mkdir(parents=True, exist_ok=True)
    backup = folder.new_backup()
    shutil.copy2(master, backup)
    return backup
