"""Write the partner workbook: one per partner and reporting period.

The workbook is what a partner sees of the whole system, so it is plain and
familiar: a Start sheet with instructions and a live count of what is still
missing, one sheet per table with yellow input cells, locked prefilled and
computed cells, dropdowns and input messages derived from the table models,
print setup, and a very hidden metadata sheet that tells intake whose report
it is. The same writer fills in values, for feedback workbooks and the demo.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from nc_excel.excel.formula import AsNumber, Ref
from nc_excel.excel.schema import (
    HEADER_ROW,
    cell_ref,
    col_letter,
    columns,
    evaluate_formulas,
)
from nc_excel.excel.write import (
    TITLE_ROW,
    Flag,
    Formula,
    Placement,
    Styles,
    Window,
    atomic_workbook,
    cell_format,
    cell_number,
    fit_row,
    flag,
    print_setup,
    protect,
    write_form,
    write_info,
    write_issue_list,
    write_lists,
    write_table,
    write_value,
)
from nc_excel.issues import Issue
from nc_excel.partner.schema import (
    ALL_TABLES,
    DELIVERABLES,
    FEEDBACK_SHEET,
    FINANCE,
    FLC_FORM,
    FLC_TITLE,
    FOREIGN_INTRO,
    INDICATORS,
    LIVING_LAB_ROWS,
    LIVING_LABS,
    META_SHEET,
    PROGRESS,
    RATE,
    RETURN,
    SCHEMA_VERSION,
    SELECTED_LABS,
    START_SHEET,
    SUBMISSION_FORM,
    TOTAL_LABEL,
    Entries,
    FlcForm,
    Prefill,
    SubmissionForm,
    TableSpec,
    WorkbookKind,
    digest,
    eur_formula,
    finance_totals,
    status_required,
    table_model,
    windows,
    workbook_tables,
)
from nc_excel.setup.currency import MissingRate, month_of, rate_of, rates_of
from nc_excel.setup.models import (
    COST_CATEGORIES,
    EUR,
    Partner,
    Period,
    ProjectSetup,
    flat_rate_formula,
)


def prefilled_rows(setup: ProjectSetup, partner: Partner, prefill: Prefill) -> dict[str, list[dict[str, Any]]]:
    """The locked part of each table, from the setup and the previous return."""
    wps = [w for w in setup.work_packages if partner.code in w.partners]
    wp_codes = {w.code for w in wps}
    finance = []
    for key, label in COST_CATEGORIES:
        finance.append({"category": label, "budget": partner.budget(key), "previous": prefill.finance.get(key, Decimal(0))})
    return {
        PROGRESS.name: [{"work_package": w.code, "title": w.title} for w in wps],
        DELIVERABLES.name: [
            {"code": d.code, "work_package": d.work_package, "title": d.title, "responsible": d.responsible, "due": d.due,
             **prefill.deliverables.get(d.code, {})}
            for d in setup.deliverables if d.work_package in wp_codes
        ],
        INDICATORS.name: [
            {"code": i.code, "title": i.title, "unit": i.unit, "target": i.target, "previous": prefill.indicators.get(i.code, Decimal(0))}
            for i in setup.indicators if partner.code in i.partners
        ],
        FINANCE.name: finance,
        LIVING_LABS.name: [dict(row) for row in prefill.living_labs],
        SELECTED_LABS.name: [dict(row) for row in prefill.selected_labs],
    }


def _merge(spec: TableSpec, rows: list[dict[str, Any]], entered: Sequence[Mapping[str, Any]], inputs: set[str]) -> list[dict[str, Any]]:
    """Put typed values into prefilled rows (matched by key; only ``inputs`` may override a
    prefilled value) or free rows (by position)."""
    if spec.key is None:
        return [dict(r) for r in entered] if entered else rows
    by_key = {str(e.get(spec.key)): e for e in entered}
    merged = []
    for row in rows:
        typed = by_key.get(str(row[spec.key]), {})
        merged.append({**row, **{k: v for k, v in typed.items() if k not in row or k in inputs}})
    return merged


def _missing_count(rows: Mapping[str, list[dict[str, Any]]], setup: ProjectSetup, period: Period, submission: Mapping[str, Any]) -> int:
    """What the missing-inputs formula will count, for its cached value."""
    count = 0
    for spec in ALL_TABLES:
        if spec.key is None or spec.name not in rows:
            continue
        required = [c.name for c in columns(table_model(spec, setup)) if c.col.input and c.required]
        count += sum(1 for row in rows[spec.name] for name in required if row.get(name) is None)
    count += sum(1 for row in rows.get(DELIVERABLES.name, []) if row.get("status") is None and status_required(row.get("due"), period))
    count += sum(1 for c in columns(SubmissionForm) if c.required and submission.get(c.name) is None)
    return count


def _row_index(spec: TableSpec, rows: Sequence[Mapping[str, Any]], key: str) -> int | None:
    """The row of a located issue in this workbook: by key for prefilled tables, by position otherwise."""
    if spec.key is None:
        return int(key) if key.isdigit() else None
    keys = [str(r.get(spec.key)) for r in rows]
    return keys.index(key) if key in keys else None


def _table_flags(spec: TableSpec, rows: Sequence[Mapping[str, Any]], issues: Sequence[Issue]) -> dict[tuple[int, str], Flag]:
    at: dict[tuple[int, str], list[Issue]] = {}
    for i in issues:
        if i.locator and i.locator[0] == spec.name:
            index = _row_index(spec, rows, i.locator[1])
            if index is not None:
                at.setdefault((index, i.locator[2]), []).append(i)
    return {target: flag(found) for target, found in at.items()}


def _form_flags(form: str, issues: Sequence[Issue]) -> dict[str, Flag]:
    at: dict[str, list[Issue]] = {}
    for i in issues:
        if i.locator and i.locator[0] == form:
            at.setdefault(i.locator[2], []).append(i)
    return {name: flag(found) for name, found in at.items()}


def _target(issue: Issue, rows: Mapping[str, Sequence[Mapping[str, Any]]], placed: Mapping[str, Placement], forms: Mapping[str, Placement]) -> str | None:
    """Sheet and cell of an issue in this workbook, e.g. ``'Progress'!C5``, or None."""
    if issue.locator is None:
        return None
    table, key, name = issue.locator
    if table in forms:
        cell = forms[table].cells.get(name)
        return f"'{forms[table].sheet}'!{cell}" if cell else None
    spec = next((s for s in ALL_TABLES if s.name == table), None)
    if spec is None or table not in placed or name not in placed[table].cells:
        return None
    index = _row_index(spec, rows[table], key)
    if index is None:
        return None
    return f"'{spec.sheet}'!{placed[table].cells[name]}{placed[table].header_row + 2 + index}"


def _found(issue: Issue, rows: Mapping[str, Sequence[Mapping[str, Any]]], forms: Mapping[str, Mapping[str, Any]]) -> Any:
    """What the partner's cell of a located issue holds, as this workbook shows it; else the issue's own value.

    A rule's issue names its row by key in the message (``Work package WP1 is Done
    ...``); the list's "Value found" is the flagged cell's content (85), not that key.
    """
    if issue.locator is None:
        return issue.value
    table, key, name = issue.locator
    if table in forms:
        return forms[table].get(name, issue.value)
    spec = next((s for s in ALL_TABLES if s.name == table), None)
    index = _row_index(spec, rows[table], key) if spec is not None and table in rows else None
    return rows[table][index].get(name, issue.value) if index is not None else issue.value


def _sheet_header(ws: Worksheet, styles: Styles, spec: TableSpec, rate: RateCell | None = None) -> None:
    ws.write_string(0, 0, spec.title, styles.text("title"))
    ws.set_row(0, TITLE_ROW)
    intro = FOREIGN_INTRO.format(currency=rate.currency) if spec is FINANCE and rate is not None else spec.intro
    ws.write_string(1, 0, intro, styles.text("note"))
    ws.set_row(1, 28)


@dataclass(frozen=True)
class RateCell:
    """Where a workbook of a partner outside the euro area shows the rate of its month of submission, and its value now."""

    currency: str
    cell: str  # absolute, with its sheet: 'Start'!$B$9
    value: Decimal | None  # None: no submission date yet, or no rate for its month

    def known(self, row: dict[str, Any]) -> dict[str, Any]:
        """A computed Finance row as the sheet shows it: its euro figures blank while the rate is unknown."""
        if self.value is not None:
            return row
        return {**row, **{name: Formula(row[name], "") if isinstance(row.get(name), Formula) else "" for name in FOREIGN_FIGURES}}


FOREIGN_FIGURES = ("declared_eur", "cumulative", "remaining", "absorption")
"""The Finance figures of a partner outside the euro area that wait for the rate of the month of submission."""


def _in_euros(rows: list[dict[str, Any]], model: type[BaseModel], rate: RateCell) -> list[dict[str, Any]]:
    """The Finance rows of a partner outside the euro area with their euros: ``eur_formula`` on each amount."""
    declared = col_letter([c.name for c in columns(model)].index("declared"))
    formula = eur_formula()
    out = []
    for r, row in enumerate(rows):
        refs = {"declared": f"{declared}{HEADER_ROW + 2 + r}", RATE: rate.cell}
        values = {"declared": cell_number(row.get("declared")), RATE: rate.value}
        euros = formula.evaluate(values.__getitem__) if rate.value is not None else ""
        out.append({**row, "declared_eur": Formula(formula.excel(refs.__getitem__), euros)})
    return out


def _write_tables(
    wb: Workbook, styles: Styles, setup: ProjectSetup, partner: Partner, period: Period,
    rows: dict[str, list[dict[str, Any]]], lists: Mapping[str, str], win: Mapping[str, Window], header: str,
    issues: Sequence[Issue], specs: Sequence[TableSpec], rate_cell: RateCell | None,
) -> dict[str, Placement]:
    placed: dict[str, Placement] = {}
    rate = setup.project.office_flat_rate
    for spec in specs:
        ws = wb.add_worksheet(spec.sheet)
        _sheet_header(ws, styles, spec, rate_cell)
        model = table_model(spec, setup, partner.currency)
        table_rows = rows[spec.name]
        locked: set[int] = set()
        spare = 0
        if spec is FINANCE:
            staff_row = HEADER_ROW + 2  # the first data row, staff costs, in Excel's 1-based rows
            declared = col_letter([c.name for c in columns(model)].index("declared"))
            office = [k for k, _ in COST_CATEGORIES].index("office")
            office_rate = flat_rate_formula(AsNumber(Ref("staff")), rate)
            staff_cell = {"staff": f"{declared}{staff_row}"}
            staff_costs = {"staff": cell_number(table_rows[0].get("declared"))}
            table_rows[office] = {
                **table_rows[office],
                "category": f"Office and administration ({rate:g} % of staff)",
                "declared": Formula(office_rate.excel(staff_cell.__getitem__), office_rate.evaluate(staff_costs.__getitem__)),
            }
            locked = {office}
            if rate_cell is not None:
                table_rows = _in_euros(table_rows, model, rate_cell)
        table_rows = [evaluate_formulas(model, row, cell_number) for row in table_rows]
        if spec is FINANCE and rate_cell is not None:
            table_rows = [rate_cell.known(row) for row in table_rows]
        if spec is LIVING_LABS:
            spare = LIVING_LAB_ROWS - len(table_rows)
        placed[spec.name] = write_table(
            ws, styles, model, table_rows, name=spec.name, top=HEADER_ROW, lists=lists, windows=win,
            min_row_height=spec.row_height, spare_rows=max(spare, 0), locked_rows=locked,
            flags=_table_flags(spec, table_rows, issues), refs={RATE: rate_cell.cell} if rate_cell else None,
        )
        if spec is FINANCE:
            _write_totals(ws, styles, model, placed[spec.name], table_rows, partner.currency, rate_cell)
        n_keys = sum(1 for c in columns(model) if not c.col.input and not c.col.formula)
        ws.freeze_panes(HEADER_ROW + 1, min(n_keys, 2) if spec is not LIVING_LABS else 1)
        print_setup(ws, header=header, repeat_row=HEADER_ROW)  # A4 like every sheet: partners print on what they have
    return placed


def _write_totals(
    ws: Worksheet, styles: Styles, model: type[BaseModel], place: Placement, rows: Sequence[Mapping[str, Any]], currency: str, rate: RateCell | None,
) -> None:
    """The totals row right under the Finance table (``finance_totals``), the figure to tie to the FLC certificate."""
    row = place.last_row + 1  # 0-based, under the table's last row
    first, last = place.header_row + 2, place.last_row + 1  # the table's data rows, 1-based

    def ref(key: str) -> str:
        if key == RATE and rate is not None:
            return rate.cell
        letter = place.cells[key.removesuffix("[]")]
        return f"{letter}{first}:{letter}{last}" if key.endswith("[]") else f"{letter}{row + 1}"

    values: dict[str, Decimal] = {f"{name}[]": sum((cell_number(r.get(name)) for r in rows), Decimal(0)) for name in place.cells}
    ws.write_string(row, place.first_col, TOTAL_LABEL, styles.fmt("label"))
    names, by_name = list(place.cells), {c.name: c for c in columns(model)}
    for name, expr in finance_totals(currency):
        values[name] = expr.evaluate(values.__getitem__)
        shown = "" if rate is not None and rate.value is None and name in FOREIGN_FIGURES else values[name]
        cell = Formula(expr.excel(ref), shown)
        write_value(ws, row, place.first_col + names.index(name), cell, cell_format(styles, by_name[name], "formula"))


START_WIDTHS = (34, 40, 62)
STEPS_WIDTH = sum(START_WIDTHS)  # the instructions span the three columns


def _write_start(
    ws: Worksheet, wb: Workbook, styles: Styles, setup: ProjectSetup, partner: Partner, period: Period,
    values: Mapping[str, Any], lists: Mapping[str, str], win: Mapping[str, Window], flags: Mapping[str, Flag],
    sheets: Sequence[str],
) -> tuple[Placement, int]:
    p = setup.project
    for c, width in enumerate(START_WIDTHS):
        ws.set_column(c, c, width)
    ws.write_string(0, 0, f"{p.name}: partner report", styles.text("title"))
    ws.set_row(0, TITLE_ROW)
    ws.write_string(1, 0, f"{p.programme}", styles.text("note"))
    info = [
        ("Partner", f"{partner.name} ({partner.code})"),
        ("Reporting period", f"Period {period.number}: {period.start:%d %B %Y} to {period.end:%d %B %Y}"),
        ("Send this workbook back by", period.partner_deadline),
        ("First level control done by", period.flc_deadline),
        ("Coordinator", f"{p.coordinator}, {p.coordinator_email}"),
    ]
    write_info(ws, styles, info, top=3)
    if period.partner_deadline < period.end:
        why = (f"Before the period ends on {period.end:%d %B %Y}: the coordinator writes the joint progress report from the "
               "partners' reports by then. Report your work and costs up to the day you send this workbook; what comes later goes in your next report.")
        ws.write_string(5, 2, why, styles.text("note_wrap"))
        ws.set_row(5, fit_row([(why, START_WIDTHS[2])], least=15))
    ws.write_string(9, 0, "How to fill in this report", styles.text("subtitle"))
    steps = [
        f"1. Fill in the yellow cells on every sheet: {', '.join(sheets[:-1])} and {sheets[-1]}. Grey cells are filled in for you; green cells are computed.",
        ("2. Pick from the dropdowns where there is one. Click a yellow cell to see what it needs. A text may be longer than its box: "
         "all of it is kept. To read it all, click the cell and look at the formula bar, or double-click the line below the row number to make the row fit."),
        "3. Type amounts as plain numbers, without currency signs or thousands separators, and dates as your spreadsheet accepts them (2017-10-31 always works).",
        "4. Do not rename, add or delete sheets or columns, and do not copy this workbook for another partner: each workbook is made for one partner and period.",
        "5. When the count below shows 0, fill in the submission details, save the workbook (keep the .xlsx format) and e-mail it to the coordinator.",
        "6. Problems are sent back to you as a feedback workbook that points at each cell; correct it and send it back the same way.",
    ]
    for r, text in enumerate(steps, start=10):
        ws.merge_range(r, 0, r, 2, text, styles.text("wrap"))
        ws.set_row(r, fit_row([(text, STEPS_WIDTH)], least=15))
    ws.write_string(17, 0, "Required inputs still empty", styles.fmt("label"))
    ws.write_string(19, 0, "Submission", styles.text("subtitle"))
    form = write_form(ws, styles, SubmissionForm, values, name=SUBMISSION_FORM, top=20, lists=lists, windows=win, wb=wb, flags=flags)
    return form, 17


RATE_ROW = 8
"""The Start sheet's row (0-based) with the rate of the month of submission, for a partner outside the euro area."""

