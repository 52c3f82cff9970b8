"""The one error type of the add-in build and install that reaches a person."""

from __future__ import annotations


class AddinError(Exception):
    """Building or installing the Excel add-in failed.

    The message says what is wrong and how to fix it, in words a coordinator
    can act on; the CLI prints it as it is, without a traceback.
    """
