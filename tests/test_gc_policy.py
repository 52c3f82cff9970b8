"""A command that holds thousands of returns is not slowed by full garbage collections walking them."""

from __future__ import annotations

import gc

from nc_excel.gc_policy import few_full_collections, imports_frozen


def full_collections_while_keeping(objects: int) -> int:
    """Full collections CPython runs while ``objects`` small containers are made and kept, as a collect keeps its returns."""
    runs = []

    def count(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            runs.append(1)

    kept = []
    gc.callbacks.append(count)
    try:
        for n in range(objects):
            kept.append({"row": n, "values": [n]})
    finally:
        gc.callbacks.remove(count)
    return len(runs)


def test_full_collections_are_rare_while_a_command_keeps_returns() -> None:
    assert full_collections_while_keeping(600_000) >= 1  # what a collect of 1,000 returns ran into
    before = gc.get_threshold()
    with few_full_collections():
        assert full_collections_while_keeping(600_000) == 0
    assert gc.get_threshold() == before  # as it was for whatever runs next in the process


def test_what_imports_make_is_never_walked() -> None:
    """An import's objects (here: made the way a module's are, kept for good) are made without collections and frozen after."""
    runs = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            runs.append(info["generation"])

    gc.callbacks.append(count)
    frozen = gc.get_freeze_count()
    try:
        with imports_frozen():
            kept = [{"name": n, "fields": [n]} for n in range(50_000)]  # hundreds of young collections without the block
        assert runs == []
        assert gc.get_freeze_count() >= frozen + len(kept)
        assert gc.isenabled()  # on again for whatever runs next
    finally:
        gc.callbacks.remove(count)
        gc.unfreeze()
