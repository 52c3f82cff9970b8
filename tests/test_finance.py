"""The finance and FLC position: what the lead partner knows before the joint report.

Three partners, small budgets, crafted returns and known answers. Every amount is a
Decimal; a test states the figures a coordinator would check by hand.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from nc_excel.analyses.finance import PROJECT as ALL_PARTNERS_ROW
from nc_excel.analyses.finance import (
    TOTAL,
    FinancePosition,
    FinanceTotals,
    finance_position,
    without_totals,
)
from nc_excel.analyses.statement import (
    PROJECT_TOTAL,
    REPORT_TOTAL,
    statement_of_expenditure,
)
from nc_excel.setup.models import COST_CATEGORIES, Partner, Project

D = Decimal
CATEGORIES = [key for key, _ in COST_CATEGORIES]

PROJECT = Project(
    name="Northern Connections", acronym="NC", programme="Interreg VB North Sea Region",
    start=dt.date(2016, 11, 1), end=dt.date(2020, 4, 30), total_budget=D(100_000), erdf=D(50_000),
    cofinancing_rate=D(50), office_flat_rate=D(15),
    coordinator="Aalborg Kommune", coordinator_email="nc@aalborg.example.eu", template_key="k",
)


def partner(number: int, code: str, name: str, country: str, funding: str = "ERDF", **budget: str) -> Partner:
    return Partner(
        number=number, code=code, name=name, short_name=code, country=country, region="R1", type="Local authority",
        funding=funding, cofinancing_rate=D(50), **{f"budget_{k}": D(budget.get(k, "0")) for k, _ in COST_CATEGORIES},
    )


AAL = partner(1, "AAL", "Aalborg Kommune", "DK", staff="20000", office="3000", travel="2000", external="5000")
HAM = partner(2, "HAM", "Freie und Hansestadt Hamburg", "DE", staff="8000", office="1200", travel="800")
GBG = partner(3, "GBG", "Business Region Göteborg", "SE", staff="10000", office="1500", equipment="0")
PARTNERS = [AAL, HAM, GBG]

def ret(code: str, period: int, sha: str, status: str = "accepted", errors: int = 0, superseded: bool = False, seq: int = 1) -> dict:
    """One line of the returns register; ``seq`` is its place in the order of receipt."""
    return {"partner": code, "period": period, "status": status, "errors": errors, "superseded": superseded,
            "seq": seq, "sha256": sha, "file": f"{sha}.xlsx"}


def declared(code: str, period: int, sha: str, previous: str = "0", **amounts: str) -> list[dict]:
    """The expenditure table of one return: a row for every cost category, 0 where nothing is declared."""
    return [{"partner": code, "period": period, "category": cat, "previous": D(previous),
             "declared": D(amounts.get(cat, "0")), "file": f"{sha}.xlsx", "sha256": sha} for cat in CATEGORIES]


def control(code: str, period: int, sha: str, status: str = "Certified", certified: str | None = None) -> dict:
    """The FLC form of one return."""
    return {"partner": code, "period": period, "controller": "KPMG", "sent_to_flc": dt.date(2017, 11, 15),
            "flc_status": status, "certified": D(certified) if certified is not None else None,
            "certificate_date": dt.date(2017, 12, 1) if status == "Certified" else None, "sha256": sha}


def position(finance: list[dict], flc: list[dict], returns: list[dict], period: int = 1) -> FinancePosition:
    return finance_position(PARTNERS, PROJECT, period, pd.DataFrame(finance), pd.DataFrame(flc), pd.DataFrame(returns))


def line(pos: FinancePosition, code: str, category: str) -> pd.Series:
    rows = pos.lines[(pos.lines["partner"] == code) & (pos.lines["category"] == category)]
    assert len(rows) == 1
    return rows.iloc[0]


def row(pos: FinancePosition, code: str) -> pd.Series:
    return pos.partners.set_index("partner").loc[code]


# --- what was declared -------------------------------------------------------------


def test_totals_equal_the_sum_of_the_returns() -> None:
    pos = position(
        declared("AAL", 1, "a1", staff="4000.00", office="600.00", travel="250.50")
        + declared("HAM", 1, "h1", staff="1000.00", office="150.00", external="99.99"),
        [control("AAL", 1, "a1", certified="4850.50"), control("HAM", 1, "h1", certified="1249.99")],
        [ret("AAL", 1, "a1"), ret("HAM", 1, "h1")],
    )
    assert row(pos, "AAL")["declared_period"] == D("4850.50")
    assert row(pos, "HAM")["declared_period"] == D("1249.99")
    assert pos.totals.declared_period == D("6100.49")
    assert pos.totals.cumulative == D("6100.49")
    assert pos.totals.budget == AAL.total_budget + HAM.total_budget + GBG.total_budget == D("51500")
    assert pos.totals.absorption_pct == D("0.118")  # 6100.49 / 51500 = 11.85 %, as a fraction
    assert pos.totals.certified == D("6100.49")
    assert pos.totals.n_partners == 3
    assert (pos.totals.partners_reported, pos.totals.partners_certified, pos.totals.partners_ready) == (2, 2, 2)


def test_every_partner_has_one_line_per_cost_category_in_setup_order() -> None:
    pos = position([], [], [])
    assert list(pos.lines["partner"]) == [code for code in ("AAL", "HAM", "GBG") for _ in [*CATEGORIES, TOTAL]] + [ALL_PARTNERS_ROW]
    assert list(pos.lines["category"][:6]) == CATEGORIES and pd.isna(pos.lines["category"][6])  # each partner's lines end with its total
    assert list(pos.lines["category_label"][:2]) == ["Staff costs", "Office and administration"]
    assert line(pos, "AAL", "external")["budget"] == D("5000")


def test_cumulative_adds_every_accepted_period_and_does_not_trust_the_prefilled_previous() -> None:
    pos = position(
        declared("AAL", 1, "a1", staff="3000", travel="100")
        + declared("AAL", 2, "a2", previous="999999", staff="2000", travel="50")  # a wrong "declared before" is ignored
        + declared("AAL", 3, "a3", staff="7777"),  # a later period is not part of the position of period 2
        [control("AAL", 2, "a2", certified="2050")],
        [ret("AAL", 1, "a1"), ret("AAL", 2, "a2"), ret("AAL", 3, "a3")],
        period=2,
    )
    staff = line(pos, "AAL", "staff")
    assert (staff["declared_period"], staff["cumulative"], staff["remaining"]) == (D("2000"), D("5000"), D("15000"))
    assert staff["absorption_pct"] == D("0.250")
    assert line(pos, "AAL", "travel")["cumulative"] == D("150")
    assert row(pos, "AAL")["cumulative"] == D("5150")
    assert line(pos, "AAL", "staff")["source"] == "a2.xlsx"


def test_a_partner_who_did_not_report_in_the_period_keeps_earlier_periods_but_is_not_reported() -> None:
    pos = position(declared("HAM", 1, "h1", staff="800"), [control("HAM", 1, "h1", certified="800")],
                   [ret("HAM", 1, "h1")], period=2)
    staff = line(pos, "HAM", "staff")
    assert (staff["declared_period"], staff["cumulative"], staff["source"]) == (D("0"), D("800"), None)
    assert row(pos, "HAM")["flc_status"] == "Not reported"
    assert row(pos, "HAM")["blocking"] == "not reported"


def test_the_partners_and_their_budget_lines_end_with_totals_that_tie() -> None:
    """Each partner's budget lines add up in its Total line, the partners in the Project row: the figures of the Dashboard."""
    pos = position(declared("AAL", 1, "a1", staff="1000.10", travel="20") + declared("HAM", 1, "h1", staff="2000.20"),
                   [control("AAL", 1, "a1", certified="1020.10")], [ret("AAL", 1, "a1"), ret("HAM", 1, "h1")])
    lines, partners = pos.lines, pos.partners
    aal_total = lines[(lines["partner"] == "AAL") & (lines["category_label"] == TOTAL)].iloc[0]
    assert (aal_total["declared_period"], aal_total["budget"]) == (D("1020.10"), AAL.total_budget)
    assert aal_total["cumulative"] == row(pos, "AAL")["cumulative"]
    project_line = lines.iloc[-1]
    assert (project_line["partner"], project_line["cumulative"]) == (ALL_PARTNERS_ROW, D("3020.30"))
    project_row = partners.iloc[-1]
    assert project_row["partner"] == ALL_PARTNERS_ROW and pd.isna(project_row["ready"])  # statuses are per partner
    assert (project_row["budget"], project_row["cumulative"], project_row["certified"], project_row["absorption_pct"]) == (
        pos.totals.budget, pos.totals.cumulative, pos.totals.certified, pos.totals.absorption_pct)
    assert sum(without_totals(partners)["cumulative"]) == project_row["cumulative"] == project_line["cumulative"]


