"""The parsed record of an archived return: its read tables and forms, kept as JSON beside the archive.

An archived return never changes (it is named by its SHA-256 and read-only), so
reading it again gives the same ``Return`` as long as the reader and the project
setup are the same. ``collect``, ``build`` and the templates' carry-over read the
record instead of parsing the workbook again: one small JSON file instead of a
workbook opened in a worker process.

The record is derived data: one that is missing, unreadable, of another record
version, made under another project setup or for an archived file
that has since changed (its size or modification time) is ignored, and the return is read
from the archived workbook again (and its record rewritten). It is plain JSON
validated through pydantic, never a pickle: the project folder is shared, and a
tampered pickle would run code, while a tampered record can at worst be refused
(it is then rebuilt) or say something the workbook does not, as the register can.

Records live in ``archive/.parsed/<sha256>.json`` (``ProjectFolder.parsed``):
keyed by the file's content like the archive itself, out of the partner and
period folders the coordinator browses, and all in one folder that can be deleted
to have every record rebuilt.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer, ValidationError

from nc_excel.analyses.places import proposed_place
from nc_excel.atomic import replacing
from nc_excel.excel.read import RowRead
from nc_excel.folder import ProjectFolder
from nc_excel.issues import Issue
from nc_excel.partner.read import Return
from nc_excel.partner.schema import (
    DELIVERABLES,
    INDICATORS,
    LIVING_LABS,
    SCHEMA_VERSION,
)
from nc_excel.setup.models import ProjectSetup

RECORD_FORMAT = 3  # 2: a work package's status Completed is read as Done; 3: the currency of the amounts
"""Raised whenever what a record holds or how it is written changes."""
VERSION = f"{SCHEMA_VERSION}.{RECORD_FORMAT}"
"""A record's version: the partner schema it was read under and the record format."""

_TAGS: tuple[tuple[str, type, Any], ...] = (
    # datetime before date: a datetime is a date too
    ("datetime", dt.datetime, dt.datetime.fromisoformat),
    ("date", dt.date, dt.date.fromisoformat),
    ("time", dt.time, dt.time.fromisoformat),
    ("decimal", Decimal, Decimal),
    ("seconds", dt.timedelta, lambda s: dt.timedelta(seconds=float(s))),
)


