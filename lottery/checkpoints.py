"""Read the networks users save: tickets, state dicts, nested checkpoints, ``torch.nn.utils.prune`` output.

Everything is read with ``torch.load(..., weights_only=True)``: a file can hold tensors, numbers, strings and
containers of them, never code. A state dict of a plain feed-forward stack (``Linear`` layers with
``BatchNorm1d`` and ReLU between them, as :func:`lottery.mlp` and most MLP code make) is rebuilt on its own;
any other architecture is named by a factory, ``"package.module:function"`` or a callable returning the
``nn.Module`` whose ``state_dict`` was saved.
"""

from __future__ import annotations

import importlib
import itertools
import os
from collections.abc import Callable, Mapping

import torch
from torch import nn

from lottery.errors import ModelFileError, TicketFileError

__all__ = ["CHECKPOINT_KEYS", "build_model", "load_model", "model_factory", "state_dict_of"]

#: Keys under which training scripts nest the model's state dict in a checkpoint, tried in this order.
CHECKPOINT_KEYS = ("model", "state_dict", "model_state_dict", "model_state", "net", "network", "weights")


def model_factory(spec: str | Callable[[], nn.Module]) -> Callable[[], nn.Module]:
    """The factory named by ``"package.module:function"`` (or a callable, returned as is).

    Parameters
    ----------
    spec : str or callable
        ``"my_project.models:ConvNet"`` imports ``my_project.models`` and takes its attribute ``ConvNet``
        (a class or a function called without arguments).

    Raises
    ------
    lottery.errors.ModelFileError
        When the module cannot be imported or has no such attribute.
    """
    if callable(spec):
        return spec
    if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
        raise ModelFileError(f"a model factory is 'package.module:function', got {spec!r}")
    module_name, attribute = spec.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ModelFileError(
            f"cannot import {module_name!r} for the model factory {spec!r}: {error} (is it on PYTHONPATH?)"
        ) from None
    try:
        factory = getattr(module, attribute)
    except AttributeError:
        raise ModelFileError(
            f"{module_name!r} has no attribute {attribute!r} (model factory {spec!r})"
        ) from None
    if not callable(factory):
        raise ModelFileError(f"{spec!r} is not callable")
    return factory


def build_model(factory: Callable[..., nn.Module], spec: str, seed: int = 0) -> nn.Module:
    """``factory(seed=seed)`` when it takes a ``seed``, else ``factory()`` under ``torch.manual_seed(seed)``
    (:func:`lottery.ticket.call_model_fn`), checked to be a module; ``spec`` names it in errors.

    Raises
    ------
    lottery.errors.ModelFileError
        When the factory cannot be called that way (e.g. it needs other arguments) or returns no module.

    Examples
    --------
    >>> import lottery as lt
    >>> build_model(lambda seed: lt.mlp([2, 3 + seed, 2], seed=seed), "a lambda", seed=1)[0]
    Linear(in_features=2, out_features=4, bias=True)
    """
    from lottery.ticket import call_model_fn

    try:
        return call_model_fn(factory, seed)
    except TypeError as error:
        raise ModelFileError(
            f"cannot build the model with its factory {spec!r}: {error}. A factory is called with no "
            "arguments, or with seed= when it has a seed parameter; bind any other argument with "
            "functools.partial or a small function"
        ) from None


def _is_state(value) -> bool:
    return (
        isinstance(value, Mapping)
        and bool(value)
        and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in value.items())
    )


def _merge_pruning(state: Mapping[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], int]:
    """``torch.nn.utils.prune`` keys ``X_orig`` and ``X_mask`` folded into ``X = X_orig * X_mask``."""
    out, merged = {}, 0
    for key, value in state.items():
        if key.endswith("_orig") and key[: -len("_orig")] + "_mask" in state:
            name = key[: -len("_orig")]
            out[name] = value * state[name + "_mask"].to(value.dtype)
            merged += 1
        elif key.endswith("_mask") and key[: -len("_mask")] + "_orig" in state:
            continue
        else:
            out[key] = value
    return out, merged


def state_dict_of(payload, where: str = "the checkpoint") -> tuple[dict[str, torch.Tensor], str]:
    """The model state dict inside a loaded checkpoint, and a description of where it was found.

    Accepts a state dict itself; a checkpoint dict nesting it under one of :data:`CHECKPOINT_KEYS`
    (``{"model": state_dict, "optimizer": ..., "epoch": ...}``); keys prefixed ``module.`` (saved from
    ``DataParallel``), which are stripped; and ``torch.nn.utils.prune`` re-parametrisations
    (``weight_orig``/``weight_mask``), which are folded into plain ``weight`` entries.

    Raises
    ------
    lottery.errors.ModelFileError
        When no state dict is found, naming the keys that were there.
    """
    found = "state dict"
    if not _is_state(payload):
        if not isinstance(payload, Mapping):
            raise ModelFileError(f"{where} holds a {type(payload).__name__}, not a state dict or checkpoint")
        key = next((k for k in CHECKPOINT_KEYS if _is_state(payload.get(k))), None)
        if key is None:
            raise ModelFileError(
                f"{where} holds neither a lottery.Ticket nor a state dict: a dict with keys "
                f"{sorted(map(str, payload))[:8]}, none of which ({', '.join(CHECKPOINT_KEYS)}) is a "
                "state dict"
            )
        payload, found = payload[key], f"checkpoint[{key!r}]"
    state = dict(payload)
    if all(k.startswith("module.") for k in state):
        state = {k[len("module.") :]: v for k, v in state.items()}
    state, merged = _merge_pruning(state)
    if merged:
        found += f" with {merged} torch.nn.utils.prune mask(s) applied"
    return state, found


