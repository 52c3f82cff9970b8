"""Read a partner's return: whose it is (the metadata sheet), then every table and form.

A return is recognised by its metadata sheet, never by its file name. Tables are
found by their Excel table name, else on the sheet the layout names, else by
their header row on any sheet, so a renamed sheet, inserted rows, a moved or an
extra column still read. Every cell problem becomes an issue at its cell.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from nc_excel.excel.read import (
    Grid,
    ReadContext,
    RowRead,
    find_header_row,
    norm_header,
    read_form,
    read_table,
)
from nc_excel.excel.schema import columns
from nc_excel.issues import Issue, issue
from nc_excel.partner.schema import (
    CERTIFICATE,
    FINANCE,
    FLC_FORM,
    FLC_TITLE,
    LIVING_LABS,
    META_SHEET,
    RETURN,
    SCHEMA_VERSION,
    SELECTED_LABS,
    START_SHEET,
    SUBMISSION_FORM,
    TOTAL_LABEL,
    FlcForm,
    FormRow,
    Prefill,
    SubmissionForm,
    TableSpec,
    WorkbookKind,
    digest,
    table_model,
    windows,
    workbook_tables,
)
from nc_excel.partner.write import prefilled_rows
from nc_excel.setup.models import COST_CATEGORIES, EUR, ProjectSetup, flat_rate

FORMS = ((SUBMISSION_FORM, SubmissionForm, START_SHEET), (FLC_FORM, FlcForm, FINANCE.sheet))


class NotAReturn(Exception):
    """The workbook cannot be attributed to a partner and period of this project."""

    def __init__(self, found: Issue) -> None:
        super().__init__(found.message)
        self.issue = found


@dataclass
class Workbook:
    """The values of an opened workbook, as the safe opener hands them over."""

    file: str
    sheets: dict[str, Grid]
    tables: dict[str, tuple[str, str]] = field(default_factory=dict)  # table -> (sheet, "A4:H10")
    date1904: bool = False


@dataclass
class Return:
    """One partner's return, read: who, which period, the rows of each table and the forms."""

    file: str
    partner: str
    period: int
    generated_at: str
    tables: dict[str, list[RowRead]]
    forms: dict[str, RowRead]
    issues: list[Issue]
    sheets: dict[str, str] = field(default_factory=dict)  # table or form -> the sheet it was read from
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # table or form -> field -> column header
    currency: str = EUR  # what the Finance amounts were declared in (a template made before currencies: euros)

    def rows(self, table: str) -> list[dict[str, Any]]:
        return [r.values for r in self.tables.get(table, [])]

    def form(self, name: str) -> dict[str, Any]:
        read = self.forms.get(name)
        return read.values if read else {}


def read_meta(book: Workbook) -> dict[str, Any] | None:
    """The metadata sheet as a dict, found by name or (renamed) by its first key."""
    grid = book.sheets.get(META_SHEET)
    if grid is None:
        grid = next((g for g in book.sheets.values() if g and g[0] and g[0][0] == "schema_version"), None)
    if grid is None:
        return None
    return {str(row[0]): row[1] if len(row) > 1 else None for row in grid if row and row[0] not in (None, "")}


def kind_of(meta: Mapping[str, Any]) -> WorkbookKind:
    """What a workbook of ours is, by its metadata: a certificate says so; anything else is read as a return
    (templates made before kinds existed have none), and its seal then tells a kind that was edited."""
    return CERTIFICATE if meta.get("kind") == CERTIFICATE else RETURN


def currency_of(meta: Mapping[str, Any]) -> str | None:
    """The currency a workbook asks for amounts in; None for a template made before currencies (its amounts are euros)."""
    value = meta.get("currency")
    return str(value) if value not in (None, "") else None


def identify(book: Workbook, setup: ProjectSetup) -> tuple[str, int, dict[str, Any]]:
    """Partner and period of a return, after checking project, schema and the seal."""
    acronym = setup.project.acronym
    meta = read_meta(book)
    if meta is None:
        raise NotAReturn(issue("no-metadata", file=book.file, project=acronym))
    partner = str(meta.get("partner") or "")
    try:
        period = int(float(meta.get("period") or 0))
        schema = int(float(meta.get("schema_version") or 0))
    except (TypeError, ValueError):
        raise NotAReturn(issue("no-metadata", file=book.file, project=acronym)) from None
    where = {"file": book.file, "sheet": META_SHEET}
    if meta.get("project") != acronym:
        raise NotAReturn(issue("other-project", value=meta.get("project"), project=acronym, **where))
    if partner not in setup.lists()["partners"]:
        raise NotAReturn(issue("unknown-partner", value=partner, project=acronym, **where))
    if period not in [p.number for p in setup.periods]:
        raise NotAReturn(issue("other-period", value=period, **where))
    if schema < SCHEMA_VERSION:
        raise NotAReturn(issue("old-schema", value=schema, current=SCHEMA_VERSION, partner=partner, period=period, **where))
    expected = digest(setup, partner, period, str(meta.get("generated_at")), kind_of(meta), currency_of(meta) or EUR)
    if not hmac.compare_digest(expected, str(meta.get("digest") or "")):
        raise NotAReturn(issue("digest-mismatch", partner=partner, period=period, **where))
    return partner, period, meta


