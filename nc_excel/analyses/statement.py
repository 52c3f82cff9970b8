"""The statement of expenditure: what the lead partner claims from the programme, as a pure function of frames.

``statement_of_expenditure(partners, position)`` lists, per partner and period (every
period up to the position's, partners in setup order), one line per cost category
with what the counting return declared and, when a counting FLC certificate covers the
report, what the controller certified and deducted on that line; then a line
``REPORT_TOTAL`` for the partner report with the certified total (from the certificate,
or from the return's own FLC form when that is all there is), who certified it when,
and the ERDF and the Norwegian funding due on it. Funding is claimed per partner report (see
``analyses.finance``), so it is on the report's total line only, and the last line,
``PROJECT_TOTAL``, adds up the report totals: it equals the Finance position's totals.

Money is ``Decimal``; a category's certified and deducted amounts are None when no
certificate splits the report by category (or nothing is certified yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd

from nc_excel.analyses.finance import PROJECT, FinancePosition, money
from nc_excel.setup.models import COST_CATEGORIES, Partner

STATEMENT_COLUMNS = (
    "partner", "partner_name", "funding", "period", "category_label", "declared", "certified", "deducted",
    "erdf_due", "norway_due", "certified_by", "controller", "certificate_date",
)
REPORT_TOTAL = "Partner report total"
PROJECT_TOTAL = "Total claimed"
BY_CERTIFICATE = "FLC certificate"
BY_FORM = "FLC form (total only)"
NOT_YET = "Not certified yet"
ZERO = Decimal(0)


def statement_of_expenditure(partners: Sequence[Partner], position: FinancePosition) -> pd.DataFrame:
    """The statement's lines (``STATEMENT_COLUMNS``); see the module text."""
    labels = dict(COST_CATEGORIES)
    declared: dict[str, dict[int, list[dict[str, Any]]]] = {}  # partner -> period -> its declared lines
    for r in position.declared.to_dict("records"):
        declared.setdefault(r["partner"], {}).setdefault(int(r["period"]), []).append(r)
    lines = position.certificates
    counted = lines[(lines["counts"] == True) & lines["period"].notna()] if len(lines) else lines  # noqa: E712 - counts may be None on total rows
    by_line = {(r["partner"], int(r["period"]), r["category"]): money(r["certified"]) for r in counted.to_dict("records")}
    with_certificate = {(p, n) for p, n, _ in by_line}
    certified = {(r["partner"], int(r["period"])): r for r in position.certified.to_dict("records")}
    rows: list[dict[str, Any]] = []
    totals = {"declared": ZERO, "certified": ZERO, "deducted": ZERO, "erdf_due": ZERO, "norway_due": ZERO}
    for p in partners:
        who = {"partner": p.code, "partner_name": p.name, "funding": p.funding}
        code = p.code
        for period, mine in sorted(declared.get(code, {}).items()):
            split = (code, period) in with_certificate
            for r in mine:
                got = by_line.get((code, period, r["category"])) if split else None
                rows.append({**who, "period": period, "category_label": labels[r["category"]], "declared": r["declared"], "certified": got,
                             "deducted": None if got is None else r["declared"] - got})
            control = certified.get((code, period))
            total = {
                "declared": sum((r["declared"] for r in mine), ZERO),
                "certified": money(control["certified"]) if control else ZERO,
                "erdf_due": money(control["erdf_due"]) if control else ZERO,
                "norway_due": money(control["norway_due"]) if control else ZERO,
            }
            total["deducted"] = total["declared"] - total["certified"] if control else ZERO
            rows.append({**who, "period": period, "category_label": REPORT_TOTAL, **total,
                         "certified_by": BY_CERTIFICATE if split else BY_FORM if control else NOT_YET,
                         "controller": control["controller"] if control else None, "certificate_date": control["certificate_date"] if control else None})
            totals = {k: totals[k] + total[k] for k in totals}
    if rows:
        rows.append({"partner": PROJECT, "category_label": PROJECT_TOTAL, **totals})
    return pd.DataFrame(rows, columns=list(STATEMENT_COLUMNS))
