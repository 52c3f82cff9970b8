"""What `nc-excel collect` shows of a run: every file of a short run, only the files that need a look of a long one.

A coordinator collecting a thousand returns wants the few rejected or flagged
ones, not a table of a thousand green lines to scroll through.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console

from nc_excel.cli import LISTED_IN_FULL, _returns_table
from nc_excel.intake.archive import Entry, Status
from nc_excel.intake.collect import Collected, CollectResult

NOW = dt.datetime(2017, 10, 12, 9)


def run_of(statuses: list[Status]) -> CollectResult:
    """A run's result as collect makes it: one register entry per file."""
    result = CollectResult()
    for n, status in enumerate(statuses, start=1):
        name = f"P{n:04d}.xlsx"
        entry = Entry(file=f"inbox/{name}", sha256=f"{n:064x}", received=NOW, seq=n, status=status, partner=f"P{n:04d}", period=1,
                      errors=int(status == "rejected"), warnings=int(status == "accepted with warnings"))
        result.collected.append(Collected(Path("inbox") / name, entry))
    return result


def shown(result: CollectResult) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(_returns_table(result, "Returns"))
    return console.export_text()


def test_a_short_run_lists_every_file() -> None:
    text = shown(run_of(["accepted"] * (LISTED_IN_FULL - 1) + ["rejected"]))
    assert all(f"P{n:04d}.xlsx" in text for n in range(1, LISTED_IN_FULL + 1))
    assert "not listed" not in text


def test_a_long_run_lists_only_the_files_that_need_a_look() -> None:
    statuses: list[Status] = ["accepted"] * 997 + ["rejected", "accepted with warnings", "duplicate"]
    text = shown(run_of(statuses))
    assert [n for n in range(1, 1001) if f"P{n:04d}.xlsx" in text] == [998, 999, 1000]
    assert "rejected" in text and "accepted with warnings" in text and "duplicate" in text
    assert "997 more file(s) accepted without any issue, not listed" in text
    assert "nc-excel returns list" in text


def test_a_long_run_without_a_problem_is_one_line() -> None:
    text = shown(run_of(["accepted"] * 1000))
    assert text.strip() == "Returns: all 1000 files accepted without any issue (nc-excel returns list shows every return received)."
