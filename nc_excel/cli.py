"""The ``nc-excel`` command: a thin layer over ``workspace`` that prints and sets exit codes.

Exit codes: 0 done; 1 done, but problems were found in the input (e.g. a return
was rejected); 2 the command could not run (usage, project or setup error).
"""

from __future__ import annotations

import datetime as dt
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

ProjectOpt = Annotated[Path, typer.Option("--project", "-p", metavar="DIR", help="The project folder (holds master.xlsx).")]
PeriodOpt = Annotated[int, typer.Option("--period", metavar="N", help="Reporting period number.")]


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


@contextmanager
def _friendly_errors() -> Iterator[None]:
    """Expected problems become a message and an exit code, never a traceback."""
    from nc_excel.addin import AddinError
    from nc_excel.workspace import NcError, SetupInvalid

    try:
        yield
    except SetupInvalid as exc:
        err_console.print(_issue_table(exc.issues, "Setup problems"))
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
def init(folder: Annotated[Path, typer.Argument(metavar="FOLDER", help="Folder to create the project in.")]) -> None:
    """Create a project folder with master.xlsx holding the Northern Connections setup."""
    from nc_excel.workspace import Workspace

    with _friendly_errors():
        ws = Workspace.create(folder)
    console.print(f"Created the project in [bold]{folder}[/bold].")
    console.print(f"Edit the setup sheets of [bold]{ws.master}[/bold] in Excel, then run: {ws.command('templates --period 1')}")


@app.command()
def templates(
    period: PeriodOpt,
    project: ProjectOpt = Path("."),
    partner: Annotated[Optional[list[str]], typer.Option("--partner", metavar="CODE", help="Only this partner code (repeatable; any case).")] = None,
    force: Annotated[bool, typer.Option("--force", metavar="", help="Also replace the templates of partners who have already sent their report back.")] = False,
    flc: Annotated[bool, typer.Option("--flc", metavar="", help="FLC certificate workbooks instead, for the partners with an accepted return of the period.")] = False,
) -> None:
    """Write one partner workbook per partner for a reporting period into outbox/<period>/.

    Exit code 2 (and nothing written) when a partner named has already sent the period's
    report back, unless --force. With --flc, write an FLC certificate workbook into
    outbox/<period>/flc/ for each partner whose return of the period was accepted,
    prefilled with its declared amounts.
    """
    from nc_excel.workspace import Workspace

    with _friendly_errors():
        ws = Workspace.open(project)
        if flc:
            with _progress(f"FLC certificate templates for period {period}") as update:
                made = ws.generate_certificates(period, partner, progress=update)
            console.print(f"Wrote {len(made.written)} FLC certificate workbook(s) to [bold]{ws.certificates_outbox(period)}[/bold].")
            if made.without_return:
                console.print(f"[yellow]No certificate template for {', '.join(made.without_return)}: no accepted return of period {period} yet.[/yellow]")
            return
        with _progress(f"Templates for period {period}") as update:
            paths = ws.generate_templates(period, partner, force=force, progress=update)
    console.print(f"Wrote {len(paths)} partner workbook(s) to [bold]{ws.outbox(period)}[/bold].")


STATUS_STYLE = {"accepted": "green", "accepted with warnings": "yellow", "rejected": "red", "duplicate": "dim", "not a return": "magenta"}


