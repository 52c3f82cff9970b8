"""A partner fills in the template in real LibreOffice and saves it as .xlsx and .ods.

The input cells come from the template's own ``_nc_meta`` layout, the values are
typed through LibreOffice's API into the protected sheets (tests/lo/lo_fill.py),
and the saved files are read back with python-calamine, as intake reads returns.

Needs soffice and a Python with LibreOffice's uno module (Debian:
libreoffice-calc-nogui, python3-uno). Skipped when they are missing, except
under CI=true, where their absence is a failure.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from lo.lo import convert, fill_with_libreoffice, require_soffice
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from nc_excel.excel.schema import columns
from nc_excel.partner.schema import (
    META_SHEET,
    TABLES,
    Prefill,
    SubmissionForm,
    criterion_field,
    status_required,
    table_model,
)
from nc_excel.partner.write import prefilled_rows, write_partner_workbook
from nc_excel.setup.currency import rate_of
from nc_excel.setup.demo import northern_connections
from nc_excel.setup.models import Criterion, ProjectSetup

GENERATED_AT = dt.datetime(2017, 9, 1, 9, 0)
PARTNER = "AAL"
PERIOD = 1
HYPERLINK = '=HYPERLINK("http://x")'
STAFF = 10001.30  # x 15 % = 1500.195: ROUNDDOWN gives 1500.19 where ROUND would give 1500.20


@pytest.fixture(scope="module")
def setup() -> ProjectSetup:
    return northern_connections("k")


@dataclass
class Table:
    sheet: str
    first: int  # first data row, 1-based
    last: int
    columns: dict[str, str]

    def cell(self, field: str, index: int) -> str:
        return f"{self.columns[field]}{self.first + index}"

    @property
    def rows(self) -> int:
        return self.last - self.first + 1


def read_meta(path: Path) -> list[list[Any]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(META_SHEET).to_python()


def layout_of(meta: list[list[Any]]) -> dict[str, Any]:
    assert meta[6][0] == "layout"
    return json.loads(meta[6][1])


def tables_of(layout: dict[str, Any]) -> dict[str, Table]:
    out = {}
    for name, t in layout["tables"].items():
        last = int(re.fullmatch(r"[A-Z]+\d+:[A-Z]+(\d+)", t["ref"]).group(1))
        out[name] = Table(t["sheet"], t["header_row"] + 2, last, t["columns"])
    return out


def split(ref: str) -> tuple[int, int]:
    """A1 reference -> 0-based (row, column)."""
    letters, digits = re.fullmatch(r"([A-Z]+)(\d+)", ref).groups()
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(digits) - 1, col - 1


class Filled:
    """What the partner typed, and where; the returned files to read back."""

    def __init__(self, template: Path, layout: dict[str, Any]) -> None:
        self.template = template
        self.layout = layout
        self.tables = tables_of(layout)
        self.cells: list[dict[str, Any]] = []
        self.expected: dict[tuple[str, str], Any] = {}
        self.outputs: dict[str, Path] = {}

    def type(self, sheet: str, cell: str, value: Any, kind: str, expect: Any = None) -> None:
        self.cells.append({"sheet": sheet, "cell": cell, "value": value, "type": kind})
        if expect is None:
            expect = {"number": float(value) if kind == "number" else None,
                      "date": dt.date.fromisoformat(str(value)) if kind == "date" else None}.get(kind, value)
        self.expected[(sheet, cell)] = expect


def partner_entries(f: Filled, criteria: Sequence[Criterion]) -> None:
    """A partner's return: every kind of input cell, through every typing mode."""
    progress = f.tables["Progress"]
    statuses = ["In progress", "Done", "Delayed", "Not started"]
    for i in range(progress.rows):
        f.type(progress.sheet, progress.cell("status", i), statuses[i % 4], "text")
        f.type(progress.sheet, progress.cell("percent_complete", i), 10 * (i + 1), "number")
        f.type(progress.sheet, progress.cell("achievements", i), f"Row {i + 1}: workshops held; 1.234,56 EUR spent.", "text")
    # typed like a user: a number in a number cell, text in text cells stays text
    f.type(progress.sheet, progress.cell("problems", 0), "Delays in WP1; see 2017-10-31", "typed")
    f.type(progress.sheet, progress.cell("next_period", 0), "1234.56", "typed", "1234.56")  # text-formatted cell

    deliverables = f.tables["Deliverables"]
    f.type(deliverables.sheet, deliverables.cell("status", 0), "Done", "text")
    f.type(deliverables.sheet, deliverables.cell("date", 0), "2017-05-31", "date")
    f.type(deliverables.sheet, deliverables.cell("status", 1), "In progress", "typed")
    f.type(deliverables.sheet, deliverables.cell("date", 1), "2017-10-31", "typed", dt.date(2017, 10, 31))  # recognised as a date

    indicators = f.tables["Indicators"]
    for i in range(indicators.rows):
        f.type(indicators.sheet, indicators.cell("achieved", i), i + 1.5, "number")
    f.type(indicators.sheet, indicators.cell("comment", 0), "3 of 4 events", "typed")

    finance = f.tables["Finance"]
    f.type(finance.sheet, finance.cell("declared", 0), STAFF, "number")  # staff costs
    f.type(finance.sheet, finance.cell("declared", 2), "2500.5", "typed", 2500.5)  # travel, typed

    form = f.layout["forms"]["Submission"]
    sheet, cells = form["sheet"], form["cells"]
    f.type(sheet, cells["contact_name"], "Mette Sørensen", "text")
    f.type(sheet, cells["contact_email"], "mette@aalborg.dk", "text")
    f.type(sheet, cells["phone"], "0045 99 31 31 31", "typed")
    f.type(sheet, cells["submitted_on"], "2017-10-12", "date")
    f.type(sheet, cells["confirm"], "Yes", "text")

    labs = f.tables["LivingLabs"]
    rows = [
        {"name": HYPERLINK, "municipality": "Aalborg", "region": "Nordjylland", "theme": "Energy",
         "description": "Harbour district; 1.234,56 m² of test area", "lead_organisation": "Aalborg Kommune",
         "companies": 12, "contact": "=1+1"},
        {"name": "Hirtshals port", "municipality": "Hjørring", "region": "Nordjylland", "theme": "Mobility",
         "description": "=cmd|' /C calc'!A0", "lead_organisation": "House of Energy", "companies": 3, "contact": "'quoted"},
    ]
    for i, row in enumerate(rows):
        for field, value in row.items():
            kind = "number" if isinstance(value, int) else "text"
            f.type(labs.sheet, labs.cell(field, i), value, kind)
        for criterion in criteria:
            field = criterion_field(criterion.key)
            if criterion.kind == "score":
                f.type(labs.sheet, labs.cell(field, i), criterion.scale_max - i, "number")
            else:
                f.type(labs.sheet, labs.cell(field, i), "Yes" if i == 0 else "No", "text")
    # typed into text-formatted cells: formulas and quotes stay as typed
    f.type(labs.sheet, labs.cell("contact", 2), "=1+1", "typed")
    f.type(labs.sheet, labs.cell("lead_organisation", 2), HYPERLINK, "typed")
    f.type(labs.sheet, labs.cell("companies", 2), "7", "typed", 7.0)  # a number cell: a number
    f.type(labs.sheet, labs.cell("crit_users", 2), 4, "number")


