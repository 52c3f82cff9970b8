"""The command line behaves as people expect: -h and --version, help in plain words, results on
standard output and progress on standard error, suggested commands that can be pasted as they are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import copy_project

from nc_excel import __version__
from nc_excel.partner.schema import template_name
from nc_excel.setup.models import ProjectSetup
from nc_excel.workspace import Workspace


def nc_excel(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real command, in its own process, its output piped as a script would read it."""
    env = {**os.environ, "COLUMNS": "60"}  # a narrow pipe: nothing may wrap a suggested command
    return subprocess.run([sys.executable, "-m", "nc_excel.cli", *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_version_and_short_help() -> None:
    version = nc_excel("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"nc-excel {__version__}"
    for args in (["-h"], ["templates", "-h"], ["collect", "--help"], ["addin", "-h"]):
        run = nc_excel(*args)
        assert run.returncode == 0, args
        assert "Usage:" in run.stdout


def test_help_names_values_not_python_types() -> None:
    text = nc_excel("templates", "-h").stdout
    assert "--period N" in text and "--project DIR" in text and "--partner CODE" in text
    assert "<int>" not in text and "list[str]" not in text and "<bool>" not in text and "<path>" not in text


def test_results_on_stdout_progress_on_stderr(tmp_path: Path, demo_project: Workspace, demo_setup: ProjectSetup) -> None:
    root = copy_project(demo_project, tmp_path).root
    run = nc_excel("templates", "--period", "2", "--partner", "aal", "--partner", "Hoe", "--project", root)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Wrote 2 partner workbook(s)")  # nothing but the result on standard output
    assert "Templates for period 2" not in run.stdout
    assert (root / "outbox" / "2" / template_name(demo_setup, 2, "AAL")).is_file()  # codes in any case
    assert (root / "outbox" / "2" / template_name(demo_setup, 2, "HOE")).is_file()


def test_a_command_that_fails_at_once_shows_no_progress_and_a_complete_suggestion(tmp_path: Path) -> None:
    run = nc_excel("build", "--project", tmp_path / "no project here")
    assert run.returncode == 2
    assert "Building the master" not in run.stderr + run.stdout
    assert f"nc-excel init {tmp_path / 'no project here'}" in run.stderr  # on one line though the pipe is 60 wide


def test_suggested_next_command_names_the_project(tmp_path: Path) -> None:
    run = nc_excel("init", "my project", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "nc-excel templates --period 1 --project 'my project'" in run.stdout


def test_build_and_summary_default_to_the_latest_period_with_returns(tmp_path: Path, demo_setup: ProjectSetup) -> None:
    from test_collect import NOW, make_return

    ws = Workspace.create(tmp_path / "project", demo_setup)
    ws.generate_templates(1, now=NOW)
    make_return(ws, demo_setup, "AAL")
    ws.collect(now=NOW)
    built = nc_excel("build", "--project", ws.root, "--as-of", "2018-02-01")  # the calendar says period 2
    assert built.returncode == 0, built.stderr
    assert "for period 1" in built.stdout and "latest with accepted returns" in built.stdout
    board = ws.board / "NC_board_P1.pdf"
    board.parent.mkdir(exist_ok=True)
    board.write_bytes(b"%PDF-1.4 an older print")
    summary = nc_excel("summary", "--project", ws.root)  # no --period: the one the master was built for
    assert summary.returncode == 0, summary.stderr
    assert (ws.board / "NC_board_P1.xlsx").is_file()
    assert not board.exists() and "Removed the older NC_board_P1.pdf" in summary.stdout


def test_templates_keep_what_a_partner_has_returned_unless_forced(tmp_path: Path, demo_setup: ProjectSetup) -> None:
    from test_collect import NOW, make_return

    ws = Workspace.create(tmp_path / "project", demo_setup)
    ws.generate_templates(1, now=NOW)
    make_return(ws, demo_setup, "HOE")
    ws.collect(now=NOW)
    sent = (ws.outbox(1) / template_name(demo_setup, 1, "HOE")).read_bytes()
    refused = nc_excel("templates", "--period", "1", "--project", ws.root)
    assert refused.returncode == 2 and "HOE already sent back their period-1 report" in refused.stderr
    assert f"nc-excel templates --period 1 --force --project {ws.root}" in refused.stderr
    assert (ws.outbox(1) / template_name(demo_setup, 1, "HOE")).read_bytes() == sent
    assert nc_excel("templates", "--period", "1", "--partner", "AAL", "--project", ws.root).returncode == 0
    forced = nc_excel("templates", "--period", "1", "--force", "--project", ws.root)
    assert forced.returncode == 0 and (ws.outbox(1) / template_name(demo_setup, 1, "HOE")).read_bytes() != sent
