"""Pruning criteria (a registry of scores) and the one function that turns scores into a mask.

A criterion only scores: it maps every prunable parameter to a float tensor of its shape, higher meaning
"more worth keeping". :func:`mask_from_scores` then removes the lowest-scored *surviving* entries, layer by
layer or globally, breaks ties at random with a seed, and never empties a layer unless asked to.
:func:`prune` does both.

Criteria (``CRITERIA``)
-----------------------
magnitude, large_final
    ``|w_final|`` (Frankle & Carbin 2019; Zhou et al. 2019).
small_final
    ``-|w_final|``.
large_init, small_init
    ``|w_init|`` and ``-|w_init|``.
magnitude_increase
    ``|w_final| - |w_init|``.
movement
    ``|w_final - w_init|``.
large_init_large_final
    ``min(rank |w_init|, rank |w_final|)`` with ranks normalised to (0, 1] within the layer: keeping the top
    entries keeps those that are large at initialisation *and* after training (Zhou et al. 2019).
random
    Independent uniform scores from the seed.
snip
    ``|g w| / sum |g w|`` over all prunable weights, with ``g`` the gradient of the training loss at the
    given weights on one or more mini-batches (Lee et al. 2019, SNIP).

Writing a criterion
-------------------
A criterion is ``function(names, *, trained_state, init_state, model, batches, mask, shapes, generator)``
returning one float tensor per name, of the parameter's shape; every keyword may be ``None`` when the
caller did not give it, so take the ones you need with a default and the rest as ``**_``::

    @CRITERIA.register("large_trained")
    def large_trained(names, *, trained_state=None, **_):
        return {n: trained_state[n].abs() for n in names}

``trained_state`` and ``init_state`` are the keywords of :func:`scores`, ``shapes`` maps each name to its
shape and ``generator`` is a ``torch.Generator`` seeded by ``scores(seed=)``. A criterion whose signature
still names ``final`` or ``initial`` (the names before this protocol took lottery's vocabulary) keeps
receiving them, with a ``DeprecationWarning`` when it is registered.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Mapping

import torch
from torch import nn

from lottery._compat import renamed
from lottery._validation import check_fraction, check_seed
from lottery.masks import Mask
from lottery.registry import Registry

__all__ = [
    "CRITERIA",
    "layerwise_rates",
    "mask_from_scores",
    "prune",
    "scores",
    "snip_scores",
]

Scores = dict[str, torch.Tensor]
#: Keywords a criterion function received before the one vocabulary of ``lottery`` (old -> new).
_OLD_KEYWORDS = {"final": "trained_state", "initial": "init_state"}
CRITERIA: Registry[Callable[..., Scores]] = Registry("pruning criterion", "criterion", renamed=_OLD_KEYWORDS)


def _need(value, argument: str, criterion: str):
    if value is None:
        raise ValueError(f"criterion {criterion!r} needs {argument}=: pass it to prune or scores")
    return value


def _float64(state, names) -> Scores:
    return {n: state[n].detach().to("cpu", torch.float64) for n in names}


def _abs(state, names) -> Scores:
    return {n: w.abs() for n, w in _float64(state, names).items()}


@CRITERIA.register("magnitude")
def _magnitude(names, *, trained_state=None, **_) -> Scores:
    return _abs(_need(trained_state, "trained_state", "magnitude"), names)


@CRITERIA.register("large_final")
def _large_final(names, *, trained_state=None, **_) -> Scores:
    return _abs(_need(trained_state, "trained_state", "large_final"), names)


@CRITERIA.register("small_final")
def _small_final(names, *, trained_state=None, **_) -> Scores:
    return {n: -s for n, s in _abs(_need(trained_state, "trained_state", "small_final"), names).items()}


@CRITERIA.register("large_init")
def _large_init(names, *, init_state=None, **_) -> Scores:
    return _abs(_need(init_state, "init_state", "large_init"), names)


@CRITERIA.register("small_init")
def _small_init(names, *, init_state=None, **_) -> Scores:
    return {n: -s for n, s in _abs(_need(init_state, "init_state", "small_init"), names).items()}


@CRITERIA.register("magnitude_increase")
def _magnitude_increase(names, *, trained_state=None, init_state=None, **_) -> Scores:
    f = _abs(_need(trained_state, "trained_state", "magnitude_increase"), names)
    i = _abs(_need(init_state, "init_state", "magnitude_increase"), names)
    return {n: f[n] - i[n] for n in names}


@CRITERIA.register("movement")
def _movement(names, *, trained_state=None, init_state=None, **_) -> Scores:
    f = _float64(_need(trained_state, "trained_state", "movement"), names)
    i = _float64(_need(init_state, "init_state", "movement"), names)
    return {n: (f[n] - i[n]).abs() for n in names}


def _normalised_rank(values: torch.Tensor) -> torch.Tensor:
    from scipy.stats import rankdata

    flat = values.reshape(-1).numpy()
    return torch.as_tensor(rankdata(flat, method="average") / max(flat.size, 1)).reshape(values.shape)


@CRITERIA.register("large_init_large_final")
def _large_init_large_final(names, *, trained_state=None, init_state=None, **_) -> Scores:
    f = _abs(_need(trained_state, "trained_state", "large_init_large_final"), names)
    i = _abs(_need(init_state, "init_state", "large_init_large_final"), names)
    return {n: torch.minimum(_normalised_rank(i[n]), _normalised_rank(f[n])) for n in names}


@CRITERIA.register("random")
def _random(names, *, shapes=None, generator=None, **_) -> Scores:
    return {n: torch.rand(shapes[n], generator=generator, dtype=torch.float64) for n in names}


@CRITERIA.register("snip")
def _snip(names, *, model=None, batches=None, mask=None, **_) -> Scores:
    return snip_scores(
        _need(model, "model", "snip"), _need(batches, "batches", "snip"), names=names, mask=mask
    )


def _as_batches(batches) -> list[tuple[torch.Tensor, torch.Tensor]]:
    if hasattr(batches, "x_train") and hasattr(batches, "y_train"):
        return [(batches.x_train, batches.y_train)]
    if isinstance(batches, tuple) and len(batches) == 2 and isinstance(batches[0], torch.Tensor):
        return [batches]
    if isinstance(batches, Iterable):
        out = list(batches)
        if out and all(isinstance(b, tuple | list) and len(b) == 2 for b in out):
            return [(b[0], b[1]) for b in out]
    raise TypeError("batches must be an (x, y) pair, a list of (x, y) pairs, or a lottery.data.Dataset")


def snip_scores(
    model: nn.Module,
    batches,
    *,
    names: Iterable[str] | None = None,
    mask: Mask | None = None,
    loss_fn: Callable | None = None,
) -> Scores:
    """SNIP connection sensitivity (Lee et al. 2019): ``|g_j w_j| / sum_k |g_k w_k|``.

    Parameters
    ----------
    model : torch.nn.Module
        The network at the weights to score (at initialisation for SNIP). It is not modified: the gradient
        is taken on a deep copy.
    batches : (x, y) pair, list of (x, y) pairs, or Dataset
        ``x`` of shape (n, d), ``y`` of shape (n,) int64. The gradients of the mean cross-entropy of every
        batch are summed; a Dataset contributes its whole training split as one batch.
    names : iterable of str, optional
        Parameters to score; default the prunable ones (``Mask.ones(model)``).
    mask : Mask, optional
        Applied to the copy first, so pruned entries score 0.
    loss_fn : callable, optional
        ``loss_fn(outputs, y) -> scalar``; default ``torch.nn.functional.cross_entropy``.

    Returns
    -------
    dict of str to torch.Tensor
        float64 tensors of the parameters' shapes, non-negative, summing to 1 over all of them.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module for SNIP, got {type(model).__name__}")
    loss_fn = loss_fn or nn.functional.cross_entropy
    names = list(names) if names is not None else list(Mask.ones(model))
    net = copy.deepcopy(model)
    if mask is not None:
        mask.apply(net)
    net.zero_grad(set_to_none=True)
    parameters = dict(net.named_parameters())
    for x, y in _as_batches(batches):
        loss_fn(net(x), y).backward()
    raw = {}
    for n in names:
        grad = parameters[n].grad
        if grad is None:
            grad = torch.zeros_like(parameters[n])
        raw[n] = (grad.detach().double() * parameters[n].detach().double()).abs().cpu()
    total = sum(float(s.sum()) for s in raw.values())
    if total == 0.0:
        raise ValueError("SNIP: every |g w| is zero (no gradient reaches the prunable weights)")
    return {n: s / total for n, s in raw.items()}


