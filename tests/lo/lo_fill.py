"""Fill in a workbook with real LibreOffice, the way a partner does, and save it.

Run with a Python that can ``import uno`` (Debian: /usr/bin/python3 with
python3-uno), not with the project's venv::

    /usr/bin/python3 tests/lo/lo_fill.py job.json

``job.json``::

    {"input": "template.xlsx",
     "outputs": ["return.xlsx", "return.ods"],          # .xlsx, .ods, .xls or .pdf
     "cells": [{"sheet": "Progress", "cell": "C5", "value": "In progress", "type": "text"}, ...],
     "connect": "pipe,name=x",      # optional: use a running soffice, do not start one
     "profile": "/tmp/lo-profile",  # optional: user profile dir to (re)use, else a fresh temp one
     "validation": "reject",        # optional: "reject" (default) or "ignore", see below
     "password": "secret",          # optional: save every output encrypted with this password
     "timeout": 150}                # optional: seconds before the script gives up (default 150)

Exit status 0 when every cell was entered and every output written; otherwise
nonzero with the reason on stderr. soffice is always terminated (if this script
started it), also on errors, SIGTERM or timeout.

How each ``type`` enters its value
----------------------------------
``text``    ``XCell.setString``: the exact string, never interpreted. ``=HYPERLINK(..)``,
            ``007``, ``1.234,56`` and ``2017-10-31`` all stay text, whatever the cell's
            number format (like typing with a leading apostrophe).
``number``  ``XCell.setValue(float(value))``: a number; the cell keeps its number format.
``date``    ``value`` is ``YYYY-MM-DD`` (or a serial number): ``setValue`` of the date's
            serial counted from the document's NullDate (1899-12-30); the cell keeps its
            date format, as when a partner types a date Calc recognises.
``typed``   The string as a user types it into the cell (or the input line) and presses
            Enter: it is assigned to the cell's ``FormulaLocal`` property, which Calc
            parses exactly like keyboard input. Calc recognises numbers and dates in the
            document's locale (en-US here: ``1234.56``, ``50%``, ``2017-10-31`` and
            ``10/31/2017`` become numbers; ``1.234,56`` and ``31.10.2017`` stay text), a
            leading ``=`` makes a formula, a leading apostrophe forces text, and a cell
            formatted as text (``@``) keeps everything as text, ``=...`` included.
            Not the same as ``XCell.setFormula``, which parses en-US formula syntax and
            ignores the ``@`` format (``1234.56`` into a text cell becomes a number).
            Not done through the ``.uno:EnterString`` command either, although it gives
            the same results: in LibreOffice 7.4 headless it aborts soffice (signal 6 in
            a timer) about a second after it runs on a hidden document.

Protection: the sheets stay protected, as a partner cannot unprotect them. The
UNO API writes into *locked* cells of a protected sheet without complaint
(``setString``/``setValue`` ignore protection) and ``FormulaLocal`` silently
leaves them unchanged, so this script checks ``CellProtection.IsLocked`` of every
target cell on a protected sheet itself and fails, as Calc refuses the partner.
Unlocked input cells of protected sheets take values through every mode.

Data validation: neither path enforces it (Calc checks it only in its interactive
input handler, where a rule with a Stop alert refuses the entry). With
``"validation": "reject"`` (the default) the script asks Calc afterwards which
cells break their rule (the detective's ``showInvalid``, whose circles are mapped
back to cells, then cleared) and fails on any typed cell whose rule has a Stop
alert, naming it: the partner could not have entered that value. With
``"validation": "ignore"`` invalid values are stored as given, as pasting can do.

Saving: ``storeToURL`` with filter ``Calc MS Excel 2007 XML`` (.xlsx), ``calc8``
(.ods), ``MS Excel 97`` (.xls) or ``calc_pdf_Export`` (.pdf), after ``calculateAll()``, so every formula's
cached value in the saved file is LibreOffice's own result. With ``password`` the
media descriptor carries ``Password``, as File > Save As > Save with password does,
and each output is checked to be encrypted (a .ods's manifest declares
``encryption-data``; an .xlsx is an OLE container): LibreOffice 7.4 encrypts .ods
this way but writes .xlsx in the clear, which fails the job rather than passing
an unencrypted file off as a protected one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

FILTERS = {".xlsx": "Calc MS Excel 2007 XML", ".ods": "calc8", ".xls": "MS Excel 97", ".pdf": "calc_pdf_Export"}
TYPES = ("text", "number", "date", "typed")
STARTUP_SECONDS = 60


class FillError(Exception):
    """A job that cannot be done as a partner would do it."""


class Timeout(BaseException):
    """Raised by the watchdog alarm; a BaseException so no broad except swallows it."""


def prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def url(path: str | Path) -> str:
    return uno.systemPathToFileUrl(str(Path(path).resolve()))


def soffice_binary() -> str:
    found = os.environ.get("NC_SOFFICE") or shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise FillError("soffice (LibreOffice) not found on PATH")
    return found


class Office:
    """A headless soffice with a private profile, started here (or one we only connect to)."""

    def __init__(self, connect: str | None = None, profile: str | None = None) -> None:
        self.connect_string = connect
        self.profile = profile
        self.own_profile = False
        self.proc: subprocess.Popen[bytes] | None = None
        self.desktop = None
        self.ctx = None

    def __enter__(self) -> Office:
        if self.connect_string is None:
            self._start()
        self._connect()
        return self

    def _start(self) -> None:
        if self.profile is None:
            self.profile = tempfile.mkdtemp(prefix="nc-lo-profile-")
            self.own_profile = True
        self.connect_string = f"pipe,name=nc_lo_fill_{os.getpid()}_{time.monotonic_ns()}"
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [
                soffice_binary(), "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
                "--nolockcheck",
                f"-env:UserInstallation={url(self.profile)}",
                f"--accept={self.connect_string};urp;StarOffice.ComponentContext",
            ],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: we can end soffice.bin with the launcher
        )

    def _connect(self) -> None:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + STARTUP_SECONDS
        delay = 0.05
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                self.log.seek(0)
                raise FillError(f"soffice exited with {self.proc.returncode} before accepting connections: "
                                f"{self.log.read().decode(errors='replace')[-2000:]}")
            try:
                self.ctx = resolver.resolve(f"uno:{self.connect_string};urp;StarOffice.ComponentContext")
                break
            except NoConnectException:
                if time.monotonic() > deadline:
                    raise FillError(f"soffice did not accept {self.connect_string} within {STARTUP_SECONDS} s") from None
                time.sleep(delay)
                delay = min(delay * 1.5, 0.5)
        smgr = self.ctx.ServiceManager
        # The pipe may accept before the Desktop is ready: retry until it answers.
        while True:
            try:
                self.desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)
                self.desktop.getComponents()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def service(self, name: str):
        return self.ctx.ServiceManager.createInstanceWithContext(name, self.ctx)

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return  # connected to someone else's soffice: leave it running
        signal.alarm(0)  # cleanup has its own time limits: let nothing interrupt it
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            if self.desktop is not None:
                self.desktop.terminate()
        except Exception:
            pass  # the bridge dies as soffice exits: expected
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._kill(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._kill(signal.SIGKILL)
                self.proc.wait(timeout=10)
        else:
            self._kill(signal.SIGKILL)  # a soffice.bin left behind by the launcher, if any
        if os.environ.get("NC_LO_DEBUG"):
            self.log.seek(0)
            sys.stderr.write(self.log.read().decode(errors="replace")[-3000:])
        if self.own_profile and self.profile:
            shutil.rmtree(self.profile, ignore_errors=True)

    def _kill(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)  # the group we created with start_new_session
        except ProcessLookupError:
            pass


def serial(value: object, null_date: dt.date) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return float((dt.date.fromisoformat(value[:10]) - null_date).days)
    raise FillError(f"date value must be YYYY-MM-DD or a serial number, not {value!r}")


def enter(office: Office, doc, entry: dict) -> None:
    missing = {"sheet", "cell", "value"} - entry.keys()
    if missing:
        raise FillError(f"cell entry {entry} lacks {sorted(missing)}")
    kind = entry.get("type", "text")
    if kind not in TYPES:
        raise FillError(f"cell entry {entry}: type must be one of {TYPES}")
    sheets = doc.Sheets
    if not sheets.hasByName(entry["sheet"]):
        raise FillError(f"no sheet {entry['sheet']!r} in {list(sheets.ElementNames)}")
    sheet = sheets.getByName(entry["sheet"])
    cell = sheet.getCellRangeByName(entry["cell"])
    where = f"{entry['sheet']}!{entry['cell']}"
    if sheet.isProtected() and cell.CellProtection.IsLocked:
        raise FillError(f"{where} is locked on a protected sheet: a partner cannot type there")
    value = entry["value"]
    if kind == "text":
        cell.setString(str(value))
    elif kind == "number":
        cell.setValue(float(value))
    elif kind == "date":
        n = doc.NullDate
        cell.setValue(serial(value, dt.date(n.Year, n.Month, n.Day)))
    else:
        cell.FormulaLocal = str(value)


def invalid_cells(doc, entries: list[dict]) -> list[str]:
    """The entered cells that break a data validation with a Stop alert, as Calc judges them."""
    from com.sun.star.sheet.ValidationAlertStyle import STOP  # type: ignore[import-not-found]

    bad = []
    for name in dict.fromkeys(e["sheet"] for e in entries):
        sheet = doc.Sheets.getByName(name)
        page = sheet.DrawPage
        before = page.Count
        sheet.showInvalid()  # circles every cell whose value breaks its rule
        centres = []
        for i in range(before, page.Count):
            shape = page.getByIndex(i)
            centres.append((shape.Position.X + shape.Size.Width / 2, shape.Position.Y + shape.Size.Height / 2))
        sheet.clearArrows()  # removes the circles again
        for entry in entries:
            if entry["sheet"] != name:
                continue
            cell = sheet.getCellRangeByName(entry["cell"])
            x, y, w, h = cell.Position.X, cell.Position.Y, cell.Size.Width, cell.Size.Height
            if not any(x <= cx <= x + w and y <= cy <= y + h for cx, cy in centres):
                continue
            rule = cell.Validation
            if rule.ShowErrorMessage and rule.ErrorAlertStyle == STOP:
                bad.append(f"{name}!{entry['cell']} = {entry['value']!r} ({rule.ErrorMessage or 'invalid'})")
    return bad


def encrypted(path: Path) -> bool:
    """Whether a saved output is encrypted: an OLE container (.xlsx), or a .ods whose manifest declares encryption."""
    import zipfile

    data = path.read_bytes()
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return True
    if path.suffix.lower() == ".ods" and data.startswith(b"PK"):
        with zipfile.ZipFile(path) as z:
            return b"encryption-data" in z.read("META-INF/manifest.xml")
    return False


def run(job: dict) -> None:
    source = Path(job["input"])
    if not source.is_file():
        raise FillError(f"input {source} does not exist")
    outputs = [Path(p) for p in job.get("outputs", [])]
    for out in outputs:
        if out.suffix.lower() not in FILTERS:
            raise FillError(f"output {out}: suffix must be one of {sorted(FILTERS)}")
        if job.get("password") and out.suffix.lower() == ".xls":
            raise FillError(f"output {out}: an .xls is an OLE container with or without a password, so its encryption cannot be checked")
    with tempfile.TemporaryDirectory(prefix="nc-lo-fill-") as tmp, Office(job.get("connect"), job.get("profile")) as office:
        # A private copy: a lock file that a crashed soffice left beside the input would
        # make the next load fail (headless LibreOffice answers "in use" with no document).
        copy = Path(tmp) / source.name
        shutil.copyfile(source, copy)
        doc = office.desktop.loadComponentFromURL(url(copy), "_blank", 0, (prop("Hidden", True),))
        if doc is None:
            raise FillError(f"LibreOffice could not open {source}")
        try:
            entries = job.get("cells", [])
            for entry in entries:
                enter(office, doc, entry)
            policy = job.get("validation", "reject")
            if policy not in ("reject", "ignore"):
                raise FillError(f'validation must be "reject" or "ignore", not {policy!r}')
            if policy == "reject":
                bad = invalid_cells(doc, entries)
                if bad:
                    raise FillError("Calc's data validation refuses what a partner would type: " + "; ".join(bad))
            doc.calculateAll()
            for out in outputs:
                out.parent.mkdir(parents=True, exist_ok=True)
                args = [prop("FilterName", FILTERS[out.suffix.lower()]), prop("Overwrite", True)]
                if job.get("password"):
                    args.append(prop("Password", str(job["password"])))
                doc.storeToURL(url(out), tuple(args))
                if not out.is_file() or out.stat().st_size == 0:
                    raise FillError(f"LibreOffice did not write {out}")
                if job.get("password") and not encrypted(out):
                    raise FillError(f"LibreOffice wrote {out} without encrypting it (Password is not honoured for {out.suffix})")
        finally:
            doc.close(True)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} job.json", file=sys.stderr)
        return 2
    job = json.loads(Path(argv[1]).read_text(encoding="utf-8"))

    def on_alarm(signum: int, frame: object) -> None:
        if signum == signal.SIGTERM:
            raise Timeout("lo_fill was terminated")
        raise Timeout(f"lo_fill gave up after {job.get('timeout', 150)} s")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_alarm)  # so a caller's terminate() still ends soffice
    signal.alarm(int(job.get("timeout", 150)))
    try:
        run(job)
    except (FillError, Timeout) as exc:
        print(f"lo_fill: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # UNO errors: report them, do not hide them
        print(f"lo_fill: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("NC_LO_DEBUG"):
            import traceback
            traceback.print_exc()
        return 1
    finally:
        signal.alarm(0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
