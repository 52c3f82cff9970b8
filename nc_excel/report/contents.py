"""The joint report's tables, as pure functions of the master's frames (and the coordinator's summaries).

Nothing is computed again from the returns: every figure is one of the master's,
and the only sums (a certificate's lines, the certificates' total) add up the
master's rows, so the report always agrees with the master it was made from.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd

from nc_excel.analyses.finance import TOTAL, money
from nc_excel.analyses.indicators import PROJECT as ALL_PARTNERS
from nc_excel.analyses.statement import NOT_YET, REPORT_TOTAL
from nc_excel.excel.schema import columns
from nc_excel.report.schema import (
    SUMMARY,
    TOPICS,
    CertificateListRow,
    NotReadyRow,
    WorkPackageText,
)
from nc_excel.setup.models import ProjectSetup

NOBODY = "-"


def _fields(model: type) -> list[str]:
    return [c.name for c in columns(model)]


def attributed(setup: ProjectSetup, progress: pd.DataFrame, work_package: str, topic: str) -> list[tuple[str, str]]:
    """The partners' texts on one topic of one work package: (partner, paragraph under its name), in partner order."""
    names = {p.code: f"{p.short_name} ({p.code})" for p in setup.partners}
    order = {p.code: n for n, p in enumerate(setup.partners)}
    rows = progress[(progress["work_package"] == work_package) & progress[topic].notna()]
    mine = sorted(rows.to_dict("records"), key=lambda r: order.get(r["partner"], len(order)))
    return [(r["partner"], f"{names.get(r['partner'], r['partner'])}: {str(r[topic]).strip()}") for r in mine if str(r[topic]).strip()]


def work_package_texts(setup: ProjectSetup, progress: pd.DataFrame, period: int, summaries: dict[tuple[str, str], str]) -> pd.DataFrame:
    """Per work package and topic: the coordinator's summary row (kept from the last report), then a row per partner
    that reported on it in ``period``, in partner order.

    A paragraph per row rather than one cell per topic: twenty partners' paragraphs
    outgrow the tallest row a spreadsheet prints (409 points); selecting the rows
    under a summary copies them as one text, each paragraph under its partner's name.
    """
    now = progress[progress["period"] == period]
    rows: list[dict[str, Any]] = []
    for wp in setup.work_packages:
        for field, topic in TOPICS:
            rows.append({"work_package": wp.code, "topic": topic, "kind": SUMMARY, "text": summaries.get((wp.code, topic))})
            paragraphs = attributed(setup, now, wp.code, field) or [(NOBODY, "No partner reported on this.")]
            rows += [{"work_package": wp.code, "topic": topic, "kind": partner, "text": text} for partner, text in paragraphs]
    return pd.DataFrame(rows, columns=_fields(WorkPackageText))


def certificate_list(statement: pd.DataFrame) -> pd.DataFrame:
    """One row per certified partner report (the master's statement's report total lines), and a total row."""
    fields = _fields(CertificateListRow)
    reports = statement[(statement["category_label"] == REPORT_TOTAL) & (statement["certified_by"] != NOT_YET)]
    rows: list[dict[str, Any]] = [{k: r[k] for k in fields} for r in reports.to_dict("records")]
    if rows:
        rows.append({"partner": TOTAL, **{k: sum((money(r[k]) for r in rows), Decimal(0)) for k in ("declared", "certified", "deducted")}})
    return pd.DataFrame(rows, columns=fields)


def not_ready(partners: pd.DataFrame) -> pd.DataFrame:
    """The partners the master's Finance position does not call ready, with its reasons."""
    rows = partners[partners["ready"] != True]  # noqa: E712 - blanks are None
    return pd.DataFrame({"partner": rows["partner"], "partner_name": rows["partner_name"], "reason": rows["blocking"]}, columns=_fields(NotReadyRow))


def project_indicators(progress: pd.DataFrame) -> pd.DataFrame:
    """The project's line of each indicator (the master's Indicator progress has the partners' lines too)."""
    return progress[progress["partner"] == ALL_PARTNERS].reset_index(drop=True)
