"""Deprecated keyword spellings: one helper so that every renamed keyword warns the same way."""

from __future__ import annotations

import warnings

__all__ = ["renamed"]


def renamed(function: str, old: str, old_value, new: str, new_value):
    """The value of keyword ``new``, taking the deprecated ``old`` (with a ``DeprecationWarning``) if given.

    Raises ``TypeError`` when both are given.
    """
    if old_value is None:
        return new_value
    if new_value is not None:
        raise TypeError(f"{function}: give {new}= only ({old}= is its deprecated name)")
    warnings.warn(f"{function}({old}=...) is deprecated; use {new}=", DeprecationWarning, stacklevel=3)
    return old_value
