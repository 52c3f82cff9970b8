"""Schedule status: where each deliverable and work package stands on a given day.

``build_schedule`` is a pure function from the setup (work packages, deliverables),
the partners' reports (two frames) and a day ``as_of`` to a ``Schedule``: a frame of
deliverables, a frame of work packages, a month-by-month timeline for a Gantt chart
and one line of text for the board. It reads no files, prints nothing, does not
change its inputs and gives the same answer for the same inputs.

Days, not times: ``due``, ``end`` and ``as_of`` are calendar days. Something due on
``as_of`` is *due today*: it is not overdue yet. It becomes overdue the day after.

What counts of the reports
--------------------------
1. Only each partner's latest report counts: for every partner and deliverable (and
   every partner and work package) the row of the highest ``period`` wins; older
   periods are ignored.
2. Rows about deliverables or work packages that are not in the setup are ignored.
3. The *reported status* of a deliverable is the responsible partner's status when
   it reported. Otherwise it is the status "most behind" among the other partners
   who reported, in this order (most behind first): Delayed, Not started,
   In progress, Done, Cancelled. Nobody reported: "" (treated as Not started).
4. The *date* (actual or expected) is the responsible partner's date only; when the
   responsible partner did not report, no date is used.

Deliverable status (the first rule that matches wins)
-----------------------------------------------------
1. Reported Done -> **Done**, even when late.
2. Reported Cancelled -> **At risk**, whatever the dates: a deliverable of the
   approved plan that will not be delivered needs a project modification. Once the
   programme has approved it, remove the deliverable from the setup.
3. The due date has passed (``due < as_of``) -> **Overdue**. Due today is not overdue.
4. Reported Delayed -> **At risk**.
5. The expected date is after the due date -> **At risk**.
6. Not started (or nothing reported) and ``due - as_of <= at_risk_days`` (inclusive:
   due exactly ``at_risk_days`` ahead, and due today, are inside the window)
   -> **At risk**.
7. Not started (or nothing reported), due more than ``at_risk_days`` ahead
   -> **Not started**.
8. Otherwise (In progress, due today or later, no date or a date on time)
   -> **On track**.

``days_late`` is never negative. Done: actual date - due (0 when done on time or
no date was given). Any other status: the larger of ``as_of - due`` and, when a date
is given, ``expected date - due``.

Severity
--------
Overdue > At risk > On track > Not started > Done. "Worst" means most severe.

Work package status: the worst of
----------------------------------
1. its timing: ``as_of < start`` -> Not started; ``start <= as_of <= end`` -> On track;
   ``end < as_of`` (ended; the end day itself still counts as running) -> Done when
   every one of its deliverables is Done (also when it has none), else Overdue;
2. each partner whose latest progress report on it says Delayed -> At risk;
3. the status of each of its deliverables.

``percent_complete`` is the mean of the partners' latest reported shares complete
(fractions: 0.5 for half done), rounded to a tenth of a percent, NaN when nobody reported.

Status line
-----------
The project is "On track according to the overall time schedule." only when no
deliverable is Overdue and no work package is At risk or Overdue. Otherwise the line
names what is behind: "Behind schedule: 2 deliverables overdue (D3.2, D6.1), WP4 at
risk." (deliverables overdue, then work packages overdue, then work packages at risk).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from nc_excel.setup.models import Deliverable, WorkPackage

SEVERITY: tuple[str, ...] = ("Done", "Not started", "On track", "At risk", "Overdue")
"""Schedule statuses from least to most severe."""

BEHIND: tuple[str, ...] = ("Delayed", "Not started", "In progress", "Done", "Cancelled")
"""Reported deliverable statuses, most behind first."""

PROGRESS_STATUSES = frozenset({"Not started", "In progress", "Done", "Delayed"})

REPORTED_DELIVERABLE_COLUMNS = ("partner", "period", "code", "status", "date", "comment")
PROGRESS_COLUMNS = ("partner", "period", "work_package", "status", "percent_complete", "problems")

DELIVERABLE_COLUMNS = ("code", "work_package", "title", "responsible", "due", "reported_status", "reported_by", "date", "status", "days_late", "why")
WORK_PACKAGE_COLUMNS = ("code", "title", "lead", "start", "end", "status", "percent_complete", "deliverables_done", "why")
TIMELINE_COLUMNS = ("kind", "code", "title", "status")

ON_TRACK_LINE = "On track according to the overall time schedule."


@dataclass(frozen=True, eq=False)
class Schedule:
    """The schedule on ``as_of``. ``current_month`` is the timeline column to highlight
    ("2017-10"), None when ``as_of`` lies outside the project."""

    deliverables: pd.DataFrame
    work_packages: pd.DataFrame
    timeline: pd.DataFrame
    status_line: str
    as_of: dt.date
    current_month: str | None
    months: list[str]  # the project's months, the timeline's columns after TIMELINE_COLUMNS

    @property
    def on_track(self) -> bool:
        return self.status_line == ON_TRACK_LINE


def build_schedule(
    work_packages: Sequence[WorkPackage],
    deliverables: Sequence[Deliverable],
    reported_deliverables: pd.DataFrame,
    progress: pd.DataFrame,
    *,
    as_of: dt.date,
    at_risk_days: int,
    project_start: dt.date,
    project_end: dt.date,
) -> Schedule:
    """The schedule of the project on ``as_of`` (the rules are in the module docstring)."""
    reported = _latest(reported_deliverables, REPORTED_DELIVERABLE_COLUMNS, "code", set(BEHIND))
    reported_wp = _latest(progress, PROGRESS_COLUMNS, "work_package", PROGRESS_STATUSES)

    d_rows = [_deliverable_row(d, reported.get(d.code, []), as_of, at_risk_days) for d in deliverables]
    d_frame = pd.DataFrame(d_rows, columns=list(DELIVERABLE_COLUMNS))
    d_frame["days_late"] = d_frame["days_late"].astype("int64")

    w_rows = [_work_package_row(w, [r for r in d_rows if r["work_package"] == w.code], reported_wp.get(w.code, []), as_of) for w in work_packages]
    w_frame = pd.DataFrame(w_rows, columns=list(WORK_PACKAGE_COLUMNS))
    w_frame["percent_complete"] = w_frame["percent_complete"].astype("float64")

    months = project_months(project_start, project_end)
    current = _month(as_of)
    return Schedule(
        deliverables=d_frame,
        work_packages=w_frame,
        timeline=_timeline(w_rows, d_rows, months),
        status_line=_status_line(d_rows, w_rows),
        as_of=as_of,
        current_month=current if current in months else None,
        months=months,
    )


# --- reports --------------------------------------------------------------------------


def _latest(frame: pd.DataFrame, columns: Sequence[str], key: str, statuses: Iterable[str]) -> dict[str, list[dict]]:
    """Each partner's latest row per ``key``, grouped by ``key``, partners in code order."""
    if frame.empty:
        return {}
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"the report frame lacks the column(s) {', '.join(missing)}")
    unknown = sorted(set(frame["status"]) - set(statuses))
    if unknown:
        raise ValueError(f"unknown status(es) {', '.join(map(str, unknown))} in the column 'status'")
    ordered = frame.sort_values(["partner", key, "period"], kind="stable")
    latest = ordered.drop_duplicates(["partner", key], keep="last")
    grouped: dict[str, list[dict]] = {}
    for row in latest.to_dict("records"):
        grouped.setdefault(row[key], []).append(row)
    return grouped


