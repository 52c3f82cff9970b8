"""Indicator progress: the partners' achieved figures added up over periods, against the targets."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from nc_excel.analyses.indicators import PROJECT, indicator_progress
from nc_excel.setup.models import Indicator


def reported(*rows: tuple[str, int, str, str | None]) -> pd.DataFrame:
    return pd.DataFrame([{"partner": p, "period": n, "code": c, "achieved": None if a is None else Decimal(a)} for p, n, c, a in rows],
                        dtype=object)


INDICATORS = [
    Indicator(code="O1", title="Pilots", unit="pilots", target=Decimal(4), work_package="WP1", partners=["AAA", "BBB"]),
    Indicator(code="O2", title="Events", unit="events", target=Decimal(0), work_package="WP1", partners=["AAA"]),
]


def test_periods_before_in_and_after_the_one_built() -> None:
    frame = reported(("AAA", 1, "O1", "1"), ("AAA", 2, "O1", "2"), ("AAA", 3, "O1", "9"), ("BBB", 1, "O1", "1.5"), ("AAA", 2, "O2", "3"))
    lines = indicator_progress(frame, INDICATORS, 2).set_index(["code", "partner"])
    assert list(lines.index) == [("O1", PROJECT), ("O1", "AAA"), ("O1", "BBB"), ("O2", PROJECT), ("O2", "AAA")]
    aaa, bbb, total = lines.loc[("O1", "AAA")], lines.loc[("O1", "BBB")], lines.loc[("O1", PROJECT)]
    assert (aaa.before, aaa.this_period, aaa.cumulative, aaa.share) == (1, 2, 3, Decimal("0.75"))  # period 3 is not counted
    assert (bbb.before, bbb.this_period, bbb.cumulative) == (Decimal("1.5"), None, Decimal("1.5"))  # no period-2 return: blank
    assert (total.target, total.before, total.this_period, total.cumulative, total.share) == (8, Decimal("2.5"), 2, Decimal("4.5"), Decimal("0.5625"))
    assert lines.loc[("O2", "AAA")].share is None  # no target, no share


def test_rows_the_setup_does_not_know_are_ignored_and_a_blank_counts_as_nothing() -> None:
    frame = reported(("ZZZ", 1, "O1", "5"), ("AAA", 1, "O9", "5"), ("AAA", 1, "O1", None))
    lines = indicator_progress(frame, INDICATORS, 1).set_index(["code", "partner"])
    assert lines.loc[("O1", PROJECT)].cumulative == 0
    assert lines.loc[("O1", "AAA")].this_period == 0  # reported, though blank
