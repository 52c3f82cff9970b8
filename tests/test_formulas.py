"""Each computed figure of the partner workbook is one formula with two readings: the
Excel text its cell holds, and the Decimal that nc-excel computes from the same
definition (for the result cached beside the formula, the carry-over to the next
period and the intake checks). These tests show both readings and that a real
spreadsheet application agrees with the Python one.

The LibreOffice test needs soffice and a Python with uno (see tests/lo/lo.py); it
is skipped without them, except under CI=true.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import GENERATED_AT
from lo.lo import fill_with_libreoffice, require_soffice
from openpyxl.utils import column_index_from_string
from python_calamine import CalamineWorkbook

from nc_excel.excel.formula import AsNumber, Expr, Ref, RoundDown, Share
from nc_excel.excel.parse import parse_number
from nc_excel.excel.read import RowRead
from nc_excel.excel.schema import columns, evaluate_formulas
from nc_excel.partner.prefill import prefill_from
from nc_excel.partner.read import Return
from nc_excel.partner.schema import (
    FINANCE,
    INDICATORS,
    META_SHEET,
    TABLES,
    TOTAL_LABEL,
    FinanceRow,
    Prefill,
    TableSpec,
    table_model,
)
from nc_excel.partner.write import write_partner_workbook
from nc_excel.setup.models import (
    COST_CATEGORIES,
    ProjectSetup,
    flat_rate,
    flat_rate_formula,
)
from nc_excel.workspace import Workspace

D = Decimal


def cells(**refs: str):
    return refs.__getitem__


def values(**numbers: Any):
    return {k: D(str(v)) for k, v in numbers.items()}.__getitem__


# The expression type: Excel text and Decimal result of the same tree.

def test_a_formula_is_excel_text_and_a_decimal_result() -> None:
    cumulative = Ref("previous") + Ref("declared")
    assert cumulative.excel(cells(previous="C5", declared="D5")) == "=C5+D5"
    assert cumulative.evaluate(values(previous="0.10", declared="0.20")) == D("0.30")  # exact: no binary floats


@pytest.mark.parametrize("formula, text, result", [
    (Ref("a") + Ref("b") * Ref("c"), "=A1+B1*C1", 22),
    ((Ref("a") + Ref("b")) * Ref("c"), "=(A1+B1)*C1", 34),
    (Ref("a") - Ref("b") - Ref("c"), "=A1-B1-C1", 5),
    (Ref("a") - (Ref("b") - Ref("c")), "=A1-(B1-C1)", 9),
    (Ref("a") / (Ref("b") * Ref("c")), "=A1/(B1*C1)", D("1.2")),
    (Ref("a") * Ref("b") / 100, "=A1*B1/100", D("0.6")),
])
def test_parentheses_are_written_where_excel_needs_them(formula: Expr, text: str, result: Decimal) -> None:
    assert formula.excel(cells(a="A1", b="B1", c="C1")) == text
    assert formula.evaluate(values(a=12, b=5, c=2)) == result


def test_rounddown_cuts_towards_zero_as_excel_does() -> None:
    office = RoundDown(Ref("staff") * 15 / 100, 2)
    assert office.excel(cells(staff="D5")) == "=ROUNDDOWN(D5*15/100,2)"
    assert office.evaluate(values(staff="10001.30")) == D("1500.19")  # 1500.195: ROUND would give 1500.20
    assert office.evaluate(values(staff="-10001.30")) == D("-1500.19")


def test_a_share_is_a_fraction_to_a_tenth_of_a_percent_and_0_of_nothing() -> None:
    absorption = Share(Ref("cumulative"), Ref("budget"))
    assert absorption.excel(cells(cumulative="E5", budget="B5")) == "=IF(B5=0,0,ROUND(E5/B5,3))"
    assert absorption.evaluate(values(cumulative=4900, budget=40000)) == D("0.123")  # 0.1225: half away from zero, as ROUND
    assert absorption.evaluate(values(cumulative=-4900, budget=40000)) == D("-0.123")
    assert absorption.evaluate(values(cumulative=100, budget=0)) == 0  # an empty budget line, not #DIV/0!


def test_an_input_typed_as_text_is_read_as_a_number_by_the_formula_too() -> None:
    """A number passes as it is; text goes through NUMBERVALUE with the separators intake would pick."""
    text = AsNumber(Ref("declared")).excel(cells(declared="D5"))
    assert text.startswith("=IF(ISNUMBER(D5),D5,IFERROR(_xlfn.NUMBERVALUE(SUBSTITUTE(D5,\"€\",\"\"),")
    assert AsNumber(Ref("declared")).evaluate(values(declared="12345.67")) == D("12345.67")


def test_the_flat_rate_is_one_formula_for_the_template_and_for_python() -> None:
    formula = flat_rate_formula(Ref("staff"), D(15))
    assert formula.excel(cells(staff="D5")) == "=ROUNDDOWN(D5*15/100,2)"
    assert flat_rate(D("10001.30"), D(15)) == formula.evaluate(values(staff="10001.30")) == D("1500.19")
    assert flat_rate_formula(Ref("staff"), D("12.5")).excel(cells(staff="D5")) == "=ROUNDDOWN(D5*12.5/100,2)"


def test_a_rows_formula_columns_are_evaluated_left_to_right() -> None:
    """Remaining budget uses the cumulative computed just before it; a stale value is replaced."""
    row = {"category": "Travel", "budget": D(1000), "previous": D(100), "declared": D("150.50"), "cumulative": D(999)}
    assert evaluate_formulas(FinanceRow, row) == {
        **row, "cumulative": D("250.50"), "remaining": D("749.50"), "absorption": D("0.251")}


# The partner template: what its computed cells contain.

def as_number(cell: str) -> str:
    """An input cell read as intake reads it, text included (``AsNumber``)."""
    return AsNumber(Ref("x")).text(lambda _: cell)


COMPUTED = {
    ("Indicators", "cumulative"): "={previous}+" + as_number("{achieved}"),
    ("Finance", "cumulative"): "={previous}+" + as_number("{declared}"),
    ("Finance", "remaining"): "={budget}-{cumulative}",
    ("Finance", "absorption"): "=IF({budget}=0,0,ROUND({cumulative}/{budget},3))",
}
"""Every formula column of the partner tables, as its cells read with each field's cell in the same row."""


