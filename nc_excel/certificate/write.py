"""Write the FLC certificate workbook of one partner and period, prefilled from its accepted return.

One sheet: what the certificate is for (partner, period, the report and when it
was submitted), a line per cost category with the declared amount locked and the
certified amount and reason open, a total row, and the certificate form. The
office and administration line is certified by the flat rate on the certified
staff costs, as the programme computes it, so it is a locked formula. With
``issues`` the same writer makes the feedback workbook: a first sheet lists every
problem with a link to its cell, and each flagged cell carries a comment.

Currency: the controller certifies in the currency the report declared in (the
partner's, named above the lines), since the amounts it checks are the partner's
own. The coordinator converts the certificate at the same rate as the return it
certifies, the rate of the return's month of submission (``master.frames``), so a
certificate of the counting return ties to its euros line by line; the workbook
states that rate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from xlsxwriter.worksheet import Worksheet

from nc_excel.certificate.schema import (
    FORM,
    FORM_TITLE,
    LINES,
    SHEET,
    TOTAL_LABEL,
    CertificateForm,
    CertificateLine,
    Declared,
    certificate_window,
)
from nc_excel.excel.formula import AsNumber, Ref
from nc_excel.excel.schema import col_letter, columns, evaluate_formulas
from nc_excel.excel.write import (
    Flag,
    Formula,
    Placement,
    Styles,
    atomic_workbook,
    cell_number,
    flag,
    print_setup,
    protect,
    write_form,
    write_info,
    write_issue_list,
    write_table,
    write_value,
)
from nc_excel.issues import Issue
from nc_excel.partner.schema import (
    CERTIFICATE,
    FEEDBACK_SHEET,
)
from nc_excel.partner.write import write_meta
from nc_excel.setup.currency import MissingRate, rate_of
from nc_excel.setup.models import COST_CATEGORIES, EUR, ProjectSetup, flat_rate_formula

TOP = 10
"""0-based row of the lines' header: title, intro and the block saying what is certified come first."""
OFFICE = [k for k, _ in COST_CATEGORIES].index("office")


