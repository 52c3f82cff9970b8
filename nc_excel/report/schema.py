"""The joint progress report's tables: one model per table, driving the writer and the reader alike.

The report is written from the built master (read through ``master.schema``); the
only cells the coordinator types into are the *Project summary* rows of the work
package texts (``WorkPackageText.text`` on rows of kind ``SUMMARY``). They are read
back from the previous report by their stable key (work package, topic, kind)
before a rebuild, so the coordinator's wording survives. Tables copied as they
are from the master (statement of expenditure, shortlist, living-lab progress)
use the master's own models.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel

from nc_excel.master.schema import (
    LabProgressRow,
    SheetRow,
    ShortlistRow,
    StatementRow,
    shown,
    typed,
)
from nc_excel.setup.models import ProjectSetup

Text = str | None
Money = Decimal | None

SUMMARY = "Project summary"
"""Written by: the row the coordinator writes, above the partners' paragraphs (written by a partner code)."""
TOPICS = (("achievements", "Main achievements"), ("problems", "Problems and deviations"), ("next_period", "Plans for the next period"))
"""The partners' text fields compiled per work package (field of the master's Progress sheet, topic)."""


class WorkPackageStatusRow(SheetRow):
    code: Annotated[Text, shown("Work package", 10)] = None
    title: Annotated[Text, shown("Title", 44, wrap=True)] = None
    lead: Annotated[Text, shown("Lead", 8)] = None
    status: Annotated[Text, shown("Status", 12)] = None
    percent_complete: Annotated[Decimal | None, shown("% complete", 10, share=True)] = None
    deliverables_done: Annotated[Text, shown("Deliverables done", 11)] = None
    why: Annotated[Text, shown("Why", 50, wrap=True)] = None


class WorkPackageText(SheetRow):
    work_package: Annotated[Text, shown("Work package", 10)] = None
    topic: Annotated[Text, shown("Topic", 16, wrap=True)] = None
    kind: Annotated[Text, shown("Written by", 10, wrap=True)] = None
    text: Annotated[Text, typed("Text", 100, wrap=True)] = None


class DeliverableRow(SheetRow):
    code: Annotated[Text, shown("Deliverable", 11)] = None
    work_package: Annotated[Text, shown("Work package", 10)] = None
    title: Annotated[Text, shown("Title", 40, wrap=True)] = None
    responsible: Annotated[Text, shown("Responsible", 11)] = None
    due: Annotated[dt.date | None, shown("Planned", 11)] = None
    status: Annotated[Text, shown("Status", 11)] = None
    date: Annotated[dt.date | None, shown("Actual or expected", 12)] = None
    reported_by: Annotated[Text, shown("Reported by", 20, wrap=True)] = None


class IndicatorRow(SheetRow):
    code: Annotated[Text, shown("Indicator", 10)] = None
    title: Annotated[Text, shown("Output indicator", 40, wrap=True)] = None
    unit: Annotated[Text, shown("Unit", 12)] = None
    target: Annotated[Decimal | None, shown("Target", 10)] = None
    before: Annotated[Decimal | None, shown("Reported before", 10)] = None
    this_period: Annotated[Decimal | None, shown("This period", 10)] = None
    cumulative: Annotated[Decimal | None, shown("Cumulative", 10)] = None
    share: Annotated[Decimal | None, shown("% of target", 10, share=True)] = None


class CertificateListRow(SheetRow):
    partner: Annotated[Text, shown("Partner", 9)] = None
    period: Annotated[int | None, shown("Period", 7)] = None
    certified_by: Annotated[Text, shown("Certified by", 20)] = None
    controller: Annotated[Text, shown("Controller", 26)] = None
    certificate_date: Annotated[dt.date | None, shown("Date", 11)] = None
    declared: Annotated[Money, shown("Declared (EUR)", 13, money=True)] = None
    certified: Annotated[Money, shown("Certified (EUR)", 13, money=True)] = None
    deducted: Annotated[Money, shown("Deducted (EUR)", 13, money=True)] = None


class NotReadyRow(SheetRow):
    partner: Annotated[Text, shown("Partner", 9)] = None
    partner_name: Annotated[Text, shown("Name", 34)] = None
    reason: Annotated[Text, shown("Why it is not ready", 70, wrap=True)] = None


@dataclass(frozen=True)
class ReportSheet:
    """A sheet of the report: tab name, the Excel table on it, the model of its rows, its title and what it says."""

    name: str
    table: str
    model: type[BaseModel]
    title: str
    intro: str


WORK_PACKAGES = ReportSheet("Work packages", "ReportWorkPackages", WorkPackageStatusRow, "Work packages",
                            "Status and % complete as the master's schedule has them on the as-of day.")
TEXTS = ReportSheet("Progress texts", "ReportTexts", WorkPackageText, "What the partnership did, per work package",
                    f"Write the project's own words into the yellow {SUMMARY} rows: they are kept when the report is rebuilt. "
                    "Below each, what every partner reported for the period, a paragraph per partner in partner order.")
DELIVERABLES = ReportSheet("Deliverables", "ReportDeliverables", DeliverableRow, "Deliverables",
                           "Planned date, status on the as-of day, actual or expected date and the partners who reported it.")
INDICATORS = ReportSheet("Indicators", "ReportIndicators", IndicatorRow, "Output indicators",
                         "The project against its targets (the target per partner times the reporting partners).")
STATEMENT = ReportSheet("Statement of expenditure", "ReportStatement", StatementRow, "Statement of expenditure",
                        "As on the master: per partner report and cost category, in EUR; ERDF and Norwegian funding are due on each report's total line.")
CERTIFICATES = ReportSheet("FLC certificates", "ReportCertificates", CertificateListRow, "The FLC certificates the statement rests on",
                           "Each partner report first level control has certified: by a certificate workbook, or by the FLC block of the return "
                           "(the total only); the last line adds them up and equals the statement's certified total.")
NOT_READY = ReportSheet("Not ready", "ReportNotReady", NotReadyRow, "What is not ready",
                        "Partners whose report cannot be claimed yet, and why: nothing here is in the claim until it is certified.")
SHORTLIST = ReportSheet("Living labs", "ReportShortlist", ShortlistRow, "Living labs",
                        "The shortlist (or the labs selected), ranked within each region.")
LAB_PROGRESS = ReportSheet("Living lab progress", "ReportLabProgress", LabProgressRow, "Living lab progress",
                           "What the partners report about the selected living labs in this period.")

SHEETS = (WORK_PACKAGES, TEXTS, DELIVERABLES, INDICATORS, STATEMENT, CERTIFICATES, NOT_READY, SHORTLIST, LAB_PROGRESS)
"""The report's table sheets, in tab order, after its cover sheet."""
COVER = "Report"


def report_name(setup: ProjectSetup, period: int) -> str:
    return f"{setup.project.acronym}_progress_P{period}.xlsx"
