"""Checks across setup rows: each finding names the sheet and cell the coordinator must fix."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from nc_excel.excel.read import RowRead, TableRead
from nc_excel.issues import Issue, issue
from nc_excel.setup.currency import month_of
from nc_excel.setup.models import COST_CATEGORIES, EUR, Project, erdf_on_budgets

SHEET_OF = {
    "regions": "Regions",
    "partners": "Partners",
    "work_packages": "Work packages",
    "deliverables": "Deliverables",
    "indicators": "Indicators",
    "periods": "Periods",
    "criteria": "Criteria",
    "rates": "Rates",
}

KEYS = {
    "regions": ("code", "Code"),
    "partners": ("code", "Code"),
    "work_packages": ("code", "Code"),
    "deliverables": ("code", "Code"),
    "indicators": ("code", "Code"),
    "periods": ("number", "Period"),
    "criteria": ("key", "Key"),
}

# (table, field, header, target table, whether the cell holds a list of codes)
REFERENCES = (
    ("partners", "region", "Region", "regions", False),
    ("work_packages", "lead", "Lead partner", "partners", False),
    ("work_packages", "partners", "Participating partners", "partners", True),
    ("deliverables", "work_package", "Work package", "work_packages", False),
    ("deliverables", "responsible", "Responsible partner", "partners", False),
    ("indicators", "work_package", "Work package", "work_packages", False),
    ("indicators", "partners", "Reporting partners", "partners", True),
)

# (table, field, header) of dates that must fall within the project
PROJECT_DATES = (
    ("work_packages", "start", "Start"),
    ("work_packages", "end", "End"),
    ("deliverables", "due", "Due date"),
    ("periods", "start", "Start"),
    ("periods", "end", "End"),
)


def _valid(reads: Mapping[str, TableRead], table: str) -> list[RowRead]:
    read = reads.get(table)
    return [r for r in read.rows if r.model is not None] if read else []


def _duplicates(reads: Mapping[str, TableRead]) -> Iterable[Issue]:
    for table, (key, header) in KEYS.items():
        seen: dict[object, str] = {}
        for row in _valid(reads, table):
            value = row.values[key]
            if value in seen:
                yield issue("setup-duplicate-key", field=header, value=value, sheet=SHEET_OF[table], cell=row.cells[key], first=seen[value])
            else:
                seen[value] = row.cells[key]


def _keys(reads: Mapping[str, TableRead], table: str) -> list[object]:
    """The keys a table defines: of every row whose key cell could be read, even a row with an error
    elsewhere (reported at its own cell), so one bad cell never makes its row's code unknown."""
    read = reads.get(table)
    key = KEYS[table][0]
    return [r.values[key] for r in read.rows if r.values.get(key) is not None] if read else []


def _references(reads: Mapping[str, TableRead]) -> Iterable[Issue]:
    for table, name, header, target, many in REFERENCES:
        known = _keys(reads, target)
        lookup = set(known)  # 1,000 partners each naming one of 1,000 regions: not a search of the list each
        for row in _valid(reads, table):
            values = row.values.get(name) or []
            for value in values if many else [values]:
                if value not in lookup:
                    yield issue(
                        "setup-unknown-reference", field=header, value=value, sheet=SHEET_OF[table], cell=row.cells[name],
                        target=SHEET_OF[target], choices=", ".join(map(str, known)),
                    )


def _dates(project: Project, reads: Mapping[str, TableRead]) -> Iterable[Issue]:
    for table, name, header in PROJECT_DATES:
        for row in _valid(reads, table):
            value: dt.date = row.values[name]
            if not project.start <= value <= project.end:
                yield issue(
                    "setup-date-outside-project", field=header, value=value, sheet=SHEET_OF[table], cell=row.cells[name],
                    low=project.start, high=project.end,
                )
    for table in ("work_packages", "periods"):
        for row in _valid(reads, table):
            if row.values["end"] < row.values["start"]:
                yield issue("setup-end-before-start", field="End", value=row.values["end"], sheet=SHEET_OF[table], cell=row.cells["end"], start=row.values["start"])
    periods = sorted(_valid(reads, "periods"), key=lambda r: r.values["start"])
    for before, after in zip(periods, periods[1:]):
        if after.values["start"] <= before.values["end"]:
            yield issue("setup-period-overlap", value=after.values["number"], other=before.values["number"], sheet="Periods", cell=after.cells["start"])


