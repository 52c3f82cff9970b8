"""Living labs: from the partners' candidate places to a shortlist per region.

``shortlist`` is a pure function from frames to frames (see DESIGN.md): the master
gives it every candidate row of the partners' returns, the setup's criteria and
regions, and the coordinator's decisions; it gives back the long list (one row per
place), the regions with their counts and flags, and the decisions that no longer
match a place. Nothing is read, written or printed, and the inputs are not changed.

How a place gets on the shortlist
---------------------------------
0. **Each partner's latest list.** ``candidates`` may hold the lists of every
   period; a partner's latest list (its rows of the latest period that has any)
   replaces its earlier ones, so a place it dropped leaves the long list. A place
   the coordinator decided *Selected* stays whatever later lists say: for it, every
   partner that ever proposed it answers with its latest row naming it.
1. **One candidate per place.** Rows with the same ``place_key`` (name and
   municipality without accents, case, punctuation or spacing differences) are one
   place, proposed by every partner that named it. Each proposer answers once: a
   partner that named the place in several rows (returns of several periods) counts
   with its row of the latest period (the first such row). The place's name,
   municipality, region, theme, description, lead organisation, contact, file and
   sha256 are those of its first proposer, in partner-code order.
2. **Answers of several proposers.** A score criterion is the mean of the scores the
   proposers gave (an empty answer is left out of the mean); a must-have holds only if
   every proposer answered Yes; a knock-out applies if any proposer answered Yes;
   ``companies`` is the largest number given.
3. **Score**, 0 to 100: ``sum(weight * (s - min) / (max - min)) / sum(weight) * 100``
   over the score criteria, where an unanswered criterion counts as the scale's
   minimum, rounded half up to one decimal as Excel's ROUND does.
4. **Eligible**: no knock-out answered Yes and every must-have answered Yes.
   ``ineligible_because`` names them, e.g.
   ``"knock-out: Is it a university lab?; must-have missing: Investment capacity"``.
5. **Rank** within each region of the setup, among its eligible places, 1 = best.
   Ties are broken, in this order, by: higher (rounded, as shown) score, more
   proposers, more companies (an empty number counts as fewer than any), then
   ``place_key`` ascending. Places that are not eligible, or whose region is not in
   the setup, have no rank.
6. **Shortlist**, ``per_region`` places per region:
   - a place the coordinator marked *Include* or *Selected* (a lab confirmed for the
     rest of the project) is always shortlisted, even when it is not eligible (its
     reason says so), and takes one of its region's places;
   - a place marked *Exclude* is never shortlisted; the next ranked place fills in;
   - the places left are filled by rank. So a region has ``per_region`` places,
     unless it has more Includes than places (then all Includes, and a flag), or too
     few eligible places (then a flag).
   Decisions are matched on ``place_key``, the text ``include`` / ``exclude`` /
   ``selected`` in any case; any other text is kept but decides nothing. When a
   place_key has several decision rows, the last one counts.
7. **Change** since the partner's previous list: ``New`` (not in the proposer's
   previous list, or it has none), ``Changed (Theme, Companies involved)`` (the
   columns whose answers differ, by their headers in the partner's workbook),
   ``Unchanged``, or ``Dropped by AAL; kept as Selected``. A place with several
   proposers whose changes differ names each: ``AAL: New; EEH: Unchanged``.

``shortlist_changes`` compares two shortlists (the previous period's, computed by
``shortlist`` from the lists of the periods before, and this one): the places that
left the shortlist or joined it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from nc_excel.analyses.places import (
    DECISION_WORDS,
    EXCLUDE,
    INCLUDE,
    SELECTED,
    place_key,
)
from nc_excel.excel.schema import columns
from nc_excel.partner.schema import criterion_field, living_lab_model
from nc_excel.setup.models import Criterion, Region

REQUIRED = ("partner", "period", "row", "name", "municipality", "region")
OPTIONAL = ("theme", "description", "lead_organisation", "companies", "contact", "file", "sha256")
FIRST_PROPOSER = ("name", "municipality", "region", "theme", "description", "lead_organisation", "contact", "file", "sha256")
DECISION_COLUMNS = ("place_key", "decision", "note")
REGION_COLUMNS = ("region", "candidates", "eligible", "shortlisted", "flag")


def longlist_columns(criteria: Sequence[Criterion]) -> list[str]:
    """The columns of ``Shortlist.longlist``, in order."""
    return [
        "place_key", "name", "municipality", "region", "theme", "description", "lead_organisation", "contact",
        "proposers", "n_proposers", "companies", *(criterion_field(c.key) for c in criteria),
        "score", "eligible", "ineligible_because", "rank", "decision", "note", "shortlisted", "reason", "change", "file", "sha256",
    ]


@dataclass(frozen=True)
class Shortlist:
    """The result of ``shortlist``: three frames for three sheets of the master."""

    longlist: pd.DataFrame
    """One row per place, by region (setup order, unknown regions last), then rank, then the ineligible."""
    regions: pd.DataFrame
    """One row per region of the setup: region, candidates, eligible, shortlisted, flag."""
    orphaned_decisions: pd.DataFrame
    """The decision rows whose place_key matches no place, unchanged."""


def shortlist(
    candidates: pd.DataFrame,
    criteria: Sequence[Criterion],
    regions: Sequence[Region],
    per_region: int,
    decisions: pd.DataFrame | None = None,
) -> Shortlist:
    """The long list, the regions and the orphaned decisions; the rules are in the module docstring."""
    if per_region < 1:
        raise ValueError(f"per_region must be at least 1, not {per_region}")
    criteria = tuple(criteria)
    for c in criteria:
        if c.kind == "score" and (c.weight is None or c.scale_min is None or c.scale_max is None or c.scale_max <= c.scale_min):
            raise ValueError(f"score criterion {c.key!r} needs a weight and a scale with min < max")
    answers = _answers(candidates, criteria)
    selected = _selected_keys(decisions)
    proposals = _proposals(answers, criteria, selected)
    places = _places(proposals, criteria)
    places["change"] = _changes(answers, criteria, selected).reindex(places.index).fillna("").astype(str)
    places["score"] = _score(places, criteria)
    places["ineligible_because"] = _ineligible_because(places, criteria)
    places["eligible"] = places["ineligible_because"] == ""
    decided, orphaned = _decisions(decisions, set(places.index))
    places["decision"] = decided["decision"].astype(object).reindex(places.index).fillna("")
    places["note"] = decided["note"].astype(object).reindex(places.index).fillna("")
    places = _ranked(places.reset_index(), [r.name for r in regions])
    places["shortlisted"] = _selected(places, per_region)
    places["reason"] = _reasons(places, per_region)
    longlist = places[longlist_columns(criteria)].reset_index(drop=True)
    return Shortlist(longlist=longlist, regions=_regions(places, regions, per_region), orphaned_decisions=orphaned)


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) or value is pd.NA else str(value)


def _yes(column: pd.Series) -> pd.Series:
    """True where the answer is Yes; No, empty and anything else are False."""
    return column.map(lambda v: v is True or (isinstance(v, (int, float)) and not isinstance(v, bool) and v == 1)).astype(bool)


def _answers(candidates: pd.DataFrame, criteria: tuple[Criterion, ...]) -> pd.DataFrame:
    """Every candidate row as the partner answered it, with its place_key; latest period first per partner."""
    crits = [criterion_field(c.key) for c in criteria]
    missing = [c for c in (*REQUIRED, *crits) if c not in candidates.columns]
    if missing and len(candidates):
        raise ValueError(f"the candidates lack the column(s) {', '.join(missing)}")
    frame = candidates.reindex(columns=[*REQUIRED, *OPTIONAL, *crits])
    frame["partner"] = frame["partner"].map(_text)
    frame["place_key"] = [place_key(_text(n), _text(m)) for n, m in zip(frame["name"], frame["municipality"])]
    return frame.sort_values(
        ["partner", "period", "row", "file", "place_key"], ascending=[True, False, True, True, True],
        na_position="last", kind="mergesort",
    ).reset_index(drop=True)


def _latest_list(answers: pd.DataFrame) -> pd.Series:
    """True on the rows of each partner's latest list (its latest period with rows)."""
    period = pd.to_numeric(answers["period"], errors="coerce").fillna(-1)
    return period == period.groupby(answers["partner"]).transform("max")


