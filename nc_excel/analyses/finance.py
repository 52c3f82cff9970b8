"""The finance and FLC position of a reporting period, as a pure function of frames.

``finance_position(partners, project, period, finance, flc, returns)`` answers the
lead partner's questions before the joint report: how much each partner declared
this period and in total, how much of each budget line is used, whether the office
flat rate is right, what the first level controllers certified, the ERDF due on it,
and who still stops the joint report.

Numbers: every money amount and every percentage in the output is a
``decimal.Decimal`` (object dtype), exact to the cent. Money keeps the cents it
came with (sums of Decimals are exact: 0.10 + 0.20 == 0.30); percentages are
fractions (0.123 for 12.3 %) rounded to a tenth of a percent half away from zero,
as Excel's ROUND does in the partner template; co-financing is truncated to the cent like the flat rate. A writer puts
them into cells with a number format (convert with ``float()`` at the cell).

What counts (the returns register is the truth about which returns count):
- A return counts when the register has it ``accepted`` or ``accepted with
  warnings`` and not ``superseded``. Only rows of counting returns are used from the
  ``finance`` and ``flc`` frames. When ``returns`` has a ``sha256`` column (the
  register has one), a finance or FLC row is matched to its return by ``sha256``, so
  rows of superseded, rejected or unknown files are ignored; without it, rows are
  matched by partner and period, and two rows for the same partner, period (and
  category) are refused with ``ValueError`` rather than guessed between. Two
  current accepted returns for one partner and period break the register's
  promise and are refused too. Register rows of other statuses (duplicate, not a
  return) are ignored; they may name no partner or period.
- Money is in euros: ``declared`` is what a return declared, converted at the rate of
  its month of submission; where the finance frame has an ``amount`` column (the
  same in the partner's own currency), the office flat rate is checked on it, as the
  partner computed it.
- ``cumulative`` is the sum of ``declared`` over the counting returns of every
  period up to and including ``period``; the prefilled ``previous`` is not used.
- A partner has *open errors* when a rejected return for the period was received
  after its counting return (or when it has only rejected returns). The older
  accepted return still counts for the figures (it is the one in the archive), but
  the partner is not ready: its own latest word is a correction that failed, so the
  figures may still change. A rejected return received before the counting one is
  history and blocks nothing. "After" and "before" are the register's order of
  receipt, its ``seq`` column, never a time.
- What the first level controller certified for a partner and period comes from
  the partner's FLC certificate (``certificates``: the current certificate of each
  partner and period, one row per cost category) when there is one that certifies
  the counting return, that is whose declared amounts equal the return's on every
  line; a certificate of an earlier version of the return is stale and ignored.
  Otherwise it comes from the return's own FLC form, and counts only when its
  status is ``Certified``. ``certified`` adds what was certified for every period
  up to and including ``period`` (certificates arrive after their period);
  ``certified_period`` is the period's alone, and ``flc_status`` the period's.
- Funding is claimed per partner report, as the programme pays it: for each partner
  and period, what was certified x the partner's co-financing rate / 100, truncated
  to the cent as the flat rate is, goes to the partner's funding source: ``erdf_due``
  for ERDF partners, ``norway_due`` for partners funded by Norway's national funds
  (neither for another source). A partner's amounts to date, and the project's, are
  sums of these, so every total ties to the cent.

Inputs are not modified; the function does no I/O and is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from nc_excel.setup.models import (
    COST_CATEGORIES,
    ERDF,
    NORWAY,
    Partner,
    Project,
    flat_rate,
)

ACCEPTED = ("accepted", "accepted with warnings")
REJECTED = "rejected"
CERTIFIED = "Certified"
NOT_REPORTED = "Not reported"
NOT_SENT = "Not sent"

FINANCE_COLUMNS = ("partner", "period", "category", "declared", "file")
FLC_COLUMNS = ("partner", "period", "flc_status", "certified")
CERTIFIED_COLUMNS = ("partner", "period", "certified", "erdf_due", "norway_due", "controller", "certificate_date")
CERTIFICATE_COLUMNS = ("partner", "period", "category", "declared", "certified")
RETURNS_COLUMNS = ("partner", "period", "status", "errors", "superseded", "seq")

LINE_COLUMNS = (
    "partner", "partner_name", "category", "category_label", "budget", "declared_period",
    "cumulative", "remaining", "absorption_pct", "flat_rate_ok", "source",
)
PARTNER_COLUMNS = (
    "partner", "partner_name", "country", "budget", "declared_period", "cumulative", "absorption_pct",
    "flc_status", "certified_period", "certified", "funding", "erdf_due", "norway_due", "reported", "rejected", "ready", "blocking",
)
CERTIFICATE_LINE_COLUMNS = (
    "partner", "period", "category", "category_label", "declared", "certified", "deducted", "reason", "counts",
    "controller", "organisation", "certificate_date", "reference", "file", "sha256",
)
ALL_PERIODS = "Total, all periods"
PROJECT = "Project"
TOTAL = "Total"
"""The category label of a partner's (and the ``PROJECT``'s) total line on the budget lines."""
ALL_PARTNERS = "All partners"
"""The name on the ``PROJECT`` rows that add up every partner."""
CATEGORY_COLUMNS = ("category", "category_label", "budget", "declared_period", "cumulative", "remaining", "absorption_pct")
READINESS_COLUMNS = ("partner", "partner_name", "reason")
DECLARED_COLUMNS = ("partner", "period", "category", "declared")

ZERO = Decimal(0)


@dataclass(frozen=True)
class FinanceTotals:
    """The project as a whole for the period; money and percentages are Decimal."""

    budget: Decimal
    declared_period: Decimal
    cumulative: Decimal
    absorption_pct: Decimal
    certified: Decimal  # to date: every period up to the built one
    certified_period: Decimal
    erdf_due: Decimal  # to date, on the certified costs of ERDF partners
    norway_due: Decimal  # to date, on the certified costs of partners funded by Norway
    partners_reported: int
    partners_certified: int
    partners_ready: int
    n_partners: int


@dataclass(frozen=True)
class FinancePosition:
    """The frames of the finance position; see the module text for what counts.

    - ``lines``: one row per partner and cost category (every partner, zeros when
      nothing was declared), columns ``LINE_COLUMNS``. ``flat_rate_ok`` is a bool on
      the office line of a partner who reported for the period, else None;
      ``source`` is the file of the period's counting return, else None. Each
      partner's lines end with its ``TOTAL`` line (category None), and a last
      ``PROJECT`` line adds up all partners (``without_totals`` drops these).
    - ``partners``: one row per partner, columns ``PARTNER_COLUMNS``; ``flc_status``
      is the period's (``Not reported`` without a counting return, ``Not sent``
      when a return carries no FLC row); ``blocking`` lists every reason the
      partner is not ready, joined by "; " ("" when ready). A last ``PROJECT``
      row adds up the money of all partners (the ``totals``).
    - ``categories``: one row per cost category over all partners, ``CATEGORY_COLUMNS``.
    - ``totals``: ``FinanceTotals``.
    - ``readiness``: one row per partner not ready, ``READINESS_COLUMNS``; ``reason``
      is the partner's ``blocking`` text.
    - ``certificates``: the certificate lines of every period up to ``period``, columns
      ``CERTIFICATE_LINE_COLUMNS`` (``counts`` False for a stale one), then per partner a
      row ``ALL_PERIODS`` (period None) adding its counting lines, and a last row for the
      ``PROJECT`` adding all of them.
    - ``certified``: what first level control certified per partner and period up to
      ``period`` (``CERTIFIED_COLUMNS``), from the certificate where one counts, else
      from the return's FLC form when its status is Certified, with the ERDF and the
      Norwegian funding due on it and who certified it when (``controller``,
      ``certificate_date``, from the same source).
    - ``declared``: what the counting returns of every period up to ``period`` declared,
      per partner, period and cost category (``DECLARED_COLUMNS``), in partner order.
    """

    period: int
    lines: pd.DataFrame
    partners: pd.DataFrame
    categories: pd.DataFrame
    totals: FinanceTotals
    readiness: pd.DataFrame
    certificates: pd.DataFrame
    certified: pd.DataFrame
    declared: pd.DataFrame


def _missing(value: Any) -> bool:
    """An empty cell as pandas may hand it over: None, NA, NaT or a float NaN."""
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def money(value: Any) -> Decimal:
    """A cell value as exact Decimal money: Decimal as is, None/NaN as 0, a float by its shortest repr."""
    if _missing(value):
        return ZERO
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, Decimal):
        return ZERO if value.is_nan() else value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    try:
        return Decimal(str(value).strip())
    except ArithmeticError:
        raise ValueError(f"not an amount: {value!r}") from None


def share(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole as a fraction to a tenth of a percent (0.1234 -> 0.123), half away from
    zero (Excel's ROUND); 0 when whole is 0. Written to a cell with a ``0.0%`` format."""
    if whole == 0:
        return Decimal("0.000")
    return (part / whole).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def _rows(frame: pd.DataFrame | None, columns: Sequence[str], name: str) -> list[dict[str, Any]]:
    """The rows of an input frame as dicts; an empty frame may lack columns, a full one may not."""
    if frame is None or len(frame) == 0:
        return []
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} frame lacks column(s): {', '.join(missing)}")
    return frame.to_dict("records")


