"""What next period's template carries over from a partner's accepted return."""

from __future__ import annotations

from decimal import Decimal

from nc_excel.excel.schema import columns
from nc_excel.partner.read import Return
from nc_excel.partner.schema import (
    DELIVERABLES,
    FINANCE,
    INDICATORS,
    LIVING_LABS,
    Prefill,
    table_model,
)
from nc_excel.setup.models import COST_CATEGORIES, ProjectSetup


def prefill_from(ret: Return, setup: ProjectSetup) -> Prefill:
    """Cumulative indicators and spending, deliverable statuses and the living-lab candidates."""
    finance = ret.rows(FINANCE.name)
    spent = {}
    if len(finance) == len(COST_CATEGORIES):
        for (key, _), row in zip(COST_CATEGORIES, finance):
            spent[key] = (row.get("previous") or Decimal(0)) + (row.get("declared") or Decimal(0))
    living_fields = {c.name for c in columns(table_model(LIVING_LABS, setup)) if c.col.input}
    return Prefill(
        indicators={r["code"]: (r.get("previous") or Decimal(0)) + (r.get("achieved") or Decimal(0)) for r in ret.rows(INDICATORS.name)},
        finance=spent,
        deliverables={
            r["code"]: {k: r[k] for k in ("status", "date", "comment") if r.get(k) is not None} for r in ret.rows(DELIVERABLES.name)
        },
        living_labs=[{k: v for k, v in r.items() if k in living_fields} for r in ret.rows(LIVING_LABS.name)],
    )
