"""The tables of the partner workbook, one pydantic model each.

These models are the single description of what a partner reports: the template
writer makes the sheets from them and the intake reader reads the returns through
them. Add a column by adding one annotated field. Locked columns (``input=False``)
are prefilled from the setup or computed by a formula.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from nc_excel.excel.formula import AsNumber, Expr, Ref, Round, Share, Sum, WhenNumber
from nc_excel.excel.schema import Col, column
from nc_excel.excel.write import Window
from nc_excel.setup.models import EUR, Criterion, Period, ProjectSetup

SCHEMA_VERSION = 1
"""Bumped whenever a table changes shape; intake refuses returns of an older schema."""

Amount = Annotated[Decimal, Field(ge=Decimal("-999999999.99"), le=Decimal("999999999.99"))]


class FormRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


ProgressStatus = Literal["Not started", "In progress", "Done", "Delayed"]
"""The words of the Deliverables sheet, so one vocabulary runs through the workbook; templates before it said Completed."""
DeliverableStatus = Literal["Not started", "In progress", "Done", "Delayed", "Cancelled"]
FlcStatus = Literal["Not sent", "Sent to FLC", "In control", "Certified"]


class ProgressRow(FormRow):
    work_package: Annotated[str, Col("Work package", 10, input=False)]
    title: Annotated[str, Col("Title", 28, input=False, wrap=True)]
    status: Annotated[ProgressStatus, Col("Status", 13, help="Where your share of this work package stands at the end of the period.",
                                          former=(("Completed", "Done"),))]
    percent_complete: Annotated[int, Field(ge=0, le=100), Col("% complete", 10, help="How much of your share is done: a whole number from 0 to 100.")]
    achievements: Annotated[str, Field(max_length=2000), Col("Main achievements this period", 46, wrap=True, help="What you did and achieved in this period (at most 2,000 characters).")]
    problems: Annotated[str | None, Field(max_length=2000), Col("Problems and deviations", 46, wrap=True, help="Delays, changes to the plan and what you do about them.")] = None
    next_period: Annotated[str | None, Field(max_length=1000), Col("Plans for next period", 34, wrap=True, help="What you will do in the next six months.")] = None


class DeliverableRow(FormRow):
    code: Annotated[str, Col("Deliverable", 11, input=False)]
    work_package: Annotated[str, Col("Work package", 10, input=False)]
    title: Annotated[str, Col("Title", 40, input=False, wrap=True)]
    responsible: Annotated[str, Col("Responsible", 12, input=False)]
    due: Annotated[dt.date, Col("Due date", 11, input=False)]
    # Asked for once the deliverable is due by the end of the period reported on (see ``status_required``); optional for later ones.
    status: Annotated[DeliverableStatus | None, Col("Status", 13, help="The status of your contribution. Required for deliverables due by the end of this period; optional for later ones.")] = None
    date: Annotated[dt.date | None, Col("Actual or expected date", 13, dates="project", help="When it was (or will be) delivered; required when Done.")] = None
    comment: Annotated[str | None, Field(max_length=500), Col("Comment", 40, wrap=True, help="Anything the coordinator should know (at most 500 characters).")] = None


class IndicatorRow(FormRow):
    code: Annotated[str, Col("Indicator", 10, input=False)]
    title: Annotated[str, Col("Output indicator", 40, input=False, wrap=True)]
    unit: Annotated[str, Col("Unit", 12, input=False)]
    target: Annotated[Decimal, Col("Target", 10, input=False)]
    previous: Annotated[Decimal, Col("Reported before", 11, input=False)]
    achieved: Annotated[Decimal, Field(ge=0, le=1_000_000), Col("Achieved this period", 12, help="What you achieved in this period only (0 if nothing).")]
    cumulative: Annotated[Decimal | None, Col("Cumulative", 11, input=False, formula=Ref("previous") + AsNumber(Ref("achieved")))] = None
    comment: Annotated[str | None, Field(max_length=500), Col("Comment", 36, wrap=True, help="Anything the coordinator should know about this figure (at most 500 characters).")] = None


RATE = "rate"
"""The name formulas use for the workbook's cell with the rate of the month of submission (``'Start'!$B$9``)."""


def eur_formula() -> Expr:
    """The euros of an amount in the partner's currency: at the workbook's rate, to the cent; blank while the rate is unknown."""
    return WhenNumber(Ref(RATE), Round(AsNumber(Ref("declared")) / Ref(RATE), 2))


