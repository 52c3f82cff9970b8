"""Every file is replaced whole or not at all (nc_excel.atomic.replacing)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from nc_excel.atomic import replacing


def test_a_file_is_written_into_a_folder_made_for_it(tmp_path: Path) -> None:
    target = tmp_path / "archive" / "1" / "AAL" / "return.xlsx"
    with replacing(target) as tmp:
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(target.parent) == ["return.xlsx"]  # no temporary file left beside it


def test_a_failure_midway_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "register.jsonl"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed midway")
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["register.jsonl"]


def test_a_new_file_gets_the_permissions_of_any_new_file_unless_told(tmp_path: Path) -> None:
    with replacing(tmp_path / "master.xlsx") as tmp:
        tmp.write_bytes(b"x")
    with replacing(tmp_path / "archived.xlsx", mode=stat.S_IRUSR) as tmp:
        tmp.write_bytes(b"x")
    (tmp_path / "plain.txt").write_bytes(b"x")  # as any program makes a file under this process's umask
    assert stat.S_IMODE((tmp_path / "master.xlsx").stat().st_mode) == stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)
    assert stat.S_IMODE((tmp_path / "archived.xlsx").stat().st_mode) == stat.S_IRUSR
