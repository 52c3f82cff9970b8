"""What next period's template carries over from a partner's accepted returns.

"Reported before" and "declared before" are the sums of what the partner's current
returns of all earlier periods report for the period itself (achieved, declared),
never their own prefilled "before" figures: a period sent late, after the next
template went out with a zero, still counts in every template made after it.
"Declared before" is in euros: each return's amounts at the rate of its own month
of submission (``partner.currency``), as the master counts them.
Deliverable statuses and the living-lab candidates come from the latest of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from nc_excel.excel.schema import columns
from nc_excel.partner.currency import conversion
from nc_excel.partner.read import Return
from nc_excel.partner.schema import (
    DELIVERABLES,
    FINANCE,
    INDICATORS,
    LIVING_LABS,
    Prefill,
    SelectedLabRow,
    table_model,
)
from nc_excel.setup.models import COST_CATEGORIES, ProjectSetup


def prefill_from(returns: Sequence[Return], setup: ProjectSetup) -> Prefill:
    """The prefill from the partner's current returns of the earlier periods (any order; one per period)."""
    ordered = sorted(returns, key=lambda r: r.period)
    indicators: dict[str, Decimal] = {}
    spent: dict[str, Decimal] = {}
    deliverables: dict[str, dict[str, Any]] = {}
    for ret in ordered:
        for r in ret.rows(INDICATORS.name):
            indicators[r["code"]] = indicators.get(r["code"], Decimal(0)) + r["achieved"]
        finance = ret.rows(FINANCE.name)
        if len(finance) == len(COST_CATEGORIES):
            euros = conversion(ret, setup)
            for (key, _), row in zip(COST_CATEGORIES, finance):
                spent[key] = spent.get(key, Decimal(0)) + euros.eur(row["declared"])
        for r in ret.rows(DELIVERABLES.name):
            deliverables[r["code"]] = {k: r[k] for k in ("status", "date", "comment") if r.get(k) is not None}
    living_fields = {c.name for c in columns(table_model(LIVING_LABS, setup)) if c.col.input}
    latest = ordered[-1].rows(LIVING_LABS.name) if ordered else []
    return Prefill(
        indicators=indicators,
        finance=spent,
        deliverables=deliverables,
        living_labs=[{k: v for k, v in r.items() if k in living_fields} for r in latest],
    )


def with_selected_labs(prefill: Prefill, labs: Sequence[Mapping[str, Any]]) -> Prefill:
    """``prefill`` asking about ``labs`` (the living labs the coordinator selected from the
    partner's proposals: their place and municipality) instead of for new candidates."""
    locked = [c.name for c in columns(SelectedLabRow) if not c.col.input]
    return replace(prefill, selected_labs=[{name: lab.get(name) for name in locked} for lab in labs])