def _text(value: Any) -> str | None:
    return None if _missing(value) else str(value)


def _flag(value: Any) -> bool:
    return False if _missing(value) else bool(value)


def _count(value: Any) -> int:
    return 0 if _missing(value) else int(value)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass(frozen=True)
class _Standing:
    """What the register says about one partner and period."""

    counting: dict[str, Any] | None  # the counting (accepted, not superseded) return
    rejected_after: dict[str, Any] | None  # the latest rejected return newer than it (or the latest, when none counts)


def _standing(rows: list[dict[str, Any]]) -> _Standing:
    counting = [r for r in rows if r["status"] in ACCEPTED and not _flag(r["superseded"])]
    if len(counting) > 1:
        r = counting[0]
        raise ValueError(f"returns register has {len(counting)} current accepted returns for partner {r['partner']}, period {r['period']}")
    current = counting[0] if counting else None
    rejected = [r for r in rows if r["status"] == REJECTED]
    if current is not None:
        rejected = [r for r in rejected if int(r["seq"]) > int(current["seq"])]
    latest = max(rejected, key=lambda r: int(r["seq"])) if rejected else None
    return _Standing(current, latest)


def _counting_rows(
    rows: list[dict[str, Any]],
    standings: Mapping[tuple[str, int], _Standing],
    by_sha: bool,
    unique: tuple[str, ...],
    name: str,
) -> list[dict[str, Any]]:
    """The rows of ``finance`` or ``flc`` that belong to a counting return."""
    kept: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        standing = standings.get((row["partner"], int(row["period"])))
        if standing is None or standing.counting is None:
            continue
        if by_sha and row.get("sha256") != standing.counting.get("sha256"):
            continue
        key = tuple(row[c] for c in unique)
        if key in seen:
            raise ValueError(f"{name} frame has more than one row for {dict(zip(unique, key))} (one per return expected; without sha256 in returns, rows are told apart by partner and period only)")
        seen.add(key)
        kept.append(row)
    return kept


