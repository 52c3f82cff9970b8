"""The ``nc-excel`` command: a thin layer over ``workspace`` that prints and sets exit codes.

Exit codes: 0 done; 1 done, but problems were found in the input (e.g. a return
was rejected); 2 the command could not run (usage, project or setup error).
"""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from nc_excel import __version__
from nc_excel.excel.text import shown_name
from nc_excel.folder import ProjectFolder

if TYPE_CHECKING:
    from nc_excel.intake.collect import CollectResult
    from nc_excel.issues import Issue
    from nc_excel.workspace import Workspace

# The commands import the rest (pandas, openpyxl, the workspace) when they run: `nc-excel -h`
# starts quickly, and so does every reader worker, which imports this module again as its main.

app = typer.Typer(
    add_completion=False, no_args_is_help=True, rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]},
    help="Run the reporting cycle of an Interreg partnership in Excel.",
)
# Results go to standard output, progress and problems to standard error. Messages are
# never wrapped (soft wrap), so a suggested command stays on one line when piped.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

COMMAND_LIBRARIES = ("typer", "rich.progress", "rich.table")
"""What this module imports: a worker runs the command's module again as its main (as multiprocessing does),
in a hundredth of a second instead of a tenth when its fork server has these already."""

ProjectOpt = Annotated[Path, typer.Option("--project", "-p", metavar="DIR", help="The project folder (holds master.xlsx).")]
PeriodOpt = Annotated[int, typer.Option("--period", metavar="N", help="Reporting period number.")]
JsonOpt = Annotated[bool, typer.Option("--json", metavar="", help="Print the result as JSON on stdout (messages stay on stderr).")]
StrictOpt = Annotated[bool, typer.Option("--strict", metavar="", help="Treat setup warnings (e.g. partner budgets that do not add up) as errors.")]


def _json(payload: object) -> None:
    typer.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))


def _setup_warnings(ws: Workspace) -> None:
    """The setup's warnings, on standard error, on every command that read the setup: a clean run too."""
    if ws.setup_warnings:
        _print_issues(ws.setup_warnings, "Setup warnings")
        err_console.print(f"[yellow]Correct the setup in {ws.master} with Excel; --strict makes setup warnings errors.[/yellow]")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nc-excel {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", metavar="", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
) -> None:
    """Run the reporting cycle of an Interreg partnership in Excel."""


def _issue_table(issues: list[Issue], title: str) -> Table:
    table = Table(title=title, show_lines=False, header_style="bold")
    for name in ("Severity", "Code", "Sheet", "Cell", "Problem", "How to fix"):
        table.add_column(name, overflow="fold")
    for i in issues:
        table.add_row(i.severity.value, i.code, i.sheet or "", i.cell or "", i.message, i.hint)
    return table


def _print_issues(issues: list[Issue], title: str) -> None:
    """Issues on standard error: a table on a terminal, one unwrapped line each when piped (a table folds to nothing in a narrow pipe)."""
    if err_console.is_terminal:
        err_console.print(_issue_table(issues, title))
        return
    for i in issues:
        err_console.print(f"{i.severity.value} {i.code} at {i.where}: {i.message} {i.hint}", highlight=False, markup=False)


@contextmanager
def _friendly_errors() -> Iterator[None]:
    """Expected problems become a message and an exit code, never a traceback.

    The add-in's error comes from its own module: every command enters here, and the add-in's
    build and install (``nc_excel.addin``) cost a few hundredths of a second to import."""
    from nc_excel.addin.errors import AddinError
    from nc_excel.workspace import NcError, SetupInvalid

    try:
        yield
    except SetupInvalid as exc:
        _print_issues(exc.issues, "Setup problems")
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(exc.exit_code) from None
    except (NcError, AddinError) as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(getattr(exc, "exit_code", 2)) from None
    except PermissionError as exc:
        err_console.print(f"[red]{exc.filename}: permission denied. If the file is open in Excel, close it and try again.[/red]")
        raise typer.Exit(2) from None


