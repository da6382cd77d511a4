"""Deprecated spellings: one helper per kind of rename, so that every old name warns the same way."""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import inspect
import sys
import types
import warnings
from collections.abc import Callable, Mapping

__all__ = ["RENAMED_MODULES", "deprecated_module", "renamed", "renamed_keywords"]


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


def renamed_keywords(function: Callable, renames: Mapping[str, str], what: str, *, stacklevel: int = 2):
    """``function`` itself if it takes the new keyword names; a translating wrapper, with a warning, if not.

    For plug-ins written against a protocol whose keywords were renamed (a criterion registered in
    ``lottery.CRITERIA`` that reads ``final=`` where the protocol now passes ``trained_state=``). The
    signature decides, once, when the plug-in is registered:

    - it names an old keyword (a parameter called ``final``, by keyword or position) and none of the new
      ones: old style. The returned wrapper passes every renamed keyword under its old name, and a
      ``DeprecationWarning`` names the plug-in and the new names;
    - it names a new keyword, or neither (only ``**kwargs``, or a signature ``inspect`` cannot read):
      new style, returned unchanged. A ``**kwargs``-only plug-in therefore receives the new names;
    - it names both an old and a new keyword: ``TypeError`` (the protocol passes one of them only).

    Parameters
    ----------
    function : callable
        The plug-in.
    renames : mapping of str to str
        Old keyword -> new keyword.
    what : str
        The plug-in as messages name it, e.g. ``"criterion 'mine'"``.
    stacklevel : int
        Of the warning, counted from the caller of this function (2: the caller's caller).
    """
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # builtins and some C callables have no readable signature
        return function
    named = {p.name for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    old = [name for name in renames if name in named]
    new = [name for name in renames.values() if name in named]
    if old and new:
        raise TypeError(
            f"{what} takes both {', '.join(o + '=' for o in old)} and {', '.join(n + '=' for n in new)}; "
            f"name only the new keywords ({', '.join(n + '=' for n in renames.values())})"
        )
    if not old:
        return function
    warnings.warn(
        f"{what} takes the deprecated keyword(s) {', '.join(o + '=' for o in old)}; rename them to "
        f"{', '.join(renames[o] + '=' for o in old)} (the old names stop working in the next release)",
        DeprecationWarning,
        stacklevel=stacklevel + 1,
    )
    back = {new_name: old_name for old_name, new_name in renames.items()}

    @functools.wraps(function)
    def old_style(*args, **kwargs):
        return function(*args, **{back.get(key, key): value for key, value in kwargs.items()})

    return old_style


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