@pytest.fixture(scope="module")
def filled(setup: ProjectSetup, tmp_path_factory: pytest.TempPathFactory) -> Filled:
    require_soffice()
    folder = tmp_path_factory.mktemp("lo_fill")
    template = folder / f"NC_P{PERIOD}_{PARTNER}.xlsx"
    write_partner_workbook(template, setup, PARTNER, PERIOD, generated_at=GENERATED_AT)
    f = Filled(template, layout_of(read_meta(template)))
    partner_entries(f, setup.criteria)
    f.outputs = {"xlsx": folder / "return.xlsx", "ods": folder / "return.ods"}
    fill_with_libreoffice(template, f.cells, list(f.outputs.values()))
    return f


@pytest.fixture(scope="module", params=["xlsx", "ods"])
def returned(request: pytest.FixtureRequest, filled: Filled) -> tuple[str, CalamineWorkbook]:
    fmt = request.param
    return fmt, CalamineWorkbook.from_path(str(filled.outputs[fmt]), load_tables=fmt == "xlsx")


def values(wb: CalamineWorkbook, sheet: str) -> list[list[Any]]:
    return wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def at(grid: list[list[Any]], ref: str) -> Any:
    r, c = split(ref)
    return grid[r][c] if r < len(grid) and c < len(grid[r]) else ""