@cache
def finance_model(currency: str | None = EUR) -> type[FormRow]:
    """The Finance table of a partner declaring in ``currency``.

    Budgets, what was declared before and everything cumulative are euros, as the
    programme counts; only this period's amount is typed in the partner's own
    currency, and every money header names its currency. A partner outside the euro
    area also sees the amount in euros (``declared_eur``, ``eur_formula`` at the rate
    the workbook carries for the month of submission), and the cumulative figures
    follow from that; while the month's rate is not known they stay blank, never an
    error. Intake never counts the workbook's euros: it converts the amount with the
    Rates sheet itself. ``None`` is the table of templates made before currencies,
    whose headers named none (their amounts are euros).
    """
    eur, own = (f" ({EUR})", f" ({currency})") if currency else ("", "")
    foreign = currency not in (None, EUR)

    def known(expr: Expr) -> Expr:
        return WhenNumber(Ref(RATE), expr) if foreign else expr

    fields: dict[str, Any] = {
        "category": (Annotated[str, Col("Cost category", 30, input=False)], ...),
        "budget": (Annotated[Decimal, Col(f"Budget{eur}", 20 if foreign else 24, input=False, money=True)], ...),  # wide: the FLC form's values sit below it
        "previous": (Annotated[Decimal, Col(f"Declared before{eur}", 14, input=False, money=True)], ...),
        "declared": (Annotated[Amount, Col(f"Declared this period{own}", 14, money=True,
                                           help=f"Eligible costs paid in this period, in {currency or EUR} (0 if none).")], ...),
    }
    if foreign:
        fields["declared_eur"] = (Annotated[Decimal | None, Col(f"Declared this period{eur}", 14, input=False, money=True)], None)
    this_period = Ref("declared_eur") if foreign else AsNumber(Ref("declared"))
    fields |= {
        "cumulative": (Annotated[Decimal | None, Col(f"Cumulative{eur}", 14, input=False, money=True, formula=known(Ref("previous") + this_period))], None),
        "remaining": (Annotated[Decimal | None, Col(f"Remaining budget{eur}", 14, input=False, money=True, formula=known(Ref("budget") - Ref("cumulative")))], None),
        "absorption": (Annotated[Decimal | None, Col("Absorption %", 11, input=False, share=True, formula=known(Share(Ref("cumulative"), Ref("budget"))))], None),
    }
    return create_model(f"FinanceRow{currency or ''}", __base__=FormRow, **fields)


FinanceRow = finance_model(EUR)
"""The Finance table of a partner declaring in euros."""


TOTAL_LABEL = "Total"
"""The label of the Finance sheet's totals row, right under the table; the reader stops the table there."""

FINANCE_TOTALS: tuple[tuple[str, Expr], ...] = (
    ("budget", Sum("budget")),
    ("previous", Sum("previous")),
    ("cumulative", Sum("cumulative")),
    ("declared", Ref("cumulative") - Ref("previous")),  # as the cumulative counts it: an amount pasted as text too
    *((name, column(FinanceRow, name).col.formula) for name in ("remaining", "absorption")),  # type: ignore[misc]
)
"""The Finance sheet's totals row, in the order it is computed: column sums, then the row's own formulas on them."""


def finance_totals(currency: str) -> tuple[tuple[str, Expr], ...]:
    """``FINANCE_TOTALS`` of a partner declaring in ``currency``. Outside the euro area this
    period's amounts are added up in the currency and in euros, and what counts in euros
    stays blank while the rate of the month of submission is not known."""
    if currency == EUR:
        return FINANCE_TOTALS
    model = finance_model(currency)
    return (
        ("budget", Sum("budget")),
        ("previous", Sum("previous")),
        ("declared", Sum("declared")),
        ("declared_eur", WhenNumber(Ref(RATE), Sum("declared_eur"))),
        ("cumulative", WhenNumber(Ref(RATE), Sum("cumulative"))),
        *((name, column(model, name).col.formula) for name in ("remaining", "absorption")),  # type: ignore[misc]
    )


class FlcForm(FormRow):
    controller: Annotated[str | None, Field(max_length=120), Col("First level controller", help="Name and organisation of your controller.")] = None
    sent_to_flc: Annotated[dt.date | None, Col("Date sent to FLC", dates="reporting", help="When you sent this report to your controller.")] = None
    flc_status: Annotated[FlcStatus, Col("FLC status", help="Where the control of this report stands.")] = "Not sent"
    certified: Annotated[Amount | None, Col("Certified amount", money=True, help="Total the controller certified, in the currency of this report.")] = None
    certificate_date: Annotated[dt.date | None, Col("FLC certificate date", dates="reporting", help="The date on the controller's certificate, once there is one.")] = None


class SubmissionForm(FormRow):
    contact_name: Annotated[str, Field(max_length=120), Col("Reporting contact", help="Who filled in this report.")]
    contact_email: Annotated[str, Field(max_length=120, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), Col("E-mail", help="Where the coordinator can reach you about this report.")]
    phone: Annotated[str | None, Field(max_length=40), Col("Phone", help="A number the coordinator can call about this report (optional).")] = None
    submitted_on: Annotated[dt.date, Col("Date of submission", dates="reporting", help="The day you send this workbook to the coordinator.")]
    confirm: Annotated[bool, Col("Information is complete and correct", help="Yes once you have checked every sheet.")]


