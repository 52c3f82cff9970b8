"""The ribbon: the nine buttons, and every callback resolves to a VBA Sub."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from addin_helpers import MACROS, modules_read_back, vba_bin_of

from nc_excel.addin.build import addin_bytes
from nc_excel.addin.ribbon_xml import (
    CUSTOMUI_NAMESPACE,
    button_ids,
    customui_xml,
    on_actions,
)

EXPECTED_BUTTONS = {
    "nc_templates": "Generate templates",
    "nc_collect": "Import returns",
    "nc_build": "Build master",
    "nc_summary": "Board summary",
    "nc_report": "Joint report",
    "nc_remind": "Reminders",
    "nc_open_folder": "Open project folder",
    "nc_settings": "Settings",
    "nc_help": "Help",
}
NS = {"ui": CUSTOMUI_NAMESPACE}


@pytest.fixture(scope="module")
def ribbon() -> ElementTree.Element:
    return ElementTree.fromstring(customui_xml())


def test_button_ids_are_exactly_the_nine_actions():
    assert button_ids() == tuple(EXPECTED_BUTTONS)


def test_tab_groups_and_labels(ribbon):
    assert ribbon.tag == f"{{{CUSTOMUI_NAMESPACE}}}customUI"
    tab = ribbon.find("ui:ribbon/ui:tabs/ui:tab", NS)
    assert tab.get("label") == "Reporting"  # an add-in built for a project says its acronym: see test_own_partnership
    groups = {group.get("label"): [b.get("id") for b in group.findall("ui:button", NS)] for group in tab.findall("ui:group", NS)}
    assert groups == {
        "Reporting cycle": ["nc_templates", "nc_collect", "nc_build", "nc_summary", "nc_report", "nc_remind"],
        "Project": ["nc_open_folder", "nc_settings", "nc_help"],
    }


def test_every_button_is_large_with_icon_and_tips(ribbon):
    for button in ribbon.iter(f"{{{CUSTOMUI_NAMESPACE}}}button"):
        assert button.get("label") == EXPECTED_BUTTONS[button.get("id")]
        assert button.get("size") == "large"
        assert re.fullmatch(r"[A-Za-z0-9]+", button.get("imageMso", ""))
        assert button.get("screentip")
        assert len(button.get("supertip", "")) > 40, "the supertip says what the button does"


def test_every_on_action_resolves_to_a_ribbon_callback_sub_in_the_vba():
    modules = modules_read_back(vba_bin_of(addin_bytes("xlam")))
    for button_id, callback in on_actions().items():
        module_name, _, sub_name = callback.partition(".")
        assert module_name == "NCRibbon", f"{button_id}: use our own module name, not a generic one"
        source = modules[module_name].decode("cp1252")
        assert re.search(
            rf"^(Public )?Sub {sub_name}\(control As IRibbonControl\)\r$", source, re.M
        ), f"{button_id}: {callback} is not a Sub {sub_name}(control As IRibbonControl)"


def test_callback_hands_the_button_id_to_python():
    source = (MACROS / "NCRibbon.bas").read_bytes().decode("cp1252")
    assert '    RunPython "import nc_excel.ribbon; nc_excel.ribbon.dispatch(\'" & control.Id & "\')"\r\n' in source
