"""The schedule: where each deliverable and work package stands on a given day.

Most tests look at one small project on 15 March 2017 with an at-risk window of
30 days, and change one thing at a time: a due date, what a partner reported.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from nc_excel.analyses.schedule import ON_TRACK_LINE, build_schedule
from nc_excel.setup.models import Deliverable, WorkPackage

D = dt.date
AS_OF = D(2017, 3, 15)
WINDOW = 30
PROJECT = (D(2017, 1, 1), D(2017, 6, 30))


def days(n: int) -> dt.date:
    """The day ``n`` days after AS_OF (before it when negative)."""
    return AS_OF + dt.timedelta(days=n)


def wp(code: str = "WP1", start: dt.date = D(2017, 1, 1), end: dt.date = D(2017, 6, 30)) -> WorkPackage:
    return WorkPackage(code=code, title=f"Work package {code}", lead="AAL", start=start, end=end, partners=["AAL", "HOE"])


def deliverable(code: str = "D1.1", due: dt.date = D(2017, 5, 31), work_package: str = "WP1", responsible: str = "AAL") -> Deliverable:
    return Deliverable(code=code, work_package=work_package, title=f"Deliverable {code}", responsible=responsible, due=due)


def reported(*rows: tuple) -> pd.DataFrame:
    """Deliverable reports as (partner, period, code, status, date)."""
    return pd.DataFrame([(*r, None) for r in rows], columns=["partner", "period", "code", "status", "date", "comment"])


def progress(*rows: tuple) -> pd.DataFrame:
    """Work-package progress as (partner, period, work_package, status, percent_complete)."""
    return pd.DataFrame([(*r, None) for r in rows], columns=["partner", "period", "work_package", "status", "percent_complete", "problems"])


def schedule(work_packages=None, deliverables=None, reports=None, progress_rows=None, as_of=AS_OF):
    return build_schedule(
        [wp()] if work_packages is None else work_packages,
        [deliverable()] if deliverables is None else deliverables,
        reported() if reports is None else reports,
        progress() if progress_rows is None else progress_rows,
        as_of=as_of, at_risk_days=WINDOW, project_start=PROJECT[0], project_end=PROJECT[1],
    )


def one(due: dt.date, status: str | None = None, date: dt.date | None = None, partner: str = "AAL") -> dict:
    """The deliverable row of D1.1, due on ``due``, after ``partner`` reported ``status``."""
    reports = reported((partner, 1, "D1.1", status, date)) if status else reported()
    return schedule(deliverables=[deliverable(due=due)], reports=reports).deliverables.iloc[0].to_dict()


def status(row: dict) -> tuple[str, int]:
    return row["status"], row["days_late"]


# --- deliverables on the boundary days ------------------------------------------------


def test_due_yesterday_and_not_done_is_overdue_by_one_day() -> None:
    row = one(days(-1), "In progress")
    assert status(row) == ("Overdue", 1)
    assert row["why"] == "Due 2017-03-14, in progress, 1 day overdue"


def test_due_today_is_not_overdue_yet() -> None:
    assert status(one(days(0), "In progress")) == ("On track", 0)
    row = one(days(0), "Not started")
    assert status(row) == ("At risk", 0)
    assert row["why"] == "Due 2017-03-15, not started, due today (at-risk window 30 days)"


def test_due_tomorrow() -> None:
    assert status(one(days(1), "In progress")) == ("On track", 0)
    assert status(one(days(1), "Not started")) == ("At risk", 0)
    assert one(days(1), "In progress")["why"] == "Due 2017-03-16, in progress, 1 day left"


def test_the_at_risk_window_includes_its_last_day() -> None:
    inside = one(days(WINDOW), "Not started")
    assert inside["status"] == "At risk"
    assert inside["why"] == "Due 2017-04-14, not started, 30 days left (at-risk window 30 days)"
    outside = one(days(WINDOW + 1), "Not started")
    assert outside["status"] == "Not started"
    assert outside["why"] == "Due 2017-04-15, not started, 31 days left (at-risk window 30 days)"


def test_nothing_reported_counts_as_not_started() -> None:
    assert status(one(days(WINDOW))) == ("At risk", 0)
    assert status(one(days(WINDOW + 1))) == ("Not started", 0)
    row = one(days(-12))
    assert (row["reported_status"], row["reported_by"], row["status"], row["days_late"]) == ("", "", "Overdue", 12)
    assert row["why"] == "Due 2017-03-03, nothing reported, 12 days overdue"


def test_done_late_is_done_and_says_how_late() -> None:
    row = one(days(-20), "Done", date=days(-8))
    assert status(row) == ("Done", 12)
    assert row["date"] == D(2017, 3, 7)
    assert row["why"] == "Done 2017-03-07, 12 days after the due date 2017-02-23"


def test_done_on_time_or_without_a_date_is_not_late() -> None:
    assert status(one(days(-20), "Done", date=days(-25))) == ("Done", 0)
    row = one(days(-20), "Done")
    assert status(row) == ("Done", 0)
    assert row["why"] == "Done (no date reported), due 2017-02-23"


def test_delayed_is_at_risk_even_far_from_the_due_date() -> None:
    row = one(days(100), "Delayed")
    assert status(row) == ("At risk", 0)
    assert row["why"] == "Due 2017-06-23, reported Delayed, 100 days left"


def test_an_expected_date_after_the_due_date_is_at_risk_and_late_by_the_difference() -> None:
    row = one(days(100), "In progress", date=days(115))
    assert status(row) == ("At risk", 15)
    assert row["why"] == "Due 2017-06-23, in progress, expected 2017-07-08 (15 days after due), 100 days left"
    assert status(one(days(100), "In progress", date=days(100))) == ("On track", 0)


def test_overdue_and_expected_later_counts_the_later_of_the_two() -> None:
    assert status(one(days(-5), "In progress", date=days(10))) == ("Overdue", 15)
    assert status(one(days(-5), "In progress", date=days(-2))) == ("Overdue", 5)


def test_cancelled_is_at_risk_until_the_plan_is_changed() -> None:
    row = one(days(100), "Cancelled")
    assert status(row) == ("At risk", 0)
    assert row["why"] == "Due 2017-06-23, reported Cancelled: a cancelled deliverable needs a project modification"
    assert status(one(days(-3), "Cancelled")) == ("At risk", 3)


# --- whose report counts ----------------------------------------------------------------


def test_the_responsible_partners_report_wins_over_the_others() -> None:
    reports = reported(("HOE", 1, "D1.1", "Delayed", days(90)), ("AAL", 1, "D1.1", "In progress", days(60)))
    row = schedule(reports=reports).deliverables.iloc[0]
    assert (row["reported_status"], row["reported_by"], row["date"], row["status"]) == ("In progress", "AAL, HOE", days(60), "On track")


def test_without_the_responsible_partner_the_most_behind_other_partner_counts() -> None:
    reports = reported(("RNJ", 1, "D1.1", "In progress", None), ("HOE", 1, "D1.1", "Not started", days(90)), ("CLN", 1, "D1.1", "Done", days(-1)))
    row = schedule(deliverables=[deliverable(due=days(20))], reports=reports).deliverables.iloc[0]
    assert (row["reported_status"], row["reported_by"]) == ("Not started", "CLN, HOE, RNJ")
    assert row["date"] is None  # only the responsible partner's date is used
    assert row["status"] == "At risk"
    assert row["why"] == "Due 2017-04-04, not started per HOE, 20 days left (at-risk window 30 days)"


def test_only_each_partners_latest_period_counts() -> None:
    reports = reported(
        ("AAL", 3, "D1.1", "In progress", None),
        ("AAL", 1, "D1.1", "Delayed", None),
        ("HOE", 2, "D1.1", "Not started", None),
        ("HOE", 1, "D1.1", "In progress", None),
        ("AAL", 2, "D1.1", "Not started", None),
    )
    out = schedule(deliverables=[deliverable(due=days(100))], reports=reports)
    row = out.deliverables.iloc[0]
    assert (row["reported_status"], row["reported_by"], row["status"]) == ("In progress", "AAL, HOE", "On track")
    pct = progress(("AAL", 1, "WP1", "Delayed", 10), ("AAL", 2, "WP1", "In progress", 40), ("HOE", 1, "WP1", "In progress", 20))
    w = schedule(progress_rows=pct).work_packages.iloc[0]
    assert (w["status"], w["percent_complete"]) == ("On track", 30.0)


def test_reports_on_unknown_deliverables_are_ignored() -> None:
    out = schedule(reports=reported(("AAL", 1, "D9.9", "Delayed", None)))
    assert list(out.deliverables["code"]) == ["D1.1"]
    assert out.deliverables.iloc[0]["reported_status"] == ""


# --- work packages ----------------------------------------------------------------------


def test_a_work_package_is_as_bad_as_its_worst_deliverable() -> None:
    items = [deliverable("D1.1", days(-30)), deliverable("D1.2", days(-2)), deliverable("D1.3", days(60))]
    reports = reported(("AAL", 1, "D1.1", "Done", days(-31)), ("AAL", 1, "D1.3", "In progress", None))
    w = schedule(deliverables=items, reports=reports).work_packages.iloc[0]
    assert (w["status"], w["deliverables_done"]) == ("Overdue", "1 of 3")
    assert w["why"] == "D1.2 overdue (due 2017-03-13)"


def test_a_partner_reporting_delayed_puts_the_work_package_at_risk() -> None:
    pct = progress(("AAL", 1, "WP1", "In progress", 50), ("HOE", 1, "WP1", "Delayed", 20), ("RNJ", 1, "WP1", "Delayed", 5))
    w = schedule(progress_rows=pct).work_packages.iloc[0]
    assert (w["status"], w["percent_complete"], w["why"]) == ("At risk", 25.0, "Delayed reported by HOE, RNJ")


def test_a_deliverable_at_risk_puts_its_work_package_at_risk() -> None:
    items = [deliverable("D1.1", days(10)), deliverable("D1.2", days(12))]
    w = schedule(deliverables=items).work_packages.iloc[0]
    assert (w["status"], w["why"]) == ("At risk", "D1.1, D1.2 at risk")


def test_a_running_work_package_with_nothing_at_risk_is_on_track() -> None:
    w = schedule(deliverables=[deliverable(due=days(100))]).work_packages.iloc[0]
    assert (w["status"], w["why"], w["deliverables_done"]) == ("On track", "Running until 2017-06-30", "0 of 1")
    assert math.isnan(w["percent_complete"])


def test_a_work_package_after_its_end() -> None:
    items = [deliverable("D1.1", days(-40)), deliverable("D1.2", days(-10))]
    ended = [wp(end=days(-1))]
    done = reported(("AAL", 1, "D1.1", "Done", days(-40)), ("AAL", 1, "D1.2", "Done", days(-9)))
    w = schedule(ended, items, done).work_packages.iloc[0]
    assert (w["status"], w["deliverables_done"], w["why"]) == ("Done", "2 of 2", "Ended 2017-03-14, 2 of 2 deliverables done")

    half = reported(("AAL", 1, "D1.1", "Done", days(-40)))
    w = schedule(ended, items, half).work_packages.iloc[0]
    assert (w["status"], w["why"]) == ("Overdue", "Ended 2017-03-14 with 1 of 2 deliverables done; D1.2 overdue (due 2017-03-05)")


def test_a_work_package_is_still_running_on_its_end_day() -> None:
    items = [deliverable("D1.1", days(-40))]
    done = reported(("AAL", 1, "D1.1", "Done", days(-40)))
    assert schedule([wp(end=days(0))], items, done).work_packages.iloc[0]["status"] == "On track"
    assert schedule([wp(end=days(-1))], items, done).work_packages.iloc[0]["status"] == "Done"


def test_a_work_package_before_its_start_is_not_started() -> None:
    later = [wp(start=days(1), end=D(2017, 6, 30))]
    w = schedule(later, [deliverable(due=D(2017, 6, 30))]).work_packages.iloc[0]
    assert (w["status"], w["why"]) == ("Not started", "Starts 2017-03-16")
    assert schedule([wp(start=days(0))], [deliverable(due=D(2017, 6, 30))]).work_packages.iloc[0]["status"] == "On track"


# --- the status line --------------------------------------------------------------------


def test_the_project_is_on_track_when_nothing_is_overdue_or_at_risk() -> None:
    items = [deliverable("D1.1", days(-10)), deliverable("D1.2", days(100))]
    reports = reported(("AAL", 1, "D1.1", "Done", days(-10)))
    assert schedule(deliverables=items, reports=reports).status_line == ON_TRACK_LINE == "On track according to the overall time schedule."


def test_the_status_line_names_what_is_behind() -> None:
    packages = [wp("WP1"), wp("WP2"), wp("WP3", end=days(-1)), wp("WP4")]
    items = [deliverable("D1.1", days(-3), "WP1"), deliverable("D1.2", days(-1), "WP1"), deliverable("D2.1", days(100), "WP2"), deliverable("D3.1", days(-20), "WP3")]
    reports = reported(("AAL", 1, "D3.1", "Done", days(-20)))
    pct = progress(("HOE", 1, "WP4", "Delayed", 10))
    out = schedule(packages, items, reports, pct)
    assert out.status_line == "Behind schedule: 2 deliverables overdue (D1.1, D1.2), WP1 overdue, WP4 at risk."
    one_late = schedule([wp("WP1"), wp("WP2")], [deliverable("D2.1", days(-1), "WP2")])
    assert one_late.status_line == "Behind schedule: 1 deliverable overdue (D2.1), WP2 overdue."


def test_a_work_package_at_risk_alone_puts_the_project_behind_schedule() -> None:
    out = schedule(deliverables=[deliverable(due=days(100))], reports=reported(("AAL", 1, "D1.1", "Delayed", None)))
    assert out.status_line == "Behind schedule: WP1 at risk."


# --- the timeline -----------------------------------------------------------------------


def test_the_timeline_has_a_column_per_project_month_and_marks_spans_due_and_done() -> None:
    packages = [wp("WP1", D(2017, 1, 1), D(2017, 3, 31)), wp("WP2", D(2017, 2, 15), D(2017, 6, 30))]
    items = [deliverable("D1.1", D(2017, 2, 28), "WP1"), deliverable("D1.2", D(2017, 3, 31), "WP1"), deliverable("D2.1", D(2017, 5, 31), "WP2")]
    reports = reported(("AAL", 1, "D1.1", "Done", D(2017, 3, 2)), ("AAL", 1, "D1.2", "Done", D(2017, 3, 10)))
    out = schedule(packages, items, reports)
    t = out.timeline
    assert list(t.columns) == ["kind", "code", "title", "status", "2017-01", "2017-02", "2017-03", "2017-04", "2017-05", "2017-06"]
    assert t[["kind", "code", "status"]].values.tolist() == [
        ["WP", "WP1", "On track"], ["D", "D1.1", "Done"], ["D", "D1.2", "Done"],
        ["WP", "WP2", "On track"], ["D", "D2.1", "Not started"],
    ]
    months = t.set_index("code").iloc[:, 3:]
    assert months.loc["WP1"].tolist() == ["active", "active", "active", "", "", ""]
    assert months.loc["WP2"].tolist() == ["", "active", "active", "active", "active", "active"]
    assert months.loc["D1.1"].tolist() == ["", "due", "done", "", "", ""]
    assert months.loc["D1.2"].tolist() == ["", "", "done", "", "", ""]  # done in the month due: done wins
    assert months.loc["D2.1"].tolist() == ["", "", "", "", "due", ""]
    assert out.current_month == "2017-03"


def test_the_current_month_is_none_outside_the_project() -> None:
    assert schedule(as_of=D(2018, 1, 1)).current_month is None
    assert schedule(as_of=D(2017, 6, 30)).current_month == "2017-06"


# --- nothing reported yet, and purity ---------------------------------------------------


@pytest.mark.parametrize("empty", [pd.DataFrame(), None], ids=["no columns", "columns, no rows"])
def test_nothing_reported_yet(empty: pd.DataFrame | None) -> None:
    items = [deliverable("D1.1", days(10)), deliverable("D1.2", days(100))]
    out = schedule(deliverables=items, reports=empty, progress_rows=empty)
    assert out.deliverables[["code", "reported_status", "reported_by", "status", "days_late"]].values.tolist() == [
        ["D1.1", "", "", "At risk", 0], ["D1.2", "", "", "Not started", 0],
    ]
    assert out.work_packages[["code", "status", "deliverables_done"]].values.tolist() == [["WP1", "At risk", "0 of 2"]]
    assert out.status_line == "Behind schedule: WP1 at risk."


def test_an_empty_setup_gives_empty_frames_with_their_columns() -> None:
    out = schedule([], [])
    assert list(out.deliverables.columns) == [
        "code", "work_package", "title", "responsible", "due", "reported_status", "reported_by", "date", "status", "days_late", "why",
    ]
    assert list(out.work_packages.columns) == ["code", "title", "lead", "start", "end", "status", "percent_complete", "deliverables_done", "why"]
    assert out.deliverables.empty and out.work_packages.empty and out.timeline.empty
    assert len(out.timeline.columns) == 4 + 6
    assert out.status_line == ON_TRACK_LINE


def test_the_inputs_are_not_changed_and_the_answer_repeats() -> None:
    reports = reported(("HOE", 2, "D1.1", "Delayed", days(3)), ("AAL", 1, "D1.1", "In progress", None))
    pct = progress(("HOE", 1, "WP1", "Delayed", 10))
    before = (reports.copy(), pct.copy())
    first, second = schedule(reports=reports, progress_rows=pct), schedule(reports=reports, progress_rows=pct)
    pd.testing.assert_frame_equal(reports, before[0])
    pd.testing.assert_frame_equal(pct, before[1])
    for name in ("deliverables", "work_packages", "timeline"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
    assert first.status_line == second.status_line


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown status"):
        schedule(reports=reported(("AAL", 1, "D1.1", "Finished", None)))


def test_dates_may_come_as_pandas_timestamps() -> None:
    reports = reported(("AAL", 1, "D1.1", "Done", None), ("HOE", 1, "D1.1", "Done", None))
    reports["date"] = pd.to_datetime(pd.Series([days(-8), None]))
    row = schedule(deliverables=[deliverable(due=days(-20))], reports=reports).deliverables.iloc[0]
    assert (row["status"], row["date"], row["days_late"]) == ("Done", D(2017, 3, 7), 12)
