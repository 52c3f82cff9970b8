"""Partner workbooks written several at a time, one per core (nc_excel.spread)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import GENERATED_AT

from nc_excel.partner.schema import template_name
from nc_excel.partner.write import PartnerBook, write_book
from nc_excel.setup.models import ProjectSetup
from nc_excel.spread import FEW, spread
from nc_excel.workspace import Workspace


def test_templates_written_together_are_those_written_one_at_a_time(demo_project: Workspace, demo_setup: ProjectSetup, tmp_path: Path) -> None:
    """The project's 21 templates were written by workers; Aalborg's written alone, in this process, is the same file."""
    assert len(demo_setup.partners) >= FEW
    alone = Workspace.create(tmp_path / "alone", demo_setup)
    [path] = alone.generate_templates(1, ["AAL"], now=GENERATED_AT)
    together = demo_project.outbox(1) / template_name(demo_setup, 1, "AAL")
    assert path.read_bytes() == together.read_bytes()
    assert sorted(p.name for p in demo_project.outbox(1).glob("*.xlsx")) == sorted(template_name(demo_setup, 1, p.code) for p in demo_setup.partners)


def test_results_come_in_the_order_of_the_items(demo_setup: ProjectSetup, tmp_path: Path) -> None:
    books = [PartnerBook(tmp_path / f"{p.code}.xlsx", p.code, 1) for p in demo_setup.partners[:FEW + 2]]
    assert list(spread(write_book, (demo_setup, GENERATED_AT), books)) == [b.path for b in books]


def test_a_failure_in_a_worker_reaches_the_caller(demo_setup: ProjectSetup, tmp_path: Path) -> None:
    (tmp_path / "not a folder").write_text("a file where a folder should be")
    books = [PartnerBook(tmp_path / f"{p.code}.xlsx", p.code, 1) for p in demo_setup.partners[:FEW]]
    books.append(PartnerBook(tmp_path / "not a folder" / "AAL.xlsx", "AAL", 1))
    with pytest.raises(NotADirectoryError):
        list(spread(write_book, (demo_setup, dt.datetime(2017, 9, 1)), books))
