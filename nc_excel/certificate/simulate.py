"""Simulated controllers: certificate workbooks filled in as a partner would, for the demo and the tests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nc_excel.certificate.schema import FORM, LINES
from nc_excel.excel.edit import Book
from nc_excel.partner.simulate import SAVED_AT, meta_of
from nc_excel.setup.models import COST_CATEGORIES


def fill_certificate(
    template: Path, out: Path, lines: Mapping[str, Mapping[str, Any]], form: Mapping[str, Any],
    *, overrides: Mapping[tuple[str, str], Any] | None = None,
) -> Path:
    """Type ``lines`` (cost category key -> certified, reason) and ``form`` into the input cells of
    ``template`` and save as ``out``; ``overrides`` types raw values at (sheet, cell) afterwards."""
    book = Book(template)
    layout = json.loads(meta_of(book)["layout"])
    table, boxes = layout["tables"][LINES], layout["forms"][FORM]
    keys = [k for k, _ in COST_CATEGORIES]
    for key, values in lines.items():
        for name, value in values.items():
            ref = f"{table['columns'][name]}{table['header_row'] + 2 + keys.index(key)}"
            typed = book.value(table["sheet"], ref)
            if value is not None and not (isinstance(typed, str) and typed.startswith("=")):  # never over a formula
                book.type_in(table["sheet"], ref, value)
    for name, value in form.items():
        if value is not None:
            book.type_in(boxes["sheet"], boxes["cells"][name], value)
    for (sheet, ref), value in (overrides or {}).items():
        book.type_in(sheet, ref, value)
    return book.save(out, SAVED_AT)