def finance_position(
    partners: Sequence[Partner],
    project: Project,
    period: int,
    finance: pd.DataFrame,
    flc: pd.DataFrame,
    returns: pd.DataFrame,
    certificates: pd.DataFrame | None = None,
) -> FinancePosition:
    """The finance and FLC position of ``period``; see the module text for the rules."""
    fin_rows, flc_rows, ret_rows = _checked_rows(partners, finance, flc, returns)
    cert_rows = [r for r in _rows(certificates, CERTIFICATE_COLUMNS, "certificates") if int(r["period"]) <= period]
    by_sha = returns is not None and len(returns) > 0 and "sha256" in returns.columns
    known = {p.code for p in partners}
    grouped: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in ret_rows:
        if r["partner"] in known and int(r["period"]) <= period:
            grouped.setdefault((r["partner"], int(r["period"])), []).append(r)
    standings = {key: _standing(rows) for key, rows in grouped.items()}
    fin = _counting_rows([r for r in fin_rows if int(r["period"]) <= period], standings, by_sha, ("partner", "period", "category"), "finance")
    flcs = _counting_rows([r for r in flc_rows if int(r["period"]) <= period], standings, by_sha, ("partner", "period"), "flc")
    amounts = _Amounts.of(fin, period)
    counting = _counting_certificates(cert_rows, fin)
    controls = _controls(flcs, cert_rows, counting)

    lines: list[dict[str, Any]] = []
    lines_shown: list[dict[str, Any]] = []
    partner_rows: list[dict[str, Any]] = []
    controls_of: dict[str, dict[int, _Control]] = {}  # by partner, then period: one pass, not one per partner
    for (code, per), control in controls.items():
        controls_of.setdefault(code, {})[per] = control
    for p in partners:
        standing = standings.get((p.code, period), _Standing(None, None))
        mine = _budget_lines(p, project, amounts, reported=standing.counting is not None)
        lines += mine
        lines_shown += [*mine, _line_total(p.code, p.name, mine)]
        partner_rows.append(_partner_row(p, project, amounts, standing, controls_of.get(p.code, {}), period))
    totals = _totals(partner_rows)
    lines_shown.append(_line_total(PROJECT, ALL_PARTNERS, lines))
    lines_df = pd.DataFrame(lines_shown, columns=list(LINE_COLUMNS))
    lines_df["flat_rate_ok"] = lines_df["flat_rate_ok"].astype(object)
    readiness = [{"partner": r["partner"], "partner_name": r["partner_name"], "reason": r["blocking"]} for r in partner_rows if not r["ready"]]
    return FinancePosition(
        period=period,
        lines=lines_df,
        partners=pd.DataFrame([*partner_rows, _partner_total(totals)], columns=list(PARTNER_COLUMNS)),
        categories=pd.DataFrame(_per_category(lines), columns=list(CATEGORY_COLUMNS)),
        totals=totals,
        readiness=pd.DataFrame(readiness, columns=list(READINESS_COLUMNS)),
        certificates=pd.DataFrame(_certificate_lines(partners, cert_rows, counting), columns=list(CERTIFICATE_LINE_COLUMNS)),
        certified=pd.DataFrame(_certified_rows(partners, controls), columns=list(CERTIFIED_COLUMNS)),
        declared=pd.DataFrame(_declared_rows(partners, fin), columns=list(DECLARED_COLUMNS)),
    )