RATES_SHEET = "Rates"
"""The hidden sheet of a partner workbook outside the euro area: the Commission's rates of its currency known when it was made."""


def _write_rate(ws: Worksheet, styles: Styles, setup: ProjectSetup, partner: Partner, submission: Placement, values: Mapping[str, Any]) -> RateCell:
    """The rate of the month of submission on the Start sheet, looked up in the hidden Rates sheet (``_write_rates``).

    The lookup is on the first day of the month of the date of submission; while there
    is no date, or no rate for its month yet, the cell is blank and so are the euros
    that depend on it: the coordinator applies the Commission's rate of that month.
    """
    currency = partner.currency
    known = rates_of(setup.rates, currency)
    day = submission.cells["submitted_on"]
    lookup = f"=IFERROR(VLOOKUP(DATE(YEAR({day}),MONTH({day}),1),'{RATES_SHEET}'!$A$2:$B${max(len(known), 1) + 1},2,FALSE),\"\")"
    submitted = values.get("submitted_on")
    try:
        value: Decimal | None = rate_of(known, currency, submitted) if isinstance(submitted, dt.date) else None
    except MissingRate:
        value = None
    ws.write_string(RATE_ROW, 0, f"Exchange rate ({currency} per EUR)", styles.fmt("label"))
    write_value(ws, RATE_ROW, 1, Formula(lookup, value if value is not None else ""), styles.fmt("formula", num_format=RATE_FORMAT))
    why = (f"You declare your costs in {currency}. The coordinator converts them to EUR at the Commission's monthly accounting rate (InforEuro) "
           "of the month of your date of submission; until that rate is known here, the EUR figures on the Finance sheet stay blank.")
    ws.write_string(RATE_ROW, 2, why, styles.text("note_wrap"))
    ws.set_row(RATE_ROW, fit_row([(why, START_WIDTHS[2])], least=15))
    return RateCell(currency, f"'{START_SHEET}'!$B${RATE_ROW + 1}", value)