@contextmanager
def _progress(description: str) -> Iterator[Callable[[int, int, str], None]]:
    """A progress bar on standard error, shown from the first step of work on (a command
    that fails at once shows none) and cleared when the work ends."""
    bar = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[label]}"),
        TimeElapsedColumn(), console=err_console, transient=True, refresh_per_second=4,
    )
    task = bar.add_task(description, total=None, label="", start=False)

    def update(done: int, total: int, label: str) -> None:
        if not bar.live.is_started:
            bar.start()
            bar.start_task(task)
        bar.update(task, completed=done, total=total, label=label)

    try:
        yield update
    finally:
        bar.stop()


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(metavar="FOLDER", help="Folder to create the project in.")],
    blank: Annotated[bool, typer.Option("--blank", metavar="", help="A project of your own: one example row per setup sheet and an Instructions sheet (default: the Northern Connections demo setup).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create a project folder with master.xlsx: your own partnership with --blank, else the Northern Connections demo setup."""
    from nc_excel.workspace import Workspace

    with _friendly_errors():
        ws = Workspace.create(folder, blank=blank)
    if as_json:
        _json({"project": str(ws.root), "master": str(ws.master), "blank": blank})
        return
    console.print(f"Created the project in [bold]{folder}[/bold]" + (" with one example row per setup sheet." if blank else " with the Northern Connections setup."))
    if blank:
        console.print(f"Follow the Instructions sheet of [bold]{ws.master}[/bold]: overwrite the examples in Excel, then run: {ws.command('templates --period 1')}")
    else:
        console.print(f"Edit the setup sheets of [bold]{ws.master}[/bold] in Excel, then run: {ws.command('templates --period 1')}")


@app.command()
def templates(
    period: PeriodOpt,
    project: ProjectOpt = Path("."),
    partner: Annotated[Optional[list[str]], typer.Option("--partner", metavar="CODE", help="Only this partner code (repeatable; any case).")] = None,
    force: Annotated[bool, typer.Option("--force", metavar="", help="Also replace the templates of partners who have already sent their report back.")] = False,
    flc: Annotated[bool, typer.Option("--flc", metavar="", help="FLC certificate workbooks instead, for the partners with an accepted return of the period.")] = False,
    as_json: JsonOpt = False,
    strict: StrictOpt = False,
) -> None:
    """Write one partner workbook per partner for a reporting period into outbox/<period>/.

    Exit code 2 (and nothing written) when a partner named has already sent the period's
    report back, unless --force. With --flc, write an FLC certificate workbook into
    outbox/<period>/flc/ for each partner whose return of the period was accepted,
    prefilled with its declared amounts.
    """
    from nc_excel.workspace import Workspace

    with _friendly_errors():
        ws = Workspace.open(project, strict=strict)
        if flc:
            with _progress(f"FLC certificate templates for period {period}") as update:
                made = ws.generate_certificates(period, partner, progress=update)
            _setup_warnings(ws)
            if as_json:
                _json({"period": period, "written": [str(p) for p in made.written], "without_return": made.without_return})
                return
            console.print(f"Wrote {len(made.written)} FLC certificate workbook(s) to [bold]{ws.certificates_outbox(period)}[/bold].")
            if made.without_return:
                console.print(f"[yellow]No certificate template for {', '.join(made.without_return)}: no accepted return of period {period} yet.[/yellow]")
            return
        with _progress(f"Templates for period {period}") as update:
            paths = ws.generate_templates(period, partner, force=force, progress=update)
    _setup_warnings(ws)
    if as_json:
        _json({"period": period, "written": [str(p) for p in paths]})
        return
    console.print(f"Wrote {len(paths)} partner workbook(s) to [bold]{ws.outbox(period)}[/bold].")


STATUS_STYLE = {"accepted": "green", "accepted with warnings": "yellow", "rejected": "red", "duplicate": "dim", "not a return": "magenta"}


@app.command("collect")
def collect_cmd(
    project: ProjectOpt = Path("."),
    inbox: Annotated[Optional[Path], typer.Option("--inbox", metavar="DIR", help="Folder with the returns (default: the project's inbox/).")] = None,
    as_json: Annotated[bool, typer.Option("--json", metavar="", help="Print the verdicts and every issue as JSON on stdout.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", metavar="", help="List every problem found, with its sheet and cell (else only the counts).")] = False,
    strict: StrictOpt = False,
) -> None:
    """Read, check and archive every new return in the inbox, and write feedback workbooks.

    Exit code 0 when every return was accepted, 1 when any was rejected or a file is not a
    return of this project, 2 for a usage or project error. Hidden files, office lock files
    and symbolic links in the inbox are not read (nor followed); they are listed as ignored.
    """
    from nc_excel import processes

    processes.start_for(inbox or ProjectFolder(project).inbox)  # before this process imports its own modules
    from nc_excel.intake.archive import LATE
    from nc_excel.workspace import Workspace

    with _friendly_errors():
        ws = Workspace.open(project, strict=strict)
        if as_json:
            result = ws.collect(inbox)
        else:
            with _progress("Reading returns") as update:
                result = ws.collect(inbox, progress=update)
    _setup_warnings(ws)
    if as_json:
        payload = {
            "returns": [
                {k: v for k, v in c.entry.model_dump(mode="json").items() if k != "issues"} for c in result.collected
            ],
            "issues": [
                {**i.model_dump(mode="json", include={"code", "severity", "level", "partner", "period", "file", "sheet", "cell", "field", "value", "message", "hint"})}
                for c in result.collected for i in c.issues
            ],
            "ignored": [{"file": shown_name(ws.record(g.path)), "reason": g.reason} for g in result.ignored],
            "register_problems": result.register_problems,
            "skipped": result.skipped,  # files collected before: `returns list --json` lists them
        }
        _json(payload)
    else:
        console.print(_returns_table(result, "Returns"))
        problems = [c for c in result.collected if c.issues]
        if verbose:
            for c in problems:
                console.print(_issue_table(c.issues, f"{shown_name(c.path.name)} ({c.entry.partner or 'unknown partner'}, period {c.entry.period or '?'})"))
        elif problems:
            console.print(f"{sum(len(c.issues) for c in problems)} problem(s) in {len(problems)} file(s), each at its cell in the file's feedback workbook "
                          f"(and on the master's Issues sheet after a build); collect with --verbose to list them here as well.")
        _register_problems(result.register_problems)
        for c in result.replacing:
            old = c.replaced
            console.print(f"[cyan]{c.entry.partner}, period {c.entry.period}: {shown_name(c.path.name)} replaces {old.file} "
                          f"(received {old.received:%d %b %Y %H:%M}), which no longer counts.[/cyan]")
        for c in result.late:
            late = next(i for i in c.issues if i.code == LATE)
            console.print(f"[yellow]{c.entry.partner}, period {c.entry.period}: {shown_name(c.path.name)}: {late.message}[/yellow]")
        if result.skipped:
            console.print(f"{result.skipped} file(s) were collected before and skipped.")
        if not result.collected:
            console.print("No new files in the inbox.")
        if result.not_returns:
            console.print(f"[magenta]{len(result.not_returns)} file(s) are not returns of this project (not made from its templates): "
                          f"{', '.join(c.entry.file for c in result.not_returns)}. Ask the sender for the report in the partner workbook.[/magenta]")
        if result.ignored:
            console.print(f"[yellow]{len(result.ignored)} file(s) in the inbox were ignored (not read):[/yellow]")
            for g in result.ignored:
                console.print(f"  {shown_name(ws.record(g.path))}: {g.reason}")
    if result.rejected or result.not_returns:
        raise typer.Exit(1)


@app.command()
def build(
    project: ProjectOpt = Path("."),
    as_of: Annotated[Optional[str], typer.Option("--as-of", metavar="YYYY-MM-DD", help="The date to judge the schedule by (YYYY-MM-DD); default today.")] = None,
    period: Annotated[Optional[int], typer.Option("--period", metavar="N", help="The reporting period for the dashboard and finance; default the latest with accepted returns.")] = None,
    as_json: JsonOpt = False,
    strict: StrictOpt = False,
) -> None:
    """Rebuild master.xlsx: merged returns, living-lab shortlist, schedule, finance and FLC status."""
    from nc_excel.workspace import Workspace

    with _friendly_errors():
        day = _date_option(as_of)
        ws = Workspace.open(project, strict=strict)
        with _progress("Building the master") as update:
            result = ws.build(as_of=day, period=period, progress=update)
    _setup_warnings(ws)
    living_labs = ws.setup().project.living_labs
    if as_json:
        _json({
            "master": str(result.path), "period": result.period, "as_of": result.as_of.isoformat(), "backup": str(result.backup),
            "returns_merged": result.returns_merged, "partners_reported": result.partners_reported, "overdue": result.overdue,
            "status_line": result.status_line, "orphaned_decisions": result.orphaned, "left_out": result.left_out, "register_problems": result.register_problems,
            **({"living_labs": {"candidates": result.candidates, "places": result.places, "shortlisted": result.shortlisted, "flags": result.region_flags}}
               if living_labs else {}),
        })
        if result.left_out:
            raise typer.Exit(1)
        return
    console.print(f"Rebuilt [bold]{result.path}[/bold] for period {result.period} as of {result.as_of:%Y-%m-%d} (old master backed up to {result.backup}).")
    if period is None:
        console.print(f"Period {result.period} is the latest with accepted returns; name another with --period N.")
    console.print(f"Returns merged: {result.returns_merged}; partners reported for the period: {result.partners_reported}.")
    if living_labs:
        console.print(f"Living labs: {result.candidates} candidate rows, {result.places} places, "
                      f"{sum(result.shortlisted.values())} shortlisted over {len(result.shortlisted)} regions.")
        for flag in result.region_flags:
            console.print(f"  [yellow]{flag}[/yellow]")
        if result.shortlist_changes is not None and len(result.shortlist_changes):
            console.print(f"  [yellow]{len(result.shortlist_changes)} shortlist change(s) since period {result.period - 1}: see the sheet Shortlist changes.[/yellow]")
    console.print(f"Overdue deliverables: {', '.join(result.overdue) if result.overdue else 'none'}.")
    if result.orphaned:
        console.print(f"[yellow]{result.orphaned} decision(s) kept on the Orphaned decisions sheet.[/yellow]")
    console.print(f"[bold]{result.status_line}[/bold]")
    _register_problems(result.register_problems)
    if result.left_out:
        console.print(f"[red]{len(result.left_out)} archived return(s) could not be read and were left out of the master:[/red]")
        for line in result.left_out:
            console.print(f"  [red]{line}[/red]")
        console.print("Restore them from a backup of the archive, or ask the partner to send the return again; then build again.")
        raise typer.Exit(1)


def _register_problems(problems: list[str]) -> None:
    for line in problems:
        console.print(f"[yellow]{line}[/yellow]")


def _date_option(text: str | None) -> dt.date | None:
    if text is None:
        return None
    from nc_excel.workspace import NcError

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise NcError(f"--as-of {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2017-10-15.") from None


@app.command()
def restore(
    backup: Annotated[Optional[str], typer.Argument(metavar="[BACKUP]", help="The backup to put back: a path, or a file name in backups/ (default: the newest).")] = None,
    project: ProjectOpt = Path("."),
) -> None:
    """Put a backup of master.xlsx back (the newest by default); the master it replaces is backed up first.

    Exit code 0 when done, 2 when it cannot run (no such backup, the master is open).
    """
    from nc_excel.workspace import Workspace

    with _friendly_errors():
        result = Workspace(project).restore(backup)
    console.print(f"Restored [bold]{result.master}[/bold] from {result.restored}.")
    if result.replaced is not None:
        console.print(f"The master it replaced was backed up to {result.replaced}.")


@app.command()
def summary(
    period: Annotated[Optional[int], typer.Option("--period", metavar="N", help="The reporting period; the master must have been built for it (default: the period it was built for).")] = None,
    project: ProjectOpt = Path("."),
    pdf: Annotated[bool, typer.Option("--pdf", metavar="", help="Also print the workbook to PDF with LibreOffice headless.")] = False,
    as_json: JsonOpt = False,
    strict: StrictOpt = False,
) -> None:
    """Write the board summary workbook (board/<ACRONYM>_board_P<N>.xlsx) from the master, and a PDF with --pdf.

    Exit code 0 when done, 2 when it cannot run (no master build, another period) or the PDF could not be made.
    """
    from nc_excel.workspace import Workspace

    with _friendly_errors():
        ws = Workspace.open(project, strict=strict)
        with _progress("Board summary") as update:
            result = ws.summary(period, pdf=pdf, progress=update)
    _setup_warnings(ws)
    if as_json:
        _json({"workbook": str(result.workbook), "pdf": str(result.pdf) if result.pdf else None, "pdf_problem": result.pdf_problem if pdf else None,
               "period": result.period, "as_of": result.as_of.isoformat(), "status_line": result.status_line,
               "removed_stale_pdf": str(result.stale_pdf) if result.stale_pdf else None})
        if pdf and result.pdf is None:
            raise typer.Exit(2)
        return
    console.print(f"Wrote [bold]{result.workbook}[/bold] (period {result.period}, figures as of {result.as_of:%Y-%m-%d}).")
    if result.pdf is not None:
        console.print(f"Wrote [bold]{result.pdf}[/bold].")
    if result.stale_pdf is not None:
        console.print(f"Removed the older {result.stale_pdf.name}: it no longer matched the workbook.")
    console.print(f"[bold]{result.status_line}[/bold]")
    if pdf and result.pdf is None:
        err_console.print(f"[red]{result.pdf_problem}[/red]")
        raise typer.Exit(2)


@app.command()
def report(
    period: Annotated[Optional[int], typer.Option("--period", metavar="N", help="The reporting period; the master must have been built for it (default: the period it was built for).")] = None,
    project: ProjectOpt = Path("."),
    pdf: Annotated[bool, typer.Option("--pdf", metavar="", help="Also print the report to PDF with LibreOffice headless.")] = False,
    as_json: Annotated[bool, typer.Option("--json", metavar="", help="Print what was written as JSON on stdout.")] = False,
) -> None:
    """Write the joint progress report (report/<ACRONYM>_progress_P<N>.xlsx) from the master, and a PDF with --pdf.

    Your Project summary texts in an earlier report of the period are kept. Exit code 0 when done,
    2 when it cannot run (no master build, another period, the report open in Excel) or the PDF could not be made.
    """
    from nc_excel.workspace import Workspace

    with _friendly_errors():
        ws = Workspace.open(project)
        if as_json:
            result = ws.report(period, pdf=pdf)
        else:
            with _progress("Joint progress report") as update:
                result = ws.report(period, pdf=pdf, progress=update)
    if as_json:
        _json({"workbook": str(result.workbook), "pdf": str(result.pdf) if result.pdf else None, "pdf_problem": result.pdf_problem,
               "period": result.period, "as_of": result.as_of.isoformat(), "summaries_kept": result.summaries_kept, "not_ready": result.not_ready})
    else:
        console.print(f"Wrote [bold]{result.workbook}[/bold] (period {result.period}, figures as of {result.as_of:%Y-%m-%d}).")
        if result.pdf is not None:
            console.print(f"Wrote [bold]{result.pdf}[/bold].")
        console.print(f"Kept {result.summaries_kept} Project summary text(s) from the previous report." if result.summaries_kept
                      else "Write your Project summary texts into the yellow rows of the sheet Progress texts; a rebuild keeps them.")
        if result.not_ready:
            console.print(f"[yellow]Not ready for the claim: {', '.join(result.not_ready)} (see the sheet Not ready).[/yellow]")
    if pdf and result.pdf is None:
        err_console.print(f"[red]{result.pdf_problem}[/red]")
        raise typer.Exit(2)


@app.command()
def remind(
    period: Annotated[Optional[int], typer.Option("--period", metavar="N", help="The reporting period (default: the period the master was built for).")] = None,
    project: ProjectOpt = Path("."),
    as_json: Annotated[bool, typer.Option("--json", metavar="", help="Print who gets what as JSON on stdout.")] = False,
) -> None:
    """Write an e-mail draft (.eml) into outbox/mail/<period>/ for each partner to chase: missing, late or rejected. Nothing is sent.

    Each draft goes to the partner's contact on the Partners sheet, with its template (nothing came back)
    or its feedback workbook (rejected) attached. Exit code 0 when done (1 when a draft lacks an address
    or an attachment), 2 when it cannot run.
    """
    from nc_excel.workspace import Workspace

    with _friendly_errors():
        ws = Workspace.open(project)
        result = ws.remind(period)
    incomplete = [d for d in result.drafts if d.to is None or d.attachment is None]
    if as_json:
        _json({"period": result.period, "folder": str(result.folder), "removed": [str(p) for p in result.removed], "drafts": [
            {"partner": d.partner, "name": d.name, "to": d.to, "state": d.state, "reason": d.reason,
             "attachment": str(d.attachment) if d.attachment else None, "missing_attachment": d.missing_attachment, "file": str(d.path)}
            for d in result.drafts]})
    else:
        if not result.drafts:
            console.print(f"Every partner's latest return for period {result.period} is accepted: nobody to remind.")
        else:
            table = Table(title=f"Reminders for period {result.period} (drafts only: nothing was sent)", header_style="bold")
            for name in ("Partner", "Why", "To", "Attached"):
                table.add_column(name, overflow="fold")
            for d in result.drafts:
                table.add_row(f"{d.partner} {d.name}", d.reason, d.to or "[red]no e-mail on the Partners sheet[/red]",
                              d.attachment.name if d.attachment else f"[red]nothing: {d.missing_attachment}[/red]")
            console.print(table)
            console.print(f"Wrote {len(result.drafts)} draft(s) to [bold]{result.folder}[/bold]; open each in your mail program, check it and send it.")
        if result.removed:
            console.print(f"Removed {len(result.removed)} earlier draft(s) for partners who no longer need a reminder.")
    if incomplete:
        raise typer.Exit(1)


@app.command()
def demo(
    folder: Annotated[Path, typer.Argument(metavar="[FOLDER]", help="Folder to play the demo in (must not hold a project).")] = Path("nc-demo"),
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", metavar="", help="Also print the board summary to PDF (needs LibreOffice).")] = True,
    through: Annotated[int, typer.Option("--through", metavar="N", min=1, help="Play reporting periods 1 to N (default 1: the first report, mid-October 2017).")] = 1,
) -> None:
    """Play a whole reporting cycle on the embedded Northern Connections data (period 1, mid-October 2017; more with --through)."""
    from nc_excel import processes
    from nc_excel.gc_policy import imports_frozen

    # the fork server imports the demo's modules (the partners' work, the readers') and the command's libraries
    # while this process imports the demo: the templates' workers start as soon as the project is written
    processes.context("nc_excel.demo", *COMMAND_LIBRARIES, start=True)
    with imports_frozen():
        from nc_excel.demo import run_demo

    with _friendly_errors():
        with _progress("Northern Connections demo") as update:
            result = run_demo(folder, through=through, pdf=pdf, progress=update)
    for play in result.periods.values():
        for name, run in (("First collect", play.first), ("Second collect", play.second)):
            if run is not None and run.collected:
                when = max(c.entry.received for c in run.collected)
                console.print(_returns_table(run, f"Period {play.period}: {name}, {when:%d %B %Y}"))
        if play.master is not None and through > 1:
            console.print(f"Period {play.period}: {play.master.status_line}")
    m = result.last.master
    if m is not None:
        console.print(f"[bold]{m.status_line}[/bold]")
        console.print(f"Living labs: {m.places} places proposed, {sum(m.shortlisted.values())} shortlisted in {len(m.shortlisted)} regions.")
    folder = ProjectFolder(result.root)
    guide = Table(title="Where to look", header_style="bold", show_lines=False)
    guide.add_column("File", overflow="fold")
    guide.add_column("What it is for", overflow="fold")
    rows = [
        (folder.master, "The coordinator's master: dashboard, merged returns with their source, issues, living-lab shortlist, schedule, finance and FLC. Setup sheets at the end."),
        *[(folder.outbox(n), f"The partner workbooks sent out for period {n}, one per partner.") for n in result.periods],
        (folder.inbox, "What the partners sent back, as received (two collect rounds)."),
        (folder.feedback(), "One feedback workbook per submission with problems (a folder per period, named by receipt; the latest of each partner also under its plain name): the partner's values, each problem flagged at its cell."),
        (folder.archive, "Accepted returns, never modified, and the returns register."),
        *[(path, f"The board summary of period {n} for the Political Board and the Policy Coordination Group.") for n, play in result.periods.items() for path in play.board],
        *[(path, f"The joint progress report of period {n}: write your Project summary texts into it (kept when rebuilt).")
          for n, play in result.periods.items() for path in play.report],
        *[(play.reminders.folder, f"E-mail drafts (.eml, not sent) to the {len(play.reminders.drafts)} partner(s) to chase for period {n}: "
           + ", ".join(f"{d.partner} ({d.state})" for d in play.reminders.drafts) + ".")
          for n, play in result.periods.items() if play.reminders is not None and play.reminders.drafts],
    ]
    for path, what in rows:
        guide.add_row(str(path), what)
    console.print(guide)
    if result.board_note:
        console.print(f"[yellow]{result.board_note}[/yellow]")


LISTED_IN_FULL = 40
"""A run of more files than this lists only those that need a look: a table of a thousand accepted returns hides the few that do."""


def _returns_table(result: CollectResult, title: str) -> Table | str:
    """The run's files and their verdicts (of a long run only those that need a look; a line when none does)."""
    table = Table(title=title, header_style="bold")
    for name in ("File", "Kind", "Partner", "Period", "Status", "Errors", "Warnings"):
        table.add_column(name, overflow="fold")
    shown = result.collected if len(result.collected) <= LISTED_IN_FULL else [c for c in result.collected if c.entry.status != "accepted"]
    for c in shown:
        e = c.entry
        style = STATUS_STYLE[e.status]
        kind = "FLC certificate" if e.kind == "certificate" else "report" if e.partner else ""
        table.add_row(shown_name(c.path.name), kind, e.partner or "", str(e.period or ""), f"[{style}]{e.status}[/{style}]", str(e.errors), str(e.warnings))
    notes = []
    if len(shown) < len(result.collected):
        clean = len(result.collected) - len(shown)
        if not shown:
            return f"{title}: all {clean} files accepted without any issue (nc-excel returns list shows every return received)."
        notes.append(f"{clean} more file(s) accepted without any issue, not listed (nc-excel returns list shows every return received).")
    feedback = sum(1 for c in result.collected if c.entry.feedback)
    if feedback:
        notes.append(f"{feedback} feedback workbook(s) written to feedback/.")
    table.caption = " ".join(notes) or None
    return table


returns_app = typer.Typer(
    no_args_is_help=True, rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]},
    help="List the returns received, withdraw one that should not count, or reopen a withdrawn one (recorded in the register; no file is deleted).",
)
app.add_typer(returns_app, name="returns")
PartnerOpt = Annotated[str, typer.Option("--partner", metavar="CODE", help="The partner code (any case).")]
WhyOpt = Annotated[Optional[str], typer.Option("--why", metavar="TEXT", help="Why, for the register and the master's Returns sheet.")]