def due(partner: Partner, certified: Decimal) -> tuple[Decimal, Decimal]:
    """(ERDF due, Norwegian funding due) on what was certified for one partner report; see the module text."""
    amount = flat_rate(certified, partner.cofinancing_rate)
    return (amount if partner.funding == ERDF else ZERO), (amount if partner.funding == NORWAY else ZERO)


def _declared_rows(partners: Sequence[Partner], fin: list[dict[str, Any]]) -> list[dict[str, Any]]:
    order = {p.code: n for n, p in enumerate(partners)}
    categories = [c for c, _ in COST_CATEGORIES]
    rows = [{"partner": r["partner"], "period": int(r["period"]), "category": r["category"], "declared": money(r["declared"])} for r in fin]
    return sorted(rows, key=lambda r: (order[r["partner"]], r["period"], categories.index(r["category"])))


def _certified_rows(partners: Sequence[Partner], controls: Mapping[tuple[str, int], _Control]) -> list[dict[str, Any]]:
    by_code = {p.code: p for p in partners}
    rows = []
    for (code, period), c in sorted(controls.items()):
        if c.status == CERTIFIED:
            erdf, norway = due(by_code[code], c.certified)
            rows.append({"partner": code, "period": period, "certified": c.certified, "erdf_due": erdf, "norway_due": norway,
                         "controller": c.controller, "certificate_date": c.date})
    return rows


