"""Each computed figure of the partner workbook is one formula with two readings: the
Excel text its cell holds, and the Decimal that nc-excel computes from the same
definition (for the result cached beside the formula, the carry-over to the next
period and the intake checks). These tests show both readings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from nc_excel.excel.formula import Expr, Ref, RoundDown, Share

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


def test_a_share_is_a_percentage_to_one_decimal_and_0_of_nothing() -> None:
    absorption = Share(Ref("cumulative"), Ref("budget"))
    assert absorption.excel(cells(cumulative="E5", budget="B5")) == "=IF(B5=0,0,ROUND(E5/B5*100,1))"
    assert absorption.evaluate(values(cumulative=4900, budget=40000)) == D("12.3")  # 12.25: half away from zero, as ROUND
    assert absorption.evaluate(values(cumulative=-4900, budget=40000)) == D("-12.3")
    assert absorption.evaluate(values(cumulative=100, budget=0)) == 0  # an empty budget line, not #DIV/0!
