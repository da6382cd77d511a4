"""Helpers shared by the methods: argument checks, configurations, provenance and a masked training loop.

The loop here differs from :func:`lottery.train.train` in one way only: the mask may change while training
(RigL regrows connections, gradual magnitude pruning removes more and more, Early-Bird watches the dense
run epoch by epoch). Everything else follows the core loop: the same seeded mini-batch order, learning-rate
schedules, optimizer (:func:`lottery.train.make_optimizer`) and validation bookkeeping.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import fields, replace

import numpy as np
import torch
from torch import nn

from lottery.masks import Mask
from lottery.ticket import call_model_fn
from lottery.train import (
    History,
    TrainConfig,
    Validation,
    make_optimizer,
    minibatches,
    progress_bar,
    snapshot,
)

State = dict[str, torch.Tensor]

__all__ = [
    "check_fraction",
    "check_positive_int",
    "check_seed",
    "masked_training",
    "new_model",
    "progress_bar",
    "provenance",
    "resolve_config",
    "snapshot",
]


def check_seed(seed) -> int:
    """``seed`` as an int, or ``TypeError`` naming the argument."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    return int(seed)


def check_fraction(value, argument: str, *, low: float = 0.0, high: float = 1.0, open_high=False) -> float:
    """A float in ``[low, high]`` (``[low, high)`` if ``open_high``), else ``ValueError`` naming it."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating) or math.isnan(value):
        raise ValueError(f"{argument} must be a number in [{low}, {high}], got {value!r}")
    value = float(value)
    if value < low or value > high or (open_high and value == high):
        bracket = ")" if open_high else "]"
        raise ValueError(f"{argument} must be a number in [{low}, {high}{bracket}, got {value!r}")
    return value


def check_positive_int(value, argument: str, *, allow_zero: bool = False) -> int:
    """A positive (or non-negative) int, else ``ValueError`` naming the argument."""
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(f"{argument} must be an int >= {low}, got {value!r}")
    return int(value)


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


def new_model(model_fn: Callable[..., nn.Module], seed: int) -> nn.Module:
    """``model_fn(seed=seed)`` (or ``model_fn()``), checked to be a module."""
    return call_model_fn(model_fn, seed)


def check_data(data, argument: str = "data") -> None:
    """``TypeError`` unless ``data`` looks like a :class:`lottery.data.Dataset`."""
    for attribute in ("x_train", "y_train", "x_val", "y_val"):
        if not hasattr(data, attribute):
            raise TypeError(
                f"{argument} must provide x_train, y_train, x_val, y_val (a lottery.data.Dataset); "
                f"no {attribute}"
            )


def provenance(method: str, *, paper: str, mask: Mask, data, seed: int, config=None, **extra) -> dict:
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
        "train": config.to_dict() if config is not None else None,
    }
    record.update(extra)
    return record


def masked_training(
    model: nn.Module,
    data,
    config: TrainConfig,
    *,
    mask: dict[str, torch.Tensor] | None = None,
    hook: Callable | None = None,
    epoch_hook: Callable | None = None,
    best_after: int = 0,
    progress: bool | None = None,
    desc: str = "train",
) -> tuple[History, torch.optim.Optimizer]:
    """Train ``model`` in place with a mask that ``hook`` may change between steps.

    Parameters
    ----------
    model : torch.nn.Module
    data : lottery.data.Dataset
    config : TrainConfig
        Same meaning as in :func:`lottery.train.train`. ``restore_best`` and ``patience`` only consider
        validation evaluations after ``best_after`` steps (before that the architecture is still changing).
    mask : dict of str to bool tensor, optional
        Mutable: ``hook`` may replace its entries. After every optimizer step the gradients, optimizer
        buffers and weights are zero wherever the mask is ``False``.
    hook : callable, optional
        ``hook(step, model, optimizer) -> bool`` called after the backward pass of 0-based ``step`` (the
        gradients are the dense ones, not yet masked). Returning ``True`` skips this step's optimizer update.
    epoch_hook : callable, optional
        ``epoch_hook(epoch, model) -> bool`` after every completed epoch (1-based); ``True`` stops training.
    best_after : int
        See ``config``.
    progress : bool, optional
    desc : str
        Label of the progress bar.

    Returns
    -------
    History, torch.optim.Optimizer
    """
    parameters = dict(model.named_parameters())
    x_train, y_train = data.x_train, data.y_train
    n = len(y_train)
    total = config.total_steps(n)
    per_epoch = config.steps_per_epoch(n)
    eval_every = config.eval_every or per_epoch
    optimizer = make_optimizer(config, model.parameters())
    history = History()
    validation = Validation(config, data, history, best_after=best_after)

    def enforce() -> None:
        if mask is None:
            return
        with torch.no_grad():
            for name, keep in mask.items():
                p = parameters[name]
                k = keep.to(p.device)
                p.masked_fill_(~k, 0.0)
                for value in optimizer.state.get(p, {}).values():
                    if isinstance(value, torch.Tensor) and value.shape == p.shape:
                        value.masked_fill_(~k, 0.0)

    enforce()
    model.train()
    bar = progress_bar(total, progress, desc)
    step = 0
    try:
        for current, index, lr in minibatches(config, n):
            for group in optimizer.param_groups:
                group["lr"] = lr
            optimizer.zero_grad(set_to_none=True)
            out = model(x_train[index])
            loss = nn.functional.cross_entropy(out, y_train[index])
            loss.backward()
            skip = bool(hook(current, model, optimizer)) if hook is not None else False
            if not skip:
                if mask is not None:
                    for name, keep in mask.items():
                        grad = parameters[name].grad
                        if grad is not None:
                            grad.masked_fill_(~keep.to(grad.device), 0.0)
                optimizer.step()
            enforce()
            step = current + 1
            history.record_step(step, loss, out, y_train[index], lr)
            bar.update(1)
            if (step % eval_every == 0 or step == total) and validation.evaluate(step, model):
                break
            if epoch_hook is not None and step % per_epoch == 0 and epoch_hook(step // per_epoch, model):
                break
    finally:
        bar.close()
    validation.finish(step, model)
    return history, optimizer
