"""The process's one fork server, from which every worker process of a command is forked.

Its own module, importing nothing of the project: a command starts the server first
thing, so that the server imports the readers' modules while the command imports its
own and reads the setup, instead of after (a second or more on two cores at 1,000
partners). ``intake.workers`` (partners' files, with limits) and ``spread`` (work of
our own) start their pools with ``context()``.
"""

from __future__ import annotations

import multiprocessing as mp
from multiprocessing import forkserver
from pathlib import Path
from typing import Any

READER = ("nc_excel.intake.workers", "nc_excel.intake.archive")
"""What a reader worker runs: the workers module, calamine, and ``read_opened`` with the models it reads through."""


def context(*preload: str, start: bool = False) -> Any:
    """forkserver where there is one: safe in a threaded parent, and each new worker is a cheap fork
    of a server that has the reader's modules (and ``preload``, the modules of the caller's own
    workers) imported already, instead of a second or more of imports in every worker.

    The server is one per process and starts with the first worker: a caller that starts workers of
    its own before the first file is read names their modules here, or its workers import them each.
    ``start`` starts it now, so that it imports while the caller goes on with other work.
    """
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(list(dict.fromkeys([*READER, *preload])))  # takes effect when the server starts
    if start:
        forkserver.ensure_running()
    return ctx


def start_for(inbox: Path) -> None:
    """Start the server now when ``inbox`` holds anything to read, so that it imports the readers' modules
    while the command goes on (its own imports, the setup); an empty inbox needs no readers."""
    if inbox.is_dir() and any(inbox.iterdir()):
        context(start=True)