def _write_rates(wb: Workbook, styles: Styles, setup: ProjectSetup, currency: str) -> None:
    """The hidden Rates sheet (the last but the metadata): the rates of ``currency`` the setup knows, month by month."""
    table = wb.add_worksheet(RATES_SHEET)
    table.write_string(0, 0, "Month", styles.fmt("header"))
    table.write_string(0, 1, f"{currency} per EUR", styles.fmt("header"))
    table.set_column(0, 1, 14)
    for r, rate in enumerate(rates_of(setup.rates, currency), start=1):
        table.write_datetime(r, 0, dt.datetime.combine(month_of(rate.month), dt.time()), styles.fmt("locked", "date"))
        table.write_number(r, 1, float(rate.rate), styles.fmt("locked", num_format=RATE_FORMAT))
    table.hide()
    protect(table, setup.project.template_password)


RATE_FORMAT = "0.0000"
"""How a rate is shown: InforEuro's four decimals."""


def _missing_formula(placed: Mapping[str, Placement], setup: ProjectSetup, period: Period, submission: Placement) -> str:
    """COUNTBLANK over every required input range: the partner's live to-do count. A deliverable's
    status counts once it is due by the period's end."""
    parts = []
    for spec in ALL_TABLES:
        if spec.key is None or spec.name not in placed:
            continue  # living-lab candidate rows are optional
        place = placed[spec.name]
        rows = f"{place.header_row + 2}:{{0}}{place.last_row + 1}"
        for column in columns(table_model(spec, setup)):
            if column.col.input and column.required:
                letter = place.cells[column.name]
                parts.append(f"COUNTBLANK('{spec.sheet}'!{letter}{rows.format(letter)})")
        if spec is DELIVERABLES:
            due, status = (place.cells[name] for name in ("due", "status"))
            end = period.end
            parts.append(f"SUMPRODUCT(('{spec.sheet}'!{due}{rows.format(due)}<=DATE({end.year},{end.month},{end.day}))"
                         f"*('{spec.sheet}'!{status}{rows.format(status)}=\"\"))")
    for column in columns(SubmissionForm):
        if column.required:
            parts.append(f"COUNTBLANK('{START_SHEET}'!{submission.cells[column.name]})")
    return "=" + "+".join(parts)