def test_a_partner_without_a_return_shows_zeros_and_not_reported() -> None:
    pos = position(declared("AAL", 1, "a1", staff="100", office="15"), [control("AAL", 1, "a1", certified="115")],
                   [ret("AAL", 1, "a1")])
    lines = without_totals(pos.lines)
    gbg = lines[lines["partner"] == "GBG"]
    assert len(gbg) == 6
    assert set(gbg["declared_period"]) == {D(0)} and set(gbg["cumulative"]) == {D(0)}
    assert list(gbg["remaining"]) == [GBG.budget(cat) for cat in CATEGORIES]
    assert set(gbg["absorption_pct"]) == {D("0.0")}
    assert gbg["flat_rate_ok"].isna().all() and gbg["source"].isna().all()
    g = row(pos, "GBG")
    assert (g["reported"], g["ready"], g["flc_status"], g["blocking"]) == (False, False, "Not reported", "not reported")
    assert (g["certified"], g["erdf_due"]) == (D(0), D(0))
    assert pos.readiness.set_index("partner").loc["GBG", "reason"] == "not reported"


def test_absorption_is_cumulative_over_budget_as_a_fraction_to_a_tenth_of_a_percent_half_away_from_zero() -> None:
    pos = position(declared("AAL", 1, "a1", staff="2511", travel="1", external="5000"), [], [ret("AAL", 1, "a1")])
    assert line(pos, "AAL", "staff")["absorption_pct"] == D("0.126")  # 2511 / 20000 = 12.555 %
    assert line(pos, "AAL", "travel")["absorption_pct"] == D("0.001")  # 1 / 2000 = 0.05 %
    assert line(pos, "AAL", "external")["absorption_pct"] == D("1.000")
    assert line(pos, "AAL", "equipment")["absorption_pct"] == D("0.0")  # no budget: 0, not a division by zero


