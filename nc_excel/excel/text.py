"""Text that can go into a workbook: what XML 1.0 forbids taken out, once, in one place.

A cell may hold characters no workbook file can store: a vertical tab (what a line
break pasted from Word becomes; Excel writes it as ``_x000B_``), NUL, BEL, ESC and
the other C0 controls but tab, line feed and carriage return, and the non-characters
U+FFFE and U+FFFF. openpyxl refuses to write them and other applications may refuse
to open the file, so every text nc-excel reads from a partner or writes into a
workbook goes through ``xml_safe``: a vertical tab becomes a line break and the rest
is removed. The reader tells the partner what was removed, at the cell.
"""

from __future__ import annotations

import os
import re

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_NAMES = {"\x00": "NUL", "\x07": "BEL", "\x08": "backspace", "\x0b": "vertical tab", "\x0c": "form feed", "\x1b": "ESC"}


def xml_safe(text: str) -> str:
    """``text`` as a workbook can hold it: vertical tabs as line breaks, forbidden characters removed."""
    if _FORBIDDEN.search(text) is None:
        return text
    return _FORBIDDEN.sub("", text.replace("\x0b", "\n"))


def removed_characters(text: str) -> str:
    """What ``xml_safe`` changes in ``text``, in words (``""`` when nothing), e.g. ``"vertical tab, 2 x ESC"``."""
    found: dict[str, int] = {}
    for char in _FORBIDDEN.findall(text):
        name = _NAMES.get(char, f"U+{ord(char):04X}")
        found[name] = found.get(name, 0) + 1
    return ", ".join(name if n == 1 else f"{n} x {name}" for name, n in found.items())


def shown_name(name: str) -> str:
    """A file name as it can be shown and stored: bytes that are not UTF-8 (a zip made on
    Windows unpacks names like ``Bericht_Pr\\xfcfung.xlsx``) become U+FFFD, controls are removed."""
    return xml_safe(os.fsencode(name).decode("utf-8", "replace"))


FORMULA_STARTS = ("=", "+", "-", "@")
"""How a formula can start: a text cell starting so becomes a formula when someone edits it, unless quote-prefixed."""


def looks_like_formula(text: str) -> bool:
    """Whether a text cell needs Excel's quote prefix to stay text when edited."""
    return text.startswith(FORMULA_STARTS)