def layout(wb: openpyxl.Workbook) -> dict[str, Any]:
    meta = {row[0].value: row[1].value for row in wb[META_SHEET].iter_rows(max_col=2)}
    return json.loads(meta["layout"])


def data_rows(place: dict[str, Any]) -> range:
    """1-based sheet rows of a table's data, from its layout entry."""
    last = int("".join(ch for ch in place["ref"].split(":")[1] if ch.isdigit()))
    return range(place["header_row"] + 2, last + 1)


def row_cells(place: dict[str, Any], row: int) -> dict[str, str]:
    return {name: f"{letter}{row}" for name, letter in place["columns"].items()}


def test_every_computed_column_is_listed(demo_setup: ProjectSetup) -> None:
    found = {(spec.name, c.name) for spec in TABLES for c in columns(table_model(spec, demo_setup)) if c.col.formula is not None}
    assert found == set(COMPUTED)


def test_each_computed_cell_holds_its_columns_formula(demo_project: Workspace, demo_setup: ProjectSetup) -> None:
    wb = openpyxl.load_workbook(demo_project.outbox(1) / "NC_P1_FHH.xlsx")
    tables = layout(wb)["tables"]
    for (table, name), text in COMPUTED.items():
        spec = next(s for s in TABLES if s.name == table)
        formula = next(c.col.formula for c in columns(table_model(spec, demo_setup)) if c.name == name)
        place = tables[table]
        for row in data_rows(place):
            refs = row_cells(place, row)
            cell = wb[place["sheet"]][refs[name]].value
            assert cell == text.format(**refs) == formula.excel(refs.__getitem__), (table, name, row)


def test_office_and_administration_holds_the_flat_rate_formula(demo_project: Workspace, demo_setup: ProjectSetup) -> None:
    wb = openpyxl.load_workbook(demo_project.outbox(1) / "NC_P1_FHH.xlsx")
    place = layout(wb)["tables"][FINANCE.name]
    staff, office = (row_cells(place, row)["declared"] for row in data_rows(place)[:2])
    rate = demo_setup.project.office_flat_rate
    assert wb[place["sheet"]][office].value == f"=ROUNDDOWN({as_number(staff)}*15/100,2)"
    assert wb[place["sheet"]][office].value == flat_rate_formula(AsNumber(Ref("staff")), rate).excel(cells(staff=staff))


# Carried over to the next period: what the earlier periods reported, added up.

