"""Output indicators against their targets, across the periods up to the one built.

``indicator_progress`` is a pure function from the indicators the partners reported
(every accepted period, one row per partner, period and indicator) and the setup's
indicators to one frame: per indicator a line for the whole project, then a line per
reporting partner. Each line gives what was achieved before the period, in it, the
cumulative figure and its share of the target.

What counts
-----------
- The figures are the partners' *Achieved this period* cells, added up over periods;
  the *Reported before* and *Cumulative* cells of the returns are not used, so a
  template made before a late return, or a figure typed over, changes nothing here.
- Periods after the one built are left out; a partner without a return for the
  period has a blank *This period* (not 0): it has not reported yet.
- The setup's target is per partner: a partner line is measured against it, the
  project line against the target times the number of reporting partners.
- Share of target is a fraction (0.25 is 25 %), blank when the target is 0; rows
  about indicators or partners the setup does not list are ignored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd

from nc_excel.setup.models import Indicator

PROJECT = "All partners"
"""The partner column of an indicator's project line."""

COLUMNS = ["code", "title", "unit", "partner", "target", "before", "this_period", "cumulative", "share"]

ZERO = Decimal(0)


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part / whole).quantize(Decimal("0.0001")) if whole else None


def _line(indicator: Indicator, partner: str, target: Decimal, before: Decimal, now: Decimal | None) -> dict[str, Any]:
    cumulative = before + (now or ZERO)
    return {"code": indicator.code, "title": indicator.title, "unit": indicator.unit, "partner": partner, "target": target,
            "before": before, "this_period": now, "cumulative": cumulative, "share": _share(cumulative, target)}


def indicator_progress(reported: pd.DataFrame, indicators: Sequence[Indicator], period: int) -> pd.DataFrame:
    """Per indicator its project line, then one line per reporting partner (columns ``COLUMNS``).

    ``reported`` needs the columns partner, period, code and achieved (Decimal or blank).
    """
    before: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    now: dict[tuple[str, str], Decimal] = {}
    for partner, number, code, achieved in reported[["partner", "period", "code", "achieved"]].itertuples(index=False, name=None):
        value = achieved if isinstance(achieved, Decimal) else ZERO
        if number < period:
            before[(code, partner)] += value
        elif number == period:
            now[(code, partner)] = now.get((code, partner), ZERO) + value
    rows = []
    for ind in indicators:
        lines = [_line(ind, p, ind.target, before.get((ind.code, p), ZERO), now.get((ind.code, p))) for p in ind.partners]
        reporting = [line["this_period"] for line in lines if line["this_period"] is not None]
        total = _line(ind, PROJECT, ind.target * len(lines), sum((line["before"] for line in lines), ZERO),
                      sum(reporting, ZERO) if reporting else None)
        rows += [total, *lines]
    return pd.DataFrame(rows, columns=COLUMNS, dtype=object)
