"""The FLC certificate workbook's models: one per table, driving the writer and the reader alike.

One sheet holds what the controller certifies: a line per cost category with the
amount declared in the return (locked, prefilled), the amount certified (typed),
the deduction (computed: declared - certified) and its reason (typed, required
when something is deducted), then a form with the controller, the organisation,
the certificate's date and reference and a confirmation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field

from nc_excel.excel.formula import AsNumber, Ref
from nc_excel.excel.read import RowRead
from nc_excel.excel.schema import Col
from nc_excel.excel.write import Window
from nc_excel.issues import Issue
from nc_excel.partner.read import Return
from nc_excel.partner.schema import FINANCE, SUBMISSION_FORM, FormRow
from nc_excel.setup.models import COST_CATEGORIES, Period, ProjectSetup

SHEET = "Certificate"
LINES = "FlcLines"
"""The Excel table of the certificate lines; also the table name issues are located by."""
FORM = "FlcCertificate"
"""The certificate form's name (its cells' defined names start with it)."""
FORM_TITLE = "The certificate"
"""The heading above the form; the reader ends the lines table there."""
TOTAL_LABEL = "Total"
"""Column A of the total row under the lines; not a line."""

Money = Annotated[Decimal, Field(ge=Decimal(0), le=Decimal("999999999.99"))]


class CertificateLine(FormRow):
    category: Annotated[str, Col("Cost category", 36, input=False)]
    declared: Annotated[Decimal, Col("Declared in the report", 16, input=False, money=True)]
    certified: Annotated[Money, Col("Certified by FLC", 16, money=True, help="The eligible amount the controller certified for this cost category, in the currency of the report (0 if none).")]
    deducted: Annotated[Decimal | None, Col("Deducted", 14, input=False, money=True, formula=Ref("declared") - AsNumber(Ref("certified")))] = None
    reason: Annotated[str | None, Field(max_length=500), Col("Reason for the deduction", 52, wrap=True, help="Required when the controller deducted something: why, as the certificate says (at most 500 characters).")] = None


class CertificateForm(FormRow):
    controller: Annotated[str, Field(max_length=120), Col("Controller", help="Name of the first level controller who signed the certificate.")]
    organisation: Annotated[str, Field(max_length=120), Col("Controller's organisation")]
    certificate_date: Annotated[dt.date, Col("Certificate date", dates="certificate", help="The date on the certificate.")]
    reference: Annotated[str, Field(max_length=60), Col("Certificate reference", help="The certificate's number or reference, as printed on it.")]
    confirm: Annotated[bool, Col("Amounts as on the signed certificate", help="Yes once every line matches the signed certificate.")]


def certificate_name(setup: ProjectSetup, period: int, partner: str) -> str:
    return f"{setup.project.acronym}_P{period}_{partner}_FLC.xlsx"


def feedback_name(setup: ProjectSetup, period: int, partner: str) -> str:
    return f"{setup.project.acronym}_P{period}_{partner}_FLC_feedback.xlsx"


CERTIFICATE_DAYS = 3 * 365
"""How long after a period ends a certificate may still be dated: controls, closure and audits take years."""


def certificate_window(period: Period) -> Window:
    """The dates a certificate of ``period`` may carry: not before the period began, at most three years after it ended."""
    return Window(f"the certification of period {period.number}", period.start, period.end + dt.timedelta(days=CERTIFICATE_DAYS))


def category_of(label: Any, position: int) -> str | None:
    """The cost category key of a line: by its label (the office line's label names the flat rate), else by position."""
    text = str(label or "").strip().casefold()
    for key, name in COST_CATEGORIES:
        if text.startswith(name.casefold()):
            return key
    return COST_CATEGORIES[position][0] if position < len(COST_CATEGORIES) else None


@dataclass(frozen=True)
class Declared:
    """What a certificate certifies: the partner's accepted return of the period, as the template shows it."""

    amounts: dict[str, Decimal]  # cost category key -> declared in the period
    submitted_on: dt.date | None
    received: dt.date | None  # when the coordinator received the return
    sha256: str | None


def declared_of(ret: Return, received: dt.date | None = None, sha256: str | None = None) -> Declared:
    """The declared amounts per cost category of a return (its Finance rows are in category order)."""
    amounts = {key: row.get("declared") or Decimal(0) for (key, _), row in zip(COST_CATEGORIES, ret.rows(FINANCE.name))}
    return Declared(amounts, ret.form(SUBMISSION_FORM).get("submitted_on"), received, sha256)


@dataclass
class Certificate:
    """One certificate, read: whose, which period, its lines by cost category and its form."""

    file: str
    partner: str
    period: int
    generated_at: str
    certifies: str | None  # sha256 of the return the template was made from
    lines: dict[str, RowRead]  # cost category key -> the line
    form: RowRead | None
    issues: list[Issue]
    sheet: str = SHEET
    headers: dict[str, str] = field(default_factory=dict)  # field -> column header or label

    def values(self, category: str) -> dict[str, Any]:
        line = self.lines.get(category)
        return line.values if line else {}

    def details(self) -> dict[str, Any]:
        return self.form.values if self.form else {}
