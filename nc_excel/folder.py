"""The layout of a project folder: the one place that knows where each file lives.

``Workspace`` is a ``ProjectFolder`` with the actions on it; the lower layers
(intake, master, board) are handed the folder and ask it for paths, so moving a
folder of the layout is a change here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

MASTER = "master.xlsx"
FOLDERS = ("outbox", "inbox", "archive", "feedback", "board", "backups")
"""The folders ``nc-excel init`` makes."""
LOCK = "nc-excel.lock"
"""Held by the run that collects, builds, writes templates or restores (see ``nc_excel.lock``)."""
REPLACED = "_replaced"
"""Ends the name of a backup of a master that ``restore`` replaced."""


@dataclass(frozen=True)
class ProjectFolder:
    """Paths of one project folder (see DESIGN.md, "A project folder")."""

    root: Path

    @property
    def master(self) -> Path:
        return self.root / MASTER

    @property
    def lock(self) -> Path:
        """The project lock: one collect, build, templates run or restore at a time."""
        return self.root / LOCK

    @property
    def inbox(self) -> Path:
        """Returns as received, under any names and sub-folders."""
        return self.root / "inbox"

    def outbox(self, period: int) -> Path:
        """Templates sent to partners for ``period``."""
        return self.root / "outbox" / str(period)

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def register(self) -> Path:
        """The returns register: one JSON line per file collected."""
        return self.archive / "register.jsonl"

    def parsed(self, sha256: str) -> Path:
        """The parsed record of the archived return with this SHA-256 (derived data, rebuilt when missing)."""
        return self.archive / ".parsed" / f"{sha256}.json"

    def archived(self, period: int, partner: str) -> Path:
        """Where the accepted returns of a partner and period are kept, read-only."""
        return self.archive / str(period) / partner

    def certificates_outbox(self, period: int) -> Path:
        """The FLC certificate workbooks sent out for ``period``."""
        return self.outbox(period) / "flc"

    def feedback(self, period: int | None = None) -> Path:
        """The feedback workbooks (of ``period``)."""
        folder = self.root / "feedback"
        return folder if period is None else folder / str(period)

    @property
    def board(self) -> Path:
        return self.root / "board"

    @property
    def reports(self) -> Path:
        """The joint progress reports (and their PDFs)."""
        return self.root / "report"

    def mail(self, period: int) -> Path:
        """The reminder e-mail drafts of ``period`` (.eml files, never sent by nc-excel)."""
        return self.outbox(period).parent / "mail" / str(period)

    @property
    def backups(self) -> Path:
        """The master as it was before each rebuild."""
        return self.root / "backups"

    def backup_files(self) -> list[Path]:
        """The master's backups, oldest first (their names carry the time they were made)."""
        return sorted(self.backups.glob("master_*.xlsx")) if self.backups.is_dir() else []

    def newest_backup(self) -> Path | None:
        """The newest backup a rebuild made (a master set aside by a restore, perhaps damaged, is not one)."""
        found = [p for p in self.backup_files() if not p.stem.endswith(REPLACED)]
        return found[-1] if found else None

    def new_backup(self, suffix: str = "") -> Path:
        """Where to back the master up now: ``backups/master_<stamp><suffix>.xlsx``."""
        return self.backups / f"master_{dt.datetime.now():%Y%m%dT%H%M%S%f}{suffix}.xlsx"

    def command(self, args: str) -> str:
        """An ``nc-excel`` command line for this project, to suggest in a message: complete, so it can be pasted."""
        return f"nc-excel {args} --project {shlex.quote(str(self.root))}"

    def restore_advice(self) -> str:
        """What to do about a master that cannot be read: which backup to put back, and how."""
        newest = self.newest_backup()
        if newest is None:
            return f"There is no backup in {self.backups}: put back a copy of {MASTER} you trust."
        return (f"Restore the newest backup, {newest}, with `{self.command('restore')}` "
                f"(or name another file of {self.backups}), and try again.")

    def record(self, path: Path) -> str:
        """How the register records a path: relative inside the project, so the folder can move; whole outside it."""
        text, root = str(path), str(self.root)
        if text.startswith(root) and text[len(root):len(root) + 1] == os.sep:  # as relative_to has it, without its cost per file
            return text[len(root) + 1:]
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else text

    def resolve(self, recorded: str) -> Path:
        """The path the register recorded."""
        return self.root / recorded

    def make(self) -> None:
        for name in FOLDERS:
            (self.root / name).mkdir(parents=True, exist_ok=True)