@app.command("collect")
def collect_cmd(
    project: ProjectOpt = Path("."),
    inbox: Annotated[Optional[Path], typer.Option("--inbox", metavar="DIR", help="Folder with the returns (default: the project's inbox/).")] = None,
    as_json: Annotated[bool, typer.Option("--json", metavar="", help="Print the verdicts and every issue as JSON on stdout.")] = False,
) -> None:
    """Read, check and archive every new return in the inbox, and write feedback workbooks.

    Exit code 0 when every return was accepted, 1 when any was rejected or a file is not a
    return of this project, 2 for a usage or project error. Hidden files, office lock files
    and symbolic links in the inbox are not read (nor followed); they are listed as ignored.
    """
    from nc_excel.intake.archive import LATE
    from nc_excel.workspace import Workspace

    with _friendly_errors():
        ws = Workspace.open(project)
        if as_json:
            result = ws.collect(inbox)
        else:
            with _progress("Reading returns") as update:
                result = ws.collect(inbox, progress=update)
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
        }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        console.print(_returns_table(result, "Returns"))
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
) -> None:
    """Rebuild master.xlsx: merged returns, living-lab shortlist, schedule, finance and FLC status."""
    from nc_excel.workspace import Workspace

    with _friendly_errors():
        day = _date_option(as_of)
        ws = Workspace.open(project)
        with _progress("Building the master") as update:
            result = ws.build(as_of=day, period=period, progress=update)
    console.print(f"Rebuilt [bold]{result.path}[/bold] for period {result.period} as of {result.as_of:%Y-%m-%d} (old master backed up to {result.backup}).")
    if period is None:
        console.print(f"Period {result.period} is the latest with accepted returns; name another with --period N.")
    console.print(f"Returns merged: {result.returns_merged}; partners reported for the period: {result.partners_reported}.")
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
) -> None:
    """Write the board summary workbook (board/<ACRONYM>_board_P<N>.xlsx) from the master, and a PDF with --pdf.

    Exit code 0 when done, 2 when it cannot run (no master build, another period) or the PDF could not be made.
    """
    from nc_excel.workspace import Workspace

    with _friendly_errors():
        ws = Workspace.open(project)
        with _progress("Board summary") as update:
            result = ws.summary(period, pdf=pdf, progress=update)
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
def demo(
    folder: Annotated[Path, typer.Argument(metavar="[FOLDER]", help="Folder to play the demo in (must not hold a project).")] = Path("nc-demo"),
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", metavar="", help="Also print the board summary to PDF (needs LibreOffice).")] = True,
    through: Annotated[int, typer.Option("--through", metavar="N", min=1, help="Play reporting periods 1 to N (default 1: the first report, mid-October 2017).")] = 1,
) -> None:
    """Play a whole reporting cycle on the embedded Northern Connections data (period 1, mid-October 2017; more with --through)."""
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
    ]
    for path, what in rows:
        guide.add_row(str(path), what)
    console.print(guide)
    if result.board_note:
        console.print(f"[yellow]{result.board_note}[/yellow]")


def _returns_table(result: CollectResult, title: str) -> Table:
    table = Table(title=title, header_style="bold")
    for name in ("File", "Kind", "Partner", "Period", "Status", "Errors", "Warnings"):
        table.add_column(name, overflow="fold")
    for c in result.collected:
        e = c.entry
        style = STATUS_STYLE[e.status]
        kind = "FLC certificate" if e.kind == "certificate" else "report" if e.partner else ""
        table.add_row(shown_name(c.path.name), kind, e.partner or "", str(e.period or ""), f"[{style}]{e.status}[/{style}]", str(e.errors), str(e.warnings))
    feedback = sum(1 for c in result.collected if c.entry.feedback)
    if feedback:
        table.caption = f"{feedback} feedback workbook(s) written to feedback/."
    return table


addin_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]}, help="Build and install the Excel add-in (the Northern Connections ribbon tab).")
app.add_typer(addin_app, name="addin")


@addin_app.command("build")
def addin_build(out: Annotated[Optional[Path], typer.Option("--out", metavar="PATH", help="Where to write the .xlam (the .xlsm goes beside it).")] = None) -> None:
    """Build NorthernConnections.xlam (and an .xlsm for checking) from macros/ and the installed xlwings."""
    from nc_excel.addin import build_addin

    with _friendly_errors():
        paths = build_addin(out)
    for path in paths:
        console.print(f"Wrote [bold]{path}[/bold]")


@addin_app.command("install")
def addin_install() -> None:
    """Put the add-in where Excel loads it and record this Python as its interpreter."""
    from nc_excel.addin import install_addin

    with _friendly_errors():
        result = install_addin()
    console.print(result.message)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
