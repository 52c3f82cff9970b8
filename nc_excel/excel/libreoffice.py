"""LibreOffice headless: the one way nc-excel (and its tests) run ``soffice --convert-to``.

Each call gets a private profile (so a coordinator's open LibreOffice is not disturbed)
and its own session, so that a timeout ends soffice.bin too, not only the launcher.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from nc_excel.atomic import replacing

SOFFICE_HINT = "Install LibreOffice (Debian/Ubuntu: sudo apt-get install libreoffice-calc-nogui) and run the command again."
MAX_FILES_PER_CALL = 200  # soffice --convert-to silently stops after ~250 arguments and exits 0


class ConvertError(Exception):
    """soffice is missing, failed or did not finish; the message says which."""


def soffice_path() -> str | None:
    """The soffice to run: ``NC_SOFFICE`` if set (None if that is not executable), else from PATH."""
    if os.environ.get("NC_SOFFICE"):
        return shutil.which(os.environ["NC_SOFFICE"])
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(sources: Sequence[Path], fmt: str, outdir: Path, *, timeout: int) -> None:
    """Convert up to ``MAX_FILES_PER_CALL`` files into ``outdir`` in one soffice call.

    ``fmt`` is what --convert-to takes (``pdf``, ``xlsx``, ``ods``, or ``ext:filter``).
    """
    if len(sources) > MAX_FILES_PER_CALL:
        raise ValueError(f"at most {MAX_FILES_PER_CALL} files per soffice call")
    binary = soffice_path()
    if binary is None:
        raise ConvertError("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="nc-lo-profile-") as profile:
        cmd = [
            binary, "--headless", "--invisible", "--nologo", "--norestore", "--nolockcheck",
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--convert-to", fmt, "--outdir", str(outdir), *(str(Path(s).resolve()) for s in sources),
        ]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.communicate()
            raise ConvertError(f"LibreOffice did not finish --convert-to {fmt} within {timeout} s") from None
        if proc.returncode != 0:
            raise ConvertError(f"LibreOffice --convert-to {fmt} failed (exit {proc.returncode}: {(err or out).strip()[:300]})")


def convert_to_pdf(workbook: Path, *, timeout: int = 180) -> tuple[Path | None, str | None]:
    """Print ``workbook`` to a PDF beside it with LibreOffice headless: (pdf, None) or (None, why not)."""
    if soffice_path() is None:
        return None, f"LibreOffice (soffice) is not installed, so no PDF was written. {SOFFICE_HINT}"
    target = workbook.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="nc-pdf-") as tmp:
        outdir = Path(tmp)
        try:
            convert([workbook], "pdf", outdir, timeout=timeout)
        except ConvertError as exc:
            return None, f"{exc}; the workbook {workbook.name} was written."
        made = outdir / f"{workbook.stem}.pdf"
        if not made.is_file() or made.stat().st_size == 0:
            return None, f"LibreOffice could not print {workbook.name} to PDF."
        with replacing(target) as tmp_target:
            shutil.move(made, tmp_target)
    return target, None
