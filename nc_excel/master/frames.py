"""Returns as frames: the tables of every accepted return, stacked, each row with its source.

The analyses (living labs, schedule, finance) are pure functions of these frames;
the master workbook shows them. Every row carries ``partner``, ``period``,
``file`` and ``sha256``, so any figure can be traced back to the return it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from nc_excel.certificate.schema import Certificate
from nc_excel.excel.schema import columns
from nc_excel.intake.archive import Entry
from nc_excel.partner.currency import IN_EUROS, Conversion, conversion
from nc_excel.partner.read import Return
from nc_excel.partner.schema import (
    ALL_TABLES,
    DELIVERABLES,
    FINANCE,
    FLC_FORM,
    INDICATORS,
    LIVING_LABS,
    PROGRESS,
    SELECTED_LABS,
    SUBMISSION_FORM,
    table_model,
)
from nc_excel.setup.models import COST_CATEGORIES, ProjectSetup

PROVENANCE = ["partner", "period", "file", "sha256"]
CURRENCY_FIELDS = ("currency", "amount", "rate", "rate_month")
"""What a finance row keeps of the partner's own currency beside its euros (``declared``)."""
CERTIFICATE_DETAILS = ("controller", "organisation", "certificate_date", "reference")


@dataclass(frozen=True)
class Conversions:
    """How each return's amounts became euros: by the return's SHA-256, and the latest return's by partner and period."""

    by_sha: dict[str, Conversion]
    by_report: dict[tuple[str, int], Conversion]

    def of(self, sha256: str | None, partner: str, period: int) -> Conversion:
        """The conversion of the return with ``sha256``, else of the partner's latest return of the period, else none (euros)."""
        return self.by_sha.get(sha256 or "") or self.by_report.get((partner, period), IN_EUROS)


@dataclass(frozen=True)
class ReturnFrames:
    progress: pd.DataFrame
    deliverables: pd.DataFrame
    indicators: pd.DataFrame
    finance: pd.DataFrame
    flc: pd.DataFrame
    submission: pd.DataFrame
    candidates: pd.DataFrame
    lab_progress: pd.DataFrame  # the partners' answers about their selected living labs
    conversions: Conversions


def _frame(rows: list[dict[str, Any]], fields: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[*PROVENANCE, *fields], dtype=object)


def _table_fields(spec_name: str, setup: ProjectSetup) -> list[str]:
    spec = next(s for s in ALL_TABLES if s.name == spec_name)
    return [c.name for c in columns(table_model(spec, setup))]


def return_frames(returns: Sequence[tuple[Entry, Return]], setup: ProjectSetup) -> ReturnFrames:
    """Stack the tables of the given (register entry, return) pairs into frames.

    Money is in euros: ``declared`` and the FLC form's ``certified`` at the rate of the
    return's month of submission (``conversion``; ``MissingRate`` when the Rates sheet
    lacks it); a finance row keeps what the partner declared in its ``currency`` as
    ``amount``, with the ``rate`` and its ``rate_month`` (none for the euro).
    """
    by_sha: dict[str, Conversion] = {}
    by_report: dict[tuple[str, int], Conversion] = {}
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in ("progress", "deliverables", "indicators", "finance", "flc", "submission", "candidates", "lab_progress")}
    category_keys = [k for k, _ in COST_CATEGORIES]
    for entry, ret in returns:
        source = {"partner": ret.partner, "period": ret.period, "file": entry.archived or entry.file, "sha256": entry.sha256}
        euros = by_sha[entry.sha256] = by_report[(ret.partner, ret.period)] = conversion(ret, setup, entry.received.date())
        rate = {"currency": euros.currency, "rate": euros.rate if euros.month else None, "rate_month": euros.month}
        rows["progress"] += [{**source, **r, "percent_complete": complete_share(r.get("percent_complete"))} for r in ret.rows(PROGRESS.name)]
        rows["indicators"] += [{**source, **r} for r in ret.rows(INDICATORS.name)]
        # a deliverable due after the period may be left without a status: nothing reported on it
        rows["deliverables"] += [{**source, **r} for r in ret.rows(DELIVERABLES.name) if r.get("status") is not None]
        for key, r in zip(category_keys, ret.rows(FINANCE.name)):
            rows["finance"].append({**source, **r, "category": key, "category_label": dict(COST_CATEGORIES)[key],
                                    "amount": r.get("declared"), "declared": euros.eur(r.get("declared")), **rate})
        flc = ret.form(FLC_FORM)
        rows["flc"].append({**source, **flc, "certified": None if flc.get("certified") is None else euros.eur(flc["certified"])})
        rows["submission"].append({**source, **ret.form(SUBMISSION_FORM)})
        rows["candidates"] += [{**source, "row": n, **r} for n, r in enumerate(ret.rows(LIVING_LABS.name))]
        rows["lab_progress"] += [{**source, **r} for r in ret.rows(SELECTED_LABS.name)]
    finance_fields = [f for f in _table_fields(FINANCE.name, setup) if f != "category"] + ["category", "category_label", *CURRENCY_FIELDS]
    return ReturnFrames(
        progress=_frame(rows["progress"], _table_fields(PROGRESS.name, setup)),
        deliverables=_frame(rows["deliverables"], _table_fields(DELIVERABLES.name, setup)),
        indicators=_frame(rows["indicators"], _table_fields(INDICATORS.name, setup)),
        finance=_frame(rows["finance"], finance_fields),
        flc=_frame(rows["flc"], ["controller", "sent_to_flc", "flc_status", "certified", "certificate_date"]),
        submission=_frame(rows["submission"], ["contact_name", "contact_email", "phone", "submitted_on", "confirm"]),
        candidates=_frame(rows["candidates"], ["row", *_table_fields(LIVING_LABS.name, setup)]),
        lab_progress=_frame(rows["lab_progress"], _table_fields(SELECTED_LABS.name, setup)),
        conversions=Conversions(by_sha, by_report),
    )


