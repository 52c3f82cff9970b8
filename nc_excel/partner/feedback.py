"""The partner's feedback workbook: a fresh template with the partner's own values,
every problem flagged at its cell and listed on a first sheet.

It carries the same metadata as a template (partner, period, a new seal), so the
partner corrects it and sends it back as the next submission.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from nc_excel.excel.read import RowRead
from nc_excel.issues import Issue
from nc_excel.partner.prefill import with_selected_labs
from nc_excel.partner.read import Return
from nc_excel.partner.schema import ALL_TABLES, SELECTED_LABS, Entries, Prefill
from nc_excel.partner.write import write_partner_workbook
from nc_excel.setup.models import ProjectSetup


def feedback_name(setup: ProjectSetup, period: int, partner: str) -> str:
    return f"{setup.project.acronym}_P{period}_{partner}_feedback.xlsx"


def _as_typed(row: RowRead) -> dict[str, Any]:
    """What the partner typed: parsed values, and the raw text where it could not be read."""
    return {**row.values, **row.raw}


def entries_of(ret: Return) -> Entries:
    return Entries(
        tables={spec.name: [_as_typed(r) for r in ret.tables.get(spec.name, [])] for spec in ALL_TABLES},
        forms={name: _as_typed(read) for name, read in ret.forms.items()},
    )


def write_feedback(
    path: Path, setup: ProjectSetup, ret: Return, issues: list[Issue], *, generated_at: dt.datetime, prefill: Prefill | None = None
) -> Path:
    """Write the feedback workbook for one return to ``path``; ``prefill`` is what its template carried over.

    A return that was asked about its selected living labs gets them asked about again.
    """
    if SELECTED_LABS.name in ret.tables:
        prefill = with_selected_labs(prefill or Prefill(), ret.rows(SELECTED_LABS.name))
    write_partner_workbook(
        path, setup, ret.partner, ret.period, generated_at=generated_at, prefill=prefill, entries=entries_of(ret), issues=issues
    )
    return path
