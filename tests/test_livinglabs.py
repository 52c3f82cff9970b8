"""The living-lab shortlist: 150+ candidate rows from the partners' returns, 2 places per region.

Each test builds a small set of candidates whose answer is known by hand and
asserts it by value. Criteria, unless a test says otherwise:

- ``backing``  must-have  "Political backing"
- ``uni_lab``  knock-out  "Is it a university lab?"
- ``users``    score 1-5, weight 3
- ``methods``  score 1-5, weight 1

so a place's score is ``(3 * (users - 1) / 4 + (methods - 1) / 4) / 4 * 100``:
users 3 and methods 3 make 50.0, users 5 and methods 1 make 75.0.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from nc_excel.analyses.livinglabs import (
    Shortlist,
    longlist_columns,
    place_key,
    shortlist,
    shortlist_changes,
)
from nc_excel.setup.demo import northern_connections
from nc_excel.setup.models import Criterion, Region

CRITERIA = [
    Criterion(key="backing", label="Political backing", kind="must-have"),
    Criterion(key="uni_lab", label="Is it a university lab?", kind="knock-out"),
    Criterion(key="users", label="User involvement", kind="score", weight=Decimal(3), scale_min=1, scale_max=5),
    Criterion(key="methods", label="Multiple methods", kind="score", weight=Decimal(1), scale_min=1, scale_max=5),
]
REGIONS = [
    Region(code="HH", name="Hamburg", country="DE"),
    Region(code="OS", name="Oslo", country="NO"),
    Region(code="SK", name="Skåne", country="SE"),
]


def place(partner: str, row: int, name: str, region: str = "Hamburg", municipality: str | None = None, *,
          users: Any = 3, methods: Any = 3, backing: Any = True, uni_lab: Any = False, companies: Any = 10,
          period: int = 1) -> dict[str, Any]:
    """One candidate row as the intake hands it over (a partner return's living-lab table)."""
    return {
        "partner": partner, "period": period, "row": row, "name": name, "municipality": municipality or region,
        "region": region, "theme": "Energy", "description": f"About {name}", "lead_organisation": f"{name} e.V.",
        "companies": companies, "contact": f"contact@{partner.lower()}.example",
        "crit_backing": backing, "crit_uni_lab": uni_lab, "crit_users": users, "crit_methods": methods,
        "file": f"NC_{period}_{partner}.xlsx", "sha256": f"sha-{partner}-{period}",
    }


def frame(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def decisions(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["place_key", "decision", "note"])


def run(candidates: pd.DataFrame, decided: pd.DataFrame | None = None, per_region: int = 2) -> Shortlist:
    return shortlist(candidates, CRITERIA, REGIONS, per_region, decided)


def table(df: pd.DataFrame, *columns: str) -> list[tuple[Any, ...]]:
    """The rows of ``df`` as plain tuples, pandas' missing values as None."""
    plain = df[list(columns)].astype(object)
    return [tuple(row) for row in plain.where(plain.notna(), None).itertuples(index=False)]


def by_name(result: Shortlist, name: str) -> dict[str, Any]:
    row = result.longlist.loc[result.longlist["name"] == name]
    assert len(row) == 1, f"{name!r} should be one place"
    return row.iloc[0].to_dict()


# The shortlist by rank

def test_the_two_best_eligible_places_of_a_region_are_shortlisted_with_their_rank_as_the_reason():
    result = run(frame(
        place("FHH", 1, "Zollhafen", users=5, methods=1),      # 75.0
        place("FHH", 2, "Wilhelmsburg", users=4, methods=2),   # 62.5
        place("EEH", 1, "Bergedorf", users=3, methods=3),      # 50.0
        place("EEH", 2, "Wilhelmsburg", users=4, methods=2),   # the same place, proposed again
    ))
    assert table(result.longlist, "name", "score", "rank", "shortlisted", "reason") == [
        ("Zollhafen", 75.0, 1, True, "Rank 1 of 3 eligible in Hamburg, score 75.0, proposed by FHH"),
        ("Wilhelmsburg", 62.5, 2, True, "Rank 2 of 3 eligible in Hamburg, score 62.5, proposed by EEH, FHH"),
        ("Bergedorf", 50.0, 3, False, "Rank 3 of 3 eligible in Hamburg, score 50.0; the 2 places went to places ranked higher or included"),
    ]
    assert list(result.longlist.columns) == longlist_columns(CRITERIA)


def test_the_score_is_the_weighted_share_of_the_scale_with_an_empty_answer_counting_as_the_minimum():
    result = run(frame(
        place("FHH", 1, "Full marks", users=5, methods=5),     # (3*1 + 1*1) / 4 = 100 %
        place("FHH", 2, "Bottom", users=1, methods=1),         # 0 %
        place("FHH", 3, "Mixed", users=4, methods=2),          # (3*0.75 + 1*0.25) / 4 = 62.5 %
        place("FHH", 4, "Users empty", users=None, methods=5),  # (3*0 + 1*1) / 4 = 25 %
        place("FHH", 5, "Half up", users=1, methods=2),        # (3*0 + 1*0.25) / 4 = 6.25 %: 6.3, as Excel rounds
    ))
    assert {r["name"]: r["score"] for r in result.longlist.to_dict("records")} == {
        "Full marks": 100.0, "Bottom": 0.0, "Mixed": 62.5, "Users empty": 25.0, "Half up": 6.3,
    }
    assert pd.isna(by_name(result, "Users empty")["crit_users"])  # the answer itself stays empty


def test_ties_go_to_more_proposers_then_more_companies_then_the_place_key():
    result = run(frame(
        place("FHH", 1, "Few companies", companies=10),           # 50.0, 1 proposer, 10 companies
        place("FHH", 2, "Zollhafen", companies=30),               # 50.0, 1 proposer, 30 companies
        place("FHH", 3, "Two proposers", companies=5),            # 50.0, 2 proposers
        place("EEH", 1, "Two proposers", companies=5),
        place("FHH", 4, "Alsterdorf", companies=30),              # 50.0, like Zollhafen: the key decides
        place("FHH", 5, "Companies unknown", companies=None),     # 50.0, no number counts as fewest
        place("FHH", 6, "Higher score", users=5, methods=1, companies=0),  # 75.0 beats every tie-breaker
    ), per_region=3)
    assert table(result.longlist, "name", "score", "n_proposers", "companies", "rank", "shortlisted") == [
        ("Higher score", 75.0, 1, 0, 1, True),
        ("Two proposers", 50.0, 2, 5, 2, True),
        ("Alsterdorf", 50.0, 1, 30, 3, True),
        ("Zollhafen", 50.0, 1, 30, 4, False),
        ("Few companies", 50.0, 1, 10, 5, False),
        ("Companies unknown", 50.0, 1, None, 6, False),
    ]


# Eligibility

def test_a_knock_out_answered_yes_or_a_must_have_not_answered_yes_makes_a_place_ineligible_and_says_which():
    result = run(frame(
        place("FHH", 1, "University lab", uni_lab=True, users=5, methods=5),
        place("FHH", 2, "No backing", backing=False),
        place("FHH", 3, "Backing left empty", backing=None),
        place("FHH", 4, "Both", uni_lab=True, backing=False),
        place("FHH", 5, "Knock-out left empty", uni_lab=None),
    ))
    assert table(result.longlist, "name", "eligible", "ineligible_because", "rank", "shortlisted", "reason") == [
        ("Knock-out left empty", True, "", 1, True, "Rank 1 of 1 eligible in Hamburg, score 50.0, proposed by FHH"),
        ("University lab", False, "knock-out: Is it a university lab?", None, False,
         "Not eligible: knock-out: Is it a university lab?"),
        ("Backing left empty", False, "must-have missing: Political backing", None, False,
         "Not eligible: must-have missing: Political backing"),
        ("Both", False, "knock-out: Is it a university lab?; must-have missing: Political backing", None, False,
         "Not eligible: knock-out: Is it a university lab?; must-have missing: Political backing"),
        ("No backing", False, "must-have missing: Political backing", None, False,
         "Not eligible: must-have missing: Political backing"),
    ]


def test_the_demo_criteria_score_on_the_enoll_weights_and_name_every_failed_criterion():
    setup = northern_connections("k")
    answers = {
        "crit_backing": True, "crit_companies": True, "crit_market": True, "crit_investment": True,
        "crit_uni_lab": False, "crit_incubator": False, "crit_trend_only": False, "crit_public_only": False,
        # weights 3, 2, 2, 1, 2 on 1-5: (3*4 + 2*3 + 2*2 + 1*1 + 2*0) / 4 / 10 * 100 = 57.5
        "crit_users": 5, "crit_real_life": 4, "crit_stakeholders": 3, "crit_methods": 2, "crit_cocreation": 1,
    }
    base = {"period": 1, "municipality": "Aalborg", "region": "Nordjylland", "theme": "Energy", "description": "",
            "lead_organisation": "", "companies": 12, "contact": None, "file": "f.xlsx", "sha256": "0" * 64}
    candidates = pd.DataFrame([
        {**base, **answers, "partner": "AAL", "row": 1, "name": "Østre Havn"},
        {**base, **answers, "partner": "AAL", "row": 2, "name": "Campus lab", "crit_uni_lab": True,
         "crit_investment": None, "crit_market": False},
    ])
    result = shortlist(candidates, setup.criteria, setup.regions, setup.project.shortlist_per_region)
    assert table(result.longlist, "name", "score", "eligible", "ineligible_because") == [
        ("Østre Havn", 57.5, True, ""),
        ("Campus lab", 57.5, False, "knock-out: Is it a university lab?; must-have missing: A real market perspective, Investment capacity"),
    ]
    assert len(result.regions) == 13
    assert table(result.regions.head(2), "region", "candidates", "eligible", "shortlisted", "flag") == [
        ("Nordjylland", 2, 1, 1, "Only 1 eligible candidate for 2 places"),
        ("Midtjylland", 0, 0, 0, "No candidates for 2 places"),
    ]


# One place, several proposers

def test_the_same_place_spelt_differently_by_two_partners_is_one_candidate_with_both_proposers():
    result = run(frame(
        place("OSL", 1, "økernbyen  oslo", "Oslo", "OSLO", users=2, methods=1, companies=4),
        place("ORC", 7, "Økernbyen Oslo", "Oslo", "Oslo", users=5, methods=4, companies=40, uni_lab=None),
    ))
    assert place_key("økernbyen  oslo", "OSLO") == place_key("Økernbyen Oslo", "Oslo") == "okernbyenoslo|oslo"
    assert len(result.longlist) == 1
    okern = by_name(result, "Økernbyen Oslo")  # as its first proposer in partner-code order wrote it
    assert {k: okern[k] for k in ("proposers", "n_proposers", "companies", "crit_users", "crit_methods", "file", "sha256")} == {
        "proposers": "ORC, OSL", "n_proposers": 2, "companies": 40,   # the larger number
        "crit_users": 3.5, "crit_methods": 2.5,                       # the mean of both answers
        "file": "NC_1_ORC.xlsx", "sha256": "sha-ORC-1",               # provenance of the first proposer
    }
    assert okern["score"] == pytest.approx(100 * (3 * 2.5 / 4 + 1.5 / 4) / 4, abs=0.05)


def test_a_must_have_holds_only_if_every_proposer_says_yes_and_a_knock_out_applies_if_any_says_yes():
    result = run(frame(
        place("FHH", 1, "Backing disputed", backing=True),
        place("EEH", 1, "Backing disputed", backing=False),
        place("FHH", 2, "Lab disputed", uni_lab=False),
        place("EEH", 2, "Lab disputed", uni_lab=True),
    ))
    assert table(result.longlist, "name", "crit_backing", "crit_uni_lab", "ineligible_because") == [
        ("Backing disputed", False, False, "must-have missing: Political backing"),
        ("Lab disputed", True, True, "knock-out: Is it a university lab?"),
    ]


def test_a_partner_that_proposed_a_place_in_several_periods_counts_once_with_its_latest_answers():
    result = run(frame(
        place("FHH", 1, "Zollhafen", users=1, methods=1, period=1),
        place("FHH", 3, "Zollhafen", users=5, methods=5, period=2),
    ))
    assert table(result.longlist, "proposers", "n_proposers", "score", "file") == [("FHH", 1, 100.0, "NC_2_FHH.xlsx")]


# The coordinator's decisions

HAMBURG = (
    place("FHH", 1, "First", users=5, methods=5),    # 100.0
    place("FHH", 2, "Second", users=5, methods=1),   # 75.0
    place("FHH", 3, "Third", users=3, methods=3),    # 50.0
    place("FHH", 4, "Campus", uni_lab=True),         # not eligible
)


def test_an_included_place_takes_one_of_the_regions_places_and_the_rest_go_by_rank():
    result = run(frame(*HAMBURG), decisions(("third|hamburg", "Include", "Site visit convinced us")))
    assert table(result.longlist, "name", "rank", "decision", "note", "shortlisted", "reason") == [
        ("First", 1, "", "", True, "Rank 1 of 3 eligible in Hamburg, score 100.0, proposed by FHH"),
        ("Second", 2, "", "", False, "Rank 2 of 3 eligible in Hamburg, score 75.0; the 2 places went to places ranked higher or included"),
        ("Third", 3, "Include", "Site visit convinced us", True, "Included by the coordinator (rank 3 of 3 eligible in Hamburg)"),
        ("Campus", None, "", "", False, "Not eligible: knock-out: Is it a university lab?"),
    ]
    assert table(result.regions.head(1), "shortlisted", "flag") == [(2, "")]


def test_an_ineligible_place_can_be_included_and_its_reason_says_it_is_not_eligible():
    result = run(frame(*HAMBURG), decisions(("campus|hamburg", "include", "")))  # any case
    assert by_name(result, "Campus")["shortlisted"]
    assert by_name(result, "Campus")["decision"] == "Include"
    assert by_name(result, "Campus")["reason"] == "Included by the coordinator (although not eligible: knock-out: Is it a university lab?)"
    assert result.longlist.loc[result.longlist["shortlisted"], "name"].tolist() == ["First", "Campus"]


def test_an_excluded_place_is_taken_out_and_the_next_ranked_fills_in():
    result = run(frame(*HAMBURG), decisions(("first|hamburg", "Exclude", "Already funded elsewhere")))
    assert table(result.longlist, "name", "rank", "shortlisted", "reason") == [
        ("First", 1, False, "Excluded by the coordinator (rank 1 of 3 eligible in Hamburg)"),
        ("Second", 2, True, "Rank 2 of 3 eligible in Hamburg, score 75.0, proposed by FHH"),
        ("Third", 3, True, "Rank 3 of 3 eligible in Hamburg, score 50.0, proposed by FHH"),
        ("Campus", None, False, "Not eligible: knock-out: Is it a university lab?"),
    ]


def test_more_inclusions_than_places_shortlists_them_all_and_flags_the_region():
    result = run(frame(*HAMBURG), decisions(
        ("second|hamburg", "Include", ""), ("third|hamburg", "Include", ""), ("campus|hamburg", "Include", ""),
    ))
    assert result.longlist.loc[result.longlist["shortlisted"], "name"].tolist() == ["Second", "Third", "Campus"]
    assert table(result.regions.head(1), "shortlisted", "flag") == [(3, "3 shortlisted for 2 places: more inclusions by the coordinator than places")]


def test_exclusions_that_leave_a_region_short_are_flagged():
    result = run(frame(*HAMBURG), decisions(("first|hamburg", "Exclude", ""), ("second|hamburg", "Exclude", "")))
    assert table(result.regions.head(1), "eligible", "shortlisted", "flag") == [
        (3, 1, "Only 1 shortlisted for 2 places after the coordinator's exclusions"),
    ]


def test_decisions_for_places_no_longer_proposed_are_handed_back_unchanged_as_orphans():
    decided = pd.DataFrame({
        "place_key": ["first|hamburg", "withdrawn|hamburg", "gone|oslo"],
        "decision": ["Include", "Exclude", ""],
        "note": ["", "Partner withdrew it", "kept for the record"],
    }, index=[10, 11, 12])
    result = run(frame(*HAMBURG), decided)
    pd.testing.assert_frame_equal(result.orphaned_decisions, decided.loc[[11, 12]])
    assert by_name(result, "First")["decision"] == "Include"


def test_without_decisions_nothing_is_orphaned_and_no_place_has_a_decision():
    result = run(frame(*HAMBURG))
    assert result.orphaned_decisions.empty
    assert list(result.orphaned_decisions.columns) == ["place_key", "decision", "note"]
    assert set(result.longlist["decision"]) == {""}


# Across periods: each partner's latest list counts, a Selected place stays

def test_a_partners_later_list_replaces_its_earlier_one_and_says_what_changed_in_each_place():
    result = run(frame(
        place("FHH", 1, "Zollhafen", period=1), place("FHH", 2, "Dropped later", period=1),
        place("FHH", 3, "Kept as it was", period=1, companies=7),
        place("FHH", 1, "Zollhafen", period=2, users=5, companies=12), place("FHH", 2, "Kept as it was", period=2, companies=7),
        place("FHH", 3, "Proposed in period 2", period=2),
        place("EEH", 1, "Bergedorf", period=1),  # EEH sent no list since: its period-1 list still counts
    ), per_region=5)
    assert table(result.longlist, "name", "proposers", "change") == [
        ("Zollhafen", "FHH", "Changed (Companies involved, User involvement)"),
        ("Bergedorf", "EEH", "New"),
        ("Proposed in period 2", "FHH", "New"),
        ("Kept as it was", "FHH", "Unchanged"),
    ]
    assert "Dropped later" not in set(result.longlist["name"])


def test_a_place_with_proposers_whose_lists_changed_differently_names_each_proposer():
    result = run(frame(
        place("EEH", 1, "Wilhelmsburg", period=1), place("FHH", 1, "Wilhelmsburg", period=1),
        place("EEH", 1, "Wilhelmsburg", period=2, methods=5), place("FHH", 1, "Wilhelmsburg", period=2),
    ))
    assert by_name(result, "Wilhelmsburg")["change"] == "EEH: Changed (Multiple methods); FHH: Unchanged"


def test_a_selected_place_stays_shortlisted_after_its_partner_dropped_it_and_takes_one_of_the_regions_places():
    period_1 = [place("FHH", 1, "First", users=5, methods=5, period=1), place("FHH", 2, "Second", users=5, methods=1, period=1),
                place("FHH", 3, "Third", users=3, methods=3, period=1)]
    period_2 = [place("FHH", 1, "First", users=5, methods=5, period=2), place("FHH", 2, "Second", users=5, methods=1, period=2),
                place("FHH", 3, "Fourth", users=4, methods=4, period=2)]
    result = run(frame(*period_1, *period_2), decisions(("third|hamburg", "selected", "Confirmed at the steering group")))
    assert table(result.longlist, "name", "rank", "decision", "shortlisted", "reason", "change") == [
        ("First", 1, "", True, "Rank 1 of 4 eligible in Hamburg, score 100.0, proposed by FHH", "Unchanged"),
        ("Fourth", 2, "", False, "Rank 2 of 4 eligible in Hamburg, score 75.0; the 2 places went to places ranked higher or included", "New"),
        ("Second", 3, "", False, "Rank 3 of 4 eligible in Hamburg, score 75.0; the 2 places went to places ranked higher or included", "Unchanged"),
        ("Third", 4, "Selected", True, "Selected by the coordinator (rank 4 of 4 eligible in Hamburg)", "Dropped by FHH; kept as Selected"),
    ]
    assert by_name(result, "Third")["file"] == "NC_1_FHH.xlsx"  # its answers are those of the list that named it


def test_a_selected_place_stays_selected_whatever_its_scores_say():
    result = run(frame(*HAMBURG), decisions(("campus|hamburg", "Selected", ""), ("third|hamburg", "Selected", "")))
    assert result.longlist.loc[result.longlist["shortlisted"], "name"].tolist() == ["Third", "Campus"]
    assert by_name(result, "Campus")["reason"] == "Selected by the coordinator (although not eligible: knock-out: Is it a university lab?)"


def test_shortlist_changes_lists_the_places_that_left_or_joined_the_shortlist_with_both_reasons():
    period_1 = [place("FHH", 1, "First", users=5, methods=5, period=1), place("FHH", 2, "Second", users=5, methods=1, period=1),
                place("OSL", 1, "Fornebu", "Oslo", period=1)]
    period_2 = [place("FHH", 1, "First", users=5, methods=5, period=2), place("FHH", 2, "Newcomer", users=5, methods=3, period=2),
                place("FHH", 3, "Second", users=5, methods=1, period=2)]
    candidates = frame(*period_1, *period_2)
    before = run(candidates[candidates["period"] < 2])
    result = run(candidates)
    assert table(shortlist_changes(before, result), "region", "name", "change", "before", "now") == [
        ("Hamburg", "Newcomer", "Joined the shortlist", "Not proposed", "Rank 2 of 3 eligible in Hamburg, score 87.5, proposed by FHH"),
        ("Hamburg", "Second", "Left the shortlist", "Rank 2 of 2 eligible in Hamburg, score 75.0, proposed by FHH",
         "Rank 3 of 3 eligible in Hamburg, score 75.0; the 2 places went to places ranked higher or included"),
    ]
    assert shortlist_changes(result, result).empty


# The regions

def test_every_setup_region_has_a_row_and_regions_short_of_eligible_candidates_are_flagged():
    result = run(frame(
        *HAMBURG,
        place("OSL", 1, "Økernbyen", "Oslo"),
        place("OSL", 2, "Fornebu", "Oslo", backing=False),
    ))
    assert table(result.regions, "region", "candidates", "eligible", "shortlisted", "flag") == [
        ("Hamburg", 4, 3, 2, ""),
        ("Oslo", 2, 1, 1, "Only 1 eligible candidate for 2 places"),
        ("Skåne", 0, 0, 0, "No candidates for 2 places"),
    ]


def test_a_place_in_a_region_that_is_not_in_the_setup_is_listed_but_not_ranked():
    result = run(frame(place("FHH", 1, "Atlantis harbour", "Atlantis")))
    assert table(result.longlist, "region", "eligible", "rank", "shortlisted", "reason") == [
        ("Atlantis", True, None, False, "Not ranked: region 'Atlantis' is not in the setup"),
    ]
    assert result.regions["candidates"].sum() == 0


# A pure function

def test_shuffled_input_rows_give_the_identical_output_and_the_inputs_are_not_changed():
    candidates = frame(
        *HAMBURG,
        place("EEH", 1, "Second", users=5, methods=1),
        place("OSL", 1, "økernbyen  oslo", "Oslo", "OSLO", users=2),
        place("ORC", 1, "Økernbyen Oslo", "Oslo", "Oslo", users=4),
        place("ORC", 2, "Tie A", "Oslo"), place("OSL", 2, "Tie B", "Oslo"),
    )
    decided = decisions(("third|hamburg", "Include", "x"), ("gone|oslo", "Exclude", ""))
    before, decided_before = candidates.copy(), decided.copy()
    expected = run(candidates, decided)
    for seed in range(5):
        shuffled = run(candidates.sample(frac=1, random_state=seed), decided)
        pd.testing.assert_frame_equal(shuffled.longlist, expected.longlist)
        pd.testing.assert_frame_equal(shuffled.regions, expected.regions)
    pd.testing.assert_frame_equal(candidates, before)
    pd.testing.assert_frame_equal(decided, decided_before)
    assert by_name(expected, "Økernbyen Oslo")["proposers"] == "ORC, OSL"


def test_no_candidates_at_all_gives_an_empty_longlist_and_flags_every_region():
    decided = decisions(("gone|oslo", "Include", ""))
    for empty in (pd.DataFrame(), frame(place("FHH", 1, "x")).iloc[0:0]):
        result = run(empty, decided)
        assert result.longlist.empty
        assert list(result.longlist.columns) == longlist_columns(CRITERIA)
        assert result.regions["flag"].tolist() == ["No candidates for 2 places"] * 3
        pd.testing.assert_frame_equal(result.orphaned_decisions, decided)


def test_a_candidates_frame_without_a_criterion_column_is_refused_by_name():
    with pytest.raises(ValueError, match="crit_methods"):
        run(frame(place("FHH", 1, "x")).drop(columns=["crit_methods"]))