def scores(
    criterion: str,
    names: Iterable[str],
    *,
    trained_state: Mapping[str, torch.Tensor] | None = None,
    init_state: Mapping[str, torch.Tensor] | None = None,
    model: nn.Module | None = None,
    batches=None,
    mask: Mask | None = None,
    seed: int = 0,
    final: Mapping[str, torch.Tensor] | None = None,
    initial: Mapping[str, torch.Tensor] | None = None,
) -> Scores:
    """Scores of a registered criterion (higher = keep), float64 tensors keyed by parameter name.

    Parameters
    ----------
    criterion : str
        A name in ``CRITERIA``.
    names : iterable of str
        Parameters to score.
    trained_state, init_state : mapping of str to torch.Tensor, optional
        Trained weights and θ0, as state dicts; which are needed depends on the criterion. A criterion
        function receives them under the same names (see "Writing a criterion" in the module docstring).
    model : torch.nn.Module, optional
        Needed by ``snip``.
    batches : optional
        Data for ``snip`` (see :func:`snip_scores`).
    mask : Mask, optional
        Current mask (``snip`` scores the masked network).
    seed : int
        Seed of ``random``.
    final, initial
        Deprecated names of ``trained_state`` and ``init_state``.
    """
    trained_state = renamed("scores", "final", final, "trained_state", trained_state)
    init_state = renamed("scores", "initial", initial, "init_state", init_state)
    function = CRITERIA[criterion]
    names = list(names)
    shapes = {}
    for source in (trained_state, init_state):
        if source is not None:
            missing = [n for n in names if n not in source]
            if missing:
                raise ValueError(f"state is missing parameters {missing}")
            shapes = {n: tuple(source[n].shape) for n in names}
    if model is not None and not shapes:
        parameters = dict(model.named_parameters())
        shapes = {n: tuple(parameters[n].shape) for n in names}
    if mask is not None and not shapes:
        shapes = {n: tuple(mask[n].shape) for n in names}
    generator = torch.Generator().manual_seed(check_seed(seed))
    result = function(
        names, trained_state=trained_state, init_state=init_state, model=model, batches=batches, mask=mask,
        shapes=shapes, generator=generator,
    )  # fmt: skip
    return result