def _proposals(answers: pd.DataFrame, criteria: tuple[Criterion, ...], selected: set[str]) -> pd.DataFrame:
    """One row per place and proposer, sorted by partner code: the proposer's row in its latest list
    or, for a Selected place it has dropped since, its latest row naming the place."""
    frame = answers.loc[_latest_list(answers) | answers["place_key"].isin(selected)].copy()
    frame["companies"] = pd.to_numeric(frame["companies"], errors="coerce")
    for c in criteria:
        col = criterion_field(c.key)
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float) if c.kind == "score" else _yes(frame[col])
    return frame.drop_duplicates(["place_key", "partner"], keep="first")


def _plain(value: Any) -> Any:
    """An answer for comparison across periods: numbers as floats, text stripped, blanks as None."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)) and not pd.isna(value):
        return float(value)
    return _text(value).strip() or None


def _changes(answers: pd.DataFrame, criteria: tuple[Criterion, ...], selected: set[str]) -> pd.Series:
    """Per place_key of a latest list (and each Selected place dropped since): what changed since its proposers' previous lists."""
    headers = {c.name: c.header for c in columns(living_lab_model(criteria)) if c.col.input and c.name in answers.columns}
    latest = _latest_list(answers)
    period = pd.to_numeric(answers["period"], errors="coerce").fillna(-1)
    earlier = period.where(~latest)
    previous = ~latest & (earlier == earlier.groupby(answers["partner"]).transform("max"))
    pair = ["partner", "place_key"]
    now = answers.loc[latest].drop_duplicates(pair)
    before = answers.loc[previous, [*pair, *headers]].drop_duplicates(pair)
    both = now[[*pair, *headers]].merge(before, on=pair, how="left", suffixes=("", " before"), indicator=True)
    differs = pd.DataFrame({f: _differs(both[f], both[f"{f} before"], both["_merge"] == "both") for f in headers})
    said: dict[str, list[tuple[str, str]]] = {}
    for partner, key, new, diff in zip(both["partner"], both["place_key"], both["_merge"] == "left_only", differs.itertuples(index=False)):
        changed = [headers[f] for f, d in zip(headers, diff) if d]
        word = "New" if new else f"Changed ({', '.join(changed)})" if changed else "Unchanged"
        said.setdefault(key, []).append((partner, word))
    kept = set(zip(now["partner"], now["place_key"]))
    for partner, key in sorted(set(zip(answers["partner"], answers["place_key"]))):
        if key in selected and (partner, key) not in kept:
            said.setdefault(key, []).append((partner, "Dropped"))
    return pd.Series({key: _change_text(sorted(words)) for key, words in said.items()}, dtype=object)


