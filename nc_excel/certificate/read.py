"""Read an FLC certificate workbook: whose it is (the sealed metadata sheet), its lines and its form.

Recognised by its metadata (``kind=certificate``), never by its file name. The
lines are found by their Excel table, else by their header row on the layout's
sheet or any other, and end at the total row; the form is found by its labels.
Every cell problem becomes an issue at its cell, located for the feedback workbook.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from nc_excel.certificate.schema import (
    FORM,
    FORM_TITLE,
    LINES,
    SHEET,
    TOTAL_LABEL,
    Certificate,
    CertificateForm,
    CertificateLine,
    category_of,
    certificate_window,
)
from nc_excel.excel.read import (
    Grid,
    ReadContext,
    find_header_row,
    norm_header,
    read_form,
    read_table,
)
from nc_excel.excel.schema import columns
from nc_excel.issues import Issue, issue
from nc_excel.partner.read import Workbook, identify
from nc_excel.setup.models import COST_CATEGORIES, ProjectSetup, flat_rate


def _locate(book: Workbook, layout: dict[str, Any]) -> tuple[str, int] | None:
    """(sheet, header row) of the lines: the layout's sheet first, then every other."""
    named = layout.get("tables", {}).get(LINES, {}).get("sheet", SHEET)
    for sheet in [named, SHEET, *(s for s in book.sheets if s not in (named, SHEET))]:
        grid = book.sheets.get(sheet)
        header = find_header_row(grid, CertificateLine) if grid is not None else None
        if header is not None:
            return sheet, header
    return None


def _end_of(grid: Grid, header: int) -> int | None:
    """The lines end at the total row (or, without it, at the form's heading or first label)."""
    stops = {norm_header(TOTAL_LABEL), norm_header(FORM_TITLE)} | {norm_header(c.header) for c in columns(CertificateForm)}
    return next((r for r in range(header + 1, len(grid)) if grid[r] and norm_header(grid[r][0]) in stops), None)


def _office_computed(rate: Decimal) -> Any:
    """The office line's certified amount as the template's flat-rate formula computes it, when the file has no result."""
    staff: dict[str, Any] = {}

    def fill(values: dict[str, Any]) -> dict[str, Any]:
        key = category_of(values.get("category"), len(COST_CATEGORIES))  # by label only
        if key == "staff":
            staff["certified"] = values.get("certified")
        elif key == "office" and values.get("certified") is None:
            return {**values, "certified": flat_rate(staff.get("certified") or Decimal(0), rate)}
        return values

    return fill


def read_certificate(book: Workbook, setup: ProjectSetup) -> Certificate:
    """Identify the certificate and read its lines and form, collecting every issue (raises ``NotAReturn``)."""
    partner, period_no, meta = identify(book, setup)
    try:
        layout = json.loads(meta.get("layout") or "{}")
    except json.JSONDecodeError:
        layout = {}
    ctx_windows = {"certificate": certificate_window(setup.period(period_no))}
    issues: list[Issue] = []
    lines = {}
    form = None
    place = _locate(book, layout)
    sheet = place[0] if place else SHEET
    if place is None:
        issues.append(issue("missing-sheet", sheet=SHEET, table="FLC certificate lines"))
    else:
        grid = book.sheets[sheet]
        ctx = ReadContext(sheet=sheet, windows=ctx_windows, date1904=book.date1904, note_text_numbers=True)
        read = read_table(grid, CertificateLine, ctx, header_row=place[1], end_row=_end_of(grid, place[1]),
                          computed=_office_computed(setup.project.office_flat_rate))
        issues += [i for i in read.issues if i.locator is None]
        for n, row in enumerate(read.rows):
            key = category_of(row.values.get("category"), n) or str(n)
            row.issues = [i.model_copy(update={"locator": (LINES, key, i.locator[2])}) if i.locator else i for i in row.issues]
            issues += row.issues
            lines[key] = row
        form, form_issues = read_form(grid, CertificateForm, ctx)
        form.issues = [i.model_copy(update={"locator": (FORM, "", i.locator[2])}) if i.locator else i for i in form_issues]
        issues += form.issues
    issues = [i.model_copy(update={"file": book.file, "partner": partner, "period": period_no}) for i in issues]
    headers = {c.name: c.header for model in (CertificateLine, CertificateForm) for c in columns(model)}
    certifies = str(meta.get("certifies") or "") or None
    return Certificate(book.file, partner, period_no, str(meta.get("generated_at")), certifies, lines, form, issues, sheet, headers)
