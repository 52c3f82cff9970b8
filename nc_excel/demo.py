"""The whole reporting cycle on the embedded Northern Connections data, in one call.

By default it plays the project's first report: period 1 (November 2016 to October 2017),
in mid-October 2017, with 150+ living-lab candidates to boil down to two per
region and first level control due by the end of October. Partners are
simulated the way they behave: most send a good return, some make the usual
mistakes (numbers in the European way, an ambiguous amount, the wrong template,
a renamed sheet, a text date, the same place as a neighbour, Done below
100 %), two are late and one of them never sends. The coordinator collects,
partners correct their feedback workbooks, the coordinator collects again,
builds the master, the board summary and the joint progress report, and drafts the
reminder e-mails to the partners still to chase.

``through=N`` goes on to period N the way a real partnership does: the partner
who missed period 1 catches up in period 2 (late, and counted for period 1), a
deliverable reported Done slips back to Delayed, a partner resends a corrected
report as a file whose saved time is older than the first, and a board summary is
written for each period. Everything is seeded: the same run gives the same files.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import datetime as dt
import gc
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nc_excel import processes
from nc_excel.analyses.places import SELECTED
from nc_excel.certificate.schema import certificate_name
from nc_excel.certificate.simulate import fill_certificate
from nc_excel.excel.edit import Book
from nc_excel.excel.schema import HEADER_ROW, col_letter, columns
from nc_excel.gc_policy import imports_frozen
from nc_excel.intake.archive import Archive, Register
from nc_excel.intake.sniff import Limits
from nc_excel.partner.schema import FINANCE, SELECTED_LABS, Entries, template_name
from nc_excel.partner.schema import LIVING_LABS as CANDIDATES
from nc_excel.partner.simulate import fill_workbook, partner_entries, rename_sheet, save
from nc_excel.setup.demo import northern_connections
from nc_excel.setup.models import COST_CATEGORIES, ProjectSetup

if TYPE_CHECKING:
    from nc_excel.intake.collect import CollectResult
    from nc_excel.master.build import MasterResult
    from nc_excel.report.remind import RemindResult
    from nc_excel.workspace import Workspace

# What only the coordinator's side uses (pandas and openpyxl with the build, the board summary and
# the report) is imported by ``_coordinator_tools`` while the partners fill in, not with this module:
# the workers that fill in start without it. The workspace (the coordinator's commands) and the
# master's model are imported where they are used: the fork server imports this module for the
# partners, who need neither, before it starts the first worker (the templates').

Progress = Callable[[int, int, str], None]

SEED = 2017
GENERATED_AT = dt.datetime(2017, 9, 1, 9, 0)
FIRST_COLLECT = dt.datetime(2017, 10, 13, 16, 0)
SECOND_COLLECT = dt.datetime(2017, 10, 16, 9, 0)
AS_OF = dt.date(2017, 10, 16)
LATE = ("FKC",)  # sends after the first collect
MISSING = ("SCE",)  # has not sent anything by the time the master is built

# What partners get wrong in their first return: (sheet, cell) -> what they typed.
MISTAKES: dict[str, dict[tuple[str, str], Any]] = {
    "HOE": {("Finance", "D5"): "12.345,67", ("Finance", "D7"): "1.234",  # European number (fine), ambiguous amount (error)
            ("Finance", "B15"): "In control", ("Finance", "B16"): None},
    "BRG": {("Deliverables", "G5"): "28.02.2017"},  # a date typed as text (fine)
    "SHL": {("Progress", "C5"): "Done", ("Progress", "D5"): 85},  # done at 85 % (error)
    "OSL": {("Progress", "F5"): '=HYPERLINK("http://example.org","see our site")'},  # stays text
}
RENAMED_SHEET = {"AAR": ("Progress", "Fremdrift")}
WRONG_TEMPLATE = "RSD"  # fills in the period-2 template by mistake
SAME_PLACE = ("FHH", "EEH")  # the second proposes the first's place again, spelt differently (its file comes first: FHH is told)
CORRECTIONS: dict[str, dict[tuple[str, str], Any]] = {
    "HOE": {("Finance", "D7"): 1234.0},
    "SHL": {("Progress", "D5"): 100},
}


@dataclass
class PeriodPlay:
    """One reporting period of the demo as the coordinator lived it."""

    period: int
    first: CollectResult | None = None  # the collect at the partners' deadline
    second: CollectResult | None = None  # the collect after corrections and late returns
    master: MasterResult | None = None
    board: list[Path] = field(default_factory=list)
    report: list[Path] = field(default_factory=list)  # the joint progress report (and its PDF)
    reminders: RemindResult | None = None  # the e-mail drafts to the partners still to chase


@dataclass
class DemoResult:
    root: Path
    periods: dict[int, PeriodPlay] = field(default_factory=dict)
    board_note: str = ""

    @property
    def last(self) -> PeriodPlay:
        return self.periods[max(self.periods)]


def _saved_at(path: Path, when: dt.datetime) -> Path:
    """Give a file the modified time of a save at ``when``: a file's time proves nothing, and the demo shows it."""
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))
    return path