def _encode(value: Any) -> Any:
    """A cell value as JSON keeps it: text, numbers, booleans and None as they are, other types tagged."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    for tag, kind, _ in _TAGS:
        if isinstance(value, kind):
            return {tag: str(value.total_seconds()) if tag == "seconds" else value.isoformat() if tag != "decimal" else str(value)}
    raise TypeError(f"a cell value of type {type(value).__name__} cannot be recorded")


_DECODE = {tag: parse for tag, _, parse in _TAGS}


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        ((tag, text),) = value.items()
        return _DECODE[tag](text)
    return value


Value = Annotated[Any, BeforeValidator(_decode), PlainSerializer(_encode)]


class KeptIssue(Issue):
    """An issue with its locator, which the register leaves out but the feedback workbook needs."""

    locator: tuple[str, str, str] | None = None

    def issue(self) -> Issue:
        return Issue.model_validate(self.model_dump(exclude={"level"}))


class RowRecord(BaseModel):
    """A ``RowRead`` without its model (as the reader's workers hand it over)."""

    row: int
    values: dict[str, Value]
    cells: dict[str, str]
    issues: list[KeptIssue]
    raw: dict[str, Value]

    @classmethod
    def of(cls, read: RowRead) -> RowRecord:
        return cls(row=read.row, values=read.values, cells=read.cells, issues=[_kept(i) for i in read.issues], raw=read.raw)

    def read(self) -> RowRead:
        return RowRead(self.row, self.values, None, self.cells, [i.issue() for i in self.issues], self.raw)  # a record is read once


def _kept(found: Issue) -> KeptIssue:
    return KeptIssue.model_validate({**found.model_dump(exclude={"level"}), "locator": found.locator})


class _Made(BaseModel):
    """What a record was made from: the file's SHA-256, the record's version, the setup; ``Records`` checks these."""

    version: str
    sha256: str
    setup: str  # fingerprint of the project setup it was read under
    size: int  # of the archived file when it was recorded, with its modification time:
    mtime_ns: int  # a file damaged or replaced by hand since no longer matches its record


class ReturnBody(BaseModel):
    """Everything of a ``Return``: what a record holds besides what it was made from (``_Made``)."""

    file: str
    partner: str
    period: int
    generated_at: str
    tables: dict[str, list[RowRecord]]
    forms: dict[str, RowRecord]
    issues: list[KeptIssue]
    sheets: dict[str, str]
    headers: dict[str, dict[str, str]]
    currency: str

    @classmethod
    def of(cls, ret: Return) -> ReturnBody:
        return cls(
            file=ret.file, partner=ret.partner, period=ret.period, generated_at=ret.generated_at,
            tables={name: [RowRecord.of(r) for r in rows] for name, rows in ret.tables.items()},
            forms={name: RowRecord.of(f) for name, f in ret.forms.items()}, issues=[_kept(i) for i in ret.issues],
            sheets=ret.sheets, headers=ret.headers, currency=ret.currency,
        )

    def to_return(self) -> Return:
        return Return(
            self.file, self.partner, self.period, self.generated_at,
            {name: [r.read() for r in rows] for name, rows in self.tables.items()},
            {name: form.read() for name, form in self.forms.items()},
            [i.issue() for i in self.issues], self.sheets, self.headers, self.currency,
        )


class ReturnRecord(_Made, ReturnBody):
    """A record as kept: one JSON object, what it was made from and the return's body side by side."""


def encode_return(ret: Return) -> str:
    """A return as a record's body (``ReturnBody`` JSON). Collect makes it while the other files are
    still being read, so that archiving the return afterwards is a file write, not an encoding."""
    return ReturnBody.of(ret).model_dump_json()


class _ReportedRow(BaseModel):
    values: dict[str, Value]


class _PlaceValues(BaseModel):
    name: Value = None
    municipality: Value = None


class _PlaceRow(BaseModel):
    values: _PlaceValues  # the rest of a candidate's values skipped, not validated


class _ReportedTables(BaseModel):
    deliverables: list[_ReportedRow] = Field(default=[], alias=DELIVERABLES.name)
    indicators: list[_ReportedRow] = Field(default=[], alias=INDICATORS.name)
    living_labs: list[_PlaceRow] = Field(default=[], alias=LIVING_LABS.name)


class _ReportedRecord(_Made):
    """The part of a ``ReturnRecord`` that ``Reported`` needs; the rest of the JSON is skipped, not validated
    (a quarter of the work of reading the whole record)."""

    partner: str
    period: int
    tables: _ReportedTables


@dataclasses.dataclass(frozen=True)
class Reported:
    """What an accepted return reported that later returns are checked against: its deliverables and
    indicators (a later return of its partner, ``rules.check_return``) and the places it proposes (the other
    partners' returns of its period, ``rules.check_across``). A return of period 7 is checked against six
    earlier ones, and a late one against every other partner's: so this is read from their records without
    the rest of them."""

    partner: str
    period: int
    deliverables: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    places: tuple[str, ...]  # the place_key of each place it proposes, for the check across partners (``rules.check_across``)

    @classmethod
    def of(cls, ret: Return) -> Reported:
        places = (proposed_place(row.values) for row in ret.tables.get(LIVING_LABS.name, []))
        return cls(ret.partner, ret.period, ret.rows(DELIVERABLES.name), ret.rows(INDICATORS.name), tuple(filter(None, places)))


def as_read_from(ret: Return, file: str) -> Return:
    """The return as reading the same bytes under the name ``file`` gives it: the file name is all that differs."""
    return dataclasses.replace(ret, file=file, issues=[i.model_copy(update={"file": file}) for i in ret.issues])


def setup_fingerprint(setup: ProjectSetup) -> str:
    """What a return's reading depends on besides its bytes: the project setup (partners, periods, lists, key).

    Values, not how they are written: the setup read back from the master has
    ``57057`` where the one it was written from had ``57057.00``.
    """
    text = json.dumps(setup.model_dump(), sort_keys=True, default=_canonical)
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in the project setup")


_Record = TypeVar("_Record", bound=_Made)


class Records:
    """The parsed records of one project's archive, for one project setup."""

    def __init__(self, root: Path, setup: ProjectSetup) -> None:
        self.folder = ProjectFolder(root)
        self.setup = setup_fingerprint(setup)

    def load(self, sha256: str, archived: Path) -> Return | None:
        """The return recorded for the archived file, or None when there is no usable record (then read the workbook)."""
        record = self._valid(ReturnRecord, sha256, archived)
        return record.to_return() if record is not None else None

    def reported(self, sha256: str, archived: Path) -> Reported | None:
        """What the recorded return reported (``Reported``), read without the rest of the record; None as ``load``."""
        record = self._valid(_ReportedRecord, sha256, archived)
        if record is None:
            return None
        rows = record.tables
        places = (proposed_place(r.values.model_dump()) for r in rows.living_labs)
        return Reported(record.partner, record.period, [r.values for r in rows.deliverables], [r.values for r in rows.indicators],
                        tuple(filter(None, places)))

    def _valid(self, model: type[_Record], sha256: str, archived: Path) -> _Record | None:
        """The record of the archived file read as ``model``, when it is one made from that file under this setup."""
        try:
            record = model.model_validate_json(self.folder.parsed(sha256).read_bytes())
            found = archived.stat()
        except (OSError, ValidationError, ValueError, KeyError, TypeError, ArithmeticError):  # ArithmeticError: a tampered decimal
            return None
        if (record.sha256, record.version, record.setup, record.size, record.mtime_ns) != (
            sha256, VERSION, self.setup, found.st_size, found.st_mtime_ns
        ):
            return None
        return record

    def save(self, sha256: str, ret: Return, archived: Path, body: str | None = None) -> None:
        """Record a return read from the archived file ``archived`` (whose name is ``ret.file``);
        ``body`` is its ``encode_return``, when made already.

        A record that cannot be written (a read-only share) is left out: it is only a
        shortcut, and the next read makes it from the workbook again.
        """
        try:
            found = archived.stat()
        except OSError:
            return
        made = _Made(version=VERSION, sha256=sha256, setup=self.setup, size=found.st_size, mtime_ns=found.st_mtime_ns).model_dump_json()
        body = body if body is not None else encode_return(ret)
        path = self.folder.parsed(sha256)
        try:
            with replacing(path) as tmp:
                tmp.write_text(f"{made[:-1]},{body[1:]}", encoding="utf-8")  # one object: both sets of members (no name in common)
        except OSError:
            pass