class LivingLabBase(FormRow):
    name: Annotated[str, Field(max_length=120), Col("Place name", 24, wrap=True, help="The name of the candidate place or site.")]
    municipality: Annotated[str, Field(max_length=80), Col("Municipality", 15, help="The municipality the place lies in.")]
    region: Annotated[str, Col("Region", 16, choices="region_names", help="The region the place lies in.")]
    theme: Annotated[str, Col("Theme", 14, choices="themes", help="The theme that fits the place best.")]
    description: Annotated[str, Field(max_length=500), Col("Description", 36, wrap=True, help="What happens there and why it suits a living lab (at most 500 characters).")]
    lead_organisation: Annotated[str, Field(max_length=120), Col("Lead organisation", 20, wrap=True, help="Who runs the place, or would run the living lab there.")]
    companies: Annotated[int, Field(ge=0, le=100_000), Col("Companies involved", 11, help="How many companies take part now: a whole number.")]
    contact: Annotated[str | None, Field(max_length=120), Col("Contact", 18, help="Whom the coordinator can ask about the place (optional).")] = None


class SelectedLabRow(FormRow):
    """A living lab the coordinator selected from the partner's proposals: how it went this period."""

    name: Annotated[str, Col("Place", 28, input=False, wrap=True)]
    municipality: Annotated[str, Col("Municipality", 15, input=False)]
    companies: Annotated[int, Field(ge=0, le=100_000), Col("Companies engaged", 11, help="How many companies take part in the living lab now: a whole number.")]
    activities: Annotated[str, Field(max_length=2000), Col("Activities this period", 46, wrap=True, help="What happened in the living lab in this period (at most 2,000 characters).")]
    next_steps: Annotated[str | None, Field(max_length=1000), Col("Next steps", 34, wrap=True, help="What comes next in the living lab (at most 1,000 characters).")] = None


def criterion_field(key: str) -> str:
    """The living-lab field of a criterion; prefixed so no key can shadow a base field."""
    return f"crit_{key}"


