"""The master's schema is the one place its sheets are described.

A header renamed in ``nc_excel/master/schema.py`` is renamed on the master, and
the build (reading the coordinator's decisions), the board summary and the
ribbon's period lookup still read the master: nothing reads it by its wording.
The test proves it on a copy of the package whose schema says other words.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from conftest import sheet_values as grid

import nc_excel
from nc_excel.excel.schema import HEADER_ROW

RENAMED = {
    'period: Annotated[int, shown("Reporting period")]': 'period: Annotated[int, shown("Period reported on")]',
    'received: Annotated[int, shown("Returns received")]': 'received: Annotated[int, shown("Returns in")]',
    'erdf_due: Annotated[Money, shown("ERDF due to date (EUR)", 13, money=True)]': 'erdf_due: Annotated[Money, shown("ERDF to claim (EUR)", 13, money=True)]',
    'decision: Annotated[Text, typed("Decision", 10, choices="decisions")]': 'decision: Annotated[Text, typed("Your decision", 10, choices="decisions")]',
    'code: Annotated[Text, shown("Deliverable", 10)] = None\n    work_package: Annotated[Text, shown("Work package", 8)] = None\n    title: Annotated[Text, shown("Title", 24, wrap=True)] = None\n    responsible':
        'code: Annotated[Text, shown("Deliverable code", 10)] = None\n    work_package: Annotated[Text, shown("Work package", 8)] = None\n    title: Annotated[Text, shown("Title", 24, wrap=True)] = None\n    responsible',
}


@pytest.fixture(scope="module")
def renamed_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of nc_excel whose master schema has other headers (and nothing else changed)."""
    root = tmp_path_factory.mktemp("renamed")
    package = shutil.copytree(Path(nc_excel.__file__).parent, root / "nc_excel", ignore=shutil.ignore_patterns("__pycache__"))
    schema = package / "master" / "schema.py"
    text = schema.read_text()
    for old, new in RENAMED.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    schema.write_text(text)
    return root


def run(package: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The nc-excel command of the renamed package."""
    code = "import sys; from nc_excel.cli import app; app(sys.argv[1:])"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=package, capture_output=True, text=True, timeout=600,
                          env={"PYTHONPATH": str(package), "PATH": "/usr/bin:/bin", "HOME": str(package)})



def test_a_header_renamed_in_the_schema_is_followed_by_the_build_the_board_and_the_ribbon(renamed_package: Path) -> None:
    project = renamed_package / "demo"
    done = run(renamed_package, "demo", str(project), "--no-pdf")
    assert done.returncode == 0, done.stdout + done.stderr
    master = project / "master.xlsx"

    # The master shows the new words ...
    labels = [row[0] for row in grid(master, "Dashboard") if row and row[0]]
    assert "Returns in" in labels and "Period reported on" in labels and "Returns received" not in labels
    assert "ERDF to claim (EUR)" in grid(master, "Finance position")[HEADER_ROW]
    assert "Your decision" in grid(master, "Living Labs")[HEADER_ROW]
    assert "Deliverable code" in grid(master, "Schedule")[HEADER_ROW]

    # ... the board read it (the demo wrote the summary from it) ...
    board = openpyxl.load_workbook(project / "board" / "NC_board_P1.xlsx")
    returns_in = board.defined_names["board_returns_in"].destinations
    sheet, cell = next(iter(returns_in))
    assert board[sheet][cell.replace("$", "")].value == 20

    # ... the coordinator's decisions typed under the new headers survive a rebuild ...
    wb = openpyxl.load_workbook(master)
    ws = wb["Living Labs"]
    header = [c.value for c in ws[HEADER_ROW + 1]]
    decision, key = header.index("Your decision") + 1, header.index("Place key") + 1
    place = ws.cell(HEADER_ROW + 2, key).value
    ws.cell(HEADER_ROW + 2, decision).value = "Exclude"
    schedule = wb["Schedule"]
    header = [c.value for c in schedule[HEADER_ROW + 1]]
    schedule.cell(HEADER_ROW + 2, header.index("Coordinator comment") + 1).value = "Agreed with the lead partner"
    wb.save(master)
    rebuilt = run(renamed_package, "build", "--project", str(project), "--as-of", "2017-10-16", "--period", "1")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    rows = grid(master, "Living Labs")
    header = rows[HEADER_ROW]
    row = next(r for r in rows[HEADER_ROW + 1:] if r[header.index("Place key")] == place)
    assert row[header.index("Your decision")] == "Exclude" and row[header.index("Shortlisted")] == "No"
    rows = grid(master, "Schedule")
    assert rows[HEADER_ROW + 1][rows[HEADER_ROW].index("Coordinator comment")] == "Agreed with the lead partner"

    # ... and the summary, and the ribbon's "which period was built", still read the Dashboard.
    summary = run(renamed_package, "summary", "--project", str(project), "--period", "1")
    assert summary.returncode == 0, summary.stdout + summary.stderr
    code = "import sys; from pathlib import Path; from nc_excel.workspace import Workspace; print(Workspace.open(Path(sys.argv[1])).built_period())"
    period = subprocess.run([sys.executable, "-c", code, str(project)], cwd=renamed_package, capture_output=True, text=True,
                            env={"PYTHONPATH": str(renamed_package), "PATH": "/usr/bin:/bin", "HOME": str(renamed_package)})
    assert period.stdout.strip() == "1", period.stderr
