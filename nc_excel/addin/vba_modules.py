"""The VBA modules that go into the add-in, read from their sources.

Our own modules live in ``nc_excel/addin/macros/`` (shipped as package data,
so a non-editable install can build the add-in too). The xlwings modules are
taken from the INSTALLED xlwings package at build time, because the xlwings
VBA code declares ``xlwings64-<version>.dll`` and must match the Python
package that answers RunPython; xlwings is pinned in pyproject.toml.

Each module's ``source`` is exactly what is stored in the VBA project: cp1252
bytes with CRLF line ends, starting with its ``Attribute VB_Name`` line. The
``VERSION 1.0 CLASS ... END`` header of an exported .cls file is not part of
the stored source (the VBA editor drops it on import), so it is removed here.
A class module gets the module attributes Excel writes for one and an exported
or hand-written .cls may lack (see with_class_attributes).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from nc_excel.addin.errors import AddinError

PROJECT_NAME = "nc_excel"
"""Value of the xlwings module's PROJECT_NAME constant.

xlwings' custom add-in reads its settings from
``%USERPROFILE%\\.nc_excel\\nc_excel.conf`` (Windows),
``~/Library/Containers/com.microsoft.Excel/Data/nc_excel.conf`` (macOS) or a
sheet named ``nc_excel.conf``; see install.py."""

RIBBON_MODULE = "NCRibbon"
"""Module with the ribbon callbacks; customUI14.xml names it in every onAction."""

CODE_PAGE = 1252
"""Code page of the project (PROJECTCODEPAGE); every source is encoded in it."""

_PROJECT_NAME_LINE = re.compile(rb'^(Public Const PROJECT_NAME As String = )"[^"\r\n]*"', re.M)
_CLASS_HEADER = re.compile(rb"\AVERSION 1\.0 CLASS\r\nBEGIN\r\n(?:[^\r\n]*\r\n)*?END\r\n")
_VB_NAME = re.compile(rb'\AAttribute VB_Name = "([A-Za-z][A-Za-z0-9_]*)"\r\n')
_MODULE_ATTRIBUTE = re.compile(rb"Attribute (VB_[A-Za-z_]+) = [^\r\n]*\r\n")

CLASS_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("VB_Base", '"0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"'),
    ("VB_GlobalNameSpace", "False"),
    ("VB_Creatable", "False"),
    ("VB_PredeclaredId", "False"),
    ("VB_Exposed", "False"),
    ("VB_TemplateDerived", "False"),
    ("VB_Customizable", "False"),
)
"""The attributes Excel stores after VB_Name in every class module, in its
order, with the values it gives a new class module (Insert > Class Module).