@dataclass(frozen=True)
class _Control:
    """What first level control says about one partner and period."""

    status: str
    certified: Decimal  # counts only when certified
    controller: str | None = None  # who certified, and when: from the certificate, else from the return's FLC form
    date: Any = None


def _counting_certificates(cert_rows: list[dict[str, Any]], fin: list[dict[str, Any]]) -> set[tuple[str, int]]:
    """(partner, period) of the certificates that certify the counting return: the same declared amount on every line."""
    returned = {(r["partner"], int(r["period"]), r["category"]): money(r["declared"]) for r in fin}
    lines: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in cert_rows:
        lines.setdefault((r["partner"], int(r["period"])), []).append(r)
    return {
        key for key, rows in lines.items()
        if all(returned.get((*key, r["category"])) == money(r["declared"]) for r in rows)
        and all((*key, c) not in returned or any(r["category"] == c for r in rows) for c, _ in COST_CATEGORIES)
    }


def _controls(flcs: list[dict[str, Any]], cert_rows: list[dict[str, Any]], counting: set[tuple[str, int]]) -> dict[tuple[str, int], _Control]:
    """Per (partner, period): the certificate when one counts, else the return's own FLC form."""
    out = {}
    for r in flcs:
        status = _text(r["flc_status"]) or NOT_SENT
        out[(r["partner"], int(r["period"]))] = _Control(status, money(r["certified"]) if status == CERTIFIED else ZERO,
                                                         _text(r.get("controller")), None if _missing(r.get("certificate_date")) else r.get("certificate_date"))
    by_report: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in cert_rows:
        by_report.setdefault((r["partner"], int(r["period"])), []).append(r)
    for key in counting:
        mine = by_report[key]
        out[key] = _Control(CERTIFIED, sum((money(r["certified"]) for r in mine), ZERO), _text(mine[0].get("controller")),
                            None if _missing(mine[0].get("certificate_date")) else mine[0].get("certificate_date"))
    return out


def _certificate_lines(partners: Sequence[Partner], cert_rows: list[dict[str, Any]], counting: set[tuple[str, int]]) -> list[dict[str, Any]]:
    """The certificate lines by partner, period and cost category, each partner's total over its periods, the project's."""
    order = {p.code: n for n, p in enumerate(partners)}
    categories = [c for c, _ in COST_CATEGORIES]
    labels = dict(COST_CATEGORIES)
    out: list[dict[str, Any]] = []
    project = {"declared": ZERO, "certified": ZERO, "deducted": ZERO}
    by_partner: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(cert_rows, key=lambda r: (order.get(r["partner"], len(order)), int(r["period"]), categories.index(r["category"]))):
        declared, certified = money(r["declared"]), money(r["certified"])
        line = {c: r.get(c) for c in CERTIFICATE_LINE_COLUMNS}
        line.update(category_label=labels[r["category"]], declared=declared, certified=certified, deducted=declared - certified,
                    counts=(r["partner"], int(r["period"])) in counting)
        by_partner.setdefault(r["partner"], []).append(line)
    for partner, lines in by_partner.items():
        out += lines
        mine = [line for line in lines if line["counts"]]
        total = {k: sum((line[k] for line in mine), ZERO) for k in project}
        out.append({"partner": partner, "period": None, "category_label": ALL_PERIODS, **total})
        project = {k: project[k] + total[k] for k in project}
    if out:
        out.append({"partner": PROJECT, "period": None, "category_label": ALL_PERIODS, **project})
    return out


