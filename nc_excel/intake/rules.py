"""Checks across fields and returns: what no single cell can tell.

Each rule looks at rows already parsed by the table models and yields issues at
the cell the partner has to change. Money is compared with Decimal, and the flat
rate is computed as the programme does (truncated to 2 decimals).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from nc_excel.analyses.places import proposed_place
from nc_excel.excel.read import RowRead
from nc_excel.intake.record import Reported
from nc_excel.issues import Issue, issue
from nc_excel.partner.currency import Conversion, conversion
from nc_excel.partner.read import Return
from nc_excel.partner.schema import (
    DELIVERABLES,
    FINANCE,
    FLC_FORM,
    INDICATORS,
    LIVING_LABS,
    PROGRESS,
    SUBMISSION_FORM,
    criterion_field,
    status_required,
)
from nc_excel.setup.currency import MissingRate
from nc_excel.setup.models import COST_CATEGORIES, Period, ProjectSetup, flat_rate


def _at(ret: Return, table: str, row: RowRead, name: str, code: str, key: str = "", *, near: str | None = None, **params: Any) -> Iterator[Issue]:
    """An issue at the cell of ``name`` in ``row`` of ``table`` (a table or form of the return).

    Where ``name`` is not on the sheet, at the cell of ``near`` (a field of the same
    row the finding rests on); where neither is, nothing: a table column that is
    missing is reported at its header as ``missing-column``, which rejects the return.
    """
    at = name if name in row.cells else near if near in row.cells else None
    if at is None:
        return
    yield issue(
        code, file=ret.file, partner=ret.partner, period=ret.period, sheet=ret.sheets[table], cell=row.cells[at],
        field=ret.headers.get(table, {}).get(at, at), locator=(table, key, at), **params,
    )


def _progress(ret: Return) -> Iterable[Issue]:
    for row in ret.tables.get(PROGRESS.name, []):
        v = row.values
        if v.get("status") == "Done" and v.get("percent_complete") is not None and v["percent_complete"] < 100:
            yield from _at(ret, PROGRESS.name, row, "percent_complete", "completed-below-100", v.get("work_package", ""),
                      value=v.get("work_package"), percent=v["percent_complete"])


def _deliverables(ret: Return, earlier: Sequence[Reported], period: Period) -> Iterable[Issue]:
    done_in: dict[str, tuple[int, Any]] = {}  # code -> (period, date) of the latest earlier report of it as Done
    for before in earlier:
        for v in before.deliverables:
            if v.get("status") == "Done":
                done_in[v["code"]] = (before.period, v.get("date"))
    for row in ret.tables.get(DELIVERABLES.name, []):
        v = row.values
        if v.get("status") is None and "status" not in row.raw and status_required(v.get("due"), period):
            yield from _at(ret, DELIVERABLES.name, row, "status", "required", v.get("code", ""))
        if v.get("status") == "Done" and v.get("date") is None:
            yield from _at(ret, DELIVERABLES.name, row, "date", "done-without-date", v.get("code", ""), value=v.get("code"))
        if v.get("status") not in (None, "Done") and v.get("code") in done_in:
            period, date = done_in[v["code"]]
            yield from _at(ret, DELIVERABLES.name, row, "status", "deliverable-reopened", v["code"], value=v["code"], status=v["status"],
                           done_period=period, done_on=f" (on {date:%Y-%m-%d})" if date else "")


def _periods(numbers: Iterable[int]) -> str:
    return ", ".join(str(n) for n in sorted(set(numbers)))


def _indicators(ret: Return, earlier: Sequence[Reported]) -> Iterable[Issue]:
    """Reported before must be what the partner's earlier reports add up to, and the cumulative not below it."""
    known: dict[str, Decimal] = defaultdict(Decimal)
    periods: dict[str, list[int]] = defaultdict(list)
    for before in earlier:
        for v in before.indicators:
            known[v["code"]] += v.get("achieved") or Decimal(0)
            periods[v["code"]].append(before.period)
    for row in ret.tables.get(INDICATORS.name, []):
        v = row.values
        if v.get("code") is None:
            continue  # an emptied key cell: reported at its cell, and its row as missing
        code, total = v["code"], known.get(v["code"], Decimal(0))
        shown, cumulative = v.get("previous"), v.get("cumulative")
        when = _periods(periods.get(code, []))
        if shown is not None and shown != total:
            basis = f"your accepted reports of period(s) {when} add up to {total}" if when else "there is no accepted report of an earlier period"
            yield from _at(ret, INDICATORS.name, row, "previous", "reported-before-differs", code, value=code, shown=shown, known=total, basis=basis)
        elif cumulative is not None and cumulative < total:
            yield from _at(ret, INDICATORS.name, row, "achieved", "indicator-decreased", code, value=code, cumulative=cumulative, previous=total, periods=when)


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _finance(ret: Return, setup: ProjectSetup) -> Iterable[Issue]:
    partner = setup.partner(ret.partner)
    rows = ret.tables.get(FINANCE.name, [])
    by_category = dict(zip((k for k, _ in COST_CATEGORIES), rows)) if len(rows) == len(COST_CATEGORIES) else {}
    limit = setup.project.budget_error_limit
    try:
        euros: Conversion | None = conversion(ret, setup)
    except MissingRate:
        euros = None  # collect stops on a return that would count without its rate; one with errors is not checked against the budget
    for key, row in by_category.items():
        label = dict(COST_CATEGORIES)[key]
        declared = row.values.get("declared")
        if declared is not None and declared < 0:
            yield from _at(ret, FINANCE.name, row, "declared", "negative-amount", row.values.get("category", label),
                      value=label, amount=_money(declared))
        budget = partner.budget(key)
        if euros is None:
            continue
        cumulative = (row.values.get("previous") or Decimal(0)) + euros.eur(declared)  # in euros, as the budget
        if budget > 0 and cumulative > budget:
            share = (cumulative / budget * 100).quantize(Decimal("0.1"))
            code = "over-budget-limit" if share > limit else "over-budget"
            yield from _at(ret, FINANCE.name, row, "declared", code, row.values.get("category", label), value=label,
                      cumulative=_money(cumulative), share=share, budget=_money(budget), limit=limit)
    staff, office = by_category.get("staff"), by_category.get("office")
    if staff is not None and office is not None:
        expected = flat_rate(staff.values.get("declared") or Decimal(0), setup.project.office_flat_rate)
        found = office.values.get("declared")
        if found is not None and found != expected:
            yield from _at(ret, FINANCE.name, office, "declared", "flat-rate-mismatch", office.values.get("category", ""), value=_money(found),
                      rate=setup.project.office_flat_rate, staff=_money(staff.values.get("declared") or Decimal(0)), expected=_money(expected))


