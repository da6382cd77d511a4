"""The reference points of the comparison, behind the common method signature: dense training, IMP tickets,
SNIP and random pruning at initialisation.

These wrap the lottery core (:func:`lottery.iterative_magnitude_pruning`, :func:`lottery.prune`,
:func:`lottery.train`) so that the experiment runner reaches them by name like the other methods.

``imp``
    Frankle & Carbin (2019): iterative magnitude pruning with rewinding to θ0. To land on the requested
    sparsity exactly, every layer (the output layer too) loses the same fraction
    ``r = 1 - (1 - sparsity)^(1/rounds)`` per round, with
    ``rounds = ceil(log(1 - sparsity) / log(1 - rate))``; this replaces the paper's 20% / 10%
    hidden / output schedule.
``snip``
    Lee, Ajanthan & Torr (2019): global top-κ of ``|g w|`` on one mini-batch at θ0, then train from θ0.
``random``
    Uniformly random per-layer masks at θ0 (the naive baseline of Frankle & Carbin 2019 and Liu et al. 2019).
``dense``
    No pruning (``sparsity`` must be 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

import lottery.imp as imp
from lottery._validation import check_data, check_fraction, check_seed
from lottery.criteria import prune
from lottery.masks import Mask
from lottery.methods._common import new_model, provenance, resolve_config, snapshot
from lottery.reinitialisation import reinit
from lottery.ticket import Ticket
from lottery.training import train as train_model

__all__ = ["at_init", "dense", "imp_rounds", "imp_ticket"]

PAPERS = {
    "imp": "Frankle & Carbin. The lottery ticket hypothesis: finding sparse, trainable neural networks. "
    "ICLR 2019",
    "snip": "Lee, Ajanthan & Torr. SNIP: single-shot network pruning based on connection sensitivity. "
    "ICLR 2019",
    "random": "Frankle & Carbin 2019; Liu et al. 2019 (random pruning at initialisation)",
    "dense": "dense training, no pruning",
}


def imp_rounds(sparsity: float, rate: float = 0.2) -> tuple[int, float]:
    """Rounds and per-round rate so that ``rounds`` rounds of ``r`` reach ``sparsity`` exactly.

    Returns
    -------
    rounds : int
        ``ceil(log(1 - sparsity) / log(1 - rate))``, at least 1.
    r : float
        ``1 - (1 - sparsity)^(1 / rounds)``, at most ``rate``.

    Examples
    --------
    >>> imp_rounds(0.488, 0.2)
    (3, 0.2)
    """
    sparsity = check_fraction(sparsity, "sparsity", open_high=True)
    rate = check_fraction(rate, "rate", open_high=True)
    if sparsity == 0.0:
        return 1, 0.0
    if rate == 0.0:
        raise ValueError("rate must be > 0 for a sparsity > 0")
    rounds = max(1, math.ceil(math.log(1.0 - sparsity) / math.log(1.0 - rate) - 1e-9))
    return rounds, round(1.0 - (1.0 - sparsity) ** (1.0 / rounds), 12)


def imp_ticket(
    model_fn: Callable[..., nn.Module],
    data,
    *,
    sparsity: float,
    rate: float = 0.2,
    rewind_step: int = 0,
    train=None,
    seed: int = 0,
    progress: bool | None = None,
) -> Ticket:
    """The IMP lottery ticket at ``sparsity`` (last round of :func:`lottery.iterative_magnitude_pruning`).

    Parameters
    ----------
    model_fn : callable
    data : lottery.data.Dataset
    sparsity : float
        Target sparsity of every prunable layer, in [0, 1).
    rate : float
        Largest fraction of the survivors pruned per round (see :func:`imp_rounds`).
    rewind_step : int
        Rewind to θk instead of θ0 (Frankle et al. 2020).
    train : TrainConfig or dict, optional
    seed : int
    progress : bool, optional

    Returns
    -------
    Ticket
        Trained, with the core's provenance (``method="imp"``) plus ``rounds`` and ``paper``.
    """
    check_data(data)
    rounds, r = imp_rounds(sparsity, rate)
    config = resolve_config(train, check_seed(seed))
    result = imp.iterative_magnitude_pruning(
        model_fn, data, rounds, rate=r, rewind_step=rewind_step, train=config, seed=seed, progress=progress
    )
    ticket = result.tickets[-1]
    ticket.provenance.update(
        rounds=rounds, rate=r, paper=PAPERS["imp"], test_accuracy=ticket.history.test_accuracy,
        dense_test_accuracy=result.dense.history.test_accuracy,
    )  # fmt: skip
    return ticket


def at_init(
    model_fn: Callable[..., nn.Module],
    data,
    *,
    sparsity: float,
    criterion: str = "snip",
    scope: str | None = None,
    batch_size: int | None = None,
    train=None,
    seed: int = 0,
    progress: bool | None = None,
) -> Ticket:
    """Prune at initialisation (``snip`` or ``random``), then train from θ0 with the mask.

    Parameters
    ----------
    model_fn : callable
    data : lottery.data.Dataset
    sparsity : float
    criterion : {"snip", "random"}
        ``snip`` scores one seeded random mini-batch of ``batch_size`` training examples (default: the
        training batch size) at θ0.
    scope : {"global", "layer"}, optional
        Default ``global`` for SNIP (Lee et al. 2019), ``layer`` for random.
    batch_size : int, optional
    train : TrainConfig or dict, optional
    seed : int
    progress : bool, optional

    Returns
    -------
    Ticket
    """
    check_data(data)
    seed = check_seed(seed)
    sparsity = check_fraction(sparsity, "sparsity", open_high=True)
    if criterion not in ("snip", "random"):
        raise ValueError(f"criterion must be 'snip' or 'random', got {criterion!r}")
    scope = scope or ("global" if criterion == "snip" else "layer")
    config = resolve_config(train, seed)
    model = new_model(model_fn, seed)
    init_state = snapshot(model)
    batches = None
    if criterion == "snip":
        size = min(batch_size or config.batch_size, len(data.y_train))
        index = torch.randperm(len(data.y_train), generator=torch.Generator().manual_seed(seed + 11))[:size]
        batches = (data.x_train[index], data.y_train[index])
    mask = prune(model, criterion=criterion, sparsity=sparsity, scope=scope, batches=batches, seed=seed)
    start = reinit("rewind", mask, init_state)
    model.load_state_dict(start)
    result = train_model(model, data, mask=mask, train=config, progress=progress)
    return Ticket(
        mask=mask, init_state=init_state, start_state=start, trained_state=result.trained_state,
        history=result.history,
        provenance=provenance(
            criterion, paper=PAPERS[criterion], mask=mask, data=data, seed=seed, train=config,
            criterion=criterion, scope=scope, reinit="rewind", pruned="zero",
            test_accuracy=result.history.test_accuracy,
        ),
    )  # fmt: skip


def dense(
    model_fn: Callable[..., nn.Module],
    data,
    *,
    sparsity: float = 0.0,
    train=None,
    seed: int = 0,
    progress: bool | None = None,
) -> Ticket:
    """Train the unpruned network (``sparsity`` must be 0; it is accepted for the common signature)."""
    check_data(data)
    seed = check_seed(seed)
    if check_fraction(sparsity, "sparsity") != 0.0:
        raise ValueError(f"sparsity must be 0 for the dense baseline, got {sparsity!r}")
    config = resolve_config(train, seed)
    model = new_model(model_fn, seed)
    init_state = snapshot(model)
    mask = Mask.ones(model)
    result = train_model(model, data, train=config, progress=progress)
    return Ticket(
        mask=mask, init_state=init_state, start_state=init_state, trained_state=result.trained_state,
        history=result.history,
        provenance=provenance(
            "dense", paper=PAPERS["dense"], mask=mask, data=data, seed=seed, train=config,
            test_accuracy=result.history.test_accuracy,
        ),
    )  # fmt: skip
