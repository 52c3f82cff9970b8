"""Install the add-in where Excel loads it, as ``xlwings addin install -f`` does.

Excel opens every workbook in the user's XLSTART folder at start-up, so an
.xlam copied there shows its ribbon tab in every Excel window. xlwings asks a
running (or hidden) Excel for ``Application.StartupPath``; we use the same
folder but compute its default location instead of starting Excel:

- Windows: ``%APPDATA%\\Microsoft\\Excel\\XLSTART``
- macOS:   ``~/Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel``

The add-in's xlwings module reads its settings from a file named after its
PROJECT_NAME (vba_modules.PROJECT_NAME); install writes the interpreter of the
running Python there (INTERPRETER_WIN / INTERPRETER_MAC), like
``xlwings config create`` does for the standard add-in. On macOS RunPython
also needs xlwings' AppleScript in Excel's script folder (``xlwings runpython
install``), which is copied from the installed xlwings.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from nc_excel.addin.build import ADDIN_NAME, build_addin
from nc_excel.addin.errors import AddinError
from nc_excel.addin.ribbon_xml import DEFAULT_TAB
from nc_excel.addin.vba_modules import PROJECT_NAME


@dataclass(frozen=True)
class InstallResult:
    """What install_addin did, for the CLI to show."""

    installed: bool
    """True when the add-in was copied where Excel loads it."""
    message: str
    """A sentence for the person who ran the install."""
    path: Path
    """The installed add-in, or the built file where Excel is not available."""
    config_path: Path | None = None
    """The settings file holding the Python interpreter, when written."""


def startup_folder(platform: str, home: Path, appdata: Path | None = None) -> Path:
    """Excel's per-user start-up folder (XLSTART) on Windows ("win32") or macOS ("darwin")."""
    if platform == "win32":
        base = appdata if appdata is not None else home / "AppData" / "Roaming"
        return base / "Microsoft" / "Excel" / "XLSTART"
    if platform == "darwin":
        return (
            home / "Library" / "Group Containers" / "UBF8T346G9.Office"
            / "User Content.localized" / "Startup.localized" / "Excel"
        )
    raise ValueError(f"Excel has no start-up folder on {platform}")


def config_file(platform: str, home: Path) -> Path:
    """Where the add-in's xlwings module looks for its user settings (GetConfigFilePath)."""
    if platform == "win32":
        return home / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf"
    if platform == "darwin":
        return home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / f"{PROJECT_NAME}.conf"
    raise ValueError(f"Excel has no settings file on {platform}")


def write_interpreter_setting(path: Path, platform: str, interpreter: str) -> None:
    """Set INTERPRETER_WIN/INTERPRETER_MAC in the settings file, keeping other keys.

    The file has one ``"KEY","value"`` line per setting, the format VBA's
    ``Input #`` reads and xlwings writes.
    """
    key = "INTERPRETER_WIN" if platform == "win32" else "INTERPRETER_MAC"
    newline, encoding = ("\r\n", "cp1252") if platform == "win32" else ("\n", "utf-8")
    lines: list[str] = []
    if path.is_file():
        for line in path.read_text(encoding=encoding, errors="replace").splitlines():
            if line.strip() and line.split(",")[0].strip().strip('"').upper() != key:
                lines.append(line)
    lines.append(f'"{key}","{interpreter}"')
    try:
        data = newline.join(lines).encode(encoding) + newline.encode()
    except UnicodeEncodeError:
        raise AddinError(
            f"The Python interpreter path {interpreter} has characters that Excel's VBA "
            "cannot read on Windows. Install Python in a folder whose path has only plain "
            "letters (for example C:\\Python311) and run the install again."
        ) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _copy_applescript(home: Path) -> None:
    version = metadata.version("xlwings")
    script = resources.files("xlwings") / f"xlwings-{version}.applescript"
    target = home / "Library" / "Application Scripts" / "com.microsoft.Excel"
    target.mkdir(parents=True, exist_ok=True)
    (target / script.name).write_bytes(script.read_bytes())


def install_addin(platform: str | None = None, home: Path | None = None, *, project: Path | None = None, tab: str = DEFAULT_TAB) -> InstallResult:
    """Build the add-in from the installed packages (its tab labelled ``tab``) and put it where Excel loads it.

    ``platform`` and ``home`` default to this computer's; they exist so the
    placement can be checked on a machine without Excel. On Linux nothing is
    installed (``installed`` False): the add-in is built at its default path (for
    ``project``) and the result says so.
    """
    platform = platform or sys.platform
    if platform not in ("win32", "darwin"):
        built = build_addin(project=project, tab=tab)[0]
        return InstallResult(
            installed=False,
            message=(
                "Excel is not available on this system, so the add-in was not installed. "
                f"It was built at {built}: copy it to a Windows or macOS computer with Excel "
                "and run 'nc-excel addin install' there."
            ),
            path=built,
        )
    # %APPDATA% moves with roaming profiles; honour it unless a home was given.
    appdata = Path(os.environ["APPDATA"]) if home is None and os.environ.get("APPDATA") else None
    home = home or Path.home()
    folder = startup_folder(platform, home, appdata)
    target = folder / f"{ADDIN_NAME}.xlam"
    try:
        with tempfile.TemporaryDirectory(prefix="nc-excel-addin-") as scratch:
            built = build_addin(Path(scratch) / f"{ADDIN_NAME}.xlam", tab=tab)[0]
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(built, target)
    except PermissionError as exc:
        raise AddinError(
            f"Cannot write {target}: {exc.strerror}. Quit Excel (the add-in is open while "
            "Excel runs) and run 'nc-excel addin install' again."
        ) from exc
    except OSError as exc:
        raise AddinError(
            f"Cannot copy the add-in to {folder}: {exc.strerror}. Check that the folder "
            "exists and that you can write to it, then run the install again."
        ) from exc
    settings = config_file(platform, home)
    write_interpreter_setting(settings, platform, sys.executable)
    if platform == "darwin":
        _copy_applescript(home)
    restart = "Quit Excel (Cmd-Q) and start it again" if platform == "darwin" else "Restart Excel"
    return InstallResult(
        installed=True,
        message=(
            f"Installed the nc-excel add-in in {folder}. {restart} to see the "
            f"'{tab}' tab. The buttons run Python from {sys.executable} "
            f"(set in {settings})."
        ),
        path=target,
        config_path=settings,
    )
