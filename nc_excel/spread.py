"""Work of our own spread over the cores: the partners' templates, their feedback workbooks.

Writing a partner workbook is tens of milliseconds of CPU, the same for every
partner, and nothing else waits for one; on two cores two are written at once.
The workers are forked from the process's one fork server (``processes.context``),
which has the modules imported already, and what every item shares (the project
setup) is handed to each worker once, not with every item. A handful of items is
done in the process itself: starting workers would cost more than it saves.

Only trusted work runs here (our own workbooks from our own data): a partner's
file is opened by ``intake.workers``, with its limits.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar

from nc_excel import processes

Shared = TypeVar("Shared")
Item = TypeVar("Item")
Result = TypeVar("Result")

FEW = 6
"""Items done in the process: two workers start in about the time it writes this many workbooks."""

_SHARED: Any = None
"""What the items of the pool this worker belongs to share, handed over once when it starts."""


def _share(shared: Any) -> None:
    global _SHARED
    _SHARED = shared


def _call(work: Callable[[Any, Any], Any], item: Any) -> Any:
    return work(_SHARED, item)


def spread(work: Callable[[Shared, Item], Result], shared: Shared, items: Sequence[Item]) -> Iterator[Result]:
    """``work(shared, item)`` for every item, the results in the order of ``items``, as they are done.

    ``work`` is a module-level function (the workers import it by name); an exception
    in any item is raised here, when its result is reached.
    """
    cores = min(os.cpu_count() or 1, len(items))
    if len(items) < FEW or cores < 2 or "forkserver" not in mp.get_all_start_methods():
        # without a fork server (Windows, where the ribbon runs in Excel's Python) a worker would start afresh
        # and import the command's main module: the workbooks are written here, one after another
        for item in items:
            yield work(shared, item)
        return
    context = processes.context(work.__module__)  # the server imports the work's module, when this starts it
    with cf.ProcessPoolExecutor(max_workers=cores, mp_context=context, initializer=_share, initargs=(shared,)) as pool:
        yield from pool.map(partial(_call, work), items)