def _differs(now: pd.Series, before: pd.Series, compared: pd.Series) -> pd.Series:
    """Where a compared row's answer changed; only the values that differ as stored are looked at closely."""
    maybe = compared & ~(now == before)
    found = pd.Series(False, index=now.index)
    found[maybe] = now[maybe].map(_plain) != before[maybe].map(_plain)
    return found


def _change_text(words: list[tuple[str, str]]) -> str:
    """One place's change: one word when its proposers agree, else each proposer's."""
    kinds = {word for _, word in words}
    if kinds == {"Dropped"}:
        return f"Dropped by {', '.join(p for p, _ in words)}; kept as Selected"
    if len(kinds) == 1:
        return words[0][1]
    return "; ".join(f"{p}: {'Dropped (kept as Selected)' if word == 'Dropped' else word}" for p, word in words)


def _places(proposals: pd.DataFrame, criteria: tuple[Criterion, ...]) -> pd.DataFrame:
    """One row per place, indexed by place_key."""
    grouped = proposals.groupby("place_key", sort=True)
    places = proposals.drop_duplicates("place_key").set_index("place_key")[list(FIRST_PROPOSER)].sort_index()
    places["proposers"] = grouped["partner"].agg(lambda codes: ", ".join(codes)).reindex(places.index).astype(str)
    places["n_proposers"] = grouped.size().reindex(places.index).astype("int64")
    places["companies"] = grouped["companies"].max().reindex(places.index).round().astype("Int64")
    for c in criteria:
        col = criterion_field(c.key)
        how = {"score": "mean", "must-have": "all", "knock-out": "any"}[c.kind]
        answers = grouped[col].agg(how).reindex(places.index)
        places[col] = answers.astype(float if c.kind == "score" else bool)
    return places


