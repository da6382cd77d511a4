"""Helpers shared by the methods: argument checks, configurations and provenance.

Every method trains with :func:`lottery.training.train`; those whose mask changes while training (RigL,
gradual magnitude pruning, Early-Bird) do so from its ``on_step``/``on_epoch`` callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields, replace

import torch
from torch import nn

from lottery._validation import check_seed
from lottery.masks import Mask
from lottery.ticket import call_model_fn
from lottery.training import TrainConfig, progress_bar, snapshot

State = dict[str, torch.Tensor]

__all__ = [
    "masked_state",
    "new_model",
    "progress_bar",
    "provenance",
    "resolve_config",
    "snapshot",
]


def resolve_config(train, seed: int, argument: str = "train", **defaults) -> TrainConfig:
    """A :class:`TrainConfig` from ``None`` (``defaults``), a mapping or a config; ``seed`` replaces its seed.

    Parameters
    ----------
    train : TrainConfig, mapping or None
        Mapping entries override ``defaults``.
    seed : int
    argument : str
        Name used in error messages.
    **defaults
        Field values used where ``train`` does not give one (only for ``None`` or a mapping).
    """
    if train is None:
        config = TrainConfig(**defaults)
    elif isinstance(train, TrainConfig):
        config = train
    elif isinstance(train, Mapping):
        known = {f.name for f in fields(TrainConfig)}
        unknown = sorted(set(train) - known)
        if unknown:
            raise TypeError(f"{argument}: unknown training options {unknown}; known: {sorted(known)}")
        config = TrainConfig(**{**defaults, **dict(train)})
    else:
        raise TypeError(f"{argument} must be a TrainConfig, a dict or None, got {type(train).__name__}")
    return replace(config, seed=check_seed(seed))


def masked_state(state: Mapping[str, torch.Tensor], mask: Mask) -> State:
    """Copies of ``state``'s tensors with the entries ``mask`` prunes set to zero (e.g. θ0 ⊙ m)."""
    out = {k: v.clone() for k, v in state.items()}
    for name, keep in mask.items():
        out[name] = torch.where(keep, out[name], torch.zeros_like(out[name]))
    return out


def new_model(model_fn: Callable[..., nn.Module], seed: int) -> nn.Module:
    """``model_fn(seed=seed)`` (or ``model_fn()``), checked to be a module."""
    return call_model_fn(model_fn, seed)


def provenance(method: str, *, paper: str, mask: Mask, data, seed: int, train=None, **extra) -> dict:
    """The provenance dictionary every method writes into its tickets (JSON-serialisable).

    Keys: ``method``, ``paper``, ``seed``, ``dataset``, ``sparsity``, ``layer_sparsity``, ``train`` (the
    training configuration) and the method's own options in ``extra``.
    """
    record = {
        "method": method,
        "paper": paper,
        "seed": int(seed),
        "dataset": getattr(data, "name", None),
        "sparsity": mask.sparsity,
        "layer_sparsity": mask.layer_sparsity(),
        "train": train.to_dict() if train is not None else None,
    }
    record.update(extra)
    return record
