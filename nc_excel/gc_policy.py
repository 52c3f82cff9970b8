"""Fewer full garbage collections while a command holds thousands of returns.

CPython walks every object it tracks in a full collection, which it runs once ten
collections of the middle generation have run and the objects kept have grown by a
quarter. A collect of 1,000 returns keeps each return's rows, values and cells until
it ends, a million objects and more: five full collections walked them, half a second
of the main process, which shares the two cores with the readers. What is kept is
kept on purpose, and it has no cycles to free; young garbage is still collected in
the two younger generations as always, so memory stays as it was.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

RARE = 1000
"""Middle-generation collections between two full ones while ``few_full_collections`` holds (CPython's default: 10)."""


@contextmanager
def few_full_collections() -> Iterator[None]:
    """Full collections a hundred times rarer for the block; the thresholds as they were after it."""
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, max(full, RARE))
    try:
        yield
    finally:
        gc.set_threshold(young, middle, full)


@contextmanager
def imports_frozen() -> Iterator[None]:
    """Imports in the block made without collections, and frozen after (``gc.freeze``): a module's objects,
    a hundred thousand and more for pandas or the project's models, live as long as the process, so every
    collection that ran while they were made walked them for nothing (a tenth of a second of a command's
    start), and every full one after would walk them again. What the block leaves unreachable (a few
    hundred objects of an import) stays until the process unfreezes it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
