"""RigL, the rigged lottery (Evci, Gale, Menick, Castro, Elsen, ICML 2020), and layer sparsity distributions.

Sparse training from scratch with a fixed number of weights per layer: every ``delta_t`` steps until
``t_end``, a fraction ``alpha/2 (1 + cos(pi t / t_end))`` of each layer's active weights with the smallest
magnitude is dropped and as many inactive connections with the largest gradient magnitude are grown, at
zero.

Departures from the paper
-------------------------
* The paper's mask-update iteration replaces that step's optimizer update (as in its reference code); so
  does ours. Grown weights start at 0 and their momentum / Adam moments are 0 (they were pruned, and the
  buffers of pruned entries are kept at 0). Adam's step counter is per tensor in PyTorch and cannot be reset
  per entry.
* ERK for ``Linear`` layers is Erdős–Rényi (``(n_in + n_out) / (n_in n_out)``); for convolutions the kernel
  dimensions join the sum and product as in the paper. Biases are dense and not counted.
* The initial sparse topology is uniformly random per layer (as in the paper), drawn from ``seed``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn

from lottery._validation import check_data, check_fraction, check_positive_int, check_seed
from lottery.masks import Mask
from lottery.methods._common import masked_state, new_model, provenance, resolve_config, snapshot
from lottery.ticket import Ticket
from lottery.training import Loop
from lottery.training import train as train_model

__all__ = ["DISTRIBUTIONS", "cosine_drop_fraction", "layer_sparsities", "random_mask", "rigl"]

DISTRIBUTIONS = ("erk", "uniform")
PAPER = "Evci, Gale, Menick, Castro, Elsen. Rigging the lottery: making all tickets winners. ICML 2020"


def layer_sparsities(
    shapes: Mapping[str, Sequence[int]] | nn.Module,
    sparsity: float,
    *,
    distribution: str = "erk",
    dense: Sequence[str] = (),
) -> dict[str, float]:
    """Per-layer sparsities with overall sparsity ``sparsity`` (Evci et al. 2020, §3 "sparsity distribution").

    Parameters
    ----------
    shapes : mapping of str to shape, or torch.nn.Module
        Weight shapes ``(n_out, n_in[, *kernel])`` of the sparse layers (a module: its prunable weights).
    sparsity : float
        Overall fraction of the weights in ``shapes`` removed, in [0, 1).
    distribution : {"erk", "uniform"}
        ``uniform``: every layer has ``sparsity``. ``erk`` (Erdős–Rényi-Kernel): density of a layer
        proportional to ``sum(shape) / prod(shape)``, i.e. ``(n_in + n_out) / (n_in n_out)`` for a dense
        layer; a layer whose density would exceed 1 is made dense and the scale is recomputed for the rest.
    dense : sequence of str
        Layers kept dense in any case (their weights still count in the total).

    Returns
    -------
    dict of str to float
        Layer name -> sparsity in [0, 1]. The kept counts match ``(1 - sparsity) * total`` up to rounding.

    Examples
    --------
    >>> s = layer_sparsities({"a": (300, 784), "b": (100, 300), "c": (10, 100)}, 0.9)
    >>> [round(v, 3) for v in s.values()]
    [0.92, 0.77, 0.0]
    """
    if isinstance(shapes, nn.Module):
        parameters = dict(shapes.named_parameters())
        shapes = {n: tuple(parameters[n].shape) for n in Mask.ones(shapes)}
    if not isinstance(shapes, Mapping) or not shapes:
        raise TypeError("shapes must be a non-empty mapping of layer name -> weight shape, or a module")
    shapes = {n: tuple(int(d) for d in s) for n, s in shapes.items()}
    sparsity = check_fraction(sparsity, "sparsity", open_high=True)
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}, got {distribution!r}")
    unknown = [n for n in dense if n not in shapes]
    if unknown:
        raise ValueError(f"dense: {unknown} are not among the layers {list(shapes)}")
    sizes = {n: math.prod(s) for n, s in shapes.items()}
    total = sum(sizes.values())
    kept = (1.0 - sparsity) * total
    if distribution == "uniform":
        fixed = set(dense)
        rest = sum(sizes[n] for n in shapes if n not in fixed)
        budget = kept - sum(sizes[n] for n in fixed)
        if rest == 0 or budget < 0:
            raise ValueError(f"sparsity={sparsity} cannot be reached with the layers {sorted(fixed)} dense")
        density = min(1.0, budget / rest)
        return {n: 0.0 if n in fixed else 1.0 - density for n in shapes}
    raw = {n: sum(s) / sizes[n] for n, s in shapes.items()}
    fixed = set(dense)
    while True:
        free = [n for n in shapes if n not in fixed]
        budget = kept - sum(sizes[n] for n in fixed)
        weight = sum(raw[n] * sizes[n] for n in free)
        if not free or budget <= 0 or weight == 0:
            scale = 0.0
        else:
            scale = budget / weight
        too_dense = [n for n in free if scale * raw[n] > 1.0]
        if not too_dense:
            break
        fixed.update(too_dense)
    return {n: 0.0 if n in fixed else 1.0 - min(1.0, scale * raw[n]) for n in shapes}


def cosine_drop_fraction(step: int, *, t_end: int, alpha: float = 0.3) -> float:
    """RigL's update fraction ``alpha/2 (1 + cos(pi step / t_end))`` for ``step <= t_end``, 0 after.

    Parameters
    ----------
    step : int
        Training step ``t`` (0-based).
    t_end : int
        Last step with mask updates.
    alpha : float
        Initial fraction, 0.3 in the paper.

    Examples
    --------
    >>> cosine_drop_fraction(0, t_end=100), cosine_drop_fraction(50, t_end=100)
    (0.3, 0.15)
    """
    check_positive_int(t_end, "t_end")
    alpha = check_fraction(alpha, "alpha")
    if step > t_end:
        return 0.0
    return 0.5 * alpha * (1.0 + math.cos(math.pi * step / t_end))


def random_mask(
    model: nn.Module, sparsities: Mapping[str, float], *, seed: int = 0
) -> dict[str, torch.Tensor]:
    """Uniformly random masks with exactly ``round((1 - s) * numel)`` kept entries per layer.

    Parameters
    ----------
    model : torch.nn.Module
    sparsities : mapping of str to float
        Layer name -> sparsity.
    seed : int

    Returns
    -------
    dict of str to torch.Tensor
        Bool tensors of the weights' shapes.
    """
    generator = torch.Generator().manual_seed(check_seed(seed))
    parameters = dict(model.named_parameters())
    out = {}
    for name, s in sparsities.items():
        p = parameters[name]
        k = round((1.0 - s) * p.numel())
        flat = torch.zeros(p.numel(), dtype=torch.bool)
        flat[torch.randperm(p.numel(), generator=generator)[:k]] = True
        out[name] = flat.reshape(p.shape)
    return out


def _copy(mask: Mask) -> dict[str, torch.Tensor]:
    return {n: m.clone() for n, m in mask.items()}


def _update(
    weight: torch.Tensor, grad: torch.Tensor, keep: torch.Tensor, fraction: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """One layer's drop-and-grow: the new mask and the positions grown (bool, flat)."""
    flat_keep = keep.reshape(-1)
    n_active = int(flat_keep.sum())
    n_inactive = flat_keep.numel() - n_active
    k = min(round(fraction * n_active), n_active)
    grown = torch.zeros_like(flat_keep)
    if k == 0 or n_inactive == 0:
        return keep.clone(), grown.reshape(keep.shape)
    magnitude = weight.detach().abs().reshape(-1).to("cpu", torch.float64)
    drop_score = torch.where(flat_keep, magnitude, torch.inf)
    dropped = torch.argsort(drop_score, stable=True)[:k]
    after_drop = flat_keep.clone()
    after_drop[dropped] = False
    grow_score = grad.detach().abs().reshape(-1).to("cpu", torch.float64)
    grow_score = torch.where(after_drop, -torch.inf, grow_score)
    chosen = torch.argsort(grow_score, descending=True, stable=True)[:k]
    new = after_drop.clone()
    new[chosen] = True
    grown[chosen] = True
    return new.reshape(keep.shape), grown.reshape(keep.shape)


