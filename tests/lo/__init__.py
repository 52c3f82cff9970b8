"""Test support that drives real LibreOffice (not a test module).

``tests/`` has no ``__init__.py`` (its modules import helpers as top-level
modules), so this package is imported as ``lo``: ``from lo.lo import ...``.
"""
