"""Open macro workbooks in headless LibreOffice and report their VBA project.

Run with a Python that has LibreOffice's ``uno`` module (Debian: /usr/bin/python3
with python3-uno), not the project venv:

    python3 addin_libreoffice_probe.py REQUEST.json

REQUEST is ``{"files": [{"path": ..., "calls": [{"function": "Library.Module.Function",
"args": [...]}]}]}``. Prints one JSON object: for each file, the modules
LibreOffice imported (library -> module name -> source as LibreOffice holds it)
and, for each call, the value that Basic function returned. Used by tests/test_addin_libreoffice.py only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]


def _prop(name: str, value: object) -> PropertyValue:
    prop = PropertyValue()
    prop.Name = name
    prop.Value = value
    return prop


def _connect(pipe: str, deadline: float):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _inspect(desktop, path: str, calls: list[dict]) -> dict:
    url = uno.systemPathToFileUrl(os.path.abspath(path))
    # MacroExecutionMode 4 = ALWAYS_EXECUTE_NO_WARN: the probe runs only our test files.
    doc = desktop.loadComponentFromURL(
        url, "_blank", 0, (_prop("Hidden", True), _prop("MacroExecutionMode", 4))
    )
    if doc is None:
        return {"path": path, "error": "LibreOffice could not open the file"}
    try:
        libraries = doc.BasicLibraries
        modules: dict[str, dict[str, str]] = {}
        for library_name in libraries.getElementNames():
            libraries.loadLibrary(library_name)
            library = libraries.getByName(library_name)
            modules[library_name] = {name: library.getByName(name) for name in library.getElementNames()}
        result: dict = {"path": path, "libraries": modules}
        result["returned"] = []
        for call in calls:
            script = doc.getScriptProvider().getScript(
                f"vnd.sun.star.script:{call['function']}?language=Basic&location=document"
            )
            value, _, _ = script.invoke(tuple(call.get("args", ())), (), ())
            result["returned"].append(value)
        return result
    finally:
        doc.close(True)


def main() -> int:
    request = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    profile = tempfile.mkdtemp(prefix="nc-lo-profile-")
    pipe = f"nc_excel_probe_{os.getpid()}"
    office = subprocess.Popen(
        [
            shutil.which("soffice") or "soffice",
            f"-env:UserInstallation={uno.systemPathToFileUrl(profile)}",
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            "--nodefault",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        context = _connect(pipe, time.monotonic() + 60)
        desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        results = [_inspect(desktop, item["path"], item.get("calls", [])) for item in request["files"]]
        print(json.dumps({"files": results}))
        try:
            desktop.terminate()
        except Exception:
            pass
        return 0
    finally:
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            office.kill()
            office.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