def _as_date(value: object) -> dt.date | None:
    if value is None or pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise ValueError(f"{value!r} is not a date")


# --- deliverables ---------------------------------------------------------------------


def _deliverable_row(d: Deliverable, rows: list[dict], as_of: dt.date, at_risk_days: int) -> dict:
    own = next((r for r in rows if r["partner"] == d.responsible), None)
    if own is not None:
        reported, date, source = own["status"], _as_date(own["date"]), ""
    elif rows:
        reported = min((r["status"] for r in rows), key=BEHIND.index)
        date = None
        source = ", ".join(r["partner"] for r in rows if r["status"] == reported)
    else:
        reported, date, source = "", None, ""
    status, days_late, why = _deliverable_status(d.due, reported, date, source, as_of, at_risk_days)
    reporters = sorted((r["partner"] for r in rows), key=lambda p: (p != d.responsible, p))
    return {
        "code": d.code, "work_package": d.work_package, "title": d.title, "responsible": d.responsible, "due": d.due,
        "reported_status": reported, "reported_by": ", ".join(reporters), "date": date,
        "status": status, "days_late": days_late, "why": why,
    }


def _deliverable_status(due: dt.date, reported: str, date: dt.date | None, source: str, as_of: dt.date, at_risk_days: int) -> tuple[str, int, str]:
    """Status, days late and the reason, by the numbered rules of the module docstring."""
    if reported == "Done":
        if date is None:
            return "Done", 0, f"Done (no date reported), due {due}"
        late = max(0, (date - due).days)
        return "Done", late, f"Done {date}, " + (f"{_days(late)} after the due date {due}" if late else f"due {due}")
    days_left = (due - as_of).days
    late = max(0, -days_left, (date - due).days if date else 0)
    state = {"": "nothing reported", "Delayed": "reported Delayed", "Cancelled": "reported Cancelled"}.get(reported, reported.lower())
    if source:
        state += f" per {source}"
    expected = ""
    if date:
        expected = f", expected {date}" + (f" ({_days((date - due).days)} after due)" if date > due else "")
    if reported == "Cancelled":
        return "At risk", late, f"Due {due}, {state}: a cancelled deliverable needs a project modification"
    if days_left < 0:
        return "Overdue", late, f"Due {due}, {state}, {_days(-days_left)} overdue{expected}"
    left = "due today" if days_left == 0 else f"{_days(days_left)} left"
    if reported == "Delayed" or (date and date > due):
        return "At risk", late, f"Due {due}, {state}{expected}, {left}"
    if reported in ("", "Not started"):
        window = f"(at-risk window {_days(at_risk_days)})"
        status = "At risk" if days_left <= at_risk_days else "Not started"
        return status, late, f"Due {due}, {state}, {left} {window}"
    return "On track", late, f"Due {due}, {state}{expected}, {left}"


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