def _criteria(reads: Mapping[str, TableRead]) -> Iterable[Issue]:
    # A column that is missing altogether is reported at the header (missing-column), not on every row.
    for row in _valid(reads, "criteria"):
        if row.values["kind"] != "score":
            continue
        weight = row.values.get("weight")
        if (weight is None or weight <= 0) and "weight" in row.cells:
            yield issue("setup-weight-not-positive", value=weight, key=row.values["key"], sheet="Criteria", cell=row.cells["weight"])
        low, high = row.values.get("scale_min"), row.values.get("scale_max")
        if (low is None or high is None or low >= high) and "scale_min" in row.cells and "scale_max" in row.cells:
            yield issue("setup-scale", key=row.values["key"], low=low, high=high, sheet="Criteria", cell=row.cells["scale_min"])


def _every_row_read(reads: Mapping[str, TableRead], table: str) -> bool:
    """Whether every row of ``table`` was read: a row with an error is reported at its cell, never again in a total."""
    return table in reads and len(_valid(reads, table)) == len(reads[table].rows)


def _partners(project: Project, reads: Mapping[str, TableRead]) -> Iterable[Issue]:
    # Without a Role column there is nothing to count: missing-column says so at the header.
    partners = _valid(reads, "partners")
    leads = [r for r in partners if r.values.get("role") == "Lead partner"]
    if len(leads) != 1 and partners and "role" in partners[0].cells:
        yield issue("setup-lead-partner", value=len(leads), sheet="Partners", cell=(leads[1] if leads else partners[0]).cells["role"])
    total = sum((r.model.total_budget for r in partners), Decimal(0))  # type: ignore[union-attr]
    if partners and _every_row_read(reads, "partners") and total != project.total_budget:
        first = partners[0].cells.get(f"budget_{COST_CATEGORIES[0][0]}")
        yield issue("setup-budget-total", value=f"{total:,.2f}", total=f"{project.total_budget:,.2f}", sheet="Partners", cell=first)


def _erdf(project_row: RowRead, reads: Mapping[str, TableRead]) -> Iterable[Issue]:
    """The Project sheet's ERDF must be what the ERDF partners' budgets at their rates come to, to the cent."""
    partners = [r.model for r in _valid(reads, "partners")]
    if not partners or not _every_row_read(reads, "partners"):
        return
    expected = erdf_on_budgets(partners)  # type: ignore[arg-type]
    erdf: Decimal = project_row.model.erdf  # type: ignore[union-attr]
    if erdf.quantize(Decimal("0.01")) != expected:
        yield issue("setup-erdf-total", value=f"{erdf:,.2f}", expected=f"{expected:,.2f}", sheet="Project", cell=project_row.cells["erdf"])


def _rates(reads: Mapping[str, TableRead]) -> Iterable[Issue]:
    """One rate per month and currency, and some rates for every currency a partner declares in.

    A rate for the month of a submission is looked up when the report comes in; a
    currency without any rate at all is a mistake the coordinator can see now.
    """
    seen: dict[tuple[dt.date, str], str] = {}
    for row in _valid(reads, "rates"):
        key = (month_of(row.values["month"]), row.values["currency"])
        if key in seen:
            yield issue("setup-duplicate-key", field="Month and currency", value=f"{key[0]:%Y-%m} {key[1]}", sheet="Rates", cell=row.cells["month"], first=seen[key])
        else:
            seen[key] = row.cells["month"]
    # a currency whose rates have an error is reported at that cell, not again here
    with_rates = {r.values.get("currency") for r in reads["rates"].rows} if "rates" in reads else set()
    for row in _valid(reads, "partners"):
        currency = row.values.get("currency")
        if currency not in (None, EUR) and currency not in with_rates and "currency" in row.cells:
            yield issue("setup-no-rates", value=currency, partner=row.values["code"], sheet="Partners", cell=row.cells["currency"])


def check_setup(project_row: RowRead, reads: Mapping[str, TableRead]) -> list[Issue]:
    """All cross-row findings at once, never just the first."""
    project: Project = project_row.model  # type: ignore[assignment]
    found: list[Issue] = []
    if project.end < project.start:
        found.append(issue("setup-end-before-start", field="End date", value=project.end, sheet="Project", cell=project_row.cells["end"], start=project.start))
    found += _duplicates(reads)
    found += _references(reads)
    found += _dates(project, reads)
    if project.living_labs:
        found += _criteria(reads)
        if project.shortlist_per_region < 1:
            found.append(issue("out-of-range", field="Living labs per region", value=project.shortlist_per_region, sheet="Project",
                               cell=project_row.cells["shortlist_per_region"], low=1, high=10))
    found += _partners(project, reads)
    found += _erdf(project_row, reads)
    found += _rates(reads)
    return found