VB_Base names the class module base type; a .cls exported from the VBA editor
or written by hand (like xlwings' Dictionary.cls) leaves out VB_Base,
VB_TemplateDerived and VB_Customizable, which Excel adds on import (the
xlwings.xlam that xlwings ships, saved by Excel, stores its Dictionary with
them). Storing them ourselves makes the project what Excel would have saved."""


class ModuleKind(enum.Enum):
    """How the VBA project lists a module (PROJECT stream and MODULETYPE)."""

    STANDARD = "Module"
    CLASS = "Class"
    DOCUMENT = "Document"


@dataclass(frozen=True)
class VbaModule:
    """One module: its name, kind, the file it came from and its stored source."""

    name: str
    kind: ModuleKind
    origin: str
    source: bytes


def macros_dir() -> Traversable:
    """The folder with our own macro sources and the ribbon XML (package data)."""
    return resources.files("nc_excel.addin") / "macros"


def _xlwings_dir() -> Traversable:
    try:
        return resources.files("xlwings")
    except ModuleNotFoundError as exc:  # pragma: no cover - xlwings is a dependency
        raise AddinError(
            "The xlwings package is not installed, so the add-in cannot be built. "
            "Install nc-excel with its dependencies: pip install nc-excel"
        ) from exc


def to_stored_source(raw: bytes, origin: str) -> bytes:
    """Turn a .bas/.cls file's bytes into the source VBA stores.

    Line ends become CRLF (an editor may have saved LF), the export header of
    a .cls file is dropped, and the text must be cp1252: VBA stores source in
    the project's code page, so any other character would be corrupted in
    Excel. Refuses with an AddinError that names the file, line and character.
    """
    text = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        decoded = None
    if decoded is not None:
        for line_number, line in enumerate(decoded.splitlines(), start=1):
            for char in line:
                try:
                    char.encode("cp1252")
                except UnicodeEncodeError:
                    raise AddinError(
                        f"{origin}, line {line_number}: the character {char!r} "
                        f"(U+{ord(char):04X}) cannot be stored in a VBA module, which "
                        "uses the Windows-1252 code page. Replace it with a plain "
                        "character and build again."
                    ) from None
        text = decoded.encode("cp1252")
    else:
        try:
            text.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise AddinError(
                f"{origin}: byte {exc.start} is not valid Windows-1252 text. Save the "
                "file as UTF-8 or Windows-1252 and build again."
            ) from None
    text = _CLASS_HEADER.sub(b"", text, count=1)
    if not text.endswith(b"\r\n"):
        text += b"\r\n"
    return text


def _leading_attributes(source: bytes) -> tuple[list[tuple[str, bytes]], bytes]:
    """The module-level ``Attribute VB_...`` lines at the start, and the rest.

    Excel keeps all module attributes in one block before the code; attribute
    lines of members (``Attribute Item.VB_UserMemId``) come later and are
    part of the rest.
    """
    lines: list[tuple[str, bytes]] = []
    position = 0
    while (match := _MODULE_ATTRIBUTE.match(source, position)) is not None:
        lines.append((match.group(1).decode("ascii"), match.group(0)))
        position = match.end()
    return lines, source[position:]


def _refuse_repeated_attribute(lines: list[tuple[str, bytes]], origin: str) -> None:
    """Two lines for one attribute leave unclear which value Excel would keep, so refuse."""
    names = [name for name, _ in lines]
    for name in names:
        if names.count(name) > 1:
            raise AddinError(
                f"{origin} sets Attribute {name} {names.count(name)} times. Keep one "
                "of those lines and build again."
            )


def with_class_attributes(source: bytes, origin: str) -> bytes:
    """A class module's stored source with every attribute Excel writes for one.

    ``source`` is a stored source (to_stored_source) whose first line is its
    VB_Name attribute. Attributes the source sets keep their values (xlwings' Dictionary is
    VB_Exposed = True); missing ones get CLASS_ATTRIBUTES' value, so none is
    ever added twice. VB_Name and CLASS_ATTRIBUTES come first in Excel's
    order, then any other module attribute (VB_Description) as it was, then
    the code, as Excel saves a class module.
    """
    lines, code = _leading_attributes(source)
    _refuse_repeated_attribute(lines, origin)
    present = dict(lines)
    header = [present["VB_Name"]] + [
        present.get(name, f"Attribute {name} = {value}\r\n".encode("ascii")) for name, value in CLASS_ATTRIBUTES
    ]
    known = {"VB_Name", *(name for name, _ in CLASS_ATTRIBUTES)}
    others = [line for name, line in lines if name not in known]
    return b"".join(header + others) + code


def _module(resource: Traversable, kind: ModuleKind, origin: str, raw: bytes | None = None) -> VbaModule:
    source = to_stored_source(resource.read_bytes() if raw is None else raw, origin)
    match = _VB_NAME.match(source)
    if match is None:
        raise AddinError(
            f'{origin} must start with an Attribute VB_Name = "..." line that names '
            "the module. Export the module from the VBA editor or add that line."
        )
    if kind is ModuleKind.CLASS:
        source = with_class_attributes(source, origin)
    return VbaModule(name=match.group(1).decode("ascii"), kind=kind, origin=origin, source=source)


def _read_macro(file_name: str) -> Traversable:
    resource = macros_dir() / file_name
    if not resource.is_file():
        raise AddinError(
            f"The macro file {file_name} is missing from nc_excel/addin/macros. "
            "Reinstall nc-excel (pip install --force-reinstall nc-excel) or restore "
            "the file from git."
        )
    return resource


def xlwings_module() -> VbaModule:
    """The xlwings custom add-in module, with PROJECT_NAME set to ours."""
    resource = _xlwings_dir() / "xlwings_custom_addin.bas"
    origin = "xlwings/xlwings_custom_addin.bas"
    if not resource.is_file():
        raise AddinError(
            f"The installed xlwings has no {origin}; nc-excel needs the xlwings "
            "version pinned in its pyproject.toml. Run: pip install nc-excel --force-reinstall"
        )
    raw, count = _PROJECT_NAME_LINE.subn(rb'\1"' + PROJECT_NAME.encode("ascii") + b'"', resource.read_bytes())
    if count != 1:
        raise AddinError(
            f"{origin} of the installed xlwings has {count} PROJECT_NAME constants "
            "instead of one, so the add-in cannot be configured. Install the xlwings "
            "version pinned in nc-excel's pyproject.toml."
        )
    return _module(resource, ModuleKind.STANDARD, origin, raw=raw)


def dictionary_class() -> VbaModule:
    """xlwings' Dictionary class: on macOS the xlwings module needs it to compile."""
    resource = _xlwings_dir() / "addin" / "Dictionary.cls"
    origin = "xlwings/addin/Dictionary.cls"
    if not resource.is_file():
        raise AddinError(
            f"The installed xlwings has no {origin}; install the xlwings version "
            "pinned in nc-excel's pyproject.toml."
        )
    return _module(resource, ModuleKind.CLASS, origin)


def project_modules() -> list[VbaModule]:
    """All modules of the add-in's VBA project, in the order they are stored.

    ThisWorkbook and Sheet1 are the document modules of the workbook and its
    one sheet (their code names are set on the workbook too); NCRibbon holds
    the ribbon callback; xlwings provides RunPython; Dictionary is xlwings'
    Mac replacement for Scripting.Dictionary.
    """
    return [
        _module(_read_macro("ThisWorkbook.cls"), ModuleKind.DOCUMENT, "macros/ThisWorkbook.cls"),
        _module(_read_macro("Sheet1.cls"), ModuleKind.DOCUMENT, "macros/Sheet1.cls"),
        _module(_read_macro(f"{RIBBON_MODULE}.bas"), ModuleKind.STANDARD, f"macros/{RIBBON_MODULE}.bas"),
        xlwings_module(),
        dictionary_class(),
    ]