def _drop_and_grow(parameters, *, delta_t, end, alpha, updates, on_update) -> Callable[[Loop], None]:
    """The ``on_step`` callback of :func:`rigl`: every ``delta_t`` steps before ``end``, drop the cosine
    fraction of each layer's smallest kept weights and grow as many connections by gradient magnitude
    (this iteration makes no optimizer update), appending ``{"step", "fraction"}`` to ``updates``."""

    def update_mask(loop: Loop) -> None:
        step = loop.step
        if step == 0 or step % delta_t != 0 or step >= end:
            return
        fraction = cosine_drop_fraction(step, t_end=end, alpha=alpha)
        before = loop.mask
        after, grown_all = {}, {}
        for name, keep in before.items():
            p = parameters[name]
            if p.grad is None or bool(keep.all()):
                after[name], grown_all[name] = keep, torch.zeros_like(keep)
                continue
            after[name], grown_all[name] = _update(p, p.grad, keep, fraction)
        # grown connections start at zero with zero optimizer buffers, also those dropped and regrown at once
        loop.mask = Mask({name: after[name] & ~grown_all[name] for name in after})
        loop.mask = Mask(after)
        loop.skip_update = True  # the mask-update iteration replaces the optimizer update
        updates.append({"step": step, "fraction": fraction})
        if on_update is not None:
            on_update(step, loop.model, _copy(before), _copy(loop.mask), grown_all)

    return update_mask