def test_spending_without_a_budget_shows_0_percent_and_a_negative_remainder() -> None:
    pos = position(declared("GBG", 1, "g1", equipment="450.00"), [], [ret("GBG", 1, "g1")])
    equipment = line(pos, "GBG", "equipment")
    assert (equipment["absorption_pct"], equipment["remaining"]) == (D("0.0"), D("-450.00"))


def test_categories_add_up_all_partners() -> None:
    pos = position(
        declared("AAL", 1, "a1", staff="1000.10") + declared("HAM", 1, "h1", staff="2000.20"),
        [], [ret("AAL", 1, "a1"), ret("HAM", 1, "h1")],
    )
    staff = pos.categories.set_index("category").loc["staff"]
    assert (staff["budget"], staff["declared_period"], staff["cumulative"]) == (D("38000"), D("3000.30"), D("3000.30"))
    assert (staff["remaining"], staff["absorption_pct"]) == (D("34999.70"), D("0.079"))
    assert list(pos.categories["category"]) == CATEGORIES


def test_money_is_exact_decimal_so_ten_and_twenty_cents_make_thirty() -> None:
    pos = position(declared("HAM", 1, "h1", travel="0.1") + declared("HAM", 2, "h2", travel="0.2"), [],
                   [ret("HAM", 1, "h1"), ret("HAM", 2, "h2")], period=2)
    travel = line(pos, "HAM", "travel")
    assert travel["cumulative"] == D("0.3") and isinstance(travel["cumulative"], Decimal)
    assert travel["remaining"] == D("799.7")
    assert all(isinstance(v, Decimal) for v in pos.partners["erdf_due"])
    assert isinstance(pos.totals.cumulative, Decimal)