def write_partner_workbook(
    path: Path,
    setup: ProjectSetup,
    partner_code: str,
    period_number: int,
    *,
    generated_at: dt.datetime,
    prefill: Prefill | None = None,
    entries: Entries | None = None,
    issues: Sequence[Issue] = (),
) -> None:
    """Write the workbook for one partner and period (atomically) to ``path``.

    With ``issues`` it becomes a feedback workbook: a first sheet lists every issue
    with a link to its cell, and each cell with an issue is flagged and commented.
    """
    partner = setup.partner(partner_code)
    period = setup.period(period_number)
    entries = entries or Entries()
    prefill = prefill or Prefill()
    specs = workbook_tables(bool(prefill.selected_labs), setup.project.living_labs)
    rows = prefilled_rows(setup, partner, prefill)
    rows = {
        spec.name: _merge(spec, rows[spec.name], entries.tables.get(spec.name, []), {c.name for c in columns(table_model(spec, setup, partner.currency)) if c.col.input})
        for spec in specs
    }
    win = windows(setup, period)
    header = f"{setup.project.name} | Period {period.number} | {partner.name} ({partner.code})"
    list_data = {k: setup.lists()[k] for k in ("region_names", "themes")}
    refs = {k: f"='Lists'!${col_letter(i)}$2:${col_letter(i)}${max(len(v), 1) + 1}" for i, (k, v) in enumerate(list_data.items())}  # as write_lists places them
    keys = {spec.name: [str(row[spec.key]) for row in rows[spec.name]] for spec in specs if spec.key}  # before Finance's office label gets its rate
    with atomic_workbook(path, created=generated_at) as wb:
        styles = Styles(wb)
        issue_list = wb.add_worksheet(FEEDBACK_SHEET) if issues else None
        start = wb.add_worksheet(START_SHEET)
        submission, missing_row = _write_start(
            start, wb, styles, setup, partner, period, entries.forms.get(SUBMISSION_FORM, {}), refs, win, _form_flags(SUBMISSION_FORM, issues),
            [s.sheet for s in specs],
        )
        rate_cell = None if partner.currency == EUR else _write_rate(start, styles, setup, partner, submission, entries.forms.get(SUBMISSION_FORM, {}))
        placed = _write_tables(wb, styles, setup, partner, period, rows, refs, win, header, issues, specs, rate_cell)
        finance = wb.get_worksheet_by_name(FINANCE.sheet)
        flc_top = placed[FINANCE.name].last_row + 3
        finance.write_string(flc_top - 1, 0, FLC_TITLE, styles.text("subtitle"))
        flc = write_form(
            finance, styles, FlcForm, entries.forms.get(FLC_FORM, {}), name=FLC_FORM, top=flc_top, lists=refs, windows=win, wb=wb,
            flags=_form_flags(FLC_FORM, issues),
        )
        missing = Formula(_missing_formula(placed, setup, period, submission), _missing_count(rows, setup, period, entries.forms.get(SUBMISSION_FORM, {})))
        write_value(start, missing_row, 1, missing, styles.fmt("formula", "int"))
        for criteria, style in (("==", "ok"), (">", "warn")):
            start.conditional_format(missing_row, 1, missing_row, 1, {"type": "cell", "criteria": criteria, "value": 0, "format": styles.text(style)})
        print_setup(start, header=header, landscape=False)
        write_lists(wb, styles, list_data)
        if rate_cell is not None:
            _write_rates(wb, styles, setup, partner.currency)
        for ws in [start] + [wb.get_worksheet_by_name(s.sheet) for s in specs]:
            protect(ws, setup.project.template_password)
        layout = {
            "tables": {n: {"sheet": p.sheet, "ref": p.ref(), "header_row": p.header_row, "columns": p.cells, **({"keys": keys[n]} if n in keys else {})}
                       for n, p in placed.items()},
            "forms": {
                SUBMISSION_FORM: {"sheet": START_SHEET, "cells": submission.cells},
                FLC_FORM: {"sheet": FINANCE.sheet, "cells": flc.cells},
            },
            "missing_count": f"{START_SHEET}!{cell_ref(missing_row, 1)}",
        }
        write_meta(wb, setup, partner, period, generated_at.isoformat(timespec="seconds"), layout)
        if issue_list is not None:
            forms = {SUBMISSION_FORM: submission, FLC_FORM: flc}
            write_issue_list(issue_list, styles, issues, lambda i: _target(i, rows, placed, forms), lambda i: _found(i, rows, entries.forms),
                             title=f"Feedback on your report for period {period.number}", header=header, sent_as="report")
            issue_list.activate()
        else:
            start.activate()


