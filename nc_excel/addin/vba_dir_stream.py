"""The ``VBA/dir`` stream: project information, references and module records.

MS-OVBA 2.3.4.2. The stream is a sequence of records ``Id (u16), Size (u32),
data``, a few of them followed by a second "Unicode" record without its own
Id/Size pair. It is what Excel and LibreOffice read to find the modules, so the
record order below is the order the specification prescribes. It is stored
compressed (ovba_compression).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from nc_excel.addin.vba_modules import CODE_PAGE, ModuleKind, VbaModule

LCID_EN_US = 0x0409
"""Locale of the project (PROJECTLCID, PROJECTLCIDINVOKE); English, as Excel writes."""

SYSKIND_WIN32 = 0x00000001
"""PROJECTSYSKIND; Excel on every platform accepts a Win32 project and recompiles it."""


@dataclass(frozen=True)
class Reference:
    """A registered type library the project references (REFERENCEREGISTERED)."""

    name: str
    libid: str


STDOLE = Reference(
    name="stdole",
    libid=r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb#OLE Automation",
)
"""OLE Automation: the reference every VBA project carries."""

OFFICE = Reference(
    name="Office",
    libid=(
        r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
        r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library"
    ),
)
"""Microsoft Office Object Library: IRibbonControl, the type of the ribbon callback argument, lives here.

Excel resolves the library by its GUID and version; the path is only a hint."""


def _mbcs(text: str) -> bytes:
    return text.encode("cp1252")


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _record(record_id: int, data: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(data)) + data


def _u16(record_id: int, value: int) -> bytes:
    return _record(record_id, struct.pack("<H", value))


def _u32(record_id: int, value: int) -> bytes:
    return _record(record_id, struct.pack("<I", value))


def _text_pair(record_id: int, unicode_id: int, text: str) -> bytes:
    """A record with an MBCS string followed by its Unicode twin (e.g. PROJECTDOCSTRING)."""
    return _record(record_id, _mbcs(text)) + _record(unicode_id, _utf16(text))


def _project_information(project_name: str) -> bytes:
    return b"".join(
        [
            _u32(0x0001, SYSKIND_WIN32),  # PROJECTSYSKIND
            _u32(0x0002, LCID_EN_US),  # PROJECTLCID
            _u32(0x0014, LCID_EN_US),  # PROJECTLCIDINVOKE
            _u16(0x0003, CODE_PAGE),  # PROJECTCODEPAGE
            _record(0x0004, _mbcs(project_name)),  # PROJECTNAME
            _text_pair(0x0005, 0x0040, ""),  # PROJECTDOCSTRING
            _text_pair(0x0006, 0x003D, ""),  # PROJECTHELPFILEPATH
            _u32(0x0007, 0),  # PROJECTHELPCONTEXT
            _u32(0x0008, 0),  # PROJECTLIBFLAGS
            # PROJECTVERSION: Reserved (=4) stands where a Size would, then major/minor.
            struct.pack("<HIIH", 0x0009, 4, 1, 0),
            _text_pair(0x000C, 0x003C, ""),  # PROJECTCONSTANTS
        ]
    )


def _reference(reference: Reference) -> bytes:
    libid = _mbcs(reference.libid)
    registered = struct.pack("<I", len(libid)) + libid + struct.pack("<IH", 0, 0)
    return _text_pair(0x0016, 0x003E, reference.name) + _record(0x000D, registered)


def _module_record(module: VbaModule) -> bytes:
    module_type = 0x0021 if module.kind is ModuleKind.STANDARD else 0x0022
    return b"".join(
        [
            _record(0x0019, _mbcs(module.name)),  # MODULENAME
            _record(0x0047, _utf16(module.name)),  # MODULENAMEUNICODE
            _text_pair(0x001A, 0x0032, module.name),  # MODULESTREAMNAME
            _text_pair(0x001C, 0x0048, ""),  # MODULEDOCSTRING
            _u32(0x0031, 0),  # MODULEOFFSET: source only, no performance cache
            _u32(0x001E, 0),  # MODULEHELPCONTEXT
            _u16(0x002C, 0xFFFF),  # MODULECOOKIE
            _record(module_type, b""),  # MODULETYPE (Reserved 0 is the "size")
            _record(0x002B, b""),  # module terminator
        ]
    )


def dir_stream(project_name: str, modules: list[VbaModule], references: list[Reference]) -> bytes:
    """The decompressed dir stream of a project with these references and modules."""
    return b"".join(
        [
            _project_information(project_name),
            *(_reference(reference) for reference in references),
            _u16(0x000F, len(modules)),  # PROJECTMODULES count
            _u16(0x0013, 0xFFFF),  # PROJECTCOOKIE
            *(_module_record(module) for module in modules),
            _record(0x0010, b""),  # dir stream terminator
        ]
    )