def _ref_rows(ref: str) -> tuple[int, int]:
    """0-based first and last row of an A1 range such as ``A4:H10``."""
    first, last = ref.split(":")
    return int("".join(ch for ch in first if ch.isdigit())) - 1, int("".join(ch for ch in last if ch.isdigit())) - 1


def _locate(book: Workbook, spec: TableSpec, layout: Mapping[str, Any], model: type[BaseModel]) -> tuple[str, int, int | None] | None:
    """(sheet, header row, end row exclusive) of a table in the return."""
    if spec.name in book.tables:
        sheet, ref = book.tables[spec.name]
        first, last = _ref_rows(ref)
        grid = book.sheets.get(sheet)
        if grid is not None and find_header_row(grid, model, start=first, stop=first + 1) == first:
            return sheet, first, last + 1
    candidates = [layout.get("tables", {}).get(spec.name, {}).get("sheet", spec.sheet), spec.sheet]
    candidates += [s for s in book.sheets if s not in candidates]
    for sheet in candidates:
        grid = book.sheets.get(sheet)
        if grid is None:
            continue
        header = find_header_row(grid, model)
        if header is not None:
            return sheet, header, _end_of(grid, header, spec)
    return None


def _locate_form(book: Workbook, name: str, model: type[FormRow], sheet: str, sheets: Mapping[str, str]) -> str | None:
    """The sheet a form is read from: the one the layout names, else (renamed) the one holding its labels.

    The FLC form sits under the Finance table, so it follows that table to a
    renamed sheet; otherwise the first sheet that shows at least half of the
    form's labels is taken, as a table is found by its header row.
    """
    if sheet in book.sheets:
        return sheet
    if name == FLC_FORM and FINANCE.name in sheets:
        return sheets[FINANCE.name]
    wanted = {norm_header(c.header) for c in columns(model)}
    need = max(1, (len(wanted) + 1) // 2)
    for candidate, grid in book.sheets.items():
        found = {norm_header(v) for row in grid for v in row if isinstance(v, str)} & wanted
        if len(found) >= need:
            return candidate
    return None


def _end_of(grid: Grid, header: int, spec: TableSpec) -> int | None:
    """Where a table found by its header ends: the Finance table stops at its totals row or the FLC block."""
    if spec is not FINANCE:
        return None
    labels = {norm_header(c.header) for c in columns(FlcForm)} | {norm_header(FLC_TITLE), norm_header(TOTAL_LABEL)}
    for r in range(header + 1, len(grid)):
        if grid[r] and norm_header(grid[r][0]) in labels:
            return r
    return None


def _finance_computed(setup: ProjectSetup) -> Any:
    """Office and administration as the template's formula computes it, when the file has no result."""
    staff: dict[str, Any] = {}
    staff_label, office_label = COST_CATEGORIES[0][1], COST_CATEGORIES[1][1]

    def fill(values: dict[str, Any]) -> dict[str, Any]:
        category = str(values.get("category", ""))
        if category == staff_label:
            staff["declared"] = values.get("declared")
        elif category.startswith(office_label) and values.get("declared") is None:
            return {**values, "declared": flat_rate(staff.get("declared") or Decimal(0), setup.project.office_flat_rate)}
        return values

    return fill


def _row_key(spec: TableSpec, value: Any) -> str:
    """The key of a prefilled row as the template records it: a cost category by its label
    (the office row's label carries the flat rate, "Office and administration (15 % of staff)")."""
    text = "" if value is None else str(value)
    if spec is FINANCE:
        return next((label for _, label in COST_CATEGORIES if text.startswith(label)), text)
    return text


def _template_keys(layout: Mapping[str, Any], setup: ProjectSetup, partner: str, specs: Sequence[TableSpec]) -> dict[str, list[str]]:
    """The keys of the prefilled rows the partner's template had, by table.

    A template records them in its metadata; one made before it did has the rows the
    setup gives the partner (the keys never depend on what was carried over).
    """
    recorded = {name: t["keys"] for name, t in layout.get("tables", {}).items() if isinstance(t, dict) and "keys" in t}
    if len(recorded) == sum(1 for spec in specs if spec.key):
        return {name: [str(k) for k in keys] for name, keys in recorded.items()}
    rows = prefilled_rows(setup, setup.partner(partner), Prefill())
    return {spec.name: [_row_key(spec, r[spec.key]) for r in rows[spec.name]] for spec in specs if spec.key}


def _row_problems(spec: TableSpec, key_field: str, rows: list[RowRead], expected: list[str], sheet: str, model: type[FormRow]) -> list[Issue]:
    """Every prefilled row of the template present once, and no other: a deleted row would
    silently drop what it reports (a deliverable vanishes from the master), an added one is unknown."""
    header = next(c.header for c in columns(model) if c.name == key_field)
    found: list[Issue] = []
    seen: set[str] = set()
    for row in rows:
        if row.values.get(key_field) is None or key_field not in row.cells:
            continue  # an emptied key cell is reported at its cell ("required")
        key = _row_key(spec, row.values[key_field])
        if key not in expected or key in seen:
            why = "appears a second time" if key in seen else "is not a row of your template"
            found.append(issue("unexpected-row", field=header, value=key, sheet=sheet, cell=row.cells[key_field], table=spec.title, why=why))
        seen.add(key)
    found += [issue("prefilled-row-missing", value=key, sheet=sheet, table=spec.title, locator=(spec.name, key, key_field))
              for key in expected if key not in seen]
    return found


def _located(found: Issue, table: str, key: str) -> Issue:
    if found.locator is None:
        return found
    return found.model_copy(update={"locator": (table, key, found.locator[2])})


def read_return(book: Workbook, setup: ProjectSetup) -> Return:
    """Identify the return and read all its tables and forms, collecting every issue."""
    partner, period_no, meta = identify(book, setup)
    period = setup.period(period_no)
    try:
        layout = json.loads(meta.get("layout") or "{}")
    except json.JSONDecodeError:
        layout = {}
    lists = setup.lists()
    win = windows(setup, period)
    tables_written = layout.get("tables", {})
    living_labs = not tables_written or any(spec.name in tables_written for spec in (LIVING_LABS, SELECTED_LABS))
    specs = workbook_tables(SELECTED_LABS.name in tables_written, living_labs)  # the tables its template was written with
    keys = _template_keys(layout, setup, partner, specs)
    tables: dict[str, list[RowRead]] = {}
    sheets: dict[str, str] = {}
    issues: list[Issue] = []
    currency = currency_of(meta)
    for spec in specs:
        model = table_model(spec, setup, currency)
        place = _locate(book, spec, layout, model)
        if place is None:
            issues.append(issue("missing-sheet", sheet=spec.sheet, table=spec.title))
            tables[spec.name] = []
            continue
        sheet, header, end = place
        sheets[spec.name] = sheet
        ctx = ReadContext(sheet=sheet, lists=lists, windows=win, date1904=book.date1904, note_text_numbers=True)
        computed = _finance_computed(setup) if spec is FINANCE else None
        read = read_table(book.sheets[sheet], model, ctx, header_row=header, end_row=end, computed=computed)
        tables[spec.name] = read.rows
        issues += [i for i in read.issues if i.locator is None]
        if spec.key is not None and read.header_row is not None:
            issues += _row_problems(spec, spec.key, read.rows, keys[spec.name], sheet, model)
        for n, row in enumerate(read.rows):
            key = str(row.values.get(spec.key, "")) if spec.key else str(n)
            row.issues = [_located(i, spec.name, key) for i in row.issues]
            issues += row.issues
    forms: dict[str, RowRead] = {}
    for name, model, default_sheet in FORMS:
        sheet = _locate_form(book, name, model, layout.get("forms", {}).get(name, {}).get("sheet", default_sheet), sheets)
        grid = book.sheets.get(sheet) if sheet is not None else None
        if sheet is None or grid is None:
            issues.append(issue("missing-sheet", sheet=default_sheet, table=name))
            continue
        ctx = ReadContext(sheet=sheet, lists=lists, windows=win, date1904=book.date1904, note_text_numbers=True)
        read, form_issues = read_form(grid, model, ctx)
        form_issues = [_located(i, name, "") for i in form_issues]
        read.issues = form_issues
        forms[name] = read
        sheets[name] = sheet
        issues += form_issues
    issues = [i.model_copy(update={"file": book.file, "partner": partner, "period": period_no}) for i in issues]
    headers = {spec.name: {c.name: c.header for c in columns(table_model(spec, setup, currency))} for spec in specs}
    headers.update({name: {c.name: c.header for c in columns(form_model)} for name, form_model, _ in FORMS})
    return Return(book.file, partner, period_no, str(meta.get("generated_at")), tables, forms, issues, sheets, headers, currency or EUR)

