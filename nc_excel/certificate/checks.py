"""A certificate against the return it certifies: what no single cell of it can tell.

Checked line by line, at the cell the partner has to change: a certified amount
above the declared one, a deduction without a reason, declared amounts that are no
longer those of the partner's current accepted return (a correction arrived after
the certificate template was made), and a certificate dated before the report was
submitted. Without an accepted return for its partner and period a certificate
has nothing to certify.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from nc_excel.certificate.schema import FORM, LINES, Certificate, Declared
from nc_excel.excel.read import RowRead
from nc_excel.issues import Issue, issue
from nc_excel.setup.models import COST_CATEGORIES

LABELS = dict(COST_CATEGORIES)


def _at(cert: Certificate, table: str, key: str, row: RowRead, name: str, code: str, **params: Any) -> Iterator[Issue]:
    """An issue at the cell of ``name`` in ``row`` (a line, or the form), located for the feedback workbook."""
    if name not in row.cells:
        return
    yield issue(code, file=cert.file, partner=cert.partner, period=cert.period, sheet=cert.sheet, cell=row.cells[name],
                field=cert.headers.get(name, name), locator=(table, key, name), **params)


def check_certificate(cert: Certificate, declared: Declared | None) -> list[Issue]:
    """Every problem of ``cert`` against ``declared``, the partner's current accepted return of the period (None: none)."""
    if declared is None:
        return [issue("certificate-without-return", file=cert.file, partner=cert.partner, period=cert.period)]
    found: list[Issue] = []
    for key, row in cert.lines.items():
        v = row.values
        label = LABELS.get(key, key)
        if v.get("declared") is not None and key in declared.amounts and v["declared"] != declared.amounts[key]:
            found += _at(cert, LINES, key, row, "declared", "certificate-declared-changed", value=label,
                         declared=v["declared"], current=declared.amounts[key])
        if v.get("certified") is None or v.get("declared") is None:
            continue  # an empty or unreadable amount is reported at its cell already
        if v["certified"] > v["declared"]:
            found += _at(cert, LINES, key, row, "certified", "certified-above-declared", value=v["certified"], declared=v["declared"])
        elif v["certified"] < v["declared"] and not v.get("reason"):
            found += _at(cert, LINES, key, row, "reason", "deduction-without-reason", value=label, deducted=v["declared"] - v["certified"])
    dated = cert.details().get("certificate_date")
    if cert.form is not None and dated is not None and declared.submitted_on is not None and dated < declared.submitted_on:
        found += _at(cert, FORM, "", cert.form, "certificate_date", "control-before-submission", value=dated, submitted=declared.submitted_on)
    return found