# --- office and administration flat rate -----------------------------------------


def test_the_office_flat_rate_check_truncates_like_jems() -> None:
    # 15 % of 10,001.30 is 1,500.195: the flat rate is 1,500.19 (truncated), not 1,500.20 (rounded).
    right = position(declared("GBG", 1, "g1", staff="10001.30", office="1500.19"), [], [ret("GBG", 1, "g1")])
    rounded = position(declared("GBG", 1, "g1", staff="10001.30", office="1500.20"), [], [ret("GBG", 1, "g1")])
    assert line(right, "GBG", "office")["flat_rate_ok"] is True
    assert line(rounded, "GBG", "office")["flat_rate_ok"] is False


def test_the_flat_rate_check_is_only_on_the_office_line_of_a_partner_who_reported() -> None:
    pos = position(declared("GBG", 1, "g1", staff="1000", office="150"), [], [ret("GBG", 1, "g1")])
    gbg = pos.lines[pos.lines["partner"] == "GBG"].set_index("category")["flat_rate_ok"]
    assert gbg["office"] is True
    assert gbg.drop("office").isna().all()
    assert line(pos, "AAL", "office")["flat_rate_ok"] is None  # AAL did not report: nothing to check


# --- FLC and co-financing -----------------------------------------------------------


def test_cofinancing_is_half_the_certified_amount_truncated_to_the_cent() -> None:
    pos = position(
        declared("AAL", 1, "a1", staff="1000.03") + declared("HAM", 1, "h1", travel="0.01"),
        [control("AAL", 1, "a1", certified="1000.03"), control("HAM", 1, "h1", certified="0.01")],
        [ret("AAL", 1, "a1"), ret("HAM", 1, "h1")],
    )
    assert row(pos, "AAL")["erdf_due"] == D("500.01")  # 500.015 truncated
    assert row(pos, "HAM")["erdf_due"] == D("0.00")  # 0.005 truncated
    assert pos.totals.erdf_due == D("500.01")  # the sum of the partners' amounts
    assert pos.totals.certified == D("1000.04")


def test_an_amount_counts_as_certified_only_once_the_flc_has_certified() -> None:
    pos = position(
        declared("AAL", 1, "a1", staff="5000") + declared("HAM", 1, "h1", staff="800"),
        [control("AAL", 1, "a1", certified="5000"), control("HAM", 1, "h1", status="In control", certified="800")],
        [ret("AAL", 1, "a1"), ret("HAM", 1, "h1")],
    )
    aal, ham = row(pos, "AAL"), row(pos, "HAM")
    assert (aal["flc_status"], aal["certified"], aal["erdf_due"], aal["ready"]) == ("Certified", D("5000"), D("2500.00"), True)
    assert (ham["flc_status"], ham["certified"], ham["erdf_due"], ham["ready"]) == ("In control", D(0), D(0), False)
    assert ham["blocking"] == "FLC not certified (In control)"
    assert (pos.totals.certified, pos.totals.partners_certified) == (D("5000"), 1)


def test_a_return_without_an_flc_form_is_not_sent() -> None:
    pos = position(declared("HAM", 1, "h1", staff="800"), [], [ret("HAM", 1, "h1")])
    assert row(pos, "HAM")["flc_status"] == "Not sent"
    assert row(pos, "HAM")["blocking"] == "FLC not certified (Not sent)"