def _checked_rows(
    partners: Sequence[Partner], finance: pd.DataFrame, flc: pd.DataFrame, returns: pd.DataFrame
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The frames' rows; a partner or cost category the setup does not know is a programming error."""
    categories = [key for key, _ in COST_CATEGORIES]
    known = {p.code for p in partners}
    fin_rows = _rows(finance, FINANCE_COLUMNS, "finance")
    flc_rows = _rows(flc, FLC_COLUMNS, "flc")
    # Files that are no return, or duplicates, may name no partner or period: only
    # accepted and rejected returns say anything about a partner's standing.
    # Certificates are registered too (``kind``); they are read from ``certificates``, not counted as returns.
    ret_rows = [r for r in _rows(returns, RETURNS_COLUMNS, "returns")
                if r["status"] in (*ACCEPTED, REJECTED) and _text(r["partner"]) is not None and _text(r.get("kind")) in (None, "return")]
    accepted = [r for r in ret_rows if r["status"] in ACCEPTED]
    for name, rows in (("finance", fin_rows), ("flc", flc_rows), ("returns", accepted)):
        unknown = sorted({str(r["partner"]) for r in rows} - known)
        if unknown:
            raise ValueError(f"{name} frame names partner(s) not in the setup: {', '.join(unknown)}")
    bad = sorted({str(r["category"]) for r in fin_rows} - set(categories))
    if bad:
        raise ValueError(f"finance frame has unknown cost categor(ies) {', '.join(bad)}; expected one of {', '.join(categories)}")
    return fin_rows, flc_rows, ret_rows


@dataclass(frozen=True)
class _Amounts:
    """The counting rows summed per partner and cost category: in the period and up to it."""

    now: dict[tuple[str, str], Decimal]
    cumulative: dict[tuple[str, str], Decimal]
    source: dict[str, str | None]  # partner -> file of the period's counting return
    own: dict[tuple[str, str], Decimal]  # the period's amounts in the partner's currency, where the frame has them (``amount``)

    @classmethod
    def of(cls, rows: list[dict[str, Any]], period: int) -> _Amounts:
        now: dict[tuple[str, str], Decimal] = {}
        cumulative: dict[tuple[str, str], Decimal] = {}
        source: dict[str, str | None] = {}
        own: dict[tuple[str, str], Decimal] = {}
        for r in rows:
            key = (r["partner"], r["category"])
            amount = money(r["declared"])
            cumulative[key] = cumulative.get(key, ZERO) + amount
            if int(r["period"]) == period:
                now[key] = now.get(key, ZERO) + amount
                own[key] = own.get(key, ZERO) + money(r.get("amount", r["declared"]))
                source[r["partner"]] = _text(r["file"])
        return cls(now, cumulative, source, own)

    def total(self, amounts: dict[tuple[str, str], Decimal], partner: str) -> Decimal:
        return sum((amounts.get((partner, c), ZERO) for c, _ in COST_CATEGORIES), ZERO)


def _budget_lines(p: Partner, project: Project, amounts: _Amounts, *, reported: bool) -> list[dict[str, Any]]:
    """One line per cost category; the office line says whether it equals the flat rate on staff costs."""
    lines = []
    for cat, label in COST_CATEGORIES:
        budget = p.budget(cat)
        now = amounts.now.get((p.code, cat), ZERO)
        total = amounts.cumulative.get((p.code, cat), ZERO)
        ok: bool | None = None
        if cat == "office" and reported:  # in the currency declared: euros converted line by line may differ by a cent
            ok = amounts.own.get((p.code, cat), ZERO) == flat_rate(amounts.own.get((p.code, "staff"), ZERO), project.office_flat_rate)
        lines.append({
            "partner": p.code, "partner_name": p.name, "category": cat, "category_label": label,
            "budget": budget, "declared_period": now, "cumulative": total, "remaining": budget - total,
            "absorption_pct": share(total, budget), "flat_rate_ok": ok, "source": amounts.source.get(p.code) if reported else None,
        })
    return lines


def _partner_row(
    p: Partner, project: Project, amounts: _Amounts, standing: _Standing, controls: Mapping[int, _Control], period: int
) -> dict[str, Any]:
    """A partner's position: spending, FLC (to date), and every reason it is not ready for the joint report."""
    reported = standing.counting is not None
    now = controls.get(period)
    if not reported:
        status = NOT_REPORTED
    elif now is None:
        status = NOT_SENT
    else:
        status = now.status
    is_certified = status == CERTIFIED
    certified = sum((c.certified for c in controls.values()), ZERO)
    funds = [due(p, c.certified) for c in controls.values() if c.status == CERTIFIED]
    errors_kept = _count(standing.counting["errors"]) if standing.counting is not None else 0
    reasons: list[str] = []
    if standing.rejected_after is not None:
        reasons.append(f"rejected return with {_plural(_count(standing.rejected_after['errors']), 'error')}")
    elif not reported:
        reasons.append("not reported")
    if errors_kept:
        reasons.append(f"accepted return with {_plural(errors_kept, 'open error')}")
    if reported and not is_certified:
        reasons.append(f"FLC not certified ({status})")
    open_errors = standing.rejected_after is not None or errors_kept > 0
    total = amounts.total(amounts.cumulative, p.code)
    return {
        "partner": p.code, "partner_name": p.name, "country": p.country, "budget": p.total_budget,
        "declared_period": amounts.total(amounts.now, p.code), "cumulative": total, "absorption_pct": share(total, p.total_budget),
        "flc_status": status, "certified_period": now.certified if reported and now is not None else ZERO, "certified": certified,
        "funding": p.funding, "erdf_due": sum((f[0] for f in funds), ZERO), "norway_due": sum((f[1] for f in funds), ZERO),
        "reported": reported, "rejected": standing.rejected_after is not None, "ready": reported and is_certified and not open_errors,
        "blocking": "; ".join(reasons),
    }


def _line_total(partner: str, name: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``TOTAL`` line of a partner's budget lines (or of every partner's, for the ``PROJECT``)."""
    budget, total = sum((line["budget"] for line in lines), ZERO), sum((line["cumulative"] for line in lines), ZERO)
    return {"partner": partner, "partner_name": name, "category": None, "category_label": TOTAL, "budget": budget,
            "declared_period": sum((line["declared_period"] for line in lines), ZERO), "cumulative": total,
            "remaining": budget - total, "absorption_pct": share(total, budget), "flat_rate_ok": None, "source": None}


def _partner_total(t: FinanceTotals) -> dict[str, Any]:
    """The ``PROJECT`` row under the partners: their money added up; statuses are per partner only."""
    return {"partner": PROJECT, "partner_name": ALL_PARTNERS, "budget": t.budget, "declared_period": t.declared_period,
            "cumulative": t.cumulative, "absorption_pct": t.absorption_pct, "certified_period": t.certified_period,
            "certified": t.certified, "erdf_due": t.erdf_due, "norway_due": t.norway_due}


def without_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """The partners' own rows of a Finance position or budget lines frame (or sheet): no ``PROJECT`` row, no ``TOTAL`` line."""
    keep = frame["partner"] != PROJECT
    if "category_label" in frame.columns:
        keep &= frame["category_label"] != TOTAL
    return frame[keep].reset_index(drop=True)


def _per_category(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for cat, label in COST_CATEGORIES:
        mine = [line for line in lines if line["category"] == cat]
        budget = sum((line["budget"] for line in mine), ZERO)
        total = sum((line["cumulative"] for line in mine), ZERO)
        rows.append({
            "category": cat, "category_label": label, "budget": budget,
            "declared_period": sum((line["declared_period"] for line in mine), ZERO),
            "cumulative": total, "remaining": budget - total, "absorption_pct": share(total, budget),
        })
    return rows


def _totals(partner_rows: list[dict[str, Any]]) -> FinanceTotals:
    budget = sum((r["budget"] for r in partner_rows), ZERO)
    total = sum((r["cumulative"] for r in partner_rows), ZERO)
    return FinanceTotals(
        budget=budget,
        declared_period=sum((r["declared_period"] for r in partner_rows), ZERO),
        cumulative=total,
        absorption_pct=share(total, budget),
        certified=sum((r["certified"] for r in partner_rows), ZERO),
        certified_period=sum((r["certified_period"] for r in partner_rows), ZERO),
        erdf_due=sum((r["erdf_due"] for r in partner_rows), ZERO),
        norway_due=sum((r["norway_due"] for r in partner_rows), ZERO),
        partners_reported=sum(1 for r in partner_rows if r["reported"]),
        partners_certified=sum(1 for r in partner_rows if r["flc_status"] == CERTIFIED),
        partners_ready=sum(1 for r in partner_rows if r["ready"]),
        n_partners=len(partner_rows),
    )
