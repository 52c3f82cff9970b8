"""The command line behaves as people expect: -h and --version, help in plain words, results on
standard output and progress on standard error, suggested commands that can be pasted as they are."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

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
    root = tmp_path / "project"
    shutil.copytree(demo_project.root, root)
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
