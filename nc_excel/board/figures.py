"""The board's figures and key messages, from the master as read.

Nothing is computed again from the returns: every number is one of the master's
or a sum over its rows, and the key messages follow fixed rules, so the same
master always gives the same board workbook.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pandas as pd

from nc_excel.analyses.finance import money
from nc_excel.board.read import SummaryError
from nc_excel.excel.schema import columns
from nc_excel.folder import ProjectFolder
from nc_excel.master.glance import Figures, MasterView, eur
from nc_excel.master.schema import Dashboard
from nc_excel.setup.models import ProjectSetup

FAR_BELOW = Decimal("0.5")  # a partner below half of the time elapsed is far below it
FAR_ABOVE = Decimal("1.5")


def _lower_first(text: str) -> str:
    """A flag of the master continued after a colon, in lower case ("No eligible ..." keeps its other capitals)."""
    return text[:1].lower() + text[1:] if text.startswith("No") else text.lower()


def _names(codes: Sequence[str], partners: pd.DataFrame) -> str:
    name = dict(zip(partners["partner"], partners["partner_name"]))
    return ", ".join(f"{name.get(c, c)} ({c})" for c in codes)


def _join(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


CHECKED = (("cumulative", "cumulative"), ("declared_period", "declared_period"), ("budget", "budget"),
           ("erdf_due", "erdf_due"), ("norway_due", "norway_due"), ("absorption", "absorption_pct"))
"""Figures the Dashboard states and the Finance position sheet adds up to: (Figures field, Dashboard field)."""


def check_against_dashboard(view: MasterView, f: Figures, master: Path) -> None:
    """The master's tables must add up to its Dashboard (and the History's last row agree with it); if not, it was edited or half built."""
    labels = {c.name: c.header for c in columns(Dashboard)}
    h = view.history
    last = h[h["period"] == view.period]
    if len(last) != 1 or money(last["cumulative"].iloc[0]).quantize(Decimal("0.01")) != money(view.dashboard.cumulative).quantize(Decimal("0.01")):
        raise SummaryError(f"{master.name}: the History sheet's cumulative spending for period {view.period} does not equal the Dashboard's "
                           f"{labels['cumulative']!r} ({view.dashboard.cumulative}). Rebuild the master with `nc-excel build` and try again.")
    for name, field_name in CHECKED:
        stated = getattr(view.dashboard, field_name)
        value = getattr(f, name)
        if money(stated).quantize(Decimal("0.01")) != Decimal(value).quantize(Decimal("0.01")):
            raise SummaryError(f"{master.name}: the Dashboard's {labels[field_name]!r} ({stated}) does not equal the sum of the Finance position sheet ({value}). "
                               f"Rebuild the master with `{ProjectFolder(master.parent).command('build')}` and try again.")


def deviating(view: MasterView, f: Figures) -> pd.DataFrame:
    """Reported partners whose spending is far below or above the time elapsed."""
    p = view.partners[view.partners["reported"] == True]  # noqa: E712
    rows = []
    for r in p.itertuples(index=False):
        spent = money(r.absorption_pct)
        if f.elapsed and spent < f.elapsed * FAR_BELOW:
            rows.append((r.partner, r.partner_name, spent, "far below the time elapsed"))
        elif f.elapsed and spent > min(f.elapsed * FAR_ABOVE, Decimal(1)):
            rows.append((r.partner, r.partner_name, spent, "far above the time elapsed"))
    return pd.DataFrame(rows, columns=["partner", "partner_name", "absorption", "note"])


def missing_or_rejected(view: MasterView, f: Figures) -> pd.DataFrame:
    """Partners without an accepted return for the period, or whose latest word is a rejected one."""
    p, returns = view.partners, view.returns
    rows = []
    for r in p[(p["reported"] != True) | p["partner"].isin(f.rejected)].itertuples(index=False):  # noqa: E712 - blanks are None
        rejected = returns[(returns["partner"] == r.partner) & (returns["status"] == "rejected") & (returns["period"] == view.period)]
        state = "Rejected" if len(rejected) else "Missing"
        rows.append({"partner": r.partner, "partner_name": r.partner_name, "state": state, "files": len(rejected),
                     "why": r.blocking or ("no return received" if state == "Missing" else "")})
    return pd.DataFrame(rows, columns=["partner", "partner_name", "state", "files", "why"])


def return_problems(view: MasterView) -> pd.DataFrame:
    """One plain sentence per partner whose latest return for the period has problems: rejected ones first.

    The board says what state a return is in and how much is to do; which sheet
    and cell is wrong stays in the master's Issues sheet and the partner's
    feedback workbook. Files of no known partner are the coordinator's, not the board's.
    """
    issues = view.issues[(view.issues["period"] == view.period) & view.issues["partner"].notna()]
    names = dict(zip(view.partners["partner"], view.partners["partner_name"]))
    rows = []
    for partner in dict.fromkeys(issues["partner"]):
        mine = issues[issues["partner"] == partner]
        errors, warnings = int((mine["severity"] == "error").sum()), int((mine["severity"] == "warning").sum())
        resolved = int(mine["resolution"].fillna("").astype(str).str.strip().ne("").sum())
        if errors:
            text = f"Return rejected, {_plural(errors, 'error')} to correct"
            text += f" and {_plural(warnings, 'warning')} to check" if warnings else ""
            text += " (see the feedback workbook)"
        else:
            text = f"Accepted with {_plural(warnings, 'warning')}"
        if resolved:
            text += f"; {resolved} noted as resolved by the coordinator"
        rows.append({"partner": partner, "partner_name": names.get(partner, partner), "errors": errors, "problem": text + "."})
    rows.sort(key=lambda r: r["errors"] == 0)  # returns to correct first, each group in the Issues sheet's order
    return pd.DataFrame(rows, columns=["partner", "partner_name", "errors", "problem"])


def key_messages(view: MasterView, f: Figures, setup: ProjectSetup) -> list[str]:
    """Three to five sentences for the Political Board, by fixed rules from the figures."""
    msgs: list[str] = []
    wp = view.work_packages
    behind = wp[wp["status"].isin(["Overdue", "At risk"])]
    if len(behind):
        why = "; ".join(f"{r['code']} {r['status'].lower()} \u2013 {r['why']}" for _, r in behind.iterrows())
        msgs.append(f"{len(behind)} of {len(wp)} work packages are behind schedule: {why}.")
    else:
        msgs.append(f"All {len(wp)} work packages are on schedule.")
    overdue = view.deliverables[view.deliverables["status"] == "Overdue"]
    if len(overdue):
        items = [f"{r['code']} ({r['days_late'] or 0} days late)" for _, r in overdue.iterrows()]
        msgs[-1] += f" {_plural(len(overdue), 'deliverable is', 'deliverables are')} overdue: {_join(items)}."
    else:
        msgs[-1] += f" No deliverable is overdue; {f.done} of {f.n_deliverables} are done."
    text = f"{f.returns_in} of {f.n_partners} partners have sent their return for period {view.period}"
    if f.missing:
        text += f"; not yet accepted: {_names(f.missing, view.partners)}."
    else:
        text += "; all are accepted."
    if f.rejected:
        text += f" Rejected and waiting for a corrected return: {_names(f.rejected, view.partners)}."
    msgs.append(text)
    pace = "far below" if f.absorption < f.elapsed * Decimal("0.75") else ("above" if f.absorption > f.elapsed else "close to")
    msgs.append(f"Spending is {f.absorption:.1%} of the budget ({eur(f.cumulative)} of {eur(f.budget)}) after {f.elapsed:.1%} of the project time: "
                f"{pace} the time elapsed. First level control has certified {eur(f.certified)} for {f.certified_partners} of {f.n_partners} partners; "
                f"{f.ready} are ready for the joint report.")
    if view.living_labs:
        lacking = view.regions[view.regions["flag"].notna()]
        text = f"Living labs: {f.places} places proposed, {f.shortlisted} shortlisted"
        per = setup.project.shortlist_per_region
        full = int((view.regions["shortlisted"].fillna(0) >= per).sum())
        text += f" ({per} per region in {full} of {len(view.regions)} regions)."
        if len(lacking):
            text += " " + "; ".join(f"{r['region']}: {_lower_first(r['flag'])}"
                                    for _, r in lacking.iterrows()) + "."
        msgs.append(text)
    problems = return_problems(view)
    to_correct = problems[problems["errors"] > 0]
    flat = view.lines[view.lines["flat_rate_ok"] == False]  # noqa: E712 - None: not an office line
    extra = []
    if len(to_correct):
        returns = "return" if len(to_correct) == 1 else "returns"
        extra.append(f"errors to correct in the latest {returns} of {_join([f'{r.partner} ({r.errors})' for r in to_correct.itertuples()])}")
    if len(flat):
        extra.append(f"office flat rate wrong for {_join(list(flat['partner']))}")
    dev = deviating(view, f)
    low = dev[dev["note"].str.startswith("far below")]
    if len(low):
        extra.append(f"{_plural(len(low), 'partner')} spent less than half of what the time elapsed suggests ({_join(list(low['partner']))})")
    if extra:
        msgs.append("For the Policy Coordination Group: " + "; ".join(extra) + ". Details on the sheet Risks and issues.")
    return msgs[:5]