def certificate(code: str, period: int, **certified: tuple[str, str]) -> list[dict]:
    """An FLC certificate's lines: (declared, certified) per cost category, 0 where none is given."""
    return [{"partner": code, "period": period, "category": cat, "declared": D(certified.get(cat, ("0", "0"))[0]),
             "certified": D(certified.get(cat, ("0", "0"))[1]), "reason": "Ineligible hours" if cat in certified else None,
             "reference": f"FLC-{code}-{period}", "file": f"flc-{code}-{period}.xlsx", "sha256": f"c-{code}-{period}"} for cat in CATEGORIES]


def test_a_certificate_after_the_return_certifies_the_period_and_counts_in_later_periods() -> None:
    finance = declared("AAL", 1, "a1", staff="1000", office="150") + declared("AAL", 2, "a2", staff="500", office="75")
    flc = [control("AAL", 1, "a1", status="Sent to FLC"), control("AAL", 2, "a2", status="In control")]
    returns = [ret("AAL", 1, "a1"), ret("AAL", 2, "a2")]
    later = pd.DataFrame(certificate("AAL", 1, staff=("1000", "900"), office=("150", "135")))
    p1 = finance_position(PARTNERS, PROJECT, 1, pd.DataFrame(finance), pd.DataFrame(flc), pd.DataFrame(returns), later)
    assert (row(p1, "AAL")["flc_status"], row(p1, "AAL")["certified"]) == ("Certified", D("1035"))  # the certificate, not the form
    p2 = finance_position(PARTNERS, PROJECT, 2, pd.DataFrame(finance), pd.DataFrame(flc), pd.DataFrame(returns), later)
    aal = row(p2, "AAL")
    assert (aal["flc_status"], aal["certified_period"], aal["certified"], aal["erdf_due"]) == ("In control", D(0), D("1035"), D("517.50"))
    assert p2.totals.certified == D("1035") and p2.totals.partners_certified == 0
    staff = p2.certificates[(p2.certificates["period"] == 1) & (p2.certificates["category"] == "staff")].iloc[0]
    assert (staff["declared"], staff["certified"], staff["deducted"], staff["counts"]) == (D("1000"), D("900"), D("100"), True)
    totals = p2.certificates[p2.certificates["period"].isna()].set_index("partner")
    assert list(totals.index) == ["AAL", "Project"] and totals.loc["Project", "deducted"] == D("115")


def test_a_certificate_of_an_earlier_version_of_the_return_does_not_count() -> None:
    stale = pd.DataFrame(certificate("HAM", 1, staff=("900", "900"), office=("135", "135")))
    pos = finance_position(PARTNERS, PROJECT, 1, pd.DataFrame(declared("HAM", 1, "h2", staff="1000", office="150")),
                           pd.DataFrame([control("HAM", 1, "h2", status="Sent to FLC")]), pd.DataFrame([ret("HAM", 1, "h2")]), stale)
    assert (row(pos, "HAM")["flc_status"], row(pos, "HAM")["certified"]) == ("Sent to FLC", D(0))
    assert not pos.certificates["counts"].iloc[0] and pos.totals.certified == D(0)


def test_certificates_in_the_register_are_not_returns() -> None:
    register = [ret("AAL", 1, "a1"), {**ret("AAL", 1, "c1"), "kind": "certificate"}]
    pos = position(declared("AAL", 1, "a1", staff="100"), [control("AAL", 1, "a1", certified="100")], register)
    assert row(pos, "AAL")["reported"] and row(pos, "AAL")["certified"] == D("100")


# --- readiness for the joint report -------------------------------------------------


