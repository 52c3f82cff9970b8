"""LibreOffice, an independent VBA reader, imports the add-in's VBA project.

LibreOffice refuses .xlam files, so the .xlsm twin (same VBA project, macro
workbook content type) is opened. It cannot compile the real xlwings module
(``Declare PtrSafe``), so the callback is run in a test variant whose xlwings
module is a stub RunPython that records its command.

Needs soffice and a Python with LibreOffice's uno module (Debian:
libreoffice-calc-nogui and python3-uno for /usr/bin/python3). Skipped when they
are missing, except under CI=true, where their absence is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from addin_helpers import expected_sources

from nc_excel.addin.build import addin_bytes
from nc_excel.addin.ribbon_xml import button_ids
from nc_excel.addin.vba_modules import ModuleKind, VbaModule, project_modules

PROBE = Path(__file__).with_name("addin_libreoffice_probe.py")
UNO_PYTHON = os.environ.get("NC_UNO_PYTHON", "/usr/bin/python3")


def _libreoffice_missing() -> str | None:
    if shutil.which("soffice") is None:
        return "soffice (LibreOffice) is not installed"
    probe = subprocess.run([UNO_PYTHON, "-c", "import uno"], capture_output=True)
    if probe.returncode != 0:
        return f"{UNO_PYTHON} cannot import uno (install python3-uno)"
    return None


def _module(name: str, kind: ModuleKind, *lines: str) -> VbaModule:
    return VbaModule(name=name, kind=kind, origin="test", source=("\r\n".join(lines) + "\r\n").encode("cp1252"))


def stub_variant_modules() -> list[VbaModule]:
    """The real document and NCRibbon modules; a stub xlwings; a fake control and a driver."""
    real = [m for m in project_modules() if m.name in ("ThisWorkbook", "Sheet1", "NCRibbon")]
    return real + [
        _module(
            "xlwings", ModuleKind.STANDARD,
            'Attribute VB_Name = "xlwings"',
            "Public LastCommand As String",
            "Public Function RunPython(PythonCommand As String)",
            "    LastCommand = PythonCommand",
            "End Function",
        ),
        _module(
            "FakeRibbonControl", ModuleKind.CLASS,
            'Attribute VB_Name = "FakeRibbonControl"',
            "Attribute VB_GlobalNameSpace = False",
            "Attribute VB_Creatable = False",
            "Attribute VB_PredeclaredId = False",
            "Attribute VB_Exposed = False",
            "Public Id As String",
        ),
        _module(
            "TestDriver", ModuleKind.STANDARD,
            'Attribute VB_Name = "TestDriver"',
            "Public Function PressButton(buttonId As String) As String",
            "    Dim control As New FakeRibbonControl",
            "    control.Id = buttonId",
            "    NCRibbon.OnAction control",
            "    PressButton = xlwings.LastCommand",
            "End Function",
        ),
    ]


@pytest.fixture(scope="module")
def libreoffice(tmp_path_factory) -> dict:
    missing = _libreoffice_missing()
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"LibreOffice is required in CI: {missing}")
        pytest.skip(missing)
    folder = tmp_path_factory.mktemp("libreoffice")
    real = folder / "NorthernConnections.xlsm"
    real.write_bytes(addin_bytes("xlsm"))
    stub = folder / "NorthernConnectionsStub.xlsm"
    stub.write_bytes(addin_bytes("xlsm", stub_variant_modules()))
    request = folder / "request.json"
    calls = [{"function": "NorthernConnections.TestDriver.PressButton", "args": [b]} for b in button_ids()]
    request.write_text(json.dumps({"files": [{"path": str(real)}, {"path": str(stub), "calls": calls}]}))
    done = subprocess.run([UNO_PYTHON, str(PROBE), str(request)], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    real_result, stub_result = json.loads(done.stdout)["files"]
    return {"real": real_result, "stub": stub_result}


def _as_libreoffice_holds_it(source: bytes) -> str:
    """Our stored source the way LibreOffice shows it: LF line ends, no Attribute lines."""
    lines = source.decode("cp1252").split("\r\n")
    return "\n".join(line for line in lines if not line.startswith("Attribute "))


def test_libreoffice_imports_every_module_with_its_source(libreoffice):
    project = libreoffice["real"]["libraries"]["NorthernConnections"]
    expected = expected_sources()
    assert set(project) == set(expected)
    for name, source in expected.items():
        imported = project[name]
        # LibreOffice puts its own two or three header lines first.
        header, _, body = imported.partition("Option VBASupport 1\n")
        assert header.startswith("Rem Attribute VBA_ModuleType=")
        body = body.removeprefix("Option ClassModule\n")
        assert body.rstrip("\n") == _as_libreoffice_holds_it(source).rstrip("\n"), name


def test_pressing_each_button_runs_the_exact_python_command(libreoffice):
    returned = libreoffice["stub"]["returned"]
    assert returned == [f"import nc_excel.ribbon; nc_excel.ribbon.dispatch('{b}')" for b in button_ids()]
