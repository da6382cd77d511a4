"""Gradual magnitude pruning (Zhu & Gupta 2017, "To prune, or not to prune"; as used by Gale, Elsen & Hooker
2019, "The state of sparsity in deep neural networks").

During one training run, every ``frequency`` steps from ``start`` on, each layer is pruned by weight
magnitude to the sparsity of the cubic schedule

    s_t = s_f + (s_i - s_f) (1 - (t - t0) / (n Δt))^3,   t = t0, t0 + Δt, ..., t0 + n Δt,

so that pruning is fast early and slow near the final sparsity ``s_f``. Pruned weights stay pruned (and at
zero, with their optimizer buffers). Training continues after ``t0 + n Δt`` with the final mask.

Departures from the papers
--------------------------
* Start and end are fractions of the training steps (defaults 0.1 and 0.75); Gale et al. give absolute
  steps. ``frequency`` defaults to one epoch of our small datasets instead of 100-2000 steps.
* Every layer is pruned, the first and last included (Zhu & Gupta also prune all layers of their models);
  per-layer targets are uniform by default or ERK (``distribution="erk"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from lottery._validation import check_data, check_fraction, check_positive_int, check_seed
from lottery.criteria import mask_from_scores
from lottery.masks import Mask
from lottery.methods._common import masked_state, new_model, provenance, resolve_config, snapshot
from lottery.methods.dynamic_sparsity import layer_sparsities
from lottery.ticket import Ticket
from lottery.training import Loop
from lottery.training import train as train_model

__all__ = ["cubic_sparsity", "gmp"]

PAPER = (
    "Zhu & Gupta. To prune, or not to prune: exploring the efficacy of pruning for model compression. "
    "2017; Gale, Elsen & Hooker. The state of sparsity in deep neural networks. 2019"
)


def cubic_sparsity(
    step: int, *, final: float, initial: float = 0.0, start: int = 0, n: int, frequency: int = 1
) -> float:
    """Sparsity of the cubic schedule of Zhu & Gupta (2017) at training step ``step``.

    Parameters
    ----------
    step : int
        Training step ``t``.
    final, initial : float
        ``s_f`` and ``s_i``, in [0, 1].
    start : int
        ``t0``, the first pruning step; before it the sparsity is ``initial``.
    n : int
        Number of pruning intervals; the schedule reaches ``final`` at ``t0 + n Δt`` and stays there.
    frequency : int
        ``Δt``, steps between pruning events. The sparsity is constant between events (``t`` is rounded
        down to the last event).

    Returns
    -------
    float

    Examples
    --------
    >>> cubic_sparsity(0, final=0.9, n=10), cubic_sparsity(10, final=0.9, n=10)
    (0.0, 0.9)
    >>> round(cubic_sparsity(5, final=0.8, n=10), 6)  # s_f + (s_i - s_f) / 8
    0.7
    """
    final = check_fraction(final, "final")
    initial = check_fraction(initial, "initial")
    n = check_positive_int(n, "n")
    frequency = check_positive_int(frequency, "frequency")
    start = check_positive_int(start, "start", allow_zero=True)
    if step < start:
        return initial
    events = min(n, (step - start) // frequency)
    progress = events / n
    return final + (initial - final) * (1.0 - progress) ** 3


def _magnitude_pruner(
    parameters, targets, *, ratio, t0, n, frequency, seed, events
) -> Callable[[Loop], None]:
    """The ``on_step`` callback of :func:`gmp`: at ``t0 + i frequency`` (``i = 0..n``) prune every layer by
    magnitude to its cubic-schedule sparsity (``ratio`` of its target at ``t0``, the target at the end),
    appending ``{"step", "sparsity"}`` to ``events``."""

    def prune(loop: Loop) -> None:
        step = loop.step
        if step < t0 or (step - t0) % frequency != 0 or (step - t0) // frequency > n:
            return
        wanted = {
            name: cubic_sparsity(step, final=s, initial=ratio * s, start=t0, n=n, frequency=frequency)
            for name, s in targets.items()
        }
        scores = {name: parameters[name].detach().abs().to("cpu", torch.float64) for name in loop.mask}
        loop.mask = mask_from_scores(
            scores, sparsity=wanted, mask=loop.mask, seed=seed * 1_000_003 + step, allow_empty_layers=True
        )
        events.append({"step": step, "sparsity": loop.mask.sparsity})

    return prune


def gmp(
    model_fn: Callable[..., nn.Module],
    data,
    *,
    sparsity: float,
    initial_sparsity: float = 0.0,
    start: float = 0.1,
    end: float = 0.75,
    frequency: int | None = None,
    distribution: str = "uniform",
    train=None,
    seed: int = 0,
    progress: bool | None = None,
) -> Ticket:
    """Train a network while pruning it gradually by magnitude to ``sparsity`` (Zhu & Gupta 2017).

    Parameters
    ----------
    model_fn : callable
        ``model_fn(seed=...) -> nn.Module``.
    data : lottery.data.Dataset
    sparsity : float
        Final overall sparsity ``s_f`` of the prunable weights, in [0, 1).
    initial_sparsity : float
        ``s_i`` (as a fraction of ``sparsity`` per layer: each layer starts at ``s_i / s_f`` of its target).
    start, end : float
        First and last pruning step as fractions of the training steps, ``0 <= start < end <= 1``.
    frequency : int, optional
        ``Δt`` in steps; default one epoch, shortened to ``end T - t0`` when training is shorter, so that the
        final sparsity is always reached. ``n = floor((end T - t0) / Δt)`` intervals.
    distribution : {"uniform", "erk"}
        Per-layer final sparsities (:func:`lottery.methods.dynamic_sparsity.layer_sparsities`).
    train : TrainConfig or dict, optional
    seed : int
        Seeds θ0, the data order and magnitude tie-breaks.
    progress : bool, optional

    Returns
    -------
    Ticket
        ``trained_state``: the gradually pruned network; ``start_state``: θ0 on the final mask (so the mask
        can be retrained as a ticket); provenance lists the pruning events.
    """
    check_data(data)
    seed = check_seed(seed)
    sparsity = check_fraction(sparsity, "sparsity", open_high=True)
    initial_sparsity = check_fraction(initial_sparsity, "initial_sparsity", high=sparsity)
    start = check_fraction(start, "start")
    end = check_fraction(end, "end")
    if end <= start:
        raise ValueError(f"end must be greater than start, got start={start}, end={end}")
    config = resolve_config(train, seed)
    total = config.total_steps(len(data.y_train))
    given = frequency is not None
    frequency = (
        check_positive_int(frequency, "frequency") if given else config.steps_per_epoch(len(data.y_train))
    )
    t0 = math.floor(start * total)
    last = min(math.floor(end * total), total - 1)
    if last <= t0:
        raise ValueError(
            f"gmp: the {total} training steps leave no step between start={start} (step {t0}) and end={end} "
            f"(step {last}) to prune at; train for more steps (epochs, a smaller batch_size) or widen "
            "start/end"
        )
    if (
        t0 + frequency > last
    ):  # fewer steps between start and end than one interval: the end was never reached
        if given:
            raise ValueError(
                f"frequency={frequency} steps is longer than the {last - t0} steps between start (step {t0}) "
                f"and end (step {last}): the final sparsity would never be reached; pass frequency <= "
                f"{last - t0}"
            )
        frequency = last - t0
    n = (last - t0) // frequency
    model = new_model(model_fn, seed)
    init_state = snapshot(model)
    targets = layer_sparsities(model, sparsity, distribution=distribution)
    parameters = dict(model.named_parameters())
    mask = Mask({name: torch.ones_like(parameters[name], dtype=torch.bool) for name in targets})
    events = []
    ratio = initial_sparsity / sparsity if sparsity > 0 else 0.0
    prune = _magnitude_pruner(
        parameters, targets, ratio=ratio, t0=t0, n=n, frequency=frequency, seed=seed, events=events
    )
    result = train_model(
        model, data, mask=mask, train=config, on_step=prune, best_after=t0 + n * frequency,
        progress=progress, desc="gmp",
    )  # fmt: skip
    history, final = result.history, result.mask
    return Ticket(
        mask=final, init_state=init_state, start_state=masked_state(init_state, final),
        trained_state=snapshot(model),
        history=history,
        provenance=provenance(
            "gmp", paper=PAPER, mask=final, data=data, seed=seed, train=config,
            initial_sparsity=initial_sparsity, start_step=t0, n_intervals=n, frequency=frequency,
            distribution=distribution, events=events, test_accuracy=history.test_accuracy,
        ),
    )  # fmt: skip
