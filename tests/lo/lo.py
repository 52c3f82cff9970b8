"""Real LibreOffice for tests: fill in a workbook as a partner would, convert files.

Importable from the venv (no uno needed here): the UNO work runs in
``lo_fill.py`` under a Python that has uno (``NC_UNO_PYTHON``, default
/usr/bin/python3). Tests call ``require_soffice()`` first: it skips when
LibreOffice is missing, but fails under ``CI=true``.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from nc_excel.excel.libreoffice import MAX_FILES_PER_CALL, ConvertError, soffice_path
from nc_excel.excel.libreoffice import convert as lo_convert

LO_FILL = Path(__file__).with_name("lo_fill.py")
UNO_PYTHON = os.environ.get("NC_UNO_PYTHON", "/usr/bin/python3")
FILL_TIMEOUT = 150  # seconds the script gets; the subprocess gets a little more to clean up
soffice = soffice_path


@functools.cache
def _missing() -> str | None:
    if soffice() is None:
        return "soffice (LibreOffice) is not installed"
    try:
        probe = subprocess.run([UNO_PYTHON, "-c", "import uno"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{UNO_PYTHON} cannot run: {exc}"
    if probe.returncode != 0:
        return f"{UNO_PYTHON} cannot import uno (Debian: install python3-uno)"
    return None


def soffice_available() -> bool:
    """soffice is on PATH and a Python with uno can drive it."""
    return _missing() is None


def require_soffice() -> None:
    """Skip the calling test without LibreOffice; fail it instead under CI=true."""
    missing = _missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"LibreOffice is required when CI=true: {missing}")
        pytest.skip(missing)


def fill_with_libreoffice(
    template: Path, cells: list[dict[str, Any]], outputs: Sequence[Path], *,
    validation: str = "reject", timeout: int = FILL_TIMEOUT, password: str | None = None,
) -> None:
    """Open ``template`` in LibreOffice, type ``cells`` into it, save it as each of ``outputs``.

    ``cells``: ``{"sheet", "cell", "value", "type"}`` with type text, number, date
    or typed (see lo_fill.py for what each does). Output formats follow the
    suffix: .xlsx, .ods, .xls, .pdf. ``validation="reject"`` fails when a typed value
    breaks a cell's data validation (a Stop alert would refuse it in Calc);
    ``"ignore"`` stores it anyway. ``password`` saves every output encrypted with it
    (Save with password). Raises RuntimeError with the script's message.
    """
    with tempfile.TemporaryDirectory(prefix="nc-lo-job-") as tmp:
        job = Path(tmp) / "job.json"
        job.write_text(json.dumps({
            "input": str(template), "outputs": [str(p) for p in outputs], "cells": cells, "timeout": timeout,
            "validation": validation, "password": password,
        }, default=str), encoding="utf-8")
        proc = subprocess.Popen([UNO_PYTHON, str(LO_FILL), str(job)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            proc.terminate()  # the script ends its soffice on SIGTERM
            try:
                out, err = proc.communicate(timeout=45)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
            raise RuntimeError(f"lo_fill.py timed out after {timeout + 30} s: {err.strip()}") from None
    if proc.returncode != 0:
        raise RuntimeError(f"lo_fill.py failed (exit {proc.returncode}): {err.strip() or out.strip()}")


def _batches(items: Sequence[Path], size: int) -> Iterable[Sequence[Path]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def convert(paths: Iterable[Path], fmt: str, outdir: Path, *, timeout: int = 600) -> list[Path]:
    """``soffice --headless --convert-to fmt`` with a private profile; returns the converted paths.

    ``fmt`` is what --convert-to takes: ``pdf``, ``xlsx``, ``ods`` or
    ``xlsx:"Calc MS Excel 2007 XML"``-style ``ext:filter``. At most 200 files go
    into one soffice call. Raises RuntimeError when soffice fails or an output is missing.
    """
    binary = soffice()
    if binary is None:
        raise RuntimeError("soffice (LibreOffice) is not installed")
    sources = [Path(p).resolve() for p in paths]
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    ext = fmt.split(":", 1)[0]
    targets = [outdir / f"{p.stem}.{ext}" for p in sources]
    clash = [p for p, t in zip(sources, targets) if p == t]
    if clash:
        raise ValueError(f"converting {clash[0]} into {outdir} would overwrite it: use another outdir")
    if len(set(targets)) != len(targets):
        raise ValueError("two inputs share a file name stem: their outputs would overwrite each other")
    for batch in _batches(sources, MAX_FILES_PER_CALL):
        try:
            lo_convert(batch, fmt, outdir, timeout=timeout)
        except ConvertError as exc:
            raise RuntimeError(str(exc)) from None
    missing = [t for t in targets if not t.is_file() or t.stat().st_size == 0]
    if missing:
        raise RuntimeError(f"soffice --convert-to {fmt} did not write {len(missing)} file(s), e.g. {missing[0]}")
    return targets