@returns_app.command("list")
def returns_list(
    project: ProjectOpt = Path("."),
    partner: Annotated[Optional[str], typer.Option("--partner", metavar="CODE", help="Only this partner's returns.")] = None,
    period: Annotated[Optional[int], typer.Option("--period", metavar="N", help="Only the returns of this period.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the partners' returns in the order received: which one counts, which were replaced, rejected or withdrawn."""
    from nc_excel.workspace import Workspace

    with _friendly_errors():
        ws = Workspace.open(project)
        entries = ws.returns(partner, period)
    _setup_warnings(ws)
    rows = [{"partner": e.partner, "period": e.period, "file": e.file, "received": e.received.isoformat(), "status": e.status,
             "counts": e.current, "withdrawn": e.withdrawn, "replaced": e.superseded_by is not None, "decision": e.decision.text if e.decision else None}
            for e in entries]
    if as_json:
        _json({"returns": rows})
        return
    table = Table(title="Returns", header_style="bold")
    for name in ("Partner", "Period", "File", "Received", "Status", "Counts", "Decision"):
        table.add_column(name, overflow="fold")
    for e, row in zip(entries, rows):
        style = "dim" if e.withdrawn or row["replaced"] else STATUS_STYLE.get(e.status, "")
        status = "withdrawn" if e.withdrawn else ("replaced" if row["replaced"] else e.status)
        table.add_row(e.partner or "", str(e.period or ""), shown_name(e.file), f"{e.received:%Y-%m-%d %H:%M}", f"[{style}]{status}[/{style}]" if style else status,
                      "yes" if e.current else "", row["decision"] or "")
    console.print(table if rows else "No returns received yet" + (" for that partner or period." if partner or period else "."))


@returns_app.command("withdraw")
def returns_withdraw(partner: PartnerOpt, period: PeriodOpt, project: ProjectOpt = Path("."), why: WhyOpt = None, as_json: JsonOpt = False) -> None:
    """Stop counting the partner's accepted return for the period (a wrong file accepted, a partner who asks to correct it).

    The file stays in the archive and in the register; the return drops out of the master at the next build, and
    the partner's template may be written again. `returns reopen` makes it count again.
    """
    _decide("withdraw", project, partner, period, why, as_json)


@returns_app.command("reopen")
def returns_reopen(partner: PartnerOpt, period: PeriodOpt, project: ProjectOpt = Path("."), why: WhyOpt = None, as_json: JsonOpt = False) -> None:
    """Make the partner's withdrawn return for the period count again (if no other return counts now)."""
    _decide("reopen", project, partner, period, why, as_json)


def _decide(action: str, project: Path, partner: str, period: int, why: str | None, as_json: bool) -> None:
    from nc_excel.workspace import Workspace

    with _friendly_errors():
        ws = Workspace.open(project)
        entry = getattr(ws, action)(partner, period, why)
    _setup_warnings(ws)
    if as_json:
        _json({"partner": entry.partner, "period": entry.period, "file": entry.file, "decision": entry.decision.event if entry.decision else None,
               "counts": entry.current})
        return
    done = "withdrawn: it no longer counts" if action == "withdraw" else "reopened: it counts again"
    console.print(f"{entry.partner}'s period-{period} return {shown_name(entry.file)} is {done}. Rebuild the master: {ws.command('build')}")


addin_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]}, help="Build and install the Excel add-in (a ribbon tab for the reporting cycle).")
app.add_typer(addin_app, name="addin")
AddinProjectOpt = Annotated[Optional[Path], typer.Option("--project", "-p", metavar="DIR", help="Label the ribbon tab with this project's acronym ('BB reporting'); a build without --out writes into DIR/addin/.")]