def test_next_periods_before_adds_up_every_earlier_period(demo_setup: ProjectSetup) -> None:
    """The period-3 template starts from periods 1 and 2 together; period 2's own "before" is not trusted: it was
    made before period 1's late return came in, so it says 0."""

    def sent(period: int, step: int, previous: str, achieved: str) -> Return:
        finance = [RowRead(4 + i, {"category": label, "budget": D(1000), "previous": D(previous), "declared": D(step * i)}, None)
                   for i, (_, label) in enumerate(COST_CATEGORIES)]
        indicators = [RowRead(4, {"code": "O1", "previous": D(previous), "achieved": D(achieved)}, None)]
        return Return(f"P{period}.xlsx", "FHH", period, "", {FINANCE.name: finance, INDICATORS.name: indicators}, {}, [])

    prefill = prefill_from([sent(2, 10, "0", "1.25"), sent(1, 1, "0", "2.5")], demo_setup)
    assert prefill.indicators == {"O1": D("3.75")}
    assert prefill.finance == {key: 11 * i for i, (key, _) in enumerate(COST_CATEGORIES)}
    assert prefill_from([], demo_setup) == Prefill()


# LibreOffice: a filled-in template, recalculated, gives what Python evaluates.

TEXT_TYPED = {  # Finance row -> declared this period, pasted as text in the forms partners use
    0: "12.345,67",  # staff: European separators
    2: "1 234,50",  # travel: a space groups thousands
    3: "1,234,567.89",  # external: English separators
    4: "€ 250",  # equipment: a euro sign
    5: "1.234.567",  # infrastructure: points group thousands
}


def test_amounts_pasted_as_text_compute_in_libreoffice_as_intake_reads_them(demo_setup: ProjectSetup, tmp_path: Path) -> None:
    """No #VALUE! in the partner's own workbook: its cumulative and office lines show what the master will."""
    require_soffice()
    template = tmp_path / "NC_P1_FHH.xlsx"
    write_partner_workbook(template, demo_setup, "FHH", 1, generated_at=GENERATED_AT,
                           prefill=Prefill(finance={"staff": D(1000)}))
    tables = layout(openpyxl.load_workbook(template))["tables"]
    fin, ind = tables[FINANCE.name], tables[INDICATORS.name]
    rows = data_rows(fin)
    typed = [{"sheet": fin["sheet"], "cell": row_cells(fin, rows[i])["declared"], "value": v, "type": "text"} for i, v in TEXT_TYPED.items()]
    typed.append({"sheet": ind["sheet"], "cell": row_cells(ind, data_rows(ind)[0])["achieved"], "value": "2,5", "type": "text"})
    fill_with_libreoffice(template, typed, [tmp_path / "return.xlsx"], validation="ignore")  # pasting skips validation

    wb = CalamineWorkbook.from_path(str(tmp_path / "return.xlsx"))
    shown = {name: wb.get_sheet_by_name(name).to_python() for name in (fin["sheet"], ind["sheet"])}
    assert not [v for grid in shown.values() for row in grid for v in row if isinstance(v, str) and v.startswith(("#", "Err:"))]
    finance = sheet_rows(wb, fin, demo_setup, FINANCE)
    assert [r["cumulative"] for r in finance] == [
        D("1000") + parse_number(TEXT_TYPED[0]), flat_rate(parse_number(TEXT_TYPED[0]), demo_setup.project.office_flat_rate),
        *(parse_number(TEXT_TYPED[i]) for i in (2, 3, 4, 5))]
    assert sheet_rows(wb, ind, demo_setup, INDICATORS)[0]["cumulative"] == D("2.5")
    # the totals row under the table counts the pasted amounts too: what the FLC certificate must tie to
    grid = shown[fin["sheet"]]
    total = {name: grid[rows[-1]][column_index_from_string(letter) - 1] for name, letter in fin["columns"].items()}  # 0-based: the row after the last
    declared = sum(r["cumulative"] for r in finance) - 1000
    assert total["category"] == TOTAL_LABEL
    assert agree(number(total["declared"]), declared) and agree(number(total["cumulative"]), declared + 1000)
    assert agree(number(total["remaining"]), sum(r["remaining"] for r in finance))


