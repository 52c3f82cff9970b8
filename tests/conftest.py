"""Shared fixtures: projects made once per test session with the real code.

A test that only reads a project uses the fixture itself; a test that changes it
works on a copy (``copy_project``): copying a project takes milliseconds, making
one takes seconds.
"""

from __future__ import annotations

import datetime as dt
import io
import pickle
import shutil
from pathlib import Path, PurePath
from typing import Any

import pytest

from nc_excel.demo import DemoResult, run_demo
from nc_excel.excel.values import open_values
from nc_excel.setup.demo import northern_connections
from nc_excel.setup.models import ProjectSetup
from nc_excel.workspace import Workspace

GENERATED_AT = dt.datetime(2017, 9, 1, 9, 0)
DEMO_THROUGH = 3  # the periods the shared demo plays (`nc-excel demo --through 3`)


SHARED_DEMO, SHARED_PERIOD_1 = "the shared demo", "the shared period 1"
SHARING = {
    p.name: scope
    for p in sorted(Path(__file__).parent.glob("test_*.py"))
    for fixture, scope in (("period_1_built", SHARED_PERIOD_1), ("demo_played", SHARED_DEMO))
    if fixture in p.read_text(encoding="utf-8")
}
"""The test modules on a costly session fixture (the shared demo, the shared period 1), by the scope they share:
under pytest-xdist the modules of a scope run in one worker, which makes the fixture once. (A module on both
would share the demo's worker and make period 1 again.)"""
HEAVIEST_FIRST = (
    SHARED_PERIOD_1, SHARED_DEMO, "test_lo_fill.py", "test_own_partnership.py", "test_collect.py", "test_master_schema.py",
    "test_intake_files.py", "test_master_print.py", "test_cli.py", "test_collect_libreoffice.py", "test_lifecycle.py",
    "test_hostile_text.py", "test_livinglabs_periods.py", "test_currency.py", "test_trends.py", "test_history.py",
)
"""The scopes that take longest (seconds summed per scope under ``-n 2``, 2 Dec 2026), longest first: handed
out first, so that the last scopes are short ones and neither worker waits long for the other at the end.
The rest follow in pytest-xdist's order (most tests first)."""


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With ``-n 2`` (pyproject's addopts) a test module runs whole in one worker, so its module
    fixtures are made once, and the modules of a scope in SHARING share one worker; the heaviest go first
    (HEAVIEST_FIRST). (pytest-xdist's own ``--dist loadgroup`` no longer groups on pytest 9.2:
    pytest-xdist issue 1386.)"""
    if config.getvalue("dist") != "load":
        return None  # another --dist asked for on the command line
    from xdist.scheduler import LoadScopeScheduling

    class ByModule(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return SHARING.get(Path(module).name, module)

        def _assign_work_unit(self, node: Any) -> None:
            """Hand out the heaviest scope left (pytest-xdist hands out the first in its queue)."""
            rank = {name: i for i, name in enumerate(HEAVIEST_FIRST)}
            heaviest = min(self.workqueue, key=lambda scope: rank.get(Path(scope).name, len(rank)))
            self.workqueue.move_to_end(heaviest, last=False)
            super()._assign_work_unit(node)

    return ByModule(config, log)


@pytest.fixture(scope="session")
def demo_setup() -> ProjectSetup:
    return northern_connections(template_key="test-key")


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory: pytest.TempPathFactory, demo_setup: ProjectSetup) -> Workspace:
    """A Northern Connections project with the period-1 templates of all 21 partners."""
    ws = Workspace.create(tmp_path_factory.mktemp("nc") / "project", demo_setup)
    ws.generate_templates(1, now=GENERATED_AT)
    return ws


@pytest.fixture(scope="session")
def period_1_built(tmp_path_factory: pytest.TempPathFactory, demo_project: Workspace, demo_setup: ProjectSetup) -> Workspace:
    """Period 1 on 15 October 2017: 19 of the 21 partners (all but SCE and FKC) returned, collected on the 14th,
    the master built as of the 15th. Read-only: a test that changes it works on a copy."""
    from test_collect import make_return

    ws = copy_project(demo_project, tmp_path_factory.mktemp("period-1"))  # the period-1 templates sent
    for p in demo_setup.partners[:19]:
        make_return(ws, demo_setup, p.code)
    ws.collect(now=dt.datetime(2017, 10, 14, 9))
    ws.build(as_of=dt.date(2017, 10, 15))
    return ws


def copy_project(project: Workspace, to: Path) -> Workspace:
    """A copy of ``project`` in ``to``/project, for a test to change."""
    return Workspace(Path(shutil.copytree(project.root, to / "project", symlinks=True)))


@pytest.fixture(scope="session")
def demo_played(tmp_path_factory: pytest.TempPathFactory) -> dict[int, DemoResult]:
    """The demo played once through period 3; for each period ``n`` what ``run_demo(through=n)`` returns.

    Period ``n`` is the project as it stood when period ``n + 1`` began (the demo's
    progress says when), copied to its own folder, and the results of periods 1 to
    ``n`` with their paths moved there: the files a demo played through ``n`` writes
    (test_demo checks it for period 1). Read-only: a test that changes a project
    works on a copy.
    """
    root = tmp_path_factory.mktemp(f"demo-through-{DEMO_THROUGH}") / "nc-demo"
    copies: dict[int, Path] = {}

    def snapshot(done: int, total: int, label: str) -> None:
        period, _, step = label.removeprefix("period ").partition(": ")
        if step == "templates" and period != "1":
            n = int(period) - 1
            copies[n] = Path(shutil.copytree(root, tmp_path_factory.mktemp(f"demo-through-{n}") / "nc-demo", symlinks=True))

    played = {DEMO_THROUGH: run_demo(root, through=DEMO_THROUGH, pdf=False, progress=snapshot)}
    for n, copy in copies.items():
        played[n] = _moved(DemoResult(root, {p: play for p, play in played[DEMO_THROUGH].periods.items() if p <= n}), copy)
    return played


def _moved(result: DemoResult, root: Path) -> DemoResult:
    """A deep copy of ``result`` whose paths under its root lie under ``root`` instead."""
    old = result.root

    class Moving(pickle.Pickler):
        def reducer_override(self, obj: object) -> Any:
            if isinstance(obj, PurePath) and obj.is_relative_to(old):
                return type(obj), (str(root / obj.relative_to(old)),)
            return NotImplemented

    buffer = io.BytesIO()
    Moving(buffer).dump(result)
    return pickle.loads(buffer.getvalue())


def sheet_values(path: Path, sheet: str) -> list[list[Any]]:
    """A sheet's values from A1, as python-calamine reads them (nc-excel's own reader)."""
    return open_values(path, {sheet})[sheet]
