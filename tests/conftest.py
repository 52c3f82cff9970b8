"""Shared fixtures: the demo project, created once per test session with the real code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from nc_excel.excel.values import open_values
from nc_excel.setup.demo import northern_connections
from nc_excel.setup.models import ProjectSetup
from nc_excel.workspace import Workspace

GENERATED_AT = dt.datetime(2017, 9, 1, 9, 0)


@pytest.fixture(scope="session")
def demo_setup() -> ProjectSetup:
    return northern_connections(template_key="test-key")


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory: pytest.TempPathFactory, demo_setup: ProjectSetup) -> Workspace:
    """A Northern Connections project with the period-1 templates of all 21 partners."""
    ws = Workspace.create(tmp_path_factory.mktemp("nc") / "project", demo_setup)
    ws.generate_templates(1, now=GENERATED_AT)
    return ws


def sheet_values(path: Path, sheet: str) -> list[list[Any]]:
    """A sheet's values from A1, as python-calamine reads them (nc-excel's own reader)."""
    return open_values(path, {sheet})[sheet]