TRAVEL_BUDGET = D(40000)
TYPED = {  # Finance row -> declared this period
    0: 10001.30,  # staff: the office line becomes 1500.195, cut to 1500.19
    2: 4900,  # travel: 12.25 % of its budget, shown as 12.3 % (0.123)
    3: -250.50,  # external: a correction below what was declared before
    5: 100,  # infrastructure: no budget, so 0 % (not #DIV/0!)
}
ACHIEVED = [1.25, 0, 3]


@pytest.fixture(scope="module")
def recalculated(demo_setup: ProjectSetup, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Path]]:
    """FHH's period-1 template with amounts carried over, filled in and saved by LibreOffice."""
    require_soffice()
    setup = demo_setup.model_copy(deep=True)
    setup.partner("FHH").budget_travel = TRAVEL_BUDGET
    indicators = [i.code for i in setup.indicators if "FHH" in i.partners]
    prefill = Prefill(indicators={indicators[0]: D("2.5")}, finance={"external": D(1000), "infrastructure": D(0)})
    folder = tmp_path_factory.mktemp("formulas")
    template = folder / "NC_P1_FHH.xlsx"
    write_partner_workbook(template, setup, "FHH", 1, generated_at=GENERATED_AT, prefill=prefill)
    tables = layout(openpyxl.load_workbook(template))["tables"]
    fin, ind = tables[FINANCE.name], tables[INDICATORS.name]
    fin_rows, ind_rows = data_rows(fin), data_rows(ind)
    typed = [{"sheet": fin["sheet"], "cell": row_cells(fin, fin_rows[i])["declared"], "value": v, "type": "number"} for i, v in TYPED.items()]
    typed += [{"sheet": ind["sheet"], "cell": row_cells(ind, row)["achieved"], "value": v, "type": "number"} for row, v in zip(ind_rows, ACHIEVED)]
    outputs = {"xlsx": folder / "return.xlsx", "ods": folder / "return.ods"}
    fill_with_libreoffice(template, typed, list(outputs.values()))
    return tables, outputs


def number(value: Any) -> Decimal:
    """A cell value as the formulas see it: an empty cell is 0."""
    return D(0) if value in ("", None) else parse_number(value)


def sheet_rows(wb: CalamineWorkbook, place: dict[str, Any], setup: ProjectSetup, spec: TableSpec) -> list[dict[str, Decimal]]:
    """The table's numeric cells as LibreOffice saved them, one dict per row."""
    grid = wb.get_sheet_by_name(place["sheet"]).to_python(skip_empty_area=False)
    numeric = [c.name for c in columns(table_model(spec, setup)) if c.kind in ("int", "decimal", "money")]
    col = {name: column_index_from_string(place["columns"][name]) - 1 for name in numeric}
    return [{name: number(grid[row - 1][col[name]]) for name in numeric} for row in data_rows(place)]


def agree(lo: Decimal, python: Decimal) -> bool:
    """LibreOffice computes in binary floating point, Python exactly: equal to the float's precision."""
    return float(lo) == pytest.approx(float(python), rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_libreoffice_computes_what_python_evaluates(recalculated, demo_setup: ProjectSetup, fmt: str) -> None:
    tables, outputs = recalculated
    wb = CalamineWorkbook.from_path(str(outputs[fmt]))
    rate = demo_setup.project.office_flat_rate
    wrong = []
    for spec in (FINANCE, INDICATORS):
        model = table_model(spec, demo_setup)
        computed = [c.name for c in columns(model) if c.col.formula is not None]
        for i, lo in enumerate(sheet_rows(wb, tables[spec.name], demo_setup, spec)):
            python = evaluate_formulas(model, lo)  # the inputs LibreOffice saw, evaluated by Python
            wrong += [(spec.name, i, name, lo[name], python[name]) for name in computed if not agree(lo[name], python[name])]
    finance = sheet_rows(wb, tables[FINANCE.name], demo_setup, FINANCE)
    if not agree(finance[1]["declared"], flat_rate(finance[0]["declared"], rate)):
        wrong.append(("Finance", 1, "declared", finance[1]["declared"], flat_rate(finance[0]["declared"], rate)))
    assert not wrong, f"{fmt}: (table, row, field, LibreOffice, Python): {wrong}"

    # the figures the typed amounts were chosen for
    assert [finance[1]["declared"], finance[2]["absorption"], finance[3]["cumulative"], finance[5]["absorption"]] == [
        D("1500.19"), D("0.123"), D("749.5"), 0]
    assert sheet_rows(wb, tables[INDICATORS.name], demo_setup, INDICATORS)[0]["cumulative"] == D("3.75")