def test_typed_values_are_in_their_cells(filled: Filled, returned: tuple[str, CalamineWorkbook]) -> None:
    fmt, wb = returned
    grids = {sheet: values(wb, sheet) for sheet in {s for s, _ in filled.expected}}
    got = {(sheet, ref): at(grids[sheet], ref) for sheet, ref in filled.expected}
    wrong = {k: (got[k], v) for k, v in filled.expected.items() if got[k] != v or type(got[k]) is not type(v)}
    assert not wrong, f"{fmt}: cell: (read back, typed): {wrong}"


def test_untouched_input_cells_stay_empty(filled: Filled, returned: tuple[str, CalamineWorkbook]) -> None:
    fmt, wb = returned
    labs = filled.tables["LivingLabs"]
    grid = values(wb, labs.sheet)
    for i in range(3, labs.rows):
        row = [at(grid, labs.cell(field, i)) for field in labs.columns]
        assert row == [""] * len(row), f"{fmt}: living-lab row {i + 1} should be empty"


def test_formulas_are_recalculated(filled: Filled, setup: ProjectSetup, returned: tuple[str, CalamineWorkbook]) -> None:
    fmt, wb = returned
    fin = filled.tables["Finance"]
    grid = values(wb, fin.sheet)
    rate = setup.project.office_flat_rate
    office = (Decimal(str(STAFF)) * rate / 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    assert at(grid, fin.cell("declared", 1)) == pytest.approx(float(office), abs=1e-9)
    assert float(office) == pytest.approx(1500.19)  # ROUNDDOWN, not ROUND
    # Aalborg declares in DKK: the euros are at the rate of the month of submission (typed 12 October 2017), looked up in the workbook.
    exchange = rate_of(setup.rates, "DKK", dt.date(2017, 10, 12))
    assert values(wb, "Start")[8][1] == pytest.approx(float(exchange))
    for i in range(fin.rows):
        budget, previous = at(grid, fin.cell("budget", i)), at(grid, fin.cell("previous", i))
        declared = at(grid, fin.cell("declared", i)) or 0.0
        euros = (Decimal(str(declared)) / exchange).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert at(grid, fin.cell("declared_eur", i)) == pytest.approx(float(euros)), (fmt, i)
        cumulative = previous + float(euros)
        assert at(grid, fin.cell("cumulative", i)) == pytest.approx(cumulative), (fmt, i)
        assert at(grid, fin.cell("remaining", i)) == pytest.approx(budget - cumulative), (fmt, i)
        absorption = 0 if budget == 0 else float((Decimal(str(cumulative)) / Decimal(str(budget))).quantize(Decimal("0.001")))  # a fraction, shown as 0.0%
        assert at(grid, fin.cell("absorption", i)) == pytest.approx(absorption), (fmt, i)
    assert at(grid, fin.cell("cumulative", 0)) == pytest.approx(float((Decimal(str(STAFF)) / exchange).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)))

    ind = filled.tables["Indicators"]
    grid = values(wb, ind.sheet)
    for i in range(ind.rows):
        expected = at(grid, ind.cell("previous", i)) + i + 1.5
        assert at(grid, ind.cell("cumulative", i)) == pytest.approx(expected), (fmt, i)


def test_missing_count_is_recalculated(filled: Filled, setup: ProjectSetup, returned: tuple[str, CalamineWorkbook]) -> None:
    """The Start sheet's to-do count: LibreOffice's COUNTBLANK agrees with the blanks read back."""
    fmt, wb = returned
    blanks = 0
    for spec in TABLES:
        if spec.key is None:
            continue
        table = filled.tables[spec.name]
        grid = values(wb, table.sheet)
        required = [c.name for c in columns(table_model(spec, setup)) if c.col.input and c.required]
        blanks += sum(1 for name in required for i in range(table.rows) if at(grid, table.cell(name, i)) == "")
    form = filled.layout["forms"]["Submission"]
    start = values(wb, form["sheet"])
    blanks += sum(1 for c in columns(SubmissionForm) if c.required and at(start, form["cells"][c.name]) == "")
    deliverables, period = filled.tables["Deliverables"], setup.period(PERIOD)
    due = [d["due"] for d in prefilled_rows(setup, setup.partner(PARTNER), Prefill())["Deliverables"]]
    grid = values(wb, deliverables.sheet)
    blanks += sum(1 for i in range(deliverables.rows) if at(grid, deliverables.cell("status", i)) == "" and status_required(due[i], period))
    sheet, ref = filled.layout["missing_count"].split("!")
    # untouched: the statuses of the deliverables due by the period's end (the rest are optional), 3 cost lines
    assert blanks == sum(status_required(d, period) for d in due[2:]) + 3
    assert at(values(wb, sheet), ref) == blanks


