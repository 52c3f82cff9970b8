"""Build the Northern Connections add-in (.xlam) and its macro-workbook twin (.xlsm).

The .xlsm holds the same VBA project and ribbon with the ordinary macro
workbook content type: LibreOffice refuses to open an .xlam, so the tests
check the VBA project through the .xlsm, and a coordinator can open it
directly to try the ribbon without installing anything.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import nc_excel
from nc_excel.addin.errors import AddinError
from nc_excel.addin.ribbon_xml import DEFAULT_TAB, customui_xml
from nc_excel.addin.vba_modules import VbaModule, project_modules
from nc_excel.addin.vba_project import vba_project_bin
from nc_excel.addin.workbook_package import PackageKind, package
from nc_excel.atomic import replacing

ADDIN_NAME = "NorthernConnections"
"""File name stem of the add-in and name of its VBA project."""

_REPO_ROOT = Path(__file__).resolve().parents[2]


def _sheet_lines(tab: str) -> list[str]:
    return [
        "nc-excel add-in",
        f"Built by nc-excel {nc_excel.__version__} with xlwings {metadata.version('xlwings')}.",
        "Install it with: nc-excel addin install (Windows and macOS).",
        f"The ribbon tab '{tab}' runs the reporting cycle through Python.",
    ]


def addin_bytes(kind: PackageKind, modules: list[VbaModule] | None = None, tab: str = DEFAULT_TAB) -> bytes:
    """The bytes of the add-in (kind "xlam") or its .xlsm twin, its ribbon tab labelled ``tab``.

    ``modules`` replaces the VBA modules, for test variants only (for example
    with a stub RunPython that LibreOffice can run).
    """
    vba = vba_project_bin(ADDIN_NAME, project_modules() if modules is None else modules)
    return package(kind, vba, customui_xml(tab), _sheet_lines(tab), title="nc-excel add-in")


def is_checkout() -> bool:
    """True when nc_excel is imported from a source checkout (not site-packages)."""
    return (_REPO_ROOT / "pyproject.toml").is_file() and (_REPO_ROOT / "nc_excel" / "addin").is_dir()


def default_addin_path(project: Path | None = None) -> Path:
    """Where a build writes without --out: the project's ``addin/`` folder when built for a project,
    else ``workbooks/`` of the checkout, else of the installed package; never the current folder."""
    if project is not None:
        return project / "addin" / f"{ADDIN_NAME}.xlam"
    base = _REPO_ROOT if is_checkout() else Path(nc_excel.__file__).resolve().parent
    return base / "workbooks" / f"{ADDIN_NAME}.xlam"


def _write_atomically(path: Path, data: bytes) -> None:
    try:
        with replacing(path) as temporary:
            temporary.write_bytes(data)
    except PermissionError as exc:
        raise AddinError(
            f"Cannot write {path}: {exc.strerror}. If the file is open in Excel, close it "
            "(or quit Excel) and build again; otherwise choose a folder you can write to."
        ) from exc
    except OSError as exc:
        raise AddinError(f"Cannot write {path}: {exc.strerror}. Choose another folder and build again.") from exc


def build_addin(out: Path | None = None, *, project: Path | None = None, tab: str = DEFAULT_TAB) -> list[Path]:
    """Write the .xlam (at ``out`` or the default path for ``project``) and the .xlsm beside it, the ribbon tab labelled ``tab``.

    Returns the written paths, .xlam first. Raises AddinError when a source is
    unusable or a file cannot be written.
    """
    xlam = Path(out) if out is not None else default_addin_path(project)
    if xlam.suffix.lower() != ".xlam":
        raise AddinError(f"The add-in file must end in .xlam, not {xlam.name!r}. Pass a path like {ADDIN_NAME}.xlam.")
    xlsm = xlam.with_suffix(".xlsm")
    modules = project_modules()
    targets: list[tuple[Path, PackageKind]] = [(xlam, "xlam"), (xlsm, "xlsm")]
    for path, kind in targets:
        _write_atomically(path, addin_bytes(kind, modules, tab))
    return [path for path, _ in targets]