def test_readiness_names_what_stops_each_partner() -> None:
    pos = position(
        declared("AAL", 1, "a1", staff="100", office="15") + declared("HAM", 1, "h1", staff="100", office="15"),
        [control("AAL", 1, "a1", certified="115"), control("HAM", 1, "h1", status="Sent to FLC")],
        [ret("AAL", 1, "a1"), ret("HAM", 1, "h1"), ret("GBG", 1, "g1", status="rejected", errors=3)],
    )
    assert row(pos, "AAL")["ready"] and row(pos, "AAL")["blocking"] == ""
    assert dict(zip(pos.readiness["partner"], pos.readiness["reason"])) == {
        "HAM": "FLC not certified (Sent to FLC)",
        "GBG": "rejected return with 3 errors",
    }
    assert list(pos.readiness.columns) == ["partner", "partner_name", "reason"]
    assert pos.readiness.set_index("partner").loc["GBG", "partner_name"] == "Business Region Göteborg"
    assert not row(pos, "GBG")["reported"]
    assert pos.totals.partners_ready == 1


def test_a_rejected_correction_after_an_accepted_return_is_an_open_error() -> None:
    """The accepted return still gives the figures, but the partner's latest word failed: not ready."""
    pos = position(
        declared("HAM", 1, "h1", staff="800"),
        [control("HAM", 1, "h1", certified="800")],
        [ret("HAM", 1, "h1", seq=1), ret("HAM", 1, "h2", status="rejected", errors=1, seq=2)],
    )
    ham = row(pos, "HAM")
    assert (ham["reported"], ham["declared_period"], ham["certified"]) == (True, D("800"), D("800"))
    assert (ham["ready"], ham["rejected"], ham["blocking"]) == (False, True, "rejected return with 1 error")


def test_a_rejected_return_before_the_accepted_one_is_history() -> None:
    pos = position(
        declared("HAM", 1, "h2", staff="800"),
        [control("HAM", 1, "h2", certified="800")],
        [ret("HAM", 1, "h1", status="rejected", errors=4, seq=1), ret("HAM", 1, "h2", seq=2)],
    )
    assert (row(pos, "HAM")["ready"], row(pos, "HAM")["rejected"], row(pos, "HAM")["blocking"]) == (True, False, "")


def test_an_uncertified_partner_with_a_rejected_correction_gets_both_reasons() -> None:
    pos = position(
        declared("HAM", 1, "h1", staff="800"),
        [control("HAM", 1, "h1", status="In control")],
        [ret("HAM", 1, "h1", seq=1), ret("HAM", 1, "h2", status="rejected", errors=2, seq=2)],
    )
    assert row(pos, "HAM")["blocking"] == "rejected return with 2 errors; FLC not certified (In control)"


def test_duplicates_and_files_that_are_no_return_do_not_count() -> None:
    pos = position(
        declared("AAL", 1, "a1", staff="100"), [control("AAL", 1, "a1", certified="100")],
        [ret("AAL", 1, "a1", seq=1),
         ret("AAL", 1, "a1", status="duplicate", seq=2),
         {"partner": None, "period": None, "status": "not a return", "errors": 0, "superseded": False,
          "seq": 3, "sha256": "x", "file": "budget.xlsx"}],
    )
    assert (row(pos, "AAL")["ready"], row(pos, "AAL")["declared_period"]) == (True, D("100"))


# --- which returns count ------------------------------------------------------------


def test_a_superseded_return_is_ignored() -> None:
    pos = position(
        declared("AAL", 1, "old", staff="9999.99") + declared("AAL", 1, "new", staff="1000.00"),
        [control("AAL", 1, "old", certified="9999.99"), control("AAL", 1, "new", status="In control")],
        [ret("AAL", 1, "old", superseded=True, seq=1), ret("AAL", 1, "new", seq=2)],
    )
    assert line(pos, "AAL", "staff")["declared_period"] == D("1000.00")
    assert line(pos, "AAL", "staff")["source"] == "new.xlsx"
    assert row(pos, "AAL")["flc_status"] == "In control"
    assert pos.totals.certified == D(0)


def test_rows_of_a_rejected_or_unregistered_file_are_ignored() -> None:
    pos = position(
        declared("AAL", 1, "bad", staff="500") + declared("HAM", 1, "stray", staff="700"),
        [], [ret("AAL", 1, "bad", status="rejected", errors=1)],
    )
    assert pos.totals.cumulative == D(0)