def test_metadata_sheet_survives(filled: Filled, returned: tuple[str, CalamineWorkbook]) -> None:
    fmt, wb = returned
    visibility = {m.name: m.visible for m in wb.sheets_metadata}
    # LibreOffice has no "very hidden": the sheet comes back merely hidden.
    assert visibility[META_SHEET] in (SheetVisibleEnum.Hidden, SheetVisibleEnum.VeryHidden), visibility
    assert visibility["Lists"] == SheetVisibleEnum.Hidden
    assert [name for name, v in visibility.items() if v == SheetVisibleEnum.Visible] == [
        "Start", "Progress", "Deliverables", "Indicators", "Finance", "Living Labs"]
    assert values(wb, META_SHEET)[:7] == read_meta(filled.template)[:7]


def test_excel_tables_found_by_name(filled: Filled) -> None:
    wb = CalamineWorkbook.from_path(str(filled.outputs["xlsx"]), load_tables=True)
    assert sorted(wb.table_names) == sorted(filled.layout["tables"])
    for name, spec in filled.layout["tables"].items():
        table = wb.get_table_by_name(name)
        assert table.sheet == spec["sheet"]
        assert table.columns[0] == openpyxl.load_workbook(filled.template)[spec["sheet"]].cell(spec["header_row"] + 1, 1).value
        assert table.height == filled.tables[name].rows
    finance = wb.get_table_by_name("Finance").to_python()
    declared = list(filled.layout["tables"]["Finance"]["columns"]).index("declared")
    assert finance[0][declared] == pytest.approx(STAFF)


def test_formula_text_stays_text(filled: Filled) -> None:
    """``=HYPERLINK(..)``, ``=1+1`` and ``=cmd|..`` typed by the partner are text in both files, not formulas."""
    with zipfile.ZipFile(filled.outputs["xlsx"]) as z:
        sheets = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")}
    formulas = [f for xml in sheets.values() for f in re.findall(r"<f[^>]*>([^<]*)</f>", xml)]
    assert formulas, "the template's own formulas should be there"
    assert not [f for f in formulas if "HYPERLINK" in f or "cmd" in f or f == "1+1"]
    with zipfile.ZipFile(filled.outputs["ods"]) as z:
        content = z.read("content.xml").decode()
    ods_formulas = re.findall(r'table:formula="([^"]*)"', content)
    assert ods_formulas
    assert not [f for f in ods_formulas if "HYPERLINK" in f or "cmd" in f or f.endswith("=1+1")]


def test_locked_cell_cannot_be_typed_into(filled: Filled, tmp_path: Path) -> None:
    """As in Calc's UI, a locked cell of a protected sheet refuses input: the fill fails."""
    progress = filled.tables["Progress"]
    with pytest.raises(RuntimeError, match="locked on a protected sheet"):
        fill_with_libreoffice(filled.template, [{"sheet": progress.sheet, "cell": progress.cell("title", 0), "value": "x", "type": "text"}],
                              [tmp_path / "never.xlsx"])
    assert not (tmp_path / "never.xlsx").exists()


def test_validation_refuses_what_calc_would_refuse(filled: Filled, tmp_path: Path) -> None:
    """Typed as the Start sheet suggests (1.234,56 and 31.10.2017), an en-US Calc does not
    recognise them: they stay text, which the number and date rules refuse."""
    fin, deliverables = filled.tables["Finance"], filled.tables["Deliverables"]
    cells = [
        {"sheet": fin.sheet, "cell": fin.cell("declared", 3), "value": "1.234,56", "type": "typed"},
        {"sheet": deliverables.sheet, "cell": deliverables.cell("date", 2), "value": "31.10.2017", "type": "typed"},
        {"sheet": deliverables.sheet, "cell": deliverables.cell("date", 3), "value": "2099-01-01", "type": "date"},  # outside the project
        {"sheet": fin.sheet, "cell": fin.cell("declared", 2), "value": "1234.56", "type": "typed"},  # fine
    ]
    with pytest.raises(RuntimeError) as refused:
        fill_with_libreoffice(filled.template, cells, [tmp_path / "never.xlsx"])
    message = str(refused.value)
    assert all(f"!{c['cell']} = " in message for c in cells[:3]), message
    assert f"!{cells[3]['cell']} = " not in message
    assert not (tmp_path / "never.xlsx").exists()

    fill_with_libreoffice(filled.template, cells, [tmp_path / "pasted.xlsx"], validation="ignore")
    grid = values(CalamineWorkbook.from_path(str(tmp_path / "pasted.xlsx")), fin.sheet)
    assert at(grid, fin.cell("declared", 3)) == "1.234,56"
    assert at(grid, fin.cell("declared", 2)) == 1234.56


