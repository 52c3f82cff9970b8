"""What next period's template carries over from a partner's accepted return."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from nc_excel.excel.schema import columns, evaluate_formulas
from nc_excel.partner.read import Return
from nc_excel.partner.schema import (
    DELIVERABLES,
    FINANCE,
    INDICATORS,
    LIVING_LABS,
    Prefill,
    SelectedLabRow,
    TableSpec,
    table_model,
)
from nc_excel.setup.models import COST_CATEGORIES, ProjectSetup


def _cumulative(spec: TableSpec, setup: ProjectSetup, row: Mapping[str, Any]) -> Decimal:
    """What the row's Cumulative cell computes: next period's "before"."""
    return evaluate_formulas(table_model(spec, setup), row)["cumulative"]


def prefill_from(ret: Return, setup: ProjectSetup) -> Prefill:
    """Cumulative indicators and spending, deliverable statuses and the living-lab candidates."""
    finance = ret.rows(FINANCE.name)
    spent = {}
    if len(finance) == len(COST_CATEGORIES):
        for (key, _), row in zip(COST_CATEGORIES, finance):
            spent[key] = _cumulative(FINANCE, setup, row)
    living_fields = {c.name for c in columns(table_model(LIVING_LABS, setup)) if c.col.input}
    return Prefill(
        indicators={r["code"]: _cumulative(INDICATORS, setup, r) for r in ret.rows(INDICATORS.name)},
        finance=spent,
        deliverables={
            r["code"]: {k: r[k] for k in ("status", "date", "comment") if r.get(k) is not None} for r in ret.rows(DELIVERABLES.name)
        },
        living_labs=[{k: v for k, v in r.items() if k in living_fields} for r in ret.rows(LIVING_LABS.name)],
    )


def with_selected_labs(prefill: Prefill, labs: Sequence[Mapping[str, Any]]) -> Prefill:
    """``prefill`` asking about ``labs`` (the living labs the coordinator selected from the
    partner's proposals: their place and municipality) instead of for new candidates."""
    locked = [c.name for c in columns(SelectedLabRow) if not c.col.input]
    return replace(prefill, selected_labs=[{name: lab.get(name) for name in locked} for lab in labs])