def _tab(project: Path | None) -> str:
    """The ribbon tab's label: the project's acronym when one is named."""
    from nc_excel.addin.ribbon_xml import tab_label
    from nc_excel.workspace import Workspace

    return tab_label(Workspace.open(project).setup().project.acronym if project is not None else None)


@addin_app.command("build")
def addin_build(
    out: Annotated[Optional[Path], typer.Option("--out", metavar="PATH", help="Where to write the .xlam (the .xlsm goes beside it); default DIR/addin/ with --project, else the package's workbooks/ folder.")] = None,
    project: AddinProjectOpt = None,
) -> None:
    """Build NorthernConnections.xlam (and an .xlsm for checking) from macros/ and the installed xlwings."""
    from nc_excel.addin import build_addin

    with _friendly_errors():
        paths = build_addin(out, project=project, tab=_tab(project))
    for path in paths:
        console.print(f"Wrote [bold]{path}[/bold]")


@addin_app.command("install")
def addin_install(project: AddinProjectOpt = None) -> None:
    """Put the add-in where Excel loads it and record this Python as its interpreter.

    Exit code 2 where Excel cannot be installed into (Linux): the add-in is built for copying instead.
    """
    from nc_excel.addin import install_addin

    with _friendly_errors():
        result = install_addin(project=project, tab=_tab(project))
    if not result.installed:
        err_console.print(f"[red]{result.message}[/red]")
        raise typer.Exit(2)
    console.print(result.message)


def main() -> None:
    # When the command is done the process ends: the cycle collector's last walk over what the command
    # kept (a collect's thousand returns, a million objects and more) would only delay the exit (0.2 s).
    atexit.register(gc.freeze)
    app()


if __name__ == "__main__":
    main()