def _sequential_from_state(state: Mapping[str, torch.Tensor], where: str) -> tuple[nn.Sequential, list]:
    """The ``nn.Sequential`` of Linear / BatchNorm1d layers (ReLU at the unused indices) a state dict fits."""
    hint = (
        f"{where}: expected the weights of a plain MLP (nn.Sequential keys 0.weight, 0.bias, 2.weight, ... "
        "as lottery.mlp makes, optionally with BatchNorm1d), got keys "
    )
    modules: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in state.items():
        index, _, name = key.partition(".")
        if not index.isdigit() or "." in name:
            raise ModelFileError(
                hint + f"{sorted(state)[:6]}{f' ... ({len(state)} keys)' if len(state) > 6 else ''}; for "
                "another architecture pass its factory (--model package.module:function)"
            )
        modules.setdefault(int(index), {})[name] = value
    layers, widths = [], []
    for index in range(max(modules) + 1 if modules else 0):
        entries = modules.get(index)
        if entries is None:
            layers.append(nn.ReLU())
        elif "running_mean" in entries:
            layers.append(nn.BatchNorm1d(len(entries["running_mean"]), affine="weight" in entries))
        elif "weight" in entries and entries["weight"].dim() == 2:
            out_features, in_features = entries["weight"].shape
            layers.append(nn.Linear(in_features, out_features, bias="bias" in entries))
            widths.append((in_features, out_features))
        else:
            shape = tuple(entries["weight"].shape) if "weight" in entries else None
            raise ModelFileError(
                f"{where}: layer {index} (weight shape {shape}) is not a Linear or BatchNorm1d layer; for a "
                "convolutional or custom network pass its factory (--model package.module:function)"
            )
    if not widths or not isinstance(layers[-1], nn.Linear):
        raise ModelFileError(hint + f"{sorted(state)[:6]}")
    if any(a[1] != b[0] for a, b in itertools.pairwise(widths)):
        raise ModelFileError(hint + f"layers of mismatched sizes {widths}")
    return nn.Sequential(*layers), [widths[0][0]] + [w[1] for w in widths]


def load_model(path, *, model=None) -> tuple[nn.Module, str]:
    """A saved network, read safely (``torch.load(..., weights_only=True)``), in eval mode.

    Parameters
    ----------
    path : str or PathLike
        A :class:`lottery.Ticket` file (its trained weights, else its start weights), a state dict, or a
        checkpoint nesting one (see :func:`state_dict_of`).
    model : str, callable or torch.nn.Module, optional
        The architecture: ``"package.module:function"``, a callable returning the module, or the module
        itself (loaded in place). Default: rebuild a plain ``nn.Sequential`` MLP from the keys.

    Returns
    -------
    (torch.nn.Module, str)
        The model in eval mode (float32), and a one-line description.

    Raises
    ------
    lottery.errors.ModelFileError
        (a ``ValueError``) For a missing or unreadable file, a pickled module, or weights that do not fit
        the architecture (naming the missing, unexpected and mis-shaped keys).
    """
    from lottery.ticket import FORMAT, Ticket, check_state

    where = os.fspath(path)
    if not os.path.exists(where):
        raise ModelFileError(f"no model file at {where!r}")
    try:
        payload = torch.load(where, map_location="cpu", weights_only=True)
    except Exception:
        raise ModelFileError(
            f"{where} cannot be read with torch.load(weights_only=True): not a state dict or Ticket file "
            "(a pickled model? save model.state_dict() instead)"
        ) from None
    if isinstance(payload, Mapping) and payload.get("format") == FORMAT:
        try:
            ticket = Ticket.load(where)
        except TicketFileError as error:
            raise ModelFileError(str(error)) from None
        state = ticket.state_dict("trained")
        found = f"Ticket ({100 * ticket.density:.1f}% of weights kept)"
    else:
        state, found = state_dict_of(payload, where)
    if model is None:
        net, widths = _sequential_from_state(state, where)
        kind = "BatchNorm " if any(isinstance(m, nn.BatchNorm1d) for m in net) else ""
        what = f"{'-'.join(map(str, widths))} ReLU {kind}net from a {found}"
    else:
        net = model if isinstance(model, nn.Module) else build_model(model_factory(model), str(model))
        what = f"{type(net).__name__} from a {found}"
    try:
        check_state(net, state, what=f"{where}")
    except ValueError as error:
        raise ModelFileError(str(error)) from None
    net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    return net.float().eval(), what