@cache
def _living_lab_model(criteria: tuple[tuple[str, str, str, int | None, int | None], ...]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for key, label, kind, low, high in criteria:
        name = criterion_field(key)
        if kind == "score":
            fields[name] = (Annotated[int, Field(ge=low, le=high), Col(label, 11, help=f"Score from {low} (weak) to {high} (strong).")], ...)
        else:
            rule = "Must be Yes for the place to qualify." if kind == "must-have" else "A Yes excludes the place."
            fields[name] = (Annotated[bool, Col(label, 12, help=f"Yes or No. {rule}")], ...)
    return create_model("LivingLabRow", __base__=LivingLabBase, **fields)


def living_lab_model(criteria: Sequence[Criterion]) -> type[BaseModel]:
    """The living-lab table has one column per selection criterion of the setup."""
    return _living_lab_model(tuple((c.key, c.label, c.kind, c.scale_min, c.scale_max) for c in criteria))


LIVING_LAB_ROWS = 30


META_SHEET = "_nc_meta"


FEEDBACK_SHEET = "Feedback"




@dataclass(frozen=True)
class TableSpec:
    """A table of the partner workbook: its Excel table name, sheet and purpose."""

    name: str
    sheet: str
    title: str
    intro: str
    key: str | None  # field that identifies a prefilled row; None for free rows
    row_height: float | None = None  # the least height of a row, room to type in; a row with more text grows to show it


PROGRESS = TableSpec("Progress", "Progress", "Progress per work package",
                     "One row per work package you take part in. Fill in the yellow cells.", "work_package", 120)


DELIVERABLES = TableSpec("Deliverables", "Deliverables", "Deliverables",
                         "The deliverables of your work packages. Give the status of your contribution to each one due by the end of this period "
                         "(for later ones it is optional); a Done deliverable needs its date.", "code", 30)


INDICATORS = TableSpec("Indicators", "Indicators", "Output indicators",
                       "What you achieved in this period only; the cumulative figure is computed.", "code", 30)


FINANCE = TableSpec("Finance", "Finance", "Expenditure",
                    "Eligible costs paid in this period per cost category, in EUR. Office and administration is computed from staff costs.", "category")
FOREIGN_INTRO = ("Eligible costs paid in this period per cost category, in {currency}; office and administration is computed from staff costs. "
                 "The euros are at the Commission's rate of the month of submission (on the Start sheet), which the coordinator applies.")
"""The Finance sheet's intro for a partner outside the euro area."""


LIVING_LABS = TableSpec("LivingLabs", "Living Labs", "Living-lab candidate places",
                        "Propose up to 30 places. Use one row per place; leave unused rows empty.", None, 45)


SELECTED_LABS = TableSpec("SelectedLabs", "Selected living labs", "Selected living labs",
                          "The living labs the coordinator selected from your proposals. Tell us how each one went in this period.", "name", 90)


TABLES = (PROGRESS, DELIVERABLES, INDICATORS, FINANCE, LIVING_LABS)
"""The tables of a partner workbook that proposes living-lab candidates (see ``workbook_tables``)."""

ALL_TABLES = (*TABLES, SELECTED_LABS)
"""Every table a partner workbook may have."""


def workbook_tables(selected_labs: bool, living_labs: bool = True) -> tuple[TableSpec, ...]:
    """The tables of one workbook: once the coordinator has selected living labs from the
    partner's proposals, the workbook asks about them instead of for new candidates; a
    project without living labs (``living_labs`` False) has neither."""
    if not living_labs:
        return tuple(spec for spec in TABLES if spec is not LIVING_LABS)
    return tuple(SELECTED_LABS if spec is LIVING_LABS and selected_labs else spec for spec in TABLES)


def status_required(due: dt.date | None, period: Period) -> bool:
    """A deliverable's status is required once it is due by the end of the period reported on."""
    return due is not None and due <= period.end


START_SHEET = "Start"


SUBMISSION_FORM = "Submission"


FLC_FORM = "FLC"
FLC_TITLE = "First level control"
"""The heading above the FLC form on the Finance sheet; the reader ends the finance table there."""


def table_model(spec: TableSpec, setup: ProjectSetup, currency: str | None = EUR) -> type[BaseModel]:
    """The model of a table; the Finance table's depends on the partner's ``currency`` (``finance_model``)."""
    return {
        "Progress": ProgressRow,
        "Deliverables": DeliverableRow,
        "Indicators": IndicatorRow,
        "Finance": finance_model(currency),
        "LivingLabs": living_lab_model(setup.criteria),
        "SelectedLabs": SelectedLabRow,
    }[spec.name]


@dataclass
class Prefill:
    """What a template carries over from the partner's accepted return of the previous period."""

    indicators: dict[str, Decimal] = field(default_factory=dict)  # code -> cumulative so far
    finance: dict[str, Decimal] = field(default_factory=dict)  # category key -> declared so far
    deliverables: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> status, date, comment
    living_labs: list[dict[str, Any]] = field(default_factory=list)
    selected_labs: list[dict[str, Any]] = field(default_factory=list)  # name, municipality: asked about instead of candidates


@dataclass
class Entries:
    """Values typed into input cells: tables by name (rows by key or position), forms by name."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)


RETURN, CERTIFICATE = "return", "certificate"
"""The kinds of workbook a partner sends back, written on the metadata sheet (``kind``); a
workbook without one is a return (templates made before certificates existed)."""

WorkbookKind = Literal["return", "certificate"]


def digest(setup: ProjectSetup, partner: str, period: int, generated_at: str, kind: WorkbookKind = RETURN, currency: str = EUR) -> str:
    """Seal of a template: intake recomputes it to tell a template copied to another partner.

    The kind and a currency other than the euro are sealed too (a euro return's seal is
    unchanged from before either existed), so a return whose hidden sheet was edited to
    say ``certificate``, or to read its amounts as another currency, is refused, not misread.
    """
    message = f"{setup.project.acronym}|{partner}|{period}|{SCHEMA_VERSION}|{generated_at}"
    if kind != RETURN:
        message += f"|{kind}"
    if currency != EUR:
        message += f"|{currency}"
    return hmac.new(setup.project.template_key.encode(), message.encode(), hashlib.sha256).hexdigest()[:32]


def template_name(setup: ProjectSetup, period: int, partner: str) -> str:
    return f"{setup.project.acronym}_P{period}_{partner}.xlsx"


REPORTING_TIME = dt.timedelta(days=120)
"""How long after a period's last deadline its reporting may still run (late returns, certificates)."""


def windows(setup: ProjectSetup, period: Period) -> dict[str, Window]:
    """Date windows that validations and intake enforce.

    A report's dates (submission, FLC) may not be before its period started, but
    may be as late as the project's final reporting: a partner who missed a period
    catches it up in a later one, and the return still counts for its own period.
    """
    last = max(max(p.flc_deadline, p.partner_deadline, p.end) for p in (*setup.periods, period))
    return {
        "project": Window("the project", setup.project.start, setup.project.end),
        "reporting": Window(f"reporting period {period.number} and the project's reporting", period.start, last + REPORTING_TIME),
    }
