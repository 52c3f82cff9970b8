"""A living-lab place's key and the words a decision on it can say.

More than the shortlist needs them: the intake's checks find the same place in two
returns by its key, and the master's columns offer the decision words. They live
here, apart from the pandas analysis in ``livinglabs``, so that reading and
checking returns (``nc-excel collect``, the reader's workers) does not import pandas.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

INCLUDE, EXCLUDE, SELECTED = "Include", "Exclude", "Selected"
DECISION_WORDS = (INCLUDE, EXCLUDE, SELECTED)
"""What a decision can say; any other text is kept as a note of the coordinator's but decides nothing."""


def proposed_place(values: Mapping[str, Any]) -> str | None:
    """The ``place_key`` of a candidate row that proposes a place (it names one and its municipality), else None."""
    name, municipality = values.get("name"), values.get("municipality")
    return place_key(name, municipality) if name and municipality else None


@lru_cache(maxsize=1 << 16)  # the same places come back in every period's lists
def place_key(name: str, municipality: str) -> str:
    """Name and municipality, without accents, case, punctuation or spacing differences."""
    text = unicodedata.normalize("NFKD", f"{name}|{municipality}")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^a-z0-9|]+", "", text.replace("ø", "o").replace("æ", "ae").replace("å", "a").replace("ß", "ss"))
