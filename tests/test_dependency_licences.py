"""nc-excel is MIT-licensed: nothing it needs at run time may be GPL or AGPL.

The check walks what nc-excel itself declares (pyproject.toml's
``[project].dependencies``, the source of its Requires-Dist) and then each
installed dependency's own Requires-Dist, recursively, and reads the licence
metadata of each: License-Expression (PEP 639) when there is one, otherwise
the License field and the ``License ::`` classifiers. Everything else that
happens to be installed (test tools, leftovers such as an old cfbwrite) is
not looked at. LGPL is allowed; a package without usable licence metadata is
reported as a warning, not failed, since missing metadata says nothing.
"""

from __future__ import annotations

import re
import tomllib
import warnings
from collections.abc import Iterable
from email.message import Message
from importlib import metadata

import pytest
from addin_helpers import REPO
from packaging.requirements import Requirement

COPYLEFT = re.compile(r"\bA?GPL|GNU (Affero )?General Public", re.IGNORECASE)
"""GPL and AGPL in SPDX ids, classifiers and prose; LGPL and "Lesser" do not match."""


def declared_requirements() -> list[Requirement]:
    """nc-excel's run-time requirements as this checkout declares them.

    Read from pyproject.toml rather than the installed nc-excel's metadata,
    which may come from another checkout (a shared virtualenv) and so list
    what this one no longer needs.
    """
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(line) for line in project["dependencies"]]


def applies(requirement: Requirement, extras: set[str]) -> bool:
    """True when the requirement's marker holds here, for no extra or one that was asked for."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in extras | {""})


def run_time_closure(roots: Iterable[Requirement]) -> tuple[dict[str, Message], list[str]]:
    """Metadata of every installed distribution the roots need, and the names not installed."""
    found: dict[str, Message] = {}
    missing: list[str] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [(requirement, frozenset[str]()) for requirement in roots]
    while pending:
        requirement, extras = pending.pop()
        wanted = frozenset(requirement.extras)
        key = requirement.name.lower().replace("_", "-").replace(".", "-")
        if not applies(requirement, set(extras)) or (key, wanted) in seen:
            continue
        seen.add((key, wanted))
        try:
            distribution = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            missing.append(requirement.name)
            continue
        found[key] = distribution.metadata  # type: ignore[assignment]
        pending += [(Requirement(line), wanted) for line in distribution.requires or []]
    return found, missing


def licence_statements(meta: Message) -> list[str]:
    """What the metadata says about the licence; License-Expression alone when present.

    A License field holding a whole licence text (several lines) is skipped:
    such texts often mention other licences in passing.
    """
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return [expression]
    statements = [
        classifier.split("::")[-1].strip()
        for classifier in meta.get_all("Classifier") or []
        if classifier.startswith("License ::") and classifier.count("::") > 1
    ]
    field = (meta.get("License") or "").strip()
    if field and "\n" not in field and field.upper() != "UNKNOWN":
        statements.append(field)
    return statements


def is_copyleft(statement: str) -> bool:
    """True for GPL or AGPL unless an SPDX ``OR`` offers another licence to choose."""
    choices = re.split(r"\s+OR\s+", statement.strip("() "))
    return all(COPYLEFT.search(choice) for choice in choices)


def offenders(packages: dict[str, Message]) -> tuple[list[str], list[str]]:
    """Packages with a GPL/AGPL statement ("name: statement"), and those with none to judge."""
    copyleft: list[str] = []
    unknown: list[str] = []
    for name, meta in sorted(packages.items()):
        statements = licence_statements(meta)
        if not statements:
            unknown.append(name)
        copyleft += [f"{name}: {statement}" for statement in statements if is_copyleft(statement)]
    return copyleft, unknown


def _meta(**fields: str | list[str]) -> Message:
    meta = Message()
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            meta[key.replace("_", "-")] = item
    return meta


def test_no_run_time_dependency_is_gpl_or_agpl():
    packages, missing = run_time_closure(declared_requirements())
    assert "xlwings" in packages and "pandas" in packages, "the walk found nc-excel's own dependencies"
    assert "cfbwrite" not in packages
    copyleft, unknown = offenders(packages)
    if unknown or missing:
        warnings.warn(f"licence not declared: {unknown}; required but not installed: {missing}", stacklevel=1)
    assert not copyleft, "GPL/AGPL run-time dependencies of an MIT project:\n" + "\n".join(copyleft)


@pytest.mark.parametrize(
    ("meta", "copyleft"),
    [
        (_meta(License_Expression="AGPL-3.0-or-later"), True),
        (_meta(License_Expression="GPL-2.0-only"), True),
        (_meta(License_Expression="LGPL-3.0-or-later"), False),
        (_meta(License_Expression="MIT OR GPL-3.0-or-later"), False),
        (_meta(License_Expression="BSD-3-Clause", License="GPL"), False),
        (_meta(Classifier=["License :: OSI Approved :: GNU General Public License v3 (GPLv3)"]), True),
        (_meta(Classifier=["License :: OSI Approved :: GNU Affero General Public License v3"]), True),
        (_meta(Classifier=["License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)"]), False),
        (_meta(Classifier=["License :: OSI Approved :: MIT License"], License="GPLv3"), True),
        (_meta(License="BSD 3-clause"), False),
        (_meta(License="Copyright ...\nThis bundles GPL code elsewhere"), False),
    ],
)
def test_licence_metadata_is_judged(meta, copyleft):
    assert bool(offenders({"pkg": meta})[0]) is copyleft


def test_a_package_without_licence_metadata_is_reported_not_failed():
    assert offenders({"pkg": _meta(License="UNKNOWN")}) == ([], ["pkg"])