def test_without_sha256_rows_are_matched_by_partner_and_period() -> None:
    returns = pd.DataFrame([ret("AAL", 1, "a1")]).drop(columns=["sha256"])
    pos = finance_position(PARTNERS, PROJECT, 1, pd.DataFrame(declared("AAL", 1, "a1", staff="100")), pd.DataFrame(), returns)
    assert row(pos, "AAL")["declared_period"] == D("100")


def test_without_sha256_two_rows_for_one_line_are_refused_not_guessed() -> None:
    returns = pd.DataFrame([ret("AAL", 1, "new"), ret("AAL", 1, "old", superseded=True)]).drop(columns=["sha256"])
    finance = pd.DataFrame(declared("AAL", 1, "old", staff="9") + declared("AAL", 1, "new", staff="1"))
    with pytest.raises(ValueError, match="more than one row"):
        finance_position(PARTNERS, PROJECT, 1, finance, pd.DataFrame(), returns)


# --- the function itself ----------------------------------------------------------------


def test_a_period_that_just_started_gives_zeros_for_everybody() -> None:
    pos = finance_position(PARTNERS, PROJECT, 1, pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    assert len(without_totals(pos.lines)) == 18 and len(without_totals(pos.partners)) == 3 and len(pos.categories) == 6
    assert pos.totals == FinanceTotals(
        budget=D("51500"), declared_period=D(0), cumulative=D(0), absorption_pct=D("0.0"), certified=D(0), certified_period=D(0),
        erdf_due=D(0), norway_due=D(0), partners_reported=0, partners_certified=0, partners_ready=0, n_partners=3,
    )
    assert list(pos.readiness["reason"]) == ["not reported"] * 3


def test_output_columns() -> None:
    pos = position([], [], [])
    assert list(pos.lines.columns) == ["partner", "partner_name", "category", "category_label", "budget", "declared_period",
                                       "cumulative", "remaining", "absorption_pct", "flat_rate_ok", "source"]
    assert list(pos.partners.columns) == ["partner", "partner_name", "country", "budget", "declared_period", "cumulative",
                                          "absorption_pct", "flc_status", "certified_period", "certified", "funding", "erdf_due", "norway_due", "reported", "rejected", "ready", "blocking"]
    assert list(pos.categories.columns) == ["category", "category_label", "budget", "declared_period", "cumulative",
                                            "remaining", "absorption_pct"]


def test_inputs_are_not_modified_and_the_answer_is_always_the_same() -> None:
    finance = pd.DataFrame(declared("AAL", 1, "a1", staff="100", office="15"))
    flc = pd.DataFrame([control("AAL", 1, "a1", certified="115")])
    returns = pd.DataFrame([ret("AAL", 1, "a1"), ret("HAM", 1, "h1", status="rejected", errors=2)])
    before = [f.copy(deep=True) for f in (finance, flc, returns)]
    first = finance_position(PARTNERS, PROJECT, 1, finance, flc, returns)
    second = finance_position(PARTNERS, PROJECT, 1, finance, flc, returns)
    for now, then in zip((finance, flc, returns), before):
        pd.testing.assert_frame_equal(now, then)
    for name in ("lines", "partners", "categories", "readiness"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
    assert first.totals == second.totals


def test_unknown_cost_categories_and_partners_are_refused() -> None:
    bad_category = [{**declared("AAL", 1, "a1")[0], "category": "Staff costs"}]
    with pytest.raises(ValueError, match="unknown cost categor"):
        position(bad_category, [], [ret("AAL", 1, "a1")])
    with pytest.raises(ValueError, match="not in the setup: XYZ"):
        position(declared("XYZ", 1, "x1", staff="1"), [], [ret("XYZ", 1, "x1")])


def test_a_frame_with_rows_but_without_a_needed_column_is_refused() -> None:
    finance = pd.DataFrame(declared("AAL", 1, "a1")).drop(columns=["declared"])
    with pytest.raises(ValueError, match="finance frame lacks column"):
        finance_position(PARTNERS, PROJECT, 1, finance, pd.DataFrame(), pd.DataFrame([ret("AAL", 1, "a1")]))


# --- funding source and the statement of expenditure ------------------------------------

OSL = partner(4, "OSL", "Oslo Kommune", "NO", funding="Norwegian national funding", staff="10000")


def test_a_norwegian_partner_is_due_norwegian_funding_and_no_erdf_per_period_and_in_total() -> None:
    finance = declared("OSL", 1, "o1", staff="1000.03") + declared("OSL", 2, "o2", staff="500") + declared("AAL", 1, "a1", staff="2000")
    flc = [control("OSL", 1, "o1", certified="1000.03"), control("OSL", 2, "o2", certified="500"), control("AAL", 1, "a1", certified="2000")]
    returns = [ret("OSL", 1, "o1"), ret("OSL", 2, "o2", seq=2), ret("AAL", 1, "a1", seq=3)]
    pos = finance_position([*PARTNERS, OSL], PROJECT, 2, pd.DataFrame(finance), pd.DataFrame(flc), pd.DataFrame(returns))
    osl = row(pos, "OSL")
    assert (osl["funding"], osl["erdf_due"], osl["norway_due"]) == ("Norwegian national funding", D(0), D("750.01"))  # 500.01 + 250.00
    assert (row(pos, "AAL")["erdf_due"], row(pos, "AAL")["norway_due"]) == (D("1000.00"), D(0))
    per_period = pos.certified.set_index(["partner", "period"])
    assert per_period.loc[("OSL", 1), "norway_due"] == D("500.01") and per_period.loc[("OSL", 2), "norway_due"] == D("250.00")
    assert (pos.totals.erdf_due, pos.totals.norway_due) == (D("1000.00"), D("750.01"))


def test_the_statement_lists_each_report_by_category_and_its_totals_tie_to_the_position() -> None:
    finance = declared("AAL", 1, "a1", staff="1000", office="150") + declared("OSL", 1, "o1", staff="400")
    flc = [control("AAL", 1, "a1", status="Sent to FLC"), control("OSL", 1, "o1", certified="400")]
    returns = [ret("AAL", 1, "a1"), ret("OSL", 1, "o1", seq=2)]
    cert = pd.DataFrame(certificate("AAL", 1, staff=("1000", "900"), office=("150", "135")))
    pos = finance_position([*PARTNERS, OSL], PROJECT, 1, pd.DataFrame(finance), pd.DataFrame(flc), pd.DataFrame(returns), cert)
    s = statement_of_expenditure([*PARTNERS, OSL], pos)
    aal = s[s["partner"] == "AAL"].set_index("category_label")
    assert (aal.loc["Staff costs", "declared"], aal.loc["Staff costs", "certified"], aal.loc["Staff costs", "deducted"]) == (D(1000), D(900), D(100))
    assert (aal.loc[REPORT_TOTAL, "certified"], aal.loc[REPORT_TOTAL, "erdf_due"], aal.loc[REPORT_TOTAL, "certified_by"]) == (D(1035), D("517.50"), "FLC certificate")
    osl = s[s["partner"] == "OSL"].set_index("category_label")
    assert osl.loc["Staff costs", "certified"] is None  # the FLC form certifies the total only
    assert (osl.loc[REPORT_TOTAL, "erdf_due"], osl.loc[REPORT_TOTAL, "norway_due"]) == (D(0), D(200))
    total = s.iloc[-1]
    assert total["category_label"] == PROJECT_TOTAL
    assert (total["declared"], total["certified"], total["erdf_due"], total["norway_due"]) == (
        pos.totals.declared_period, pos.totals.certified, pos.totals.erdf_due, pos.totals.norway_due)
    assert list(s["partner"].iloc[:-1].unique()) == ["AAL", "OSL"]  # partners without a return have no lines
