"""The parsed record of an archived return: written once, read instead of the workbook, rebuilt when it cannot be trusted.

Returns are made the way partners make them (template filled in by ``simulate``);
a record is compared with the archived workbook read again, field by field and
type by type, so a Decimal that came back as a float or a date as text fails.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import GENERATED_AT

from nc_excel.folder import ProjectFolder
from nc_excel.intake.archive import Archive, Register, read_opened
from nc_excel.intake.record import Records
from nc_excel.intake.sniff import Limits
from nc_excel.intake.workers import open_files
from nc_excel.partner.read import Return
from nc_excel.partner.simulate import fill_workbook, partner_entries
from nc_excel.setup.models import ProjectSetup
from nc_excel.workspace import Workspace

NOW = dt.datetime(2017, 10, 16, 9, 0)


@pytest.fixture()
def project(tmp_path: Path, demo_setup: ProjectSetup) -> Workspace:
    ws = Workspace.create(tmp_path / "project", demo_setup)
    ws.generate_templates(1, ["AAR", "BRG", "ALK"], now=GENERATED_AT)
    return ws


def send(ws: Workspace, setup: ProjectSetup, partner: str, overrides: dict | None = None) -> Path:
    out = ws.root / "inbox" / f"{partner}_report.xlsx"
    fill_workbook(ws.outbox(1) / f"NC_P1_{partner}.xlsx", out, partner_entries(setup, partner, 1), setup, overrides=overrides)
    return out


def parsed_again(path: Path, setup: ProjectSetup) -> Return:
    """The workbook read as the archive's workers read it, without any record."""
    [(_, outcome)] = open_files([path], Limits(), then=partial(read_opened, setup=setup))
    return outcome.ret


