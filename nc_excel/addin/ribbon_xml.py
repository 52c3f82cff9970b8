"""The add-in's ribbon (customUI14.xml) and what Python needs to know about it.

The XML in ``macros/customUI14.xml`` is the single description of the tab: the
button ids here are parsed from it, so nc_excel.ribbon's handler table can be
checked against the buttons that really exist.
"""

from __future__ import annotations

from xml.etree import ElementTree

from nc_excel.addin.vba_modules import macros_dir

CUSTOMUI_NAMESPACE = "http://schemas.microsoft.com/office/2009/07/customui"
"""Namespace of a customUI14 part (Office 2010 and later); the 2006 one goes with customUI.xml."""

CUSTOMUI_PART = "customUI/customUI14.xml"
"""Where the ribbon part sits in the workbook package."""

CUSTOMUI_RELATIONSHIP = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
"""Type of the root relationship that makes Excel load a customUI14 part."""


DEFAULT_TAB = "Reporting"
"""The tab label of an add-in built for no project in particular (as macros/customUI14.xml has it)."""


def tab_label(acronym: str | None) -> str:
    """The ribbon tab's label: the project's acronym when built for a project (``BB reporting``)."""
    return f"{acronym} reporting" if acronym else DEFAULT_TAB


def customui_xml(tab: str = DEFAULT_TAB) -> bytes:
    """The ribbon XML exactly as it is written into the add-in, with ``tab`` as the tab's label."""
    xml = (macros_dir() / "customUI14.xml").read_bytes()
    if tab == DEFAULT_TAB:
        return xml
    label = tab.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").encode("utf-8")
    return xml.replace(f'<tab id="ncTab" label="{DEFAULT_TAB}">'.encode(), b'<tab id="ncTab" label="' + label + b'">', 1)


def _buttons() -> list[ElementTree.Element]:
    root = ElementTree.fromstring(customui_xml())
    return root.findall(f".//{{{CUSTOMUI_NAMESPACE}}}button")


def button_ids() -> tuple[str, ...]:
    """Ids of the ribbon's buttons, in ribbon order; ribbon.dispatch receives these."""
    return tuple(button.attrib["id"] for button in _buttons())


def labels() -> dict[str, str]:
    """Button id -> the label shown on the ribbon, in ribbon order."""
    return {button.attrib["id"]: button.attrib.get("label", "") for button in _buttons()}


def on_actions() -> dict[str, str]:
    """Button id -> the VBA callback its onAction names (e.g. "NCRibbon.OnAction")."""
    return {button.attrib["id"]: button.attrib.get("onAction", "") for button in _buttons()}
