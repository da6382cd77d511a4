"""Supermasks: train which weights to keep, never the weights themselves.

Two variants, both with frozen weights (θ0, or ``sign(θ0) · std`` of the layer) and one trainable score
per prunable weight; the forward pass uses ``W ⊙ m(scores)`` and the backward pass treats the mask as the
identity of a differentiable surrogate (straight-through estimator):

``bernoulli`` (Zhou, Lan, Liu, Yosinski, "Deconstructing lottery tickets: zeros, signs, and the supermask",
NeurIPS 2019)
    ``m ~ Bernoulli(sigmoid(s))`` drawn at every step from a seeded generator; the gradient flows to
    ``sigmoid(s)`` as if ``m`` were it. SGD, lr 100, momentum 0.9 (docs/math.md §5). The sparsity is learned:
    ``sparsity`` only sets the initial keep probability ``sigmoid(s0) = 1 - sparsity``.
``top_k`` (Ramanujan, Wortsman, Kembhavi, Farhadi, Rastegari, "What's hidden in a randomly weighted neural
network?", CVPR 2020, edge-popup)
    ``m`` keeps exactly the ``k = round((1 - sparsity) · n)`` largest scores of each layer; the gradient of a
    score is that of its masked weight times the weight. SGD lr 0.1, momentum 0.9, weight decay 5e-4,
    cosine schedule (the paper's CIFAR settings).

Departures from the papers
--------------------------
* The final Bernoulli mask is the most probable one (``sigmoid(s) > 1/2``) rather than a sample, so that a
  Ticket has one mask; validation and test use that mask too. Zhou et al.'s "dynamic weight rescaling"
  is not implemented.
* Biases (and every non-prunable parameter) are frozen at their initial values (zero for ``lottery.mlp``).
* Scores start at ``logit(1 - sparsity)`` (Bernoulli) or uniform in ``[-sqrt(3) σ, sqrt(3) σ]`` with σ the
  layer's weight std (top-k; the paper uses Kaiming-uniform scores, the same scale for our Kaiming nets).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import torch
from torch import nn
from torch.nn.utils import parametrize

from lottery._compat import renamed
from lottery._validation import check_data, check_fraction, check_seed
from lottery.masks import Mask
from lottery.methods._common import masked_state, new_model, provenance, resolve_config, snapshot
from lottery.reinitialisation import reinit
from lottery.ticket import Ticket
from lottery.training import train as train_model

__all__ = [
    "VARIANTS",
    "WEIGHTS",
    "ScoredMask",
    "SupermaskResult",
    "supermask",
    "supermask_training",
    "top_k_mask",
]

VARIANTS = ("bernoulli", "top_k")
WEIGHTS = ("init", "signed_constant")
PAPERS = {
    "bernoulli": "Zhou, Lan, Liu, Yosinski. Deconstructing lottery tickets: zeros, signs, and the supermask. "
    "NeurIPS 2019",
    "top_k": "Ramanujan, Wortsman, Kembhavi, Farhadi, Rastegari. What's hidden in a randomly weighted neural "
    "network? CVPR 2020",
}
DEFAULTS = {
    "bernoulli": dict(optimizer="sgd", lr=100.0, momentum=0.9),
    "top_k": dict(optimizer="sgd", lr=0.1, momentum=0.9, weight_decay=5e-4, schedule="cosine"),
}


class _StraightThrough(torch.autograd.Function):
    """Forward: the hard mask; backward: the gradient goes unchanged to the soft surrogate."""

    @staticmethod
    def forward(ctx, hard: torch.Tensor, soft: torch.Tensor) -> torch.Tensor:
        return hard

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return None, grad


def top_k_mask(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Bool mask of the ``k`` largest entries of ``scores`` (ties by index order), same shape.

    Parameters
    ----------
    scores : torch.Tensor
    k : int
        ``0 <= k <= scores.numel()``.
    """
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= scores.numel():
        raise ValueError(f"k must be an int in [0, {scores.numel()}], got {k!r}")
    flat = torch.zeros(scores.numel(), dtype=torch.bool, device=scores.device)
    flat[torch.topk(scores.detach().reshape(-1), k, sorted=False).indices] = True
    return flat.reshape(scores.shape)


class SupermaskResult:
    """Scores and masks of a supermask run (what :func:`supermask_training` returns).

    Attributes
    ----------
    scores : dict of str to torch.Tensor
        Final scores, float32, shapes of the weights.
    mask : Mask
        The final deterministic mask.
    weights : dict of str to torch.Tensor
        The frozen full state dict the mask is applied to.
    history : History
    """

    def __init__(self, scores, mask, weights, history) -> None:
        self.scores, self.mask, self.weights, self.history = scores, mask, weights, history