def same(a: Any, b: Any, where: str = "") -> None:
    """Equal and of the same type all the way down (Decimal('1.50') is not Decimal('1.5') here, nor 1.5)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for n, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{n}]")
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif hasattr(a, "model_dump"):
        same({**a.model_dump(), "locator": getattr(a, "locator", None)}, {**b.model_dump(), "locator": getattr(b, "locator", None)}, where)
    elif isinstance(a, Decimal):
        assert a.as_tuple() == b.as_tuple(), f"{where}: {a!r} != {b!r}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def archived_entries(ws: Workspace) -> list:
    return [e for e in Register(ws.root).entries if e.archived]


def test_collect_records_each_archived_return_as_reading_the_archived_file_gives_it(project: Workspace, demo_setup: ProjectSetup) -> None:
    send(project, demo_setup, "AAR")
    path = send(project, demo_setup, "BRG")
    wb = openpyxl.load_workbook(path)
    wb["Indicators"]["J4"] = "My notes"  # an extra column: accepted with a warning, which the record keeps
    wb.save(path)
    project.collect(now=NOW)
    entries = archived_entries(project)
    assert [e.partner for e in entries if e.accepted] == ["AAR", "BRG"]
    records = Records(project.root, demo_setup)
    for e in entries:
        assert ProjectFolder(project.root).parsed(e.sha256).is_file()
        recorded = records.load(e.sha256, project.root / e.archived)
        again = parsed_again(project.root / e.archived, demo_setup)
        same(recorded, again, e.partner or "")
    brg = records.load(entries[1].sha256, project.root / entries[1].archived)
    assert ("extra-column", "Indicators", "J4") in [(i.code, i.sheet, i.cell) for i in brg.issues]
    assert isinstance(brg.rows("Finance")[0]["declared"], Decimal) and isinstance(brg.form("Submission")["submitted_on"], dt.date)
    assert brg.form("Submission")["confirm"] is True


def test_a_return_with_errors_round_trips_with_what_its_cells_held(project: Workspace, demo_setup: ProjectSetup) -> None:
    """Records are made of archived (accepted) returns, but the format keeps everything a read gives, raw cells too."""
    path = send(project, demo_setup, "ALK", overrides={
        ("Finance", "D7"): "about 300", ("Deliverables", "G5"): dt.datetime(2022, 1, 1), ("Progress", "D5"): 42.5,
    })
    ret = parsed_again(path, demo_setup)
    records = Records(project.root, demo_setup)
    records.save("a" * 64, ret, path)
    back = records.load("a" * 64, path)
    same(back, ret)
    assert {i.code for i in back.issues} >= {"not-a-number", "date-outside-window", "not-a-whole-number"}
    raw = {k: v for table in ("Finance", "Deliverables", "Progress") for row in back.tables[table] for k, v in row.raw.items()}
    assert raw == {"declared": "about 300", "date": dt.date(2022, 1, 1), "percent_complete": 42.5}
    assert all(i.locator is not None for i in back.issues if i.cell)  # the feedback workbook finds each cell by it


def tampered(ws: Workspace, sha: str, change) -> None:
    path = ProjectFolder(ws.root).parsed(sha)
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


@pytest.mark.parametrize("what, change", [
    ("corrupt", lambda text: text[: len(text) // 2]),
    ("old version", lambda text: json.dumps({**json.loads(text), "version": "0.0"})),
    ("not JSON at all", lambda text: "\x00\x01 not a record"),
    ("a money value that is no number", lambda text: text.replace('{"decimal":"', '{"decimal":"about ', 1)),
    ("a value of an unknown kind", lambda text: text.replace('{"date":"', '{"when":"', 1)),
])
def test_a_record_that_cannot_be_trusted_is_rebuilt_from_the_workbook(project: Workspace, demo_setup: ProjectSetup, what, change) -> None:
    send(project, demo_setup, "AAR")
    project.collect(now=NOW)
    [entry] = archived_entries(project)
    tampered(project, entry.sha256, lambda text: change(text.replace('"partner":"AAR"', '"partner":"BRG"')))
    register = Register(project.root)
    [(_, ret)] = Archive(project.root, register, demo_setup, Limits()).read_many(register.current())
    assert ret.partner == "AAR"
    record = json.loads(ProjectFolder(project.root).parsed(entry.sha256).read_text(encoding="utf-8"))
    assert record["partner"] == "AAR" and record["sha256"] == entry.sha256
    archived = project.root / entry.archived
    same(Records(project.root, demo_setup).load(entry.sha256, archived), parsed_again(archived, demo_setup))


def test_a_record_of_another_file_is_not_taken_for_this_one(project: Workspace, demo_setup: ProjectSetup) -> None:
    send(project, demo_setup, "AAR")
    send(project, demo_setup, "BRG")
    project.collect(now=NOW)
    aar, brg = archived_entries(project)
    folder = ProjectFolder(project.root)
    folder.parsed(brg.sha256).write_bytes(folder.parsed(aar.sha256).read_bytes())  # AAR's record under BRG's name
    register = Register(project.root)
    pairs = Archive(project.root, register, demo_setup, Limits()).read_many(register.current())
    assert [ret.partner for _, ret in pairs] == ["AAR", "BRG"]
    assert json.loads(folder.parsed(brg.sha256).read_text(encoding="utf-8"))["partner"] == "BRG"


def test_a_changed_setup_makes_records_be_read_again(project: Workspace, demo_setup: ProjectSetup) -> None:
    """What a return reads as depends on the setup (lists, periods, partners): a record made under another is not used."""
    send(project, demo_setup, "AAR")
    project.collect(now=NOW)
    [entry] = archived_entries(project)
    other = demo_setup.model_copy(update={"project": demo_setup.project.model_copy(update={"office_flat_rate": Decimal("0.2")})})
    archived = project.root / entry.archived
    assert Records(project.root, other).load(entry.sha256, archived) is None
    assert Records(project.root, demo_setup).load(entry.sha256, archived) is not None


def test_without_records_the_build_reads_the_workbooks_and_records_them(project: Workspace, demo_setup: ProjectSetup) -> None:
    send(project, demo_setup, "AAR")
    send(project, demo_setup, "BRG")
    project.collect(now=NOW)
    parsed = project.root / "archive" / ".parsed"
    for record in parsed.iterdir():
        record.unlink()
    project.build(as_of=NOW.date(), period=1)
    assert sorted(p.stem for p in parsed.iterdir()) == sorted(e.sha256 for e in archived_entries(project))