def _per_layer(value, names: list[str], argument: str) -> dict[str, float]:
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(names))
        missing = [n for n in names if n not in value]
        if unknown or missing:
            raise ValueError(
                f"{argument}: per-layer values must name exactly the masked parameters {names}; "
                f"unknown {unknown}, missing {missing}"
            )
        return {n: check_fraction(value[n], f"{argument}[{n!r}]") for n in names}
    fraction = check_fraction(value, argument)
    return dict.fromkeys(names, fraction)


def _round(x: float) -> int:
    return math.floor(x + 0.5)


def _ascending(values: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Indices sorting ``values`` ascending, ties in uniformly random order."""
    perm = torch.randperm(values.numel(), generator=generator)
    return perm[torch.argsort(values[perm], stable=True)]


def mask_from_scores(
    scores: Mapping[str, torch.Tensor],
    *,
    rate: float | Mapping[str, float] | None = None,
    sparsity: float | Mapping[str, float] | None = None,
    mask: Mask | None = None,
    scope: str = "layer",
    seed: int = 0,
    allow_empty_layers: bool = False,
) -> Mask:
    """Prune the lowest-scored surviving entries: the single place where scores become a mask.

    Parameters
    ----------
    scores : mapping of str to torch.Tensor
        Higher = keep. Keys must be the names of ``mask``. NaN scores are rejected.
    rate : float or mapping of str to float, optional
        Fraction of the *surviving* entries to remove, per layer (``scope="layer"``, a mapping gives
        per-layer rates, e.g. 0.2 for hidden layers and 0.1 for the output as in Frankle & Carbin 2019) or
        of all survivors together (``scope="global"``). Counts are rounded to the nearest integer.
    sparsity : float or mapping of str to float, optional
        Target fraction of *all* entries pruned afterwards (per layer, or overall for ``scope="global"``).
        Exactly one of ``rate`` and ``sparsity`` is given. Entries already pruned count towards it and
        are never revived.
    mask : Mask, optional
        Current mask; default keeps everything.
    scope : {"layer", "global"}
    seed : int
        Ties between equal scores are broken by a random permutation from this seed.
    allow_empty_layers : bool
        By default the best surviving entry of every layer is protected, so no layer is pruned to zero.

    Returns
    -------
    Mask
        A subset of ``mask``.
    """
    if (rate is None) == (sparsity is None):
        raise ValueError("give exactly one of rate= and sparsity=")
    if scope not in ("layer", "global"):
        raise ValueError(f"scope must be 'layer' or 'global', got {scope!r}")
    if not isinstance(scores, Mapping):
        raise TypeError(f"scores must be a mapping of name -> tensor, got {type(scores).__name__}")
    if mask is None:
        mask = Mask({n: torch.ones(s.shape, dtype=torch.bool) for n, s in scores.items()})
    names = list(mask)
    if set(scores) != set(names):
        raise ValueError(
            f"scores and mask cover different parameters: scores {sorted(scores)}, mask {sorted(names)}"
        )
    generator = torch.Generator().manual_seed(check_seed(seed))
    flat_scores, alive = _survivors(scores, mask)
    # Candidates (surviving entries) in ascending score order, ties random; the best one may be protected.
    candidates = {}
    for n in names:
        order = alive[n][_ascending(flat_scores[n][alive[n]], generator)]
        candidates[n] = order if allow_empty_layers else order[:-1]
    if scope == "layer":
        counts = _layer_counts(rate, sparsity, mask, alive)
        removed = {n: candidates[n][: max(0, min(counts[n], len(candidates[n])))] for n in names}
    else:
        removed = _global_removal(rate, sparsity, mask, alive, flat_scores, candidates, generator)
    new = {n: mask[n].reshape(-1).clone() for n in names}
    for n in names:
        new[n][removed[n]] = False
    return Mask({n: new[n].reshape(mask[n].shape) for n in names})


def _survivors(scores: Mapping[str, torch.Tensor], mask: Mask) -> tuple[Scores, dict[str, torch.Tensor]]:
    """Per name: the scores flattened to float64, shape (numel,), and the flat indices of the entries the
    mask keeps, shape (n_alive,) int64. Shapes must match the mask; NaN scores are refused."""
    flat_scores, alive = {}, {}
    for n in mask:
        s = torch.as_tensor(scores[n]).detach().to("cpu", torch.float64)
        if tuple(s.shape) != tuple(mask[n].shape):
            raise ValueError(f"scores[{n!r}] has shape {tuple(s.shape)}, the mask {tuple(mask[n].shape)}")
        if torch.isnan(s).any():
            raise ValueError(f"scores[{n!r}] contains NaN")
        flat_scores[n] = s.reshape(-1)
        alive[n] = torch.nonzero(mask[n].reshape(-1)).reshape(-1)
    return flat_scores, alive


def _layer_counts(rate, sparsity, mask: Mask, alive: Mapping[str, torch.Tensor]) -> dict[str, int]:
    """Entries to remove from each layer: ``rate`` of its survivors, or what reaches its target sparsity."""
    names = list(mask)
    if rate is not None:
        rates = _per_layer(rate, names, "rate")
        return {n: _round(rates[n] * len(alive[n])) for n in names}
    targets = _per_layer(sparsity, names, "sparsity")
    return {n: _round(targets[n] * mask[n].numel()) - (mask[n].numel() - len(alive[n])) for n in names}


def _global_removal(
    rate, sparsity, mask, alive, flat_scores, candidates, generator
) -> dict[str, torch.Tensor]:
    """Flat indices to remove per name when all layers share one ranking (``scope="global"``).

    The count is ``rate`` of all survivors, or what reaches the overall target sparsity; the lowest
    ``count`` candidates of the pooled scores (ties random from ``generator``) are removed.
    """
    if isinstance(rate, Mapping) or isinstance(sparsity, Mapping):
        raise ValueError("per-layer rate/sparsity mappings need scope='layer'")
    names = list(mask)
    n_alive = sum(len(a) for a in alive.values())
    n_total = sum(mask[n].numel() for n in names)
    if rate is not None:
        count = _round(check_fraction(rate, "rate") * n_alive)
    else:
        count = _round(check_fraction(sparsity, "sparsity") * n_total) - (n_total - n_alive)
    pool_scores = torch.cat([flat_scores[n][candidates[n]] for n in names])  # (n_candidates,)
    owner = torch.cat([torch.full((len(candidates[n]),), i, dtype=torch.long) for i, n in enumerate(names)])
    position = torch.cat([candidates[n] for n in names])
    chosen = _ascending(pool_scores, generator)[: max(0, min(count, len(pool_scores)))]
    return {n: position[chosen[owner[chosen] == i]] for i, n in enumerate(names)}


def layerwise_rates(names: Iterable[str], *, hidden: float = 0.2, output: float = 0.1) -> dict[str, float]:
    """Per-layer pruning rates: ``output`` for the last masked parameter, ``hidden`` for the others.

    The default is the LeNet-300-100 schedule of Frankle & Carbin (2019): 20% of the surviving hidden
    weights and 10% of the surviving output weights per round.
    """
    names = list(names)
    if not names:
        raise ValueError("names: no masked parameters")
    return {n: (output if i == len(names) - 1 else hidden) for i, n in enumerate(names)}


def prune(
    model,
    *,
    criterion: str = "magnitude",
    rate: float | Mapping[str, float] | None = None,
    sparsity: float | Mapping[str, float] | None = None,
    mask: Mask | None = None,
    init_state: Mapping[str, torch.Tensor] | None = None,
    scope: str = "layer",
    batches=None,
    seed: int = 0,
    allow_empty_layers: bool = False,
    include_bias: bool = False,
    initial_state: Mapping[str, torch.Tensor] | None = None,
) -> Mask:
    """Score ``model`` with a criterion and prune its surviving weights; the model is not modified.

    Parameters
    ----------
    model : torch.nn.Module or mapping of str to torch.Tensor
        The network (its current weights are the "final" weights) or its state dict. ``snip`` needs a
        module.
    criterion : str
        A name in ``CRITERIA``, e.g. ``"magnitude"`` (Frankle & Carbin 2019), ``"snip"`` (Lee et al. 2019),
        ``"large_final"``, ``"movement"`` (Zhou et al. 2019).
    rate, sparsity, scope, seed, allow_empty_layers
        See :func:`mask_from_scores`.
    mask : Mask, optional
        Current mask; default all prunable weights kept (``Mask.ones(model, include_bias=...)``).
    init_state : mapping, optional
        θ0, the weights at initialisation, for the criteria comparing initial and final weights
        (``initial_state=`` is its deprecated name).
    batches : optional
        Data for ``snip``.
    include_bias : bool
        With the default mask, make biases prunable too.

    Returns
    -------
    Mask

    Examples
    --------
    >>> from lottery.models import mlp
    >>> net = mlp([4, 8, 2], seed=0)
    >>> prune(net, rate=0.5).layer_density()
    {'0.weight': 0.5, '2.weight': 0.5}
    """
    init_state = renamed("prune", "initial_state", initial_state, "init_state", init_state)
    if isinstance(model, nn.Module):
        module, trained_state = model, {n: p.detach() for n, p in model.named_parameters()}
    elif isinstance(model, Mapping):
        module, trained_state = None, model
    else:
        raise TypeError(f"model must be a torch.nn.Module or a state dict, got {type(model).__name__}")
    if mask is None:
        if module is None:
            raise ValueError("mask= is required when model is a state dict")
        mask = Mask.ones(module, include_bias=include_bias)
    mask.check(trained_state)
    s = scores(
        criterion, list(mask), trained_state=trained_state, init_state=init_state, model=module,
        batches=batches, mask=mask, seed=seed,
    )  # fmt: skip
    return mask_from_scores(
        s, rate=rate, sparsity=sparsity, mask=mask, scope=scope, seed=seed + 1,
        allow_empty_layers=allow_empty_layers,
    )  # fmt: skip
