"""Deprecated spellings: one helper per kind of rename, so that every old name warns the same way."""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types
import warnings

__all__ = ["RENAMED_MODULES", "deprecated_module", "renamed"]


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


def deprecated_module(old: str, new: str) -> types.ModuleType:
    """Register ``sys.modules[old]``: a module reading every attribute from module ``new``, with a warning.

    For a module renamed because its package exports a function of the module's name (``lottery.train``
    the function shadowed ``lottery.train`` the module). The old module must have no file any more: the
    package attribute stays the function, and ``from old import X`` and ``importlib.import_module(old)``
    keep working through this entry of ``sys.modules`` (an import finds it there before looking for a file),
    each attribute read warning with a ``DeprecationWarning`` that names the new module.

    Parameters
    ----------
    old, new : str
        Dotted module names, e.g. ``"lottery.train"`` and ``"lottery.training"``.
    """
    shim = types.ModuleType(old, f"Deprecated name of :mod:`{new}`.")
    shim.__spec__ = importlib.machinery.ModuleSpec(old, None)
    shim.__package__ = old.rpartition(".")[0]

    def __getattr__(name: str):
        if name.startswith("__") and name != "__all__":
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        warnings.warn(
            f"the module {old} is deprecated (the name {old} is the function); import {name} from {new}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(new), name)

    def __dir__() -> list[str]:
        return dir(importlib.import_module(new))

    shim.__getattr__ = __getattr__
    shim.__dir__ = __dir__
    sys.modules.setdefault(old, shim)
    return sys.modules[old]


#: Modules renamed because their package exports a function of their old name (``lottery.train``,
#: ``lottery.methods.gmp``, ...): importing this module registers the old names (:func:`deprecated_module`).
RENAMED_MODULES = {
    "lottery.train": "lottery.training",
    "lottery.reinit": "lottery.reinitialisation",
    "lottery.methods.early_bird": "lottery.methods.early_bird_tickets",
    "lottery.methods.gmp": "lottery.methods.gradual_pruning",
    "lottery.methods.rigl": "lottery.methods.dynamic_sparsity",
    "lottery.methods.scratch": "lottery.methods.from_scratch",
    "lottery.methods.supermask": "lottery.methods.supermasks",
    "lottery.methods.transfer": "lottery.methods.transfer_tickets",
    "lottery.methods.tropical_prune": "lottery.methods.tropical_pruning",
}
for _old, _new in RENAMED_MODULES.items():
    deprecated_module(_old, _new)
