"""vbaProject.bin: the VBA project of the add-in, stored source only.

MS-OVBA 2.2/2.3. The compound file holds:

- ``PROJECT``: text with the project id, module list, name, the protection
  records CMG/DPB/GC (encrypted, 2.4.3) and the host extender info;
- ``PROJECTwm``: module names in MBCS and UTF-16;
- ``VBA/_VBA_PROJECT``: only the 7-byte header ``CC 61 FF FF 00 03 00``. The
  version 0xFFFF means "no compiled code": Excel compiles the source when it
  opens the file, as with the files xlwings itself ships;
- ``VBA/dir``: the compressed dir stream (vba_dir_stream);
- one stream per module: the compressed source at offset 0 (MODULEOFFSET 0,
  no performance cache).

Everything random in a file Excel writes (project GUID, encryption seeds) is
derived here from the project name, so two builds are byte-identical.
"""

from __future__ import annotations

import hashlib
import uuid

from nc_excel.addin.compound_file import compound_file
from nc_excel.addin.ovba_compression import compress
from nc_excel.addin.vba_dir_stream import OFFICE, STDOLE, Reference, dir_stream
from nc_excel.addin.vba_modules import ModuleKind, VbaModule

VBA_PROJECT_HEADER = bytes.fromhex("CC61FFFF000300")
"""_VBA_PROJECT stream: Reserved1 0x61CC, Version 0xFFFF (source only), Reserved2/3."""

_BUILD_NAMESPACE = uuid.UUID("6f0e1d3a-3c55-5a8e-9a55-6e632d657863")
"""Namespace for the deterministic project GUID (uuid5 of the project name)."""

_VBE_HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"
"""The host extender line every Office VBA project carries (MS-OVBA 2.3.1.18)."""


def project_guid(project_name: str) -> str:
    """The project's ID="{...}", fixed for a name so builds are reproducible."""
    return "{" + str(uuid.uuid5(_BUILD_NAMESPACE, project_name)).upper() + "}"


def _seeded_bytes(label: str, count: int) -> bytes:
    return hashlib.sha256(label.encode("utf-8")).digest()[:count]


def encrypt(data: bytes, project_id: str, label: str) -> str:
    """MS-OVBA 2.4.3.2 data encryption, as used for CMG, DPB and GC.

    The "encryption" only obfuscates; Excel checks that the records decrypt.
    The seed and the ignored filler bytes that Excel picks at random are
    derived from ``label`` here, so the output is deterministic.
    """
    seed, *filler = _seeded_bytes(f"{project_id}/{label}", 4)
    version = 2
    project_key = sum(project_id.encode("cp1252")) & 0xFF
    version_enc = seed ^ version
    project_key_enc = seed ^ project_key
    out = bytearray([seed, version_enc, project_key_enc])
    unencrypted_byte_1 = project_key
    encrypted_byte_1 = project_key_enc
    encrypted_byte_2 = version_enc
    ignored_length = (seed & 6) // 2
    plain = bytes(filler[:ignored_length]) + len(data).to_bytes(4, "little") + data
    for byte in plain:
        byte_enc = ((encrypted_byte_2 + unencrypted_byte_1) & 0xFF) ^ byte
        out.append(byte_enc)
        encrypted_byte_2 = encrypted_byte_1
        encrypted_byte_1 = byte_enc
        unencrypted_byte_1 = byte
    return out.hex().upper()


def project_stream(project_name: str, modules: list[VbaModule]) -> bytes:
    """The PROJECT stream: project properties as cp1252 text with CRLF lines."""
    project_id = project_guid(project_name)
    lines = [f'ID="{project_id}"']
    for module in modules:
        if module.kind is ModuleKind.DOCUMENT:
            lines.append(f"Document={module.name}/&H00000000")
        else:
            lines.append(f"{module.kind.value}={module.name}")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        # Not protected, no password, visible (MS-OVBA 2.3.1.15-17).
        f'CMG="{encrypt(bytes(4), project_id, "CMG")}"',
        f'DPB="{encrypt(bytes(1), project_id, "DPB")}"',
        f'GC="{encrypt(bytes([0xFF]), project_id, "GC")}"',
        "",
        "[Host Extender Info]",
        _VBE_HOST_EXTENDER,
        "",
        "[Workspace]",
        *(f"{module.name}=0, 0, 0, 0, C" for module in modules),
        "",
    ]
    return "\r\n".join(lines).encode("cp1252")


def projectwm_stream(modules: list[VbaModule]) -> bytes:
    """The PROJECTwm stream: each module name in MBCS and UTF-16, NUL-terminated."""
    out = bytearray()
    for module in modules:
        out += module.name.encode("cp1252") + b"\x00"
        out += module.name.encode("utf-16-le") + b"\x00\x00"
    return bytes(out + b"\x00\x00")


def vba_project_bin(
    project_name: str,
    modules: list[VbaModule],
    references: list[Reference] | None = None,
) -> bytes:
    """The complete vbaProject.bin of a source-only project."""
    refs = [STDOLE, OFFICE] if references is None else references
    streams: dict[tuple[str, ...], bytes] = {
        ("PROJECT",): project_stream(project_name, modules),
        ("PROJECTwm",): projectwm_stream(modules),
        ("VBA", "_VBA_PROJECT"): VBA_PROJECT_HEADER,
        ("VBA", "dir"): compress(dir_stream(project_name, modules, refs)),
    }
    for module in modules:
        streams[("VBA", module.name)] = compress(module.source)
    return compound_file(streams)