def complete_share(percent: Any) -> Decimal | None:
    """A partner's % complete (a whole number 0 to 100 in every template so far) as the fraction the master shows as a percentage."""
    return None if percent is None or pd.isna(percent) else Decimal(int(percent)) / 100


def certificate_frame(certificates: Sequence[tuple[Entry, Certificate]], conversions: Conversions) -> pd.DataFrame:
    """The current FLC certificates, one row per partner, period and cost category, with the certificate's details.

    A controller certifies in the currency of the report; its amounts become euros at
    the rate of the return it certifies (``Certificate.certifies``), so a certificate
    of the counting return matches that return's euros line by line.
    """
    rows = []
    for entry, cert in certificates:
        details = {k: cert.details().get(k) for k in CERTIFICATE_DETAILS}
        euros = conversions.of(cert.certifies, cert.partner, cert.period)
        for key, _ in COST_CATEGORIES:
            line = cert.values(key)
            amounts = {name: None if line.get(name) is None else euros.eur(line[name]) for name in ("declared", "certified")}
            rows.append({"partner": cert.partner, "period": cert.period, "file": entry.archived or entry.file, "sha256": entry.sha256,
                         "category": key, **amounts, "reason": line.get("reason"), **details})
    return _frame(rows, ["category", "declared", "certified", "reason", *CERTIFICATE_DETAILS])


WITHDRAWN = "withdrawn"
"""The status a withdrawn return shows on the Returns sheet: not accepted, so it counts nowhere."""


def register_frame(entries: Sequence[Entry]) -> pd.DataFrame:
    """The returns register as a frame, in the order of receipt (``seq``); the finance analysis reads verdicts from it.

    ``replaced_by`` names the file of the return (or certificate) that replaced an
    accepted one (``superseded`` says the same as a flag); a return the coordinator
    withdrew has the status ``withdrawn``, and ``decision`` says who withdrew (or
    reopened) it, when and why.
    """
    cols = ["seq", "file", "partner", "period", "status", "kind", "late", "errors", "warnings", "received", "sha256", "superseded", "replaced_by", "archived",
            "feedback", "decision"]
    file_of = {e.sha256: e.file for e in entries if e.accepted}
    rows = [
        {**e.model_dump(include=set(cols)), "late": e.late, "superseded": e.superseded_by is not None,
         "replaced_by": file_of.get(e.superseded_by) if e.superseded_by else None,
         **({"status": WITHDRAWN} if e.withdrawn else {}), "decision": e.decision.text if e.decision else None}
        for e in sorted(entries, key=lambda e: e.seq)
    ]
    return pd.DataFrame(rows, columns=cols, dtype=object)
