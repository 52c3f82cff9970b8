"""The Excel add-in: build it from macros/ and the installed xlwings, and install it.

Public API (called by the CLI; nothing here prints):

- ``build_addin(out=None) -> list[Path]``: write NorthernConnections.xlam and .xlsm;
- ``install_addin() -> InstallResult``: put the add-in where Excel loads it;
- ``AddinError``: what went wrong, in words a person can act on.
"""

from nc_excel.addin.build import build_addin
from nc_excel.addin.errors import AddinError
from nc_excel.addin.install import InstallResult, install_addin

__all__ = ["AddinError", "InstallResult", "build_addin", "install_addin"]