def rigl(
    model_fn: Callable[..., nn.Module],
    data,
    *,
    sparsity: float,
    distribution: str = "erk",
    delta_t: int = 100,
    t_end: float = 0.75,
    alpha: float = 0.3,
    train=None,
    seed: int = 0,
    progress: bool | None = None,
    on_update: Callable | None = None,
) -> Ticket:
    """Train a sparse network with RigL (Evci et al. 2020); every layer's sparsity is fixed throughout.

    Parameters
    ----------
    model_fn : callable
        ``model_fn(seed=...) -> nn.Module``, e.g. ``functools.partial(lottery.mlp, [64, 300, 100, 10])``.
    data : lottery.data.Dataset
    sparsity : float
        Overall sparsity of the prunable weights, in [0, 1).
    distribution : {"erk", "uniform"}
        See :func:`layer_sparsities`.
    delta_t : int
        Steps between mask updates (100 in the paper).
    t_end : float
        Fraction of the training steps after which the mask is frozen (0.75 in the paper).
    alpha : float
        Initial drop fraction (0.3 in the paper), decayed with :func:`cosine_drop_fraction`.
    train : TrainConfig or dict, optional
        Training hyper-parameters (default ``TrainConfig()``); ``seed`` replaces its seed.
    seed : int
        Seeds θ0, the initial topology and the data order.
    progress : bool, optional
    on_update : callable, optional
        ``on_update(step, model, before, after, grown)`` after each mask update (dicts of bool tensors:
        masks before and after, positions grown); for inspection and tests.

    Returns
    -------
    Ticket
        ``mask``: the final topology; ``init_state``: θ0 (dense); ``start_state``: θ0 on the final mask (to
        retrain RigL's mask as a lottery ticket); ``trained_state``: RigL's trained weights. Provenance has
        the update count and the initial layer sparsities.
    """
    check_data(data)
    seed = check_seed(seed)
    delta_t = check_positive_int(delta_t, "delta_t")
    t_end = check_fraction(t_end, "t_end")
    alpha = check_fraction(alpha, "alpha")
    config = resolve_config(train, seed)
    model = new_model(model_fn, seed)
    init_state = snapshot(model)
    sparsities = layer_sparsities(model, sparsity, distribution=distribution)
    mask = Mask(random_mask(model, sparsities, seed=seed * 1_000_003 + 17))
    parameters = dict(model.named_parameters())
    total = config.total_steps(len(data.y_train))
    end = max(1, math.floor(t_end * total))
    updates = []
    update_mask = _drop_and_grow(parameters, delta_t=delta_t, end=end, alpha=alpha, updates=updates,
                                 on_update=on_update)  # fmt: skip
    result = train_model(
        model, data, mask=mask, train=config, on_step=update_mask, best_after=end, progress=progress,
        desc="rigl",
    )  # fmt: skip
    history, final = result.history, result.mask
    return Ticket(
        mask=final, init_state=init_state, start_state=masked_state(init_state, final),
        trained_state=snapshot(model), history=history,
        provenance=provenance(
            "rigl", paper=PAPER, mask=final, data=data, seed=seed, train=config,
            distribution=distribution, delta_t=delta_t, t_end=t_end, alpha=alpha, n_updates=len(updates),
            target_layer_sparsity=sparsities, test_accuracy=history.test_accuracy,
        ),
    )  # fmt: skip