def _flc(ret: Return) -> Iterable[Issue]:
    flc = ret.forms.get(FLC_FORM)
    if flc is None:
        return
    v = flc.values
    declared = sum((r.values.get("declared") or Decimal(0) for r in ret.tables.get(FINANCE.name, [])), Decimal(0))
    if v.get("certified") is not None and v["certified"] > declared:
        yield from _at(ret, FLC_FORM, flc, "certified", "certified-above-declared", value=_money(v["certified"]), declared=_money(declared))
    if v.get("flc_status") == "Certified" and v.get("certified") is None:
        yield from _at(ret, FLC_FORM, flc, "certified", "certified-without-amount", near="flc_status")
    submitted = ret.form(SUBMISSION_FORM).get("submitted_on")
    if v.get("certificate_date") is not None and submitted is not None and v["certificate_date"] < submitted:
        yield from _at(ret, FLC_FORM, flc, "certificate_date", "control-before-submission", value=v["certificate_date"], submitted=submitted)


def _living_labs(ret: Return, setup: ProjectSetup) -> Iterable[Issue]:
    seen: dict[str, int] = {}
    for n, row in enumerate(ret.tables.get(LIVING_LABS.name, [])):
        v = row.values
        name = v.get("name")
        for c in setup.criteria:
            answer = v.get(criterion_field(c.key))
            if c.kind == "knock-out" and answer is True:
                yield from _at(ret, LIVING_LABS.name, row, criterion_field(c.key), "knock-out-yes", str(n), value=name, criterion=c.label)
            if c.kind == "must-have" and answer is False:
                yield from _at(ret, LIVING_LABS.name, row, criterion_field(c.key), "must-have-no", str(n), value=name, criterion=c.label)
        if key := proposed_place(v):
            if key in seen:
                yield from _at(ret, LIVING_LABS.name, row, "name", "duplicate-candidate", str(n), value=name, municipality=v["municipality"])
            seen[key] = n


def check_return(ret: Return, setup: ProjectSetup, earlier: Sequence[Reported] = ()) -> list[Issue]:
    """Every cross-field finding of one return.

    ``earlier`` is what the partner's current accepted returns of the periods before this
    one reported (others are ignored), so history is judged against every earlier period, not
    only the last: a catch-up return of period 1 counts for period 3's checks.
    """
    before = sorted((e for e in earlier if e.partner == ret.partner and e.period < ret.period), key=lambda e: e.period)
    return [*_progress(ret), *_deliverables(ret, before, setup.period(ret.period)), *_indicators(ret, before), *_finance(ret, setup), *_flc(ret), *_living_labs(ret, setup)]


def _place_rows(ret: Return) -> dict[str, tuple[int, RowRead]]:
    """The places a return proposes, by key: the first row of each (twice in one report: ``check_return`` says so)."""
    rows: dict[str, tuple[int, RowRead]] = {}
    for n, row in enumerate(ret.tables.get(LIVING_LABS.name, [])):
        if key := proposed_place(row.values):
            rows.setdefault(key, (n, row))
    return rows


def proposes_places(ret: Return) -> bool:
    """The return proposes a place: only then can ``check_across`` find one proposed before
    (a return of a later period carries the selected living labs instead, and proposes none)."""
    return bool(_place_rows(ret))


def check_across(returns: Sequence[Return | Reported]) -> list[Issue]:
    """The same place proposed by several partners: said to each partner who proposed it after another,
    naming who did before; the first proposer is told nothing, so that not both drop the place.

    ``returns`` come in the order their partners first reported for the period: this run's returns,
    and what the other partners' accepted returns proposed (``Reported``, read from their records).
    """
    proposers: dict[str, list[str]] = defaultdict(list)
    found = []
    for ret in returns:
        rows = _place_rows(ret) if isinstance(ret, Return) else {}  # only this run's returns are told, at the row
        for key in rows if isinstance(ret, Return) else ret.places:
            before = [p for p in proposers[key] if p != ret.partner]
            if before and key in rows:
                n, row = rows[key]
                found.extend(_at(ret, LIVING_LABS.name, row, "name", "place-proposed-before", str(n), value=row.values["name"],
                                 municipality=row.values["municipality"], others=" and ".join(before)))
            if ret.partner not in proposers[key]:
                proposers[key].append(ret.partner)
    return found