def write_meta(
    wb: Workbook, setup: ProjectSetup, partner: Partner, period: Period, stamp: str, layout: dict[str, Any],
    kind: WorkbookKind = RETURN, extra: Sequence[tuple[str, str]] = (),
) -> None:
    """The very hidden metadata sheet: whose workbook it is, of which kind, sealed; ``extra`` rows follow."""
    ws = wb.add_worksheet(META_SHEET)
    meta = [
        ("schema_version", SCHEMA_VERSION),
        ("project", setup.project.acronym),
        ("partner", partner.code),
        ("period", period.number),
        ("generated_at", stamp),
        ("digest", digest(setup, partner.code, period.number, stamp, kind, partner.currency)),
        ("layout", json.dumps(layout, separators=(",", ":"))),
        ("kind", kind),
        ("currency", partner.currency),
        *extra,
    ]
    for r, (key, value) in enumerate(meta):
        ws.write_string(r, 0, key)
        write_value(ws, r, 1, value)
    ws.very_hidden()
    ws.protect()


@dataclass(frozen=True)
class PartnerBook:
    """One partner workbook to write, of those written together (``write_book``, spread over the cores)."""

    path: Path
    partner: str
    period: int
    prefill: Prefill | None = None
    entries: Entries | None = None
    issues: tuple[Issue, ...] = ()


def write_book(shared: tuple[ProjectSetup, dt.datetime], book: PartnerBook) -> Path:
    """``write_partner_workbook`` for one of many books made at ``generated_at`` from one setup: ``shared``."""
    setup, generated_at = shared
    write_partner_workbook(book.path, setup, book.partner, book.period, generated_at=generated_at,
                           prefill=book.prefill, entries=book.entries, issues=book.issues)
    return book.path