def _final_mask(variant: str, scores: dict, counts: dict) -> Mask:
    if variant == "bernoulli":
        return Mask({n: (s.detach() > 0).cpu() for n, s in scores.items()})
    return Mask({n: top_k_mask(s, counts[n]).cpu() for n, s in scores.items()})


class ScoredMask(nn.Module):
    """Parametrisation ``W -> W ⊙ m(scores)`` of a frozen weight (``torch.nn.utils.parametrize``).

    In training mode ``m`` is a fresh Bernoulli sample of ``sigmoid(scores)`` (``bernoulli``) or the top-k
    mask of the scores (``top_k``), with the straight-through gradient; in eval mode it is the deterministic
    final mask (``scores > 0``, or the top-k).

    Parameters
    ----------
    scores : torch.Tensor
        Initial scores, the weight's shape; become the trainable parameter ``scores``.
    variant : {"bernoulli", "top_k"}
    count : int
        ``k`` of the top-k variant.
    generator : torch.Generator
        Draws the Bernoulli samples (shared by the layers, in forward order).
    """

    #: a lottery mask itself: :func:`lottery.masks.prunable_names` reads the weight under it as prunable
    lottery_mask = True

    def __init__(self, scores: torch.Tensor, *, variant: str, count: int, generator: torch.Generator):
        super().__init__()
        self.scores = nn.Parameter(scores)
        self.variant, self.count, self.generator = variant, count, generator

    def mask(self) -> torch.Tensor:
        """The deterministic mask, float, the weight's shape."""
        if self.variant == "bernoulli":
            return (self.scores.detach() > 0).to(self.scores.dtype)
        return top_k_mask(self.scores, self.count).to(self.scores.dtype)

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return weight * self.mask()
        if self.variant == "bernoulli":
            probability = torch.sigmoid(self.scores)
            hard = torch.bernoulli(probability.detach(), generator=self.generator)
            return weight * _StraightThrough.apply(hard, probability)
        hard = top_k_mask(self.scores, self.count).to(self.scores.dtype)
        return weight * _StraightThrough.apply(hard, self.scores)


def _initial_scores(variant, weights, names, sparsity, generator):
    """Initial scores (each of its weight's shape) and top-k counts ``round((1 - sparsity) numel)`` per name.

    ``bernoulli``: the constant logit of the keep probability ``1 - sparsity``; ``top_k``: uniform on
    ``±sqrt(3) std(W)`` (the weight's own scale, Ramanujan et al.'s Kaiming-uniform analogue).
    """
    scores, counts = {}, {}
    for n in names:
        w = weights[n]
        counts[n] = round((1.0 - sparsity) * w.numel())
        if variant == "bernoulli":
            density = min(max(1.0 - sparsity, 1e-3), 1.0 - 1e-3)
            s = torch.full(w.shape, math.log(density / (1.0 - density)))
        else:
            bound = math.sqrt(3.0) * float(w.double().std(correction=0)) or 1.0
            s = (torch.rand(w.shape, generator=generator) * 2.0 - 1.0) * bound
        scores[n] = s.to(w.dtype)
    return scores, counts


def _scored_copy(model: nn.Module, initial: dict, counts: dict, *, variant: str, generator: torch.Generator):
    """A frozen copy of ``model`` whose weights named in ``initial`` become ``W ⊙ m(scores)`` (ScoredMask).

    Parameters
    ----------
    initial : dict of str to torch.Tensor
        The initial scores, each of its weight's shape.
    counts : dict of str to int
        ``k`` of each weight for the top-k variant.

    Returns
    -------
    (torch.nn.Module, dict of str to ScoredMask)
        The copy (every original parameter frozen, in eval mode) and the parametrisations, whose ``scores``
        are the only trainable parameters.
    """
    scored = copy.deepcopy(model)
    for p in scored.parameters():
        p.requires_grad_(False)
    scored.eval()  # registering evaluates each parametrisation once: no Bernoulli draw (train() resets it)
    modules = dict(scored.named_modules())
    parametrisations = {}
    for n, scores in initial.items():
        module_name, _, attribute = n.rpartition(".")
        parametrisations[n] = ScoredMask(scores, variant=variant, count=counts[n], generator=generator)
        parametrize.register_parametrization(modules[module_name], attribute, parametrisations[n])
    return scored, parametrisations


