"""The master workbook's schema: one model per rebuilt sheet, and one for the Dashboard.

Like the partner tables, every sheet the build writes is described once, by a
pydantic model whose fields carry a ``Col``: header, width, number format, and
whether the coordinator types into it (``input=True``: kept across rebuilds). The
build writes the sheets from these models; the decision reader, the board and the
ribbon read them back through the same models and get typed values. Renaming a
header here renames it everywhere, and no reader depends on a sheet's wording.

Sheets whose columns depend on the setup (a column per living-lab criterion, a
column per project month) get their model from a function of the setup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, create_model

from nc_excel.analyses.places import DECISION_WORDS
from nc_excel.excel.schema import Col
from nc_excel.partner.schema import criterion_field
from nc_excel.setup.models import Criterion


def shown(header: str, width: float = 14, **options: Any) -> Col:
    """A column the build computes: locked, rewritten at every rebuild."""
    return Col(header, width, input=False, **options)


def aside(header: str, width: float = 14, **options: Any) -> Col:
    """A computed column kept for tracing, not reading (source file, SHA-256, a row's stable key):
    at the table's right edge, folded away and not printed; readers find it all the same."""
    return Col(header, width, input=False, aside=True, **options)


def typed(header: str, width: float = 14, **options: Any) -> Col:
    """A coordinator's column: styled as input and kept across rebuilds by its row's key."""
    return Col(header, width, input=True, **options)


class SheetRow(BaseModel):
    """A row of a rebuilt sheet; every value may be blank."""

    model_config = ConfigDict(extra="ignore")


Text = str | None
Money = Decimal | None


class ReturnRow(SheetRow):
    seq: Annotated[int | None, shown("No.", 6)] = None  # the order of receipt: the later return counts
    partner: Annotated[Text, shown("Partner", 9)] = None
    period: Annotated[int | None, shown("Period", 7)] = None
    file: Annotated[Text, shown("File", 26, wrap=True)] = None
    sha256: Annotated[Text, aside("SHA-256", 18)] = None
    received: Annotated[dt.date | None, shown("Received", 11)] = None
    late: Annotated[bool | None, shown("Late", 6)] = None
    status: Annotated[Text, shown("Status", 16, wrap=True)] = None
    kind: Annotated[Text, shown("Kind", 10)] = None
    errors: Annotated[int | None, shown("Errors", 7)] = None
    warnings: Annotated[int | None, shown("Warnings", 9)] = None
    archived: Annotated[Text, aside("Archived as", 40)] = None
    replaced_by: Annotated[Text, shown("Replaced by", 24, wrap=True)] = None
    feedback: Annotated[Text, aside("Feedback workbook", 36)] = None
    decision: Annotated[Text, shown("Coordinator's decision", 28, wrap=True)] = None  # withdrawn or reopened: who, when, why


class IssueRow(SheetRow):
    partner: Annotated[Text, shown("Partner", 9)] = None
    period: Annotated[int | None, shown("Period", 7)] = None
    file: Annotated[Text, shown("File", 22, wrap=True)] = None
    sheet: Annotated[Text, shown("Sheet", 13)] = None
    cell: Annotated[Text, shown("Cell", 7)] = None
    severity: Annotated[Text, shown("Severity", 9)] = None
    code: Annotated[Text, aside("Code", 20)] = None
    message: Annotated[Text, shown("Problem", 40, wrap=True)] = None
    hint: Annotated[Text, shown("How to fix", 32, wrap=True)] = None
    resolution: Annotated[Text, typed("Resolution", 24, wrap=True)] = None
    key: Annotated[Text, aside("Issue key", 20)] = None


class ProgressReported(SheetRow):
    partner: Annotated[Text, shown("Partner", 9)] = None
    period: Annotated[int | None, shown("Period", 7)] = None
    work_package: Annotated[Text, shown("Work package", 10)] = None
    status: Annotated[Text, shown("Status", 13)] = None
    percent_complete: Annotated[Decimal | None, shown("% complete", 10, share=True)] = None
    achievements: Annotated[Text, shown("Achievements", 50, wrap=True)] = None
    problems: Annotated[Text, shown("Problems and deviations", 36, wrap=True)] = None
    next_period: Annotated[Text, shown("Plans", 30, wrap=True)] = None
    file: Annotated[Text, aside("Source file", 34)] = None
    sha256: Annotated[Text, aside("SHA-256", 18)] = None


class DeliverableReported(SheetRow):
    partner: Annotated[Text, shown("Partner", 9)] = None
    period: Annotated[int | None, shown("Period", 7)] = None
    code: Annotated[Text, shown("Deliverable", 11)] = None
    work_package: Annotated[Text, shown("Work package", 10)] = None
    title: Annotated[Text, shown("Title", 36, wrap=True)] = None
    due: Annotated[dt.date | None, shown("Due", 11)] = None
    status: Annotated[Text, shown("Status", 13)] = None
    date: Annotated[dt.date | None, shown("Actual or expected", 12)] = None
    comment: Annotated[Text, shown("Comment", 36, wrap=True)] = None
    file: Annotated[Text, aside("Source file", 34)] = None
    sha256: Annotated[Text, aside("SHA-256", 18)] = None


class IndicatorReported(SheetRow):
    partner: Annotated[Text, shown("Partner", 9)] = None
    period: Annotated[int | None, shown("Period", 7)] = None
    code: Annotated[Text, shown("Indicator", 10)] = None
    title: Annotated[Text, shown("Output indicator", 36, wrap=True)] = None
    unit: Annotated[Text, shown("Unit", 12)] = None
    target: Annotated[Decimal | None, shown("Target", 9)] = None
    previous: Annotated[Decimal | None, shown("Reported before", 10)] = None
    achieved: Annotated[Decimal | None, shown("Achieved in period", 10)] = None
    cumulative: Annotated[Decimal | None, shown("Cumulative", 10)] = None
    comment: Annotated[Text, shown("Comment", 30, wrap=True)] = None
    file: Annotated[Text, aside("Source file", 34)] = None
    sha256: Annotated[Text, aside("SHA-256", 18)] = None


class IndicatorProgressRow(SheetRow):
    code: Annotated[Text, shown("Indicator", 10)] = None
    title: Annotated[Text, shown("Output indicator", 36, wrap=True)] = None
    unit: Annotated[Text, shown("Unit", 12)] = None
    partner: Annotated[Text, shown("Partner", 12)] = None
    target: Annotated[Decimal | None, shown("Target", 9)] = None
    before: Annotated[Decimal | None, shown("Reported before", 10)] = None
    this_period: Annotated[Decimal | None, shown("This period", 10)] = None
    cumulative: Annotated[Decimal | None, shown("Cumulative", 10)] = None
    share: Annotated[Decimal | None, shown("Share of target", 10, share=True)] = None


class FinanceReported(SheetRow):
    """A Finance line of a return: what the partner declared in its own currency, the rate that made it euros, and the euros."""

    partner: Annotated[Text, shown("Partner", 9)] = None
    period: Annotated[int | None, shown("Period", 7)] = None
    category_label: Annotated[Text, shown("Cost category", 30)] = None
    currency: Annotated[Text, shown("Currency", 9)] = None
    amount: Annotated[Money, shown("Declared in currency", 13, money=True)] = None
    rate_month: Annotated[dt.date | None, shown("Rate of", 10, number_format="mmm yyyy")] = None
    rate: Annotated[Decimal | None, shown("Rate (per EUR)", 10, number_format="0.0000")] = None
    budget: Annotated[Money, shown("Budget (EUR)", 13, money=True)] = None
    previous: Annotated[Money, shown("Declared before (EUR)", 13, money=True)] = None
    declared: Annotated[Money, shown("Declared in period (EUR)", 13, money=True)] = None
    file: Annotated[Text, aside("Source file", 34)] = None
    sha256: Annotated[Text, aside("SHA-256", 18)] = None


class FinancePositionRow(SheetRow):
    partner: Annotated[Text, shown("Partner", 9)] = None
    partner_name: Annotated[Text, shown("Name", 24, wrap=True)] = None
    country: Annotated[Text, shown("Country", 8)] = None
    budget: Annotated[Money, shown("Budget (EUR)", 13, money=True)] = None
    declared_period: Annotated[Money, shown("Declared in period (EUR)", 13, money=True)] = None
    cumulative: Annotated[Money, shown("Cumulative (EUR)", 13, money=True)] = None
    absorption_pct: Annotated[Decimal | None, shown("Absorption %", 10, share=True)] = None
    flc_status: Annotated[Text, shown("FLC status", 13)] = None
    certified_period: Annotated[Money, shown("Certified for period (EUR)", 13, money=True)] = None
    certified: Annotated[Money, shown("Certified to date (EUR)", 13, money=True)] = None
    funding: Annotated[Text, shown("Funding source", 16)] = None
    erdf_due: Annotated[Money, shown("ERDF due to date (EUR)", 13, money=True)] = None
    norway_due: Annotated[Money, shown("Norwegian funding due to date (EUR)", 13, money=True)] = None
    reported: Annotated[bool | None, shown("Reported", 9)] = None
    rejected: Annotated[bool | None, shown("Rejected return", 9)] = None
    ready: Annotated[bool | None, shown("Ready", 8)] = None
    blocking: Annotated[Text, shown("Blocking the joint report", 32, wrap=True)] = None


class CertificateRow(SheetRow):
    partner: Annotated[Text, shown("Partner", 9)] = None
    period: Annotated[int | None, shown("Period", 7)] = None
    category_label: Annotated[Text, shown("Cost category", 24, wrap=True)] = None
    declared: Annotated[Money, shown("Declared (EUR)", 12, money=True)] = None
    certified: Annotated[Money, shown("Certified (EUR)", 12, money=True)] = None
    deducted: Annotated[Money, shown("Deducted (EUR)", 12, money=True)] = None
    reason: Annotated[Text, shown("Reason for the deduction", 28, wrap=True)] = None
    counts: Annotated[bool | None, shown("Counts", 7)] = None
    controller: Annotated[Text, shown("Controller", 16, wrap=True)] = None
    organisation: Annotated[Text, shown("Organisation", 16, wrap=True)] = None
    certificate_date: Annotated[dt.date | None, shown("Certificate date", 11)] = None
    reference: Annotated[Text, shown("Reference", 12, wrap=True)] = None
    file: Annotated[Text, aside("Source file", 34)] = None
    sha256: Annotated[Text, aside("SHA-256", 18)] = None


class StatementRow(SheetRow):
    partner: Annotated[Text, shown("Partner", 9)] = None
    partner_name: Annotated[Text, shown("Name", 28)] = None
    funding: Annotated[Text, shown("Funding source", 16)] = None
    period: Annotated[int | None, shown("Period", 7)] = None
    category_label: Annotated[Text, shown("Cost category", 30)] = None
    declared: Annotated[Money, shown("Declared (EUR)", 13, money=True)] = None
    certified: Annotated[Money, shown("Certified (EUR)", 13, money=True)] = None
    deducted: Annotated[Money, shown("Deducted (EUR)", 13, money=True)] = None
    erdf_due: Annotated[Money, shown("ERDF due (EUR)", 13, money=True)] = None
    norway_due: Annotated[Money, shown("Norwegian funding due (EUR)", 16, money=True)] = None
    certified_by: Annotated[Text, shown("Certified by", 20)] = None
    controller: Annotated[Text, shown("Controller", 22)] = None
    certificate_date: Annotated[dt.date | None, shown("Certificate date", 12)] = None


class BudgetLineRow(SheetRow):
    partner: Annotated[Text, shown("Partner", 9)] = None
    partner_name: Annotated[Text, shown("Name", 28)] = None
    category_label: Annotated[Text, shown("Cost category", 30)] = None
    budget: Annotated[Money, shown("Budget (EUR)", 13, money=True)] = None
    declared_period: Annotated[Money, shown("Declared in period (EUR)", 13, money=True)] = None
    cumulative: Annotated[Money, shown("Cumulative (EUR)", 13, money=True)] = None
    remaining: Annotated[Money, shown("Remaining (EUR)", 13, money=True)] = None
    absorption_pct: Annotated[Decimal | None, shown("Absorption %", 10, share=True)] = None
    flat_rate_ok: Annotated[bool | None, shown("Flat rate right", 9)] = None
    source: Annotated[Text, aside("Source file", 34)] = None


def share(header: str, width: float = 10) -> Col:
    """A column holding a fraction (0.25) shown as a percentage (25.0%)."""
    return shown(header, width, number_format="0.0%")


class HistoryRow(SheetRow):
    period: Annotated[int | None, shown("Period", 7)] = None
    start: Annotated[dt.date | None, shown("Starts", 11)] = None
    end: Annotated[dt.date | None, shown("Ends", 11)] = None
    received: Annotated[int | None, shown("Returns in", 8)] = None
    accepted: Annotated[int | None, shown("Accepted", 9)] = None
    late: Annotated[int | None, shown("Late", 6)] = None
    missing: Annotated[int | None, shown("Missing", 8)] = None
    not_in: Annotated[Text, shown("Late or missing", 30, wrap=True)] = None
    declared: Annotated[Money, shown("Declared in period (EUR)", 13, money=True)] = None
    cumulative: Annotated[Money, shown("Declared cumulative (EUR)", 13, money=True)] = None
    certified: Annotated[Money, shown("Certified in period (EUR)", 13, money=True)] = None
    certified_cumulative: Annotated[Money, shown("Certified cumulative (EUR)", 13, money=True)] = None
    budget: Annotated[Money, shown("Budget (EUR)", 13, money=True)] = None
    spent_share: Annotated[Decimal | None, share("Spent / budget")] = None
    plan: Annotated[Money, shown("Planned by period end (EUR)", 13, money=True)] = None
    plan_share: Annotated[Decimal | None, share("Plan / budget")] = None
    deliverables_due: Annotated[int | None, shown("Deliverables due", 11)] = None
    deliverables_done: Annotated[int | None, shown("Deliverables done", 11)] = None
    indicator_share: Annotated[Decimal | None, share("Indicator targets reached", 11)] = None


class LivingLabHead(SheetRow):
    region: Annotated[Text, shown("Region", 16)] = None
    rank: Annotated[int | None, shown("Rank", 6)] = None
    name: Annotated[Text, shown("Place", 24, wrap=True)] = None
    municipality: Annotated[Text, shown("Municipality", 12, wrap=True)] = None
    theme: Annotated[Text, shown("Theme", 13)] = None
    proposers: Annotated[Text, shown("Proposed by", 12, wrap=True)] = None
    companies: Annotated[int | None, shown("Companies", 9)] = None
    score: Annotated[Decimal | None, shown("Score", 7)] = None
    eligible: Annotated[bool | None, shown("Eligible", 8)] = None
    ineligible_because: Annotated[Text, shown("Not eligible because", 22, wrap=True)] = None
    shortlisted: Annotated[bool | None, shown("Shortlisted", 9)] = None
    decision: Annotated[Text, typed("Decision", 10, choices="decisions")] = None
    note: Annotated[Text, typed("Coordinator note", 24, wrap=True)] = None
    reason: Annotated[Text, shown("Reason", 32, wrap=True)] = None
    change: Annotated[Text, shown("Since the partner's previous list", 18, wrap=True)] = None


class LivingLabTail(SheetRow):
    place_key: Annotated[Text, aside("Place key", 24)] = None
    file: Annotated[Text, aside("Source file", 34)] = None
    sha256: Annotated[Text, aside("SHA-256", 18)] = None


DECISIONS = DECISION_WORDS
"""What the coordinator may type into a living lab's Decision cell (Selected: confirmed for the rest of the project)."""


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    return {name: (field.annotation, field) for name, field in model.model_fields.items()}


@cache
def _living_lab_row(criteria: tuple[tuple[str, str, str], ...]) -> type[BaseModel]:
    crits: dict[str, Any] = {}
    for key, label, kind in criteria:
        kind_type = Decimal if kind == "score" else str
        crits[criterion_field(key)] = (Annotated[kind_type | None, aside(label, 11)], None)  # what the score is made of
    return create_model("LivingLabRow", __base__=SheetRow, **_fields(LivingLabHead), **crits, **_fields(LivingLabTail))


def living_lab_row(criteria: Sequence[Criterion]) -> type[BaseModel]:
    """The long list has one column per selection criterion, between the reasons and the place key."""
    return _living_lab_row(tuple((c.key, c.label, c.kind) for c in criteria))


class ShortlistRow(SheetRow):
    region: Annotated[Text, shown("Region", 16)] = None
    rank: Annotated[int | None, shown("Rank", 6)] = None
    name: Annotated[Text, shown("Place", 30, wrap=True)] = None
    municipality: Annotated[Text, shown("Municipality", 14)] = None
    theme: Annotated[Text, shown("Theme", 13)] = None
    score: Annotated[Decimal | None, shown("Score", 7)] = None
    proposers: Annotated[Text, shown("Proposed by", 14)] = None
    reason: Annotated[Text, shown("Why", 50, wrap=True)] = None


class ShortlistChangeRow(SheetRow):
    region: Annotated[Text, shown("Region", 16)] = None
    name: Annotated[Text, shown("Place", 30, wrap=True)] = None
    municipality: Annotated[Text, shown("Municipality", 14)] = None
    change: Annotated[Text, shown("Change", 18)] = None
    before: Annotated[Text, shown("In the previous period", 44, wrap=True)] = None
    now: Annotated[Text, shown("Now", 44, wrap=True)] = None


class LabProgressRow(SheetRow):
    partner: Annotated[Text, shown("Partner", 9)] = None
    period: Annotated[int | None, shown("Period", 7)] = None
    name: Annotated[Text, shown("Place", 28, wrap=True)] = None
    municipality: Annotated[Text, shown("Municipality", 14)] = None
    companies: Annotated[int | None, shown("Companies engaged", 10)] = None
    activities: Annotated[Text, shown("Activities this period", 50, wrap=True)] = None
    next_steps: Annotated[Text, shown("Next steps", 36, wrap=True)] = None
    file: Annotated[Text, aside("Source file", 34)] = None
    sha256: Annotated[Text, aside("SHA-256", 18)] = None


class RegionRow(SheetRow):
    region: Annotated[Text, shown("Region", 20)] = None
    candidates: Annotated[int | None, shown("Candidates", 11)] = None
    eligible: Annotated[int | None, shown("Eligible", 9)] = None
    shortlisted: Annotated[int | None, shown("Shortlisted", 11)] = None
    flag: Annotated[Text, shown("Flag", 50, wrap=True)] = None


class ScheduleRow(SheetRow):
    code: Annotated[Text, shown("Deliverable", 10)] = None
    work_package: Annotated[Text, shown("Work package", 8)] = None
    title: Annotated[Text, shown("Title", 24, wrap=True)] = None
    responsible: Annotated[Text, shown("Responsible", 10)] = None
    due: Annotated[dt.date | None, shown("Due", 10)] = None
    status: Annotated[Text, shown("Status", 10)] = None
    days_late: Annotated[int | None, shown("Days late", 7)] = None
    reported_status: Annotated[Text, shown("Reported", 10, wrap=True)] = None
    reported_by: Annotated[Text, shown("Reported by", 12, wrap=True)] = None
    date: Annotated[dt.date | None, shown("Actual or expected", 10)] = None
    why: Annotated[Text, shown("Why", 26, wrap=True)] = None
    comment: Annotated[Text, typed("Coordinator comment", 24, wrap=True)] = None


class WorkPackageRow(SheetRow):
    code: Annotated[Text, shown("Work package", 10)] = None
    title: Annotated[Text, shown("Title", 40, wrap=True)] = None
    lead: Annotated[Text, shown("Lead", 8)] = None
    start: Annotated[dt.date | None, shown("Start", 11)] = None
    end: Annotated[dt.date | None, shown("End", 11)] = None
    status: Annotated[Text, shown("Status", 11)] = None
    percent_complete: Annotated[Decimal | None, shown("% complete", 9, share=True)] = None
    deliverables_done: Annotated[Text, shown("Deliverables done", 11)] = None
    why: Annotated[Text, shown("Why", 50, wrap=True)] = None


class TimelineHead(SheetRow):
    kind: Annotated[Text, shown("Kind", 6)] = None
    code: Annotated[Text, shown("Code", 8)] = None
    title: Annotated[Text, shown("Title", 46)] = None
    status: Annotated[Text, shown("Status", 11)] = None


@cache
def _timeline_row(months: tuple[str, ...]) -> type[BaseModel]:
    return create_model("TimelineRow", __base__=SheetRow, **_fields(TimelineHead),
                        **{month_field(m): (Annotated[Text, shown(m, 2.6, number_format=";;;")], None) for m in months})  # the fill shows the month; the word would only clutter


def month_field(month: str) -> str:
    """The field of a project month (``2017-03``) on the Timeline sheet."""
    return f"m_{month.replace('-', '_')}"


def timeline_row(months: Sequence[str]) -> type[BaseModel]:
    """The timeline has one column per project month, headed by the month (``2017-03``)."""
    return _timeline_row(tuple(months))


class OrphanedRow(SheetRow):
    sheet: Annotated[Text, shown("Sheet", 14)] = None
    key: Annotated[Text, shown("Key", 40)] = None
    decision: Annotated[Text, typed("Decision", 12)] = None
    note: Annotated[Text, typed("Note", 50, wrap=True)] = None


class ContentsRow(SheetRow):
    sheet: Annotated[Text, shown("Sheet", 26)] = None  # a link to the sheet
    group: Annotated[Text, shown("Group", 12)] = None
    about: Annotated[Text, shown("What it is for", 72, wrap=True)] = None


class ReadinessRow(SheetRow):
    partner_name: Annotated[Text, shown("Not ready for the joint report", 34)] = None
    partner: Annotated[Text, shown("Partner", 24)] = None
    reason: Annotated[Text, shown("Why", 70, wrap=True)] = None


class Dashboard(BaseModel):
    """The Dashboard's key figures, one labelled row each; what the board and the ribbon read."""

    model_config = ConfigDict(extra="ignore")

    period: Annotated[int, shown("Reporting period")]
    period_start: Annotated[dt.date, shown("Period starts")]
    period_end: Annotated[dt.date, shown("Period ends")]
    as_of: Annotated[dt.date, shown("As of")]
    status_line: Annotated[str, shown("Project status", wrap=True)]
    on_track: Annotated[bool, shown("On track")]
    partners: Annotated[int, shown("Partners")]
    received: Annotated[int, shown("Returns received")]
    accepted: Annotated[int, shown("Returns accepted")]
    late: Annotated[int, shown("Returns received late")] = 0  # of the accepted ones; a master built before it has none
    missing: Annotated[str | None, shown("Returns missing", wrap=True)] = None
    certified_partners: Annotated[int, shown("Partners certified by FLC")]
    certified: Annotated[Decimal, shown("FLC certified to date (EUR)", money=True)]
    erdf_due: Annotated[Decimal, shown("ERDF due on certified costs to date", money=True)]
    norway_due: Annotated[Decimal, shown("Norwegian funding due on certified costs to date", money=True)] = Decimal(0)  # a master built before it has none
    declared_period: Annotated[Decimal, shown("Declared this period (EUR)", money=True)]
    cumulative: Annotated[Decimal, shown("Spent so far (EUR)", money=True)]
    budget: Annotated[Decimal, shown("Project budget (EUR)", money=True)]
    absorption_pct: Annotated[Decimal, shown("Spending against budget %", share=True)]
    deliverables: Annotated[int, shown("Deliverables")]
    done: Annotated[int, shown("Deliverables done")]
    overdue: Annotated[int, shown("Deliverables overdue")]
    places: Annotated[int, shown("Living-lab places proposed")]
    shortlisted: Annotated[int, shown("Living-lab places shortlisted")]
    ready: Annotated[int, shown("Partners ready for the joint report")]


@dataclass(frozen=True)
class Sheet:
    """A rebuilt sheet: its tab name, the Excel table on it, the model of its rows.

    ``status`` names the field whose words get the status colours; ``freeze``
    how many columns stay in view when scrolling right; ``group`` the tab colour
    (``TAB_COLOURS``), so the sheets of one kind are found together.
    """

    name: str
    table: str
    model: type[BaseModel] | None
    status: str | None = None
    freeze: int = 1
    group: str = "analyses"


TAB_COLOURS = {"overview": "#1F3864", "returns": "#2F75B5", "money": "#548235", "analyses": "#BF8F00", "living labs": "#7030A0",
               "decisions": "#7F7F7F"}
"""The tab colour of each group of rebuilt sheets: the overview, what the partners sent, the money, the analyses, the living labs, and the decisions whose rows have gone."""


CONTENTS = Sheet("Contents", "Contents", ContentsRow, group="overview")
DASHBOARD = Sheet("Dashboard", "Readiness", ReadinessRow, group="overview")
RETURNS = Sheet("Returns", "Returns", ReturnRow, status="status", group="returns")
ISSUES = Sheet("Issues", "Issues", IssueRow, status="severity", group="returns")
PROGRESS = Sheet("Progress", "MasterProgress", ProgressReported, group="returns")
DELIVERABLES = Sheet("Deliverables reported", "MasterDeliverables", DeliverableReported, group="returns")
INDICATORS = Sheet("Indicators reported", "MasterIndicators", IndicatorReported, group="returns")
INDICATOR_PROGRESS = Sheet("Indicator progress", "IndicatorProgress", IndicatorProgressRow)
FINANCE = Sheet("Finance", "MasterFinance", FinanceReported, group="money")
FINANCE_POSITION = Sheet("Finance position", "FinancePosition", FinancePositionRow, status="ready", group="money")
BUDGET_LINES = Sheet("Budget lines", "BudgetLines", BudgetLineRow, group="money")
CERTIFICATES = Sheet("FLC certificates", "FlcCertificates", CertificateRow, status="counts", group="money")
STATEMENT = Sheet("Statement of expenditure", "Statement", StatementRow, group="money")
HISTORY = Sheet("History", "History", HistoryRow)
LIVING_LABS = Sheet("Living Labs", "LivingLabs", None, status="shortlisted", freeze=3, group="living labs")  # model: living_lab_row(criteria)
SHORTLIST = Sheet("Shortlist", "Shortlist", ShortlistRow, group="living labs")
REGIONS = Sheet("Shortlist by region", "RegionFlags", RegionRow, group="living labs")
SHORTLIST_CHANGES = Sheet("Shortlist changes", "ShortlistChanges", ShortlistChangeRow, group="living labs")
LAB_PROGRESS = Sheet("Living lab progress", "LabProgress", LabProgressRow, group="living labs")
SCHEDULE = Sheet("Schedule", "Schedule", ScheduleRow, status="status")
WORK_PACKAGES = Sheet("Work package status", "WorkPackages", WorkPackageRow, status="status")
TIMELINE = Sheet("Timeline", "Timeline", None, status="status", freeze=4)  # model: timeline_row(months)
ORPHANED = Sheet("Orphaned decisions", "Orphaned", OrphanedRow, group="decisions")

REBUILT = (CONTENTS, DASHBOARD, RETURNS, ISSUES, PROGRESS, DELIVERABLES, INDICATORS, SCHEDULE, WORK_PACKAGES, TIMELINE, INDICATOR_PROGRESS, HISTORY,
           FINANCE, FINANCE_POSITION, BUDGET_LINES, CERTIFICATES, STATEMENT, LIVING_LABS, SHORTLIST, REGIONS, SHORTLIST_CHANGES, LAB_PROGRESS, ORPHANED)
"""Every sheet the build writes, in tab order, a group (and tab colour) after the other; the setup sheets follow them."""


STATUS_COLOURS: dict[str, tuple[str, str]] = {
    "Not started": ("#FFFFFF", "#595959"),
    "On track": ("#DDEBF7", "#000000"),
    "Done": ("#A9D08E", "#000000"),
    "At risk": ("#ED7D31", "#000000"),
    "Overdue": ("#A50021", "#FFFFFF"),
    "accepted": ("#A9D08E", "#000000"),
    "accepted with warnings": ("#FFF2CC", "#000000"),
    "rejected": ("#A50021", "#FFFFFF"),
    "error": ("#A50021", "#FFFFFF"),
    "warning": ("#FFF2CC", "#000000"),
    "note": ("#DDEBF7", "#000000"),
    "Yes": ("#A9D08E", "#000000"),
}
"""Fill and font of every status word, on the master and the board alike. The fills
differ in lightness (grey levels about 255, 240, 232, 189, 150, 57), so the words
stay apart printed in greyscale; the word is always in the cell too."""

TIMELINE_ACTIVE = "#D6DCE4"
"""A month in which a work package runs, on the master's and the board's timelines."""