# --- work packages --------------------------------------------------------------------


def _worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=SEVERITY.index)


def _work_package_row(w: WorkPackage, d_rows: list[dict], progress: list[dict], as_of: dt.date) -> dict:
    done = [r for r in d_rows if r["status"] == "Done"]
    count = f"{len(done)} of {len(d_rows)}"
    reasons: list[tuple[str, str]] = []  # (status, why) of everything that sets the work package's status
    if as_of < w.start:
        reasons.append(("Not started", f"Starts {w.start}"))
    elif as_of <= w.end:
        reasons.append(("On track", f"Running until {w.end}"))
    elif len(done) == len(d_rows):
        reasons.append(("Done", f"Ended {w.end}, {count} deliverables done"))
    else:
        reasons.append(("Overdue", f"Ended {w.end} with {count} deliverables done"))
    delayed = [r["partner"] for r in progress if r["status"] == "Delayed"]
    if delayed:
        reasons.append(("At risk", f"Delayed reported by {', '.join(delayed)}"))
    status = _worst([s for s, _ in reasons] + [r["status"] for r in d_rows])
    why = [text for s, text in reasons if s == status]
    if status in ("Overdue", "At risk") or not why:
        hit = [r for r in d_rows if r["status"] == status]
        if len(hit) == 1:
            why.append(f"{hit[0]['code']} {status.lower()} (due {hit[0]['due']})")
        elif hit:
            why.append(f"{', '.join(r['code'] for r in hit)} {status.lower()}")
    percents = [float(r["percent_complete"]) for r in progress if not pd.isna(r["percent_complete"])]
    return {
        "code": w.code, "title": w.title, "lead": w.lead, "start": w.start, "end": w.end, "status": status,
        "percent_complete": round(sum(percents) / len(percents), 3) if percents else math.nan,
        "deliverables_done": count, "why": "; ".join(why),
    }


# --- timeline and status line ---------------------------------------------------------


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def project_months(start: dt.date, end: dt.date) -> list[str]:
    """The months from ``start`` to ``end`` as ``YYYY-MM``: the timeline's columns."""
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _timeline(w_rows: list[dict], d_rows: list[dict], months: list[str]) -> pd.DataFrame:
    """Each work package ("active" from its start month to its end month), followed by its
    deliverables ("due" in the month due, "done" in the month done; done wins when both
    fall in one month); deliverables of work packages not in the setup come last."""

    def line(kind: str, row: dict, marks: dict[str, str]) -> dict:
        return {"kind": kind, "code": row["code"], "title": row["title"], "status": row["status"]} | {m: marks.get(m, "") for m in months}

    def deliverable(row: dict) -> dict:
        marks = {_month(row["due"]): "due"}
        if row["status"] == "Done" and row["date"]:
            marks[_month(row["date"])] = "done"
        return line("D", row, marks)

    lines = []
    for w in w_rows:
        lines.append(line("WP", w, {m: "active" for m in months if _month(w["start"]) <= m <= _month(w["end"])}))
        lines += [deliverable(d) for d in d_rows if d["work_package"] == w["code"]]
    known = {w["code"] for w in w_rows}
    lines += [deliverable(d) for d in d_rows if d["work_package"] not in known]
    return pd.DataFrame(lines, columns=[*TIMELINE_COLUMNS, *months])


def _status_line(d_rows: list[dict], w_rows: list[dict]) -> str:
    overdue = [d["code"] for d in d_rows if d["status"] == "Overdue"]
    parts = []
    if overdue:
        parts.append(f"{len(overdue)} deliverable{'s' if len(overdue) > 1 else ''} overdue ({', '.join(overdue)})")
    for status in ("Overdue", "At risk"):
        codes = [w["code"] for w in w_rows if w["status"] == status]
        if codes:
            parts.append(f"{', '.join(codes)} {status.lower()}")
    return f"Behind schedule: {', '.join(parts)}." if parts else ON_TRACK_LINE