def _round1(value: float) -> float:
    """Half up to one decimal, as Excel's ROUND (floating noise below 1e-9 removed first)."""
    return float(Decimal(repr(round(value, 9))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _score(places: pd.DataFrame, criteria: tuple[Criterion, ...]) -> pd.Series:
    scored = [c for c in criteria if c.kind == "score"]
    total = sum(float(c.weight) for c in scored)  # type: ignore[arg-type]
    points = pd.Series(0.0, index=places.index)
    for c in scored:
        low, high = c.scale_min, c.scale_max
        answers = places[criterion_field(c.key)].fillna(low)
        points += float(c.weight) * (answers - low) / (high - low)  # type: ignore[arg-type, operator]
    share = points / total * 100 if total else points
    return share.map(_round1).astype(float)


def _ineligible_because(places: pd.DataFrame, criteria: tuple[Criterion, ...]) -> pd.Series:
    """Per place, the knock-outs answered Yes and the must-haves not answered Yes, by their labels."""
    knock_outs = [(c.label, places[criterion_field(c.key)].tolist()) for c in criteria if c.kind == "knock-out"]
    must_haves = [(c.label, places[criterion_field(c.key)].tolist()) for c in criteria if c.kind == "must-have"]
    texts = []
    for i in range(len(places)):
        parts = []
        if hit := [label for label, yes in knock_outs if yes[i]]:
            parts.append("knock-out: " + ", ".join(hit))
        if gap := [label for label, yes in must_haves if not yes[i]]:
            parts.append("must-have missing: " + ", ".join(gap))
        texts.append("; ".join(parts))
    return pd.Series(texts, index=places.index, dtype=str)


def _canonical(decision: Any) -> str:
    """A decision as typed, in the vocabulary's spelling when it is one of its words (any case)."""
    text = _text(decision).strip()
    return {w.casefold(): w for w in DECISION_WORDS}.get(text.casefold(), text)


def _selected_keys(decisions: pd.DataFrame | None) -> set[str]:
    """The place_keys whose last decision is Selected."""
    if decisions is None or not {"place_key", "decision"} <= set(decisions.columns):
        return set()
    last = decisions.drop_duplicates("place_key", keep="last")
    return {_text(k) for k, d in zip(last["place_key"], last["decision"]) if _canonical(d) == SELECTED}


def _decisions(decisions: pd.DataFrame | None, keys: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The decision and note per matched place_key (last row wins), and the orphaned rows unchanged."""
    if decisions is None or (len(decisions) == 0 and "place_key" not in decisions.columns):
        empty = pd.DataFrame({c: pd.Series(dtype=str) for c in DECISION_COLUMNS})
        return empty.set_index("place_key"), empty
    if "place_key" not in decisions.columns:
        raise ValueError("the decisions lack the column place_key")
    matched = decisions["place_key"].isin(keys)
    orphaned = decisions.loc[~matched].copy()
    mine = decisions.loc[matched].reindex(columns=list(DECISION_COLUMNS)).drop_duplicates("place_key", keep="last")
    mine = mine.assign(decision=mine["decision"].map(_canonical), note=mine["note"].map(_text))
    return mine.set_index("place_key"), orphaned


def _ranked(places: pd.DataFrame, region_names: list[str]) -> pd.DataFrame:
    """Sorted by region, eligibility and the tie rule; ``rank`` among the eligible of a setup region."""
    order = {name: i for i, name in enumerate(region_names)}
    places["region_order"] = places["region"].map(order).fillna(len(order))
    places["region_known"] = places["region"].isin(order)
    places = places.sort_values(
        ["region_order", "region", "eligible", "score", "n_proposers", "companies", "place_key"],
        ascending=[True, True, False, False, False, False, True], na_position="last", kind="mergesort",
    ).reset_index(drop=True)
    rankable = places["eligible"] & places["region_known"]
    places["rank"] = (places.loc[rankable].groupby("region").cumcount() + 1).reindex(places.index).astype("Int64")
    places["n_eligible"] = places["region"].map(places.loc[rankable].groupby("region").size()).fillna(0).astype(int)
    return places


def _selected(places: pd.DataFrame, per_region: int) -> pd.Series:
    included = places["decision"].isin([INCLUDE, SELECTED])
    open_places = per_region - included.groupby(places["region"]).transform("sum")
    fill = places["rank"].notna() & ~included & (places["decision"] != EXCLUDE)
    position = fill.astype(int).groupby(places["region"]).cumsum()
    return (included | (fill & (position <= open_places))).astype(bool)


def _n_places(n: int) -> str:
    return f"{n} place" if n == 1 else f"{n} places"


def _reasons(places: pd.DataFrame, per_region: int) -> list[str]:
    reasons = []
    for p in places.itertuples(index=False):
        region = _text(p.region)
        position = f"{p.rank} of {p.n_eligible} eligible in {region}" if p.rank is not pd.NA else ""
        ranked = f"rank {position}" if position else ""
        where = f"region {region!r} is not in the setup" if region else "no region given"
        if p.shortlisted and p.decision in (INCLUDE, SELECTED):
            detail = ranked or (f"although not eligible: {p.ineligible_because}" if not p.eligible else where)
            reasons.append(f"{'Selected' if p.decision == SELECTED else 'Included'} by the coordinator ({detail})")
        elif p.shortlisted:
            reasons.append(f"Rank {position}, score {p.score:.1f}, proposed by {p.proposers}")
        elif p.decision == EXCLUDE:
            reasons.append(f"Excluded by the coordinator ({ranked})" if ranked else "Excluded by the coordinator")
        elif not p.eligible:
            reasons.append(f"Not eligible: {p.ineligible_because}")
        elif not p.region_known:
            reasons.append(f"Not ranked: {where}")
        else:
            reasons.append(f"Rank {position}, score {p.score:.1f}; the {_n_places(per_region)} went to places ranked higher or included")
    return reasons


def _flag(candidates: int, eligible: int, shortlisted: int, per_region: int) -> str:
    places = _n_places(per_region)
    if candidates == 0:
        return f"No candidates for {places}"
    if eligible == 0:
        return f"No eligible candidate for {places}"
    if eligible < per_region:
        return f"Only {eligible} eligible candidate{'s' if eligible > 1 else ''} for {places}"
    if shortlisted < per_region:
        return f"Only {shortlisted} shortlisted for {places} after the coordinator's exclusions"
    if shortlisted > per_region:
        return f"{shortlisted} shortlisted for {places}: more inclusions by the coordinator than places"
    return ""


def _regions(places: pd.DataFrame, regions: Sequence[Region], per_region: int) -> pd.DataFrame:
    by_region = places.groupby("region")
    candidates = by_region.size()
    eligible = by_region["eligible"].sum()
    shortlisted = by_region["shortlisted"].sum()
    rows = []
    for r in regions:
        counts = [int(s.get(r.name, 0)) for s in (candidates, eligible, shortlisted)]
        rows.append((r.name, *counts, _flag(*counts, per_region)))
    frame = pd.DataFrame(rows, columns=list(REGION_COLUMNS))
    return frame.astype({"region": str, "candidates": "int64", "eligible": "int64", "shortlisted": "int64", "flag": str})


CHANGE_COLUMNS = ("region", "name", "municipality", "change", "before", "now")
JOINED, LEFT = "Joined the shortlist", "Left the shortlist"


def shortlist_changes(previous: Shortlist, current: Shortlist) -> pd.DataFrame:
    """The places shortlisted in one of two shortlists and not in the other, with the reason of each side.

    One row per such place (``CHANGE_COLUMNS``), by region in setup order, in long-list
    order within it, the places no longer proposed after the others of their region.
    """
    before = previous.longlist.set_index("place_key")
    now = current.longlist.set_index("place_key")
    was, becomes = set(before.index[before["shortlisted"]]), set(now.index[now["shortlisted"]])
    rows = []
    for key in [*now.index, *(k for k in before.index if k not in now.index)]:
        if (key in was) == (key in becomes):
            continue
        place = now.loc[key] if key in now.index else before.loc[key]
        rows.append((
            place["region"], place["name"], place["municipality"], JOINED if key in becomes else LEFT,
            before.loc[key, "reason"] if key in before.index else "Not proposed",
            now.loc[key, "reason"] if key in now.index else "No longer proposed",
        ))
    frame = pd.DataFrame(rows, columns=list(CHANGE_COLUMNS), dtype=object)
    order = {name: i for i, name in enumerate(current.regions["region"])}
    return frame.sort_values("region", key=lambda r: r.map(order).fillna(len(order)), kind="mergesort").reset_index(drop=True)