def _lines(setup: ProjectSetup, declared: Declared, entered: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per cost category: locked label and declared amount, what was typed, the office line computed."""
    rate = setup.project.office_flat_rate
    rows = []
    for key, label in COST_CATEGORIES:
        typed = {k: v for k, v in entered.get(key, {}).items() if k in ("certified", "reason")}
        rows.append({"category": label, "declared": declared.amounts.get(key, Decimal(0)), **typed})
    staff_col = col_letter([c.name for c in columns(CertificateLine)].index("certified"))
    office = flat_rate_formula(AsNumber(Ref("staff")), rate)
    rows[OFFICE] = {
        **rows[OFFICE],
        "category": f"{COST_CATEGORIES[OFFICE][1]} ({rate:g} % of staff)",
        "certified": Formula(office.excel(lambda _: f"{staff_col}{TOP + 2}"), office.evaluate(lambda _: cell_number(rows[0].get("certified")))),
        "reason": f"Flat rate: {rate:g} % of the certified staff costs.",
    }
    return [evaluate_formulas(CertificateLine, row, cell_number) for row in rows]


def _flags(issues: Sequence[Issue], name: str) -> dict[str, list[Issue]]:
    """The issues located in the table or form ``name``, by row key (or "" for the form) and field."""
    flagged: dict[str, list[Issue]] = {}
    for i in issues:
        if i.locator and i.locator[0] == name:
            flagged.setdefault(f"{i.locator[1]}|{i.locator[2]}", []).append(i)
    return flagged


def _line_flags(issues: Sequence[Issue]) -> dict[tuple[int, str], Flag]:
    keys = [k for k, _ in COST_CATEGORIES]
    out = {}
    for where, found in _flags(issues, LINES).items():
        key, name = where.split("|")
        if key in keys:
            out[(keys.index(key), name)] = flag(found)
    return out


def _form_flags(issues: Sequence[Issue]) -> dict[str, Flag]:
    return {where.split("|")[1]: flag(found) for where, found in _flags(issues, FORM).items()}


def _info(ws: Worksheet, styles: Styles, setup: ProjectSetup, partner_code: str, period_number: int, declared: Declared) -> None:
    partner, period, p = setup.partner(partner_code), setup.period(period_number), setup.project
    ws.write_string(0, 0, f"{p.name}: first level control certificate", styles.text("title"))
    ws.merge_range(1, 0, 1, 4, (
        "Type what your first level controller certified for this report: the certified amount per cost category, the reason for "
        "every deduction, and the certificate's details below. Grey cells are your report's figures; green cells are computed. "
        f"Save the workbook (keep the .xlsx format) and e-mail it to {p.coordinator_email}, with the signed certificate."), styles.text("wrap"))
    ws.set_row(1, 42)
    info = [
        ("Partner", f"{partner.name} ({partner.code})"),
        ("Reporting period", f"Period {period.number}: {period.start:%d %B %Y} to {period.end:%d %B %Y}"),
        ("Report submitted on", declared.submitted_on),
        ("Report received on", declared.received),
        ("Coordinator", f"{p.coordinator}, {p.coordinator_email}"),
    ]
    if partner.currency != EUR:
        info.append(("Currency", _currency_note(setup, partner.currency, declared.submitted_on)))
    write_info(ws, styles, info, top=3, last_col=3)


def _currency_note(setup: ProjectSetup, currency: str, submitted: dt.date | None) -> str:
    """What a certificate outside the euro area says about its currency and the rate that makes its amounts euros."""
    try:
        rate = f"{rate_of(setup.rates, currency, submitted):.4f} {currency} per EUR ({submitted:%B %Y})" if submitted else None
    except MissingRate:
        rate = None
    return (f"Certify in {currency}, as the report declared. The coordinator converts at the Commission's rate of the report's month of "
            f"submission{': ' + rate if rate else ', once it is known'}.")


def _total_row(ws: Worksheet, styles: Styles, placed: Placement, rows: Sequence[Mapping[str, Any]]) -> int:
    """Totals of the money columns under the lines; column A says Total, so the reader stops there."""
    row = placed.last_row + 1
    ws.write_string(row, 0, TOTAL_LABEL, styles.fmt("label"))
    first, last = placed.header_row + 2, placed.last_row + 1
    for name in ("declared", "certified", "deducted"):
        letter = placed.cells[name]
        total = sum((cell_number(r.get(name)) for r in rows), Decimal(0))
        write_value(ws, row, placed.first_col + list(placed.cells).index(name), Formula(f"=SUM({letter}{first}:{letter}{last})", total), styles.fmt("formula", "money"))
    return row


def write_certificate_workbook(
    path: Path,
    setup: ProjectSetup,
    partner_code: str,
    period_number: int,
    declared: Declared,
    *,
    generated_at: dt.datetime,
    lines: Mapping[str, Mapping[str, Any]] | None = None,
    form: Mapping[str, Any] | None = None,
    issues: Sequence[Issue] = (),
) -> None:
    """Write the certificate workbook of one partner and period (atomically) to ``path``.

    ``lines`` (cost category key -> typed values) and ``form`` fill in what was typed
    (feedback workbooks, simulated partners); with ``issues`` it becomes a feedback
    workbook, sealed anew so the corrected one can be sent back.
    """
    partner, period = setup.partner(partner_code), setup.period(period_number)
    rows = _lines(setup, declared, lines or {})
    header = f"{setup.project.name} | FLC certificate | Period {period.number} | {partner.name} ({partner.code})"
    windows = {"certificate": certificate_window(period)}
    with atomic_workbook(path, created=generated_at) as wb:
        styles = Styles(wb)
        issue_list = wb.add_worksheet(FEEDBACK_SHEET) if issues else None
        ws = wb.add_worksheet(SHEET)
        _info(ws, styles, setup, partner_code, period_number, declared)
        ws.write_string(TOP - 1, 0, f"Amounts per cost category ({partner.currency})", styles.text("subtitle"))
        placed = write_table(ws, styles, CertificateLine, rows, name=LINES, top=TOP, windows=windows, locked_rows={OFFICE},
                             flags=_line_flags(issues))
        form_top = _total_row(ws, styles, placed, rows) + 3
        ws.write_string(form_top - 1, 0, FORM_TITLE, styles.text("subtitle"))
        filled = write_form(ws, styles, CertificateForm, form or {}, name=FORM, top=form_top, windows=windows, wb=wb, flags=_form_flags(issues))
        for r in range(form_top, filled.last_row + 1):
            ws.set_row(r, 18)
        print_setup(ws, header=header)
        protect(ws, setup.project.template_password)
        layout = {
            "tables": {LINES: {"sheet": SHEET, "ref": placed.ref(), "header_row": placed.header_row, "columns": placed.cells}},
            "forms": {FORM: {"sheet": SHEET, "cells": filled.cells}},
        }
        write_meta(wb, setup, partner, period, generated_at.isoformat(timespec="seconds"), layout, CERTIFICATE,
                   extra=[("certifies", declared.sha256 or "")])
        if issue_list is not None:
            write_issue_list(issue_list, styles, issues, lambda i: _target(i, placed, filled), lambda i: _found(i, rows, form or {}),
                             title=f"Feedback on your FLC certificate for period {period.number}", header=header, sent_as="certificate")
            issue_list.activate()
        else:
            ws.activate()


def _target(found: Issue, placed: Placement, form: Placement) -> str | None:
    """The cell of a located issue in this workbook, e.g. ``'Certificate'!C12``."""
    if found.locator is None:
        return None
    table, key, name = found.locator
    if table == FORM and name in form.cells:
        return f"'{SHEET}'!{form.cells[name]}"
    keys = [k for k, _ in COST_CATEGORIES]
    if table == LINES and key in keys and name in placed.cells:
        return f"'{SHEET}'!{placed.cells[name]}{placed.header_row + 2 + keys.index(key)}"
    return None


def _found(found: Issue, rows: Sequence[Mapping[str, Any]], form: Mapping[str, Any]) -> Any:
    """What the flagged cell holds in this workbook; else the issue's own value."""
    if found.locator is None:
        return found.value
    table, key, name = found.locator
    if table == FORM:
        return form.get(name, found.value)
    keys = [k for k, _ in COST_CATEGORIES]
    if key not in keys:
        return found.value
    value = rows[keys.index(key)].get(name)
    return value.value if isinstance(value, Formula) else value