@pytest.fixture(scope="module")
def all_templates(setup: ProjectSetup, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("templates")
    paths = []
    for partner in setup.partners:
        path = folder / f"NC_P{PERIOD}_{partner.code}.xlsx"
        write_partner_workbook(path, setup, partner.code, PERIOD, generated_at=GENERATED_AT)
        paths.append(path)
    return paths


def test_every_template_converts_to_pdf(all_templates: list[Path], tmp_path: Path) -> None:
    require_soffice()
    assert len(all_templates) == 21
    pdfs = convert(all_templates, "pdf", tmp_path / "pdf")
    assert [p.stem for p in pdfs] == [p.stem for p in all_templates]
    for pdf in pdfs:
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:], pdf
        assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 6, pdf  # at least a page per printed sheet


def _operand(formula: str | None) -> Any:
    """A validation bound as a comparable value: 0.0 and 0 alike; ``'Lists'!$A$2`` and ``Lists!A2`` alike."""
    if formula is None:
        return None
    try:
        return float(formula)
    except ValueError:
        return re.sub(r"'([A-Za-z_]\w*)'!", r"\1!", formula.replace("$", ""))


def _validations(path: Path) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(sheet, cell) -> the validation rule on that cell, as openpyxl reads it."""
    wb = openpyxl.load_workbook(path)
    rules = {}
    for ws in wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            operator = dv.operator or "between"
            # LibreOffice writes a "0" second operand where one is meaningless
            f2 = _operand(dv.formula2) if dv.type != "list" and operator in ("between", "notBetween") else None
            rule = (dv.type, operator, _operand(dv.formula1), f2, dv.allow_blank, dv.showErrorMessage, dv.errorStyle or "stop",
                    dv.error, dv.prompt)
            for rng in dv.sqref.ranges:
                for row in ws.iter_rows(min_row=rng.min_row, max_row=rng.max_row, min_col=rng.min_col, max_col=rng.max_col):
                    for cell in row:
                        rules[(ws.title, cell.coordinate)] = rule
    return rules


def _protection(path: Path) -> dict[str, Any]:
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        p = ws.protection
        out[ws.title] = {
            "sheet": p.sheet, "formatColumns": p.formatColumns, "formatRows": p.formatRows,
            "selectLockedCells": p.selectLockedCells, "selectUnlockedCells": p.selectUnlockedCells,
            "insertRows": p.insertRows, "deleteRows": p.deleteRows, "formatCells": p.formatCells,
        }
    return out


def test_libreoffice_resave_keeps_validations_and_protection(all_templates: list[Path], setup: ProjectSetup, tmp_path: Path) -> None:
    require_soffice()
    template = next(p for p in all_templates if p.stem.endswith(PARTNER))
    (resaved,) = convert([template], "xlsx", tmp_path / "resaved")
    layout = layout_of(read_meta(template))
    tables = tables_of(layout)
    input_cells = []
    for spec in TABLES:
        t = tables[spec.name]
        for c in columns(table_model(spec, setup)):
            if c.col.input:
                input_cells += [(t.sheet, t.cell(c.name, i)) for i in range(t.rows)]
    for form in layout["forms"].values():
        input_cells += [(form["sheet"], ref) for ref in form["cells"].values()]
    input_cells.remove(("Finance", tables["Finance"].cell("declared", 1)))  # the office line is a formula

    before, after = _validations(template), _validations(resaved)
    validated = [c for c in input_cells if c in before]
    assert len(validated) > 0.9 * len(input_cells)
    lost = [c for c in validated if c not in after]
    assert not lost, f"validations LibreOffice dropped: {lost[:10]}"
    changed = {(before[c], after[c]) for c in validated if before[c] != after[c]}
    assert not changed, f"validations LibreOffice changed: {changed}"

    assert _protection(resaved) == _protection(template)
    wb = openpyxl.load_workbook(resaved)
    for sheet, ref in input_cells:
        assert wb[sheet][ref].protection.locked is False, (sheet, ref)
    for name, t in tables.items():
        key = next(iter(t.columns))
        if name != "LivingLabs":
            assert wb[t.sheet][t.cell(key, 0)].protection.locked is True, (name, key)
    assert wb[META_SHEET].sheet_state in ("hidden", "veryHidden")
