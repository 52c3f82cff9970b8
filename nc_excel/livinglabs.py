"""Living labs: from the partners' candidate places to a shortlist per region."""

from __future__ import annotations

import re
import unicodedata


def place_key(name: str, municipality: str) -> str:
    """Name and municipality, without accents, case, punctuation or spacing differences."""
    text = unicodedata.normalize("NFKD", f"{name}|{municipality}")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^a-z0-9|]+", "", text.replace("ø", "o").replace("æ", "ae").replace("å", "a").replace("ß", "ss"))