_SETUP: Any = None
"""The project's setup in a partners' worker, handed over once when it starts (``Partners``), not pickled with every workbook."""


def _share(setup: ProjectSetup) -> None:
    global _SETUP
    _SETUP = setup


class Partners:
    """The simulated partners, filling in their workbooks at the same time as real ones do (a process per core).

    ``fill``, ``certify`` and ``submit`` (a return made some other way, the setup in ``_SETUP``)
    hand a workbook over; ``wait`` returns when every one handed over is saved (and raises what went wrong in any).
    """

    def __init__(self, setup: ProjectSetup) -> None:
        self.pending: list[cf.Future[Any]] = []
        # the demo starts the process's fork server first (unless ``nc-excel demo`` has started it already), to
        # import while the project and its templates are written: the reader's modules and this one (the partners')
        ctx = processes.context(__name__, start=True)
        self.pool = cf.ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=ctx, initializer=_share, initargs=(setup,))

    def __enter__(self) -> Partners:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(cancel_futures=True)

    def submit(self, work: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.pending.append(self.pool.submit(work, *args, **kwargs))

    def fill(self, template: Path, out: Path, entries: Entries, overrides: dict[tuple[str, str], Any] | None = None) -> None:
        self.submit(_fill, template, out, entries, overrides)

    def certify(self, template: Path, out: Path, lines: dict[str, dict[str, Any]], form: dict[str, Any]) -> None:
        self.submit(fill_certificate, template, out, lines, form)

    def wait(self) -> None:
        done, self.pending = self.pending, []
        for future in done:
            future.result()


def _coordinator_tools() -> None:
    """Import the build, the board summary, the report and the reminders (pandas, openpyxl): while the
    partners fill in, the main process has nothing else to do, and would import them when it builds.
    Their objects are frozen with the rest (``_modules_frozen``)."""
    with imports_frozen():
        import nc_excel.board.write  # noqa: F401
        import nc_excel.master.build  # noqa: F401
        import nc_excel.report.remind  # noqa: F401
        import nc_excel.report.write  # noqa: F401


def _fill(template: Path, out: Path, entries: Entries, overrides: dict[tuple[str, str], Any] | None) -> Path:
    """A partner's return: its template filled in with its entries, and ``overrides`` (its mistakes) typed over them."""
    return fill_workbook(template, out, entries, _SETUP, overrides=overrides)


def _fill_renamed(template: Path, out: Path, entries: Entries, overrides: dict[tuple[str, str], Any] | None, old: str, new: str) -> None:
    """A return whose partner renamed a sheet before saving it."""
    import openpyxl

    wb = openpyxl.load_workbook(_fill(template, out, entries, overrides))
    rename_sheet(wb, old, new)
    save(wb, out)


def _first_returns(ws: Workspace, setup: ProjectSetup, partners: Partners) -> None:
    inbox = ws.inbox / "2017-10-13"
    codes = sorted((p.code for p in setup.partners), key=lambda code: code not in RENAMED_SHEET)  # the longest work first
    for partner in codes:
        if partner in LATE + MISSING:
            continue
        entries = partner_entries(setup, partner, 1, seed=SEED, as_of=AS_OF)
        period = 1
        if partner == SAME_PLACE[1]:
            neighbour = partner_entries(setup, SAME_PLACE[0], 1, seed=SEED, as_of=AS_OF).tables["LivingLabs"][0]
            entries.tables["LivingLabs"].insert(0, {**neighbour, "name": f"  {neighbour['name'].upper()}", "contact": None})
        if partner == WRONG_TEMPLATE:  # its period-2 template is written with the others (run_demo)
            period = 2
        template = ws.outbox(period) / template_name(setup, period, partner)
        out = inbox / f"{partner}_P1.xlsx"
        if partner in RENAMED_SHEET:
            partners.submit(_fill_renamed, template, out, entries, MISTAKES.get(partner), *RENAMED_SHEET[partner])
        else:
            partners.fill(template, out, entries, MISTAKES.get(partner))
    _coordinator_tools()
    partners.wait()


def _second_returns(ws: Workspace, setup: ProjectSetup, first: CollectResult, partners: Partners) -> None:
    inbox = ws.inbox / "2017-10-16"
    for c in first.collected:
        partner = c.entry.partner
        if partner in CORRECTIONS and c.entry.feedback:
            out = inbox / f"{partner}_P1_corrected.xlsx"
            entries = partner_entries(setup, partner, 1, seed=SEED, as_of=AS_OF)
            partners.fill(ws.resolve(c.entry.feedback), out, entries, {**MISTAKES.get(partner, {}), **CORRECTIONS[partner]})
    for partner in (WRONG_TEMPLATE, *LATE):
        out = inbox / f"{partner}_P1.xlsx"
        partners.fill(ws.outbox(1) / template_name(setup, 1, partner), out, partner_entries(setup, partner, 1, seed=SEED, as_of=AS_OF))
    partners.wait()


# ---------------------------------------------------------------- periods 2 and later

CATCH_UP = MISSING  # sends its period-1 report with its period-2 one
SLIP = ("EEH", 2, "D4.1")  # reported Done in period 1, Delayed again in period 2
CORRECTED = ("HOE", 2)  # resends its period-2 report a few days later; the file it sends is an older save
DEDUCTION = ("BRG", "staff", Decimal("0.95"), "Part of a trainee's staff costs is not eligible: timesheets missing for March.")


def _confirm_shortlist(ws: Workspace, setup: ProjectSetup, when: dt.datetime) -> None:
    """The coordinator confirms the period-1 shortlist: Selected in the Decision column of every
    shortlisted place, typed into the master as in Excel (columns found through the master's model)."""
    from nc_excel.master.schema import LIVING_LABS, living_lab_row

    fields = [c.name for c in columns(living_lab_row(setup.criteria))]
    column = {name: col_letter(fields.index(name)) for name in ("shortlisted", "decision")}
    book = Book(ws.master)
    for row in range(HEADER_ROW + 2, book.last_row(LIVING_LABS.name) + 1):
        if book.value(LIVING_LABS.name, f"{column['shortlisted']}{row}") == "Yes":
            book.type_in(LIVING_LABS.name, f"{column['decision']}{row}", SELECTED)
    book.save(ws.master, when)


def _certificates(ws: Workspace, setup: ProjectSetup, period: int, inbox: Path, when: dt.datetime, partners: Partners) -> None:
    """The controllers' certificates of ``period`` arrive during the next one, one of them with a deduction."""
    made = ws.generate_certificates(period, now=when - dt.timedelta(days=40))
    archive = Archive(ws.root, Register(ws.root), setup, Limits())
    for partner in (p.code for p in setup.partners if p.code not in made.without_return):
        template = ws.certificates_outbox(period) / certificate_name(setup, period, partner)
        declared = dict(zip((k for k, _ in COST_CATEGORIES), (r["declared"] for r in archive.latest(partner, period).rows(FINANCE.name))))
        lines = {key: {"certified": amount} for key, amount in declared.items() if key != "office"}  # office follows staff by the flat rate
        if partner == DEDUCTION[0]:
            key, share, reason = DEDUCTION[1:]
            lines[key] = {"certified": (declared[key] * share).quantize(Decimal("0.01")), "reason": reason}
        name = setup.partner(partner).short_name
        form = {"controller": f"Controller of {name}", "organisation": f"FLC body for {name}", "reference": f"FLC-{partner}-P{period}",
                "certificate_date": (when - dt.timedelta(days=12)).date(), "confirm": True}
        partners.certify(template, inbox / f"{partner}_P{period}_certificate.xlsx", lines, form)


def _selected_lab_reports(labs: list[dict[str, str]], partner: str, period: int) -> list[dict[str, object]]:
    """What a partner tells about the living labs the coordinator selected from its proposals."""
    rows = []
    for lab in labs:
        rng = random.Random(f"{SEED}-{partner}-{period}-{lab['name']}")
        rows.append({"name": lab["name"], "companies": 4 * period + rng.randint(2, 20),
                     "activities": f"{rng.choice(('Two', 'Three', 'Four'))} workshops with the companies at {lab['name']}; a first test run with local users.",
                     "next_steps": "Open the test site to more companies and report the first results."})
    return rows


@dataclass(frozen=True)
class Calendar:
    """When things happen in a later period: templates ten days before its end, the first
    collect on the partners' deadline, the second four days later."""

    generated: dt.datetime
    first: dt.datetime
    second: dt.datetime

    @classmethod
    def of(cls, setup: ProjectSetup, period: int) -> Calendar:
        p = setup.period(period)
        deadline = dt.datetime.combine(p.partner_deadline, dt.time(16, 0))
        return cls(dt.datetime.combine(p.end - dt.timedelta(days=10), dt.time(9, 0)), deadline, deadline + dt.timedelta(days=3, hours=17))


def _period_entries(setup: ProjectSetup, partner: str, period: int, selected: dict[str, list[dict[str, str]]]) -> Entries:
    """A partner's answers at the end of a later period; a partner with selected labs reports on them instead of proposing."""
    entries = partner_entries(setup, partner, period, seed=SEED, as_of=setup.period(period).end)
    if partner in selected:
        entries.tables[CANDIDATES.name] = []
        entries.tables[SELECTED_LABS.name] = _selected_lab_reports(selected[partner], partner, period)
    return entries


def _later_returns(ws: Workspace, setup: ProjectSetup, period: int, when: Calendar, partners: Partners) -> None:
    """Every partner's return for ``period`` at its deadline; the partner who missed period 1 sends both."""
    from nc_excel.master.decisions import selected_labs

    inbox = ws.inbox / f"{when.first:%Y-%m-%d}"
    end = setup.period(period).end
    selected = selected_labs(ws.master)
    for partner in (p.code for p in setup.partners):
        entries = _period_entries(setup, partner, period, selected)
        if (partner, period) == SLIP[:2]:
            row = next(d for d in entries.tables["Deliverables"] if d["code"] == SLIP[2])
            row.update(status="Delayed", date=end + dt.timedelta(days=75), comment="Toolbox testing with cluster managers takes longer; new version in summer.")
        partners.fill(ws.outbox(period) / template_name(setup, period, partner), inbox / f"{partner}_P{period}.xlsx", entries)
        if partner in CATCH_UP and period == 2:
            late = partner_entries(setup, partner, 1, seed=SEED)
            partners.fill(ws.outbox(1) / template_name(setup, 1, partner), inbox / f"{partner}_P1_late.xlsx", late)
    _certificates(ws, setup, period - 1, inbox, when.first, partners)
    partners.wait()


def _later_corrections(ws: Workspace, setup: ProjectSetup, period: int, when: Calendar) -> None:
    """A partner resends its report with a corrected staff cost; the copy it saved from its mail is older than the first."""
    partner, corrected = CORRECTED
    if period != corrected:
        return
    from nc_excel.master.decisions import selected_labs

    entries = _period_entries(setup, partner, period, selected_labs(ws.master))
    staff = entries.tables["Finance"][0]
    staff["declared"] = (staff["declared"] * 9 / 10).quantize(Decimal("0.01"))
    out = fill_workbook(ws.outbox(period) / template_name(setup, period, partner), ws.inbox / f"{when.second:%Y-%m-%d}" / f"{partner}_P{period}_v2.xlsx", entries, setup)
    _saved_at(out, when.first - dt.timedelta(days=3))  # older than the first file: receipt order, not file times, decides


@contextlib.contextmanager
def _modules_frozen() -> Iterator[None]:
    """The objects of the modules imported so far (and by ``_coordinator_tools``), left out of the cycle
    collector's walks until the demo ends: they live as long as the process, and each full walk the
    collector makes while workbooks are written went over them all again, hundreds of thousands of
    objects (a tenth of the main process's time)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


STEPS = ("project", "templates", "partners fill in", "first collect", "corrections", "second collect", "master", "board summary", "joint report and reminders")


def run_demo(root: Path, *, through: int = 1, pdf: bool = True, progress: Progress | None = None) -> DemoResult:
    """Play Northern Connections' reporting periods 1 to ``through`` in ``root`` (which must not hold a project)."""
    from nc_excel.workspace import ProjectError, Workspace

    report = progress or (lambda done, total, label: None)
    setup = northern_connections(template_key=f"demo-{SEED}")
    numbers = [p.number for p in setup.periods]
    if through not in numbers:
        raise ProjectError(f"Northern Connections has reporting periods {numbers[0]} to {numbers[-1]}; the demo cannot play through period {through}.")
    total = 1 + (len(STEPS) - 1) * through  # the project once, the rest each period
    step = iter(range(total))

    def at(period: int, name: str) -> None:
        report(next(step), total, name if through == 1 else f"period {period}: {name}")

    at(1, STEPS[0])
    result = DemoResult(root)
    with Partners(setup) as partners, _modules_frozen():
        ws = Workspace.create(root, setup, created=GENERATED_AT)
        for period in range(1, through + 1):
            play = result.periods[period] = PeriodPlay(period)
            if period == 1:
                at(1, STEPS[1])
                # the period-2 template one partner fills in by mistake, first: this process writes it while the fork
                # server still imports, instead of in the step it is busiest in (partners fill in)
                ws.generate_templates(2, [WRONG_TEMPLATE], now=GENERATED_AT)
                ws.generate_templates(1, now=GENERATED_AT)
                at(1, STEPS[2])
                _first_returns(ws, setup, partners)
                at(1, STEPS[3])
                play.first = ws.collect(now=FIRST_COLLECT)
                at(1, STEPS[4])
                _second_returns(ws, setup, play.first, partners)
                at(1, STEPS[5])
                play.second = ws.collect(now=SECOND_COLLECT)
                as_of = AS_OF
            else:
                when = Calendar.of(setup, period)
                at(period, STEPS[1])  # a period's first step: the project as it stood at the end of the one before
                if period == 2:
                    _confirm_shortlist(ws, setup, when.generated)
                ws.generate_templates(period, now=when.generated)
                at(period, STEPS[2])
                _later_returns(ws, setup, period, when, partners)
                at(period, STEPS[3])
                play.first = ws.collect(now=when.first)
                at(period, STEPS[4])
                _later_corrections(ws, setup, period, when)
                at(period, STEPS[5])
                play.second = ws.collect(now=when.second)
                as_of = when.second.date()
            at(period, STEPS[6])
            play.master = ws.build(as_of=as_of, period=period)
            at(period, STEPS[7])
            board = ws.summary(period, pdf=pdf)
            play.board = board.paths
            result.board_note = (board.pdf_problem or "") if pdf else ""
            at(period, STEPS[8])
            play.report = ws.report(period, pdf=pdf).paths
            play.reminders = ws.remind(period, today=as_of)
    report(total, total, "done")
    return result