def supermask_training(
    model: nn.Module,
    data,
    *,
    variant: str = "bernoulli",
    sparsity: float = 0.5,
    train=None,
    seed: int = 0,
    progress: bool | None = None,
    config=None,
) -> SupermaskResult:
    """Learn a supermask for the current (frozen) weights of ``model``; ``model`` is not modified.

    A copy of ``model`` gets a :class:`ScoredMask` parametrisation on every prunable weight and is trained
    by :func:`lottery.training.train` with the scores as the only parameters (weights and biases frozen).

    Parameters
    ----------
    model : torch.nn.Module
        Its weights are the frozen values; every prunable weight gets a score.
    data : lottery.data.Dataset
    variant : {"bernoulli", "top_k"}
    sparsity : float
        Target (``top_k``) or initial (``bernoulli``) sparsity, in [0, 1).
    train : TrainConfig or dict, optional
        Optimizer of the scores, length of training, batch size, ``restore_best`` (the best validation
        scores are returned); the training configuration keyword of every method (``config=`` is its
        deprecated name here).
    seed : int
        Seeds the scores, the Bernoulli samples and the data order.
    progress : bool, optional

    Returns
    -------
    SupermaskResult
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    check_data(data)
    seed = check_seed(seed)
    sparsity = check_fraction(sparsity, "sparsity", open_high=True)
    train = renamed("supermask_training", "config", config, "train", train)
    config = resolve_config(train, seed, "train", **DEFAULTS[variant])
    weights = {n: t.detach().clone() for n, t in model.state_dict().items()}
    names = list(Mask.ones(model))
    generator = torch.Generator().manual_seed(seed * 1_000_003 + 3)
    initial, counts = _initial_scores(variant, weights, names, sparsity, generator)
    scored, parametrisations = _scored_copy(model, initial, counts, variant=variant, generator=generator)
    history = train_model(
        scored, data, train=config, parameters=[parametrisations[n].scores for n in names],
        progress=progress, desc=f"supermask ({variant})",
    ).history  # fmt: skip
    scores = {n: parametrisations[n].scores.detach().clone() for n in names}
    return SupermaskResult(scores, _final_mask(variant, scores, counts), weights, history)


def supermask(
    model_fn: Callable[..., nn.Module],
    data,
    *,
    sparsity: float = 0.5,
    variant: str = "bernoulli",
    weights: str = "init",
    train=None,
    seed: int = 0,
    progress: bool | None = None,
) -> Ticket:
    """A supermask ticket: an untrained network and a learned mask (Zhou et al. 2019; Ramanujan et al. 2020).

    Parameters
    ----------
    model_fn : callable
        ``model_fn(seed=...) -> nn.Module``.
    data : lottery.data.Dataset
    sparsity : float
        ``top_k``: exact per-layer sparsity; ``bernoulli``: initial sparsity (the final one is learned).
    variant : {"bernoulli", "top_k"}
    weights : {"init", "signed_constant"}
        Frozen values: θ0, or ``sign(θ0) · std(θ0 of the layer)`` (Zhou et al.'s best supermasks,
        Ramanujan et al.'s "signed Kaiming constant").
    train : TrainConfig or dict, optional
        For the scores; defaults per variant (module docstring).
    seed : int
    progress : bool, optional

    Returns
    -------
    Ticket
        ``start_state == trained_state``: the frozen weights with the mask applied (the weights are never
        trained); ``init_state``: θ0. Provenance: variant, weights, learned sparsity, test accuracy.
    """
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {', '.join(WEIGHTS)}, got {weights!r}")
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    seed = check_seed(seed)
    model = new_model(model_fn, seed)
    init_state = snapshot(model)
    if weights == "signed_constant":
        model.load_state_dict(reinit("signed_constant", Mask.ones(model), init_state))
    config = resolve_config(train, seed, **DEFAULTS[variant])
    result = supermask_training(
        model, data, variant=variant, sparsity=sparsity, train=config, seed=seed, progress=progress
    )
    start = masked_state(result.weights, result.mask)
    return Ticket(
        mask=result.mask, init_state=init_state, start_state=start, trained_state=start,
        history=result.history,
        provenance=provenance(
            f"supermask_{variant}", paper=PAPERS[variant], mask=result.mask, data=data, seed=seed,
            train=config, variant=variant, weights=weights, initial_sparsity=sparsity,
            test_accuracy=result.history.test_accuracy, pruned="zero",
        ),
    )  # fmt: skip
