"""Ticket transfer (Morcos, Yu, Paganini, Tian, "One ticket to win them all: generalizing lottery ticket
initializations across datasets and optimizers", NeurIPS 2019).

A ticket -- mask and initial values -- found on a source dataset (or with a source optimizer) is trained on
a target dataset (or with a target optimizer). Helpers build related target datasets of the same input size:
:func:`class_subset` (e.g. digits 0-4 and 5-9, relabelled) and :func:`mirrored` (digits flipped left-right).

Departures from the paper
-------------------------
* When source and target have different numbers of classes, the output layer cannot be transferred; like
  Morcos et al. (who transfer all layers but the last) it is made dense and freshly initialised
  (``output_layer="reset"``, the default when shapes differ). With equal shapes it is transferred as is.
* The source ticket is the IMP ticket of :func:`lottery.methods.baselines.imp_ticket` (rewind to θ0, equal
  per-layer sparsity) rather than late rewinding on ImageNet-scale data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import torch
from torch import nn

from lottery._validation import check_data, check_seed
from lottery.data import Dataset, load_dataset
from lottery.masks import Mask
from lottery.methods._common import new_model, provenance, resolve_config
from lottery.methods.baselines import imp_ticket
from lottery.ticket import Ticket
from lottery.training import train as train_model

__all__ = ["OUTPUT_LAYER", "class_subset", "mirrored", "transfer", "transfer_ticket"]

OUTPUT_LAYER = ("auto", "transfer", "reset")
PAPER = (
    "Morcos, Yu, Paganini, Tian. One ticket to win them all: generalizing lottery ticket initializations "
    "across datasets and optimizers. NeurIPS 2019"
)


def class_subset(data: Dataset, classes: Sequence[int], *, name: str | None = None) -> Dataset:
    """The examples of ``classes`` only, relabelled ``0 .. len(classes) - 1`` in the given order.

    Parameters
    ----------
    data : Dataset
    classes : sequence of int
        Distinct labels of ``data``.
    name : str, optional
        Default ``"<name>[c0,c1,...]"``.

    Returns
    -------
    Dataset
        Same standardisation (``mean``, ``std``) and seed as ``data``.
    """
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a lottery.data.Dataset, got {type(data).__name__}")
    classes = [int(c) for c in classes]
    if not classes or len(set(classes)) != len(classes) or any(not 0 <= c < data.n_classes for c in classes):
        raise ValueError(f"classes must be distinct labels in [0, {data.n_classes}), got {classes}")
    lookup = torch.full((data.n_classes,), -1, dtype=torch.int64)
    lookup[torch.tensor(classes)] = torch.arange(len(classes))

    def part(x, y):
        keep = lookup[y] >= 0
        return x[keep].clone(), lookup[y[keep]]

    splits = [part(data.x_train, data.y_train), part(data.x_val, data.y_val), part(data.x_test, data.y_test)]
    label = name or f"{data.name}[{','.join(map(str, classes))}]"
    return Dataset(label, *splits[0], *splits[1], *splits[2], data.mean, data.std, data.seed)


def mirrored(data: Dataset, *, shape: tuple[int, int] = (8, 8), name: str | None = None) -> Dataset:
    """Images flipped left-right (features read as ``shape`` images, e.g. 8x8 digits); labels unchanged."""
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be a lottery.data.Dataset, got {type(data).__name__}")
    rows, cols = shape
    if rows * cols != data.n_features:
        raise ValueError(f"shape {shape} does not match the {data.n_features} features")

    def flip(x: torch.Tensor) -> torch.Tensor:
        return x.reshape(-1, rows, cols).flip(-1).reshape(-1, rows * cols).clone()

    order = np.arange(rows * cols).reshape(rows, cols)[:, ::-1].reshape(-1)
    return Dataset(
        name or f"{data.name}-mirrored", flip(data.x_train), data.y_train.clone(), flip(data.x_val),
        data.y_val.clone(), flip(data.x_test), data.y_test.clone(), data.mean[order], data.std[order],
        data.seed,
    )  # fmt: skip


def _output_layer(ticket: Ticket, target: dict, names: list[str], output_layer: str) -> tuple[set[str], bool]:
    """The state-dict keys of the output layer (the last prunable weight's module) and whether to reset it.

    Only the output layer may differ in shape between the ticket and the target model (another number of
    classes); ``output_layer="auto"`` resets it exactly then.
    """
    if set(names) != set(ticket.mask) or set(target) != set(ticket.start_state):
        raise ValueError(
            f"ticket: its parameters {sorted(ticket.start_state)} do not match the target model's "
            f"{sorted(target)}"
        )
    prefix = names[-1][: -len("weight")]
    last_keys = {k for k in target if k.startswith(prefix)}
    mismatched = [k for k in target if tuple(target[k].shape) != tuple(ticket.start_state[k].shape)]
    if any(k not in last_keys for k in mismatched):
        raise ValueError(
            f"ticket: shapes differ outside the output layer ({mismatched}); the source and target data must "
            "have the same number of features"
        )
    reset = output_layer == "reset" or (output_layer == "auto" and bool(mismatched))
    if mismatched and not reset:
        raise ValueError(f"output_layer='transfer' but the output layer shapes differ: {mismatched}")
    return last_keys, reset


def transfer_ticket(
    ticket: Ticket,
    model_fn: Callable[..., nn.Module],
    data,
    *,
    output_layer: str = "auto",
    train=None,
    seed: int = 0,
    progress: bool | None = None,
) -> Ticket:
    """Train ``ticket`` (mask + start values) on ``data`` (Morcos et al. 2019).

    Parameters
    ----------
    ticket : Ticket
        Found on the source dataset / with the source optimizer.
    model_fn : callable
        The architecture for the target data; every layer but the last must have the ticket's shapes.
    data : lottery.data.Dataset
        Target data.
    output_layer : {"auto", "transfer", "reset"}
        ``reset``: last layer dense with a fresh initialisation from ``model_fn(seed=seed)``; ``transfer``:
        keep the ticket's; ``auto``: transfer when the shapes agree, else reset.
    train : TrainConfig or dict, optional
        Target training (e.g. another optimizer); default the ticket's own configuration.
    seed : int
        Data order and the fresh output layer.
    progress : bool, optional

    Returns
    -------
    Ticket
        On the target data, provenance ``method="transfer"`` with ``source`` (the source ticket's
        provenance summary).
    """
    if not isinstance(ticket, Ticket):
        raise TypeError(f"ticket must be a lottery.Ticket, got {type(ticket).__name__}")
    if output_layer not in OUTPUT_LAYER:
        raise ValueError(f"output_layer must be one of {', '.join(OUTPUT_LAYER)}, got {output_layer!r}")
    check_data(data)
    seed = check_seed(seed)
    if train is None and isinstance(ticket.provenance.get("train"), dict):
        train = ticket.provenance["train"]
    config = resolve_config(train, seed)
    model = new_model(model_fn, seed)
    target = {k: v.detach().clone() for k, v in model.state_dict().items()}
    names = list(Mask.ones(model))
    last = names[-1]
    last_keys, reset = _output_layer(ticket, target, names, output_layer)
    start = {k: v.clone() for k, v in ticket.start_state.items()}
    masks = {n: ticket.mask[n].clone() for n in names}
    if reset:
        for k in last_keys:
            start[k] = target[k]
        masks[last] = torch.ones_like(target[last], dtype=torch.bool)
    mask = Mask(masks)
    model.load_state_dict(start)
    frozen = ticket.frozen_values() if not reset else None
    result = train_model(model, data, mask=mask, frozen=frozen, train=config, progress=progress)
    init_state = dict(ticket.init_state)
    if reset:
        init_state.update({k: target[k] for k in last_keys})
    source = {
        "method": ticket.provenance.get("method"),
        "dataset": ticket.provenance.get("dataset"),
        "optimizer": (ticket.provenance.get("train") or {}).get("optimizer"),
        "test_accuracy": ticket.provenance.get("test_accuracy"),
        "sparsity": ticket.sparsity,
    }
    return Ticket(
        mask=mask, init_state=init_state, start_state=start, rewind_state=None,
        trained_state=result.trained_state, history=result.history,
        provenance=provenance(
            "transfer", paper=PAPER, mask=mask, data=data, seed=seed, train=config, source=source,
            output_layer="reset" if reset else "transfer", test_accuracy=result.history.test_accuracy,
            pruned=ticket.pruned if not reset else "zero",
        ),
    )  # fmt: skip


def transfer(
    model_fn: Callable[..., nn.Module],
    data,
    *,
    sparsity: float,
    source=None,
    source_model_fn: Callable[..., nn.Module] | None = None,
    source_train=None,
    output_layer: str = "auto",
    train=None,
    seed: int = 0,
    progress: bool | None = None,
) -> Ticket:
    """Find an IMP ticket on ``source`` (with ``source_train``) and train it on ``data`` (with ``train``).

    Parameters
    ----------
    model_fn : callable
        Architecture for ``data``.
    data : lottery.data.Dataset
        Target.
    sparsity : float
    source : Dataset or str, optional
        Source data (a name is loaded with ``load_dataset(name, seed=seed)``); default ``data`` itself
        (optimizer transfer).
    source_model_fn : callable, optional
        Architecture for the source (default ``model_fn``; differs when the class counts differ).
    source_train : TrainConfig or dict, optional
        Source training (default ``train``).
    output_layer, train, seed, progress
        See :func:`transfer_ticket`.

    Returns
    -------
    Ticket
    """
    check_data(data)
    seed = check_seed(seed)
    if source is None:
        source = data
    elif isinstance(source, str):
        source = load_dataset(source, seed=seed)
    check_data(source, "source")
    target_config = resolve_config(train, seed)
    source_config = target_config
    if source_train is not None:
        source_config = resolve_config(source_train, seed, "source_train")
    found = imp_ticket(source_model_fn or model_fn, source, sparsity=sparsity, train=source_config, seed=seed,
                       progress=progress)  # fmt: skip
    return transfer_ticket(
        found, model_fn, data, output_layer=output_layer, train=replace(target_config), seed=seed,
        progress=progress,
    )  # fmt: skip
