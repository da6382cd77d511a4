"""Tropical pruning of one-hidden-layer classifiers: keep the decision-boundary zonotopes close.

For ``f(x) = B max(A x + c1, 0) + c2`` with ``A`` (p, n) and ``B`` (2, p), the decision boundary lies in the
tropical hypersurface of a polynomial whose Newton polytope is ``conv(Z(G1) ∪ Z(G2))`` with generators
(docs/math.md §3)

    G1 = Diag[ReLU(B(1,:)) + ReLU(-B(2,:))] A,   G2 = Diag[ReLU(B(2,:)) + ReLU(-B(1,:))] A.

Alfarra, Bibi, Hammoud, Gaafar, Ghanem ("On the decision boundaries of neural networks: a tropical geometry
perspective", TPAMI 2022) prune by solving, over sparse (Ã, B̃),

    min 1/2 ||G̃1 - G1||_F^2 + 1/2 ||G̃2 - G2||_F^2 + λ1 ||G̃1||_{2,1} + λ2 ||G̃2||_{2,1}

(``||G||_{2,1}``: the sum of the Euclidean norms of the generators, i.e. the rows). We solve it by exact
block-coordinate (alternating) minimisation: with B̃ fixed the rows of Ã decouple and each is a group
soft-thresholding (a proximal step, closed form); with Ã fixed every hidden unit's pair
``(u_j, v_j) = (ReLU(b̃1j) + ReLU(-b̃2j), ReLU(b̃2j) + ReLU(-b̃1j))`` is a 1-D non-negative least-squares
problem with an l1 term (closed form), and B̃ is read back from (u, v). Each block step minimises exactly,
so the objective never increases for a fixed support.

Misiakos, Smyrnis, Retsinas, Maragos ("Neural network approximation based on Hausdorff distance of tropical
zonotopes", ICLR 2022) compress instead: K-means on the (lifted) generators ``|w_j| (a_j, c1_j)`` of the
positive and negative units of ``w = B(1,:) - B(2,:)``, each cluster replaced by one unit whose generator is
the sum of its members (:func:`cluster_units`), reducing the hidden width.

The geometry is the tropical package's. A network is read by :func:`tropical.decision_weights` (``A``,
``B``, the hidden slopes and the generators ``G1``, ``G2``; ``UnsupportedLayerError`` for any other
architecture), and :func:`tropical.metrics.decision_metrics` compares the decision polytopes
(:func:`tropical.decision_polytope`) of two networks (Hausdorff distance, IoU, generator distance; exact in
2-D). Only the optimisation loop, whose iterates are arrays rather than a torch model, evaluates the
generators of its iterates itself (:func:`generators`, the array form of ``DecisionWeights.generators``).

LeakyReLU and PReLU hidden layers (any slopes ``a_j``, one per unit) are pruned too: unit j computes
``a_j z + (1 - a_j) relu(z)``, so its generators are those of a ReLU unit with row ``|1 - a_j| A_j`` (and the
two output entries swapped when ``a_j > 1``). The solver runs on that ReLU form and the weights are mapped
back; units with ``a_j = 1`` are linear, have no generators and keep their weights where the mask keeps them.

Departures from the papers
--------------------------
* A requested sparsity is reached by a projection: after ``warmup`` unconstrained iterations, Ã keeps its
  top-k entries by their contribution to the generators ``|ã_ij| sqrt(u_j^2 + v_j^2)``, B̃ its top-k by
  ``|b̃_kj| ||ã_j||`` (per layer), then the objective is minimised again on that support. The group penalty
  may zero further entries: the mask has exactly the requested sparsity, the weights can be sparser
  (``effective_sparsity`` in the provenance). The paper sets λ and prunes what becomes small.
* Two classes only (the paper's setting). Biases are kept at their trained values; only the generators,
  which do not involve them, are matched.
* ``λ`` defaults to 1% of the median generator norm of ``G1`` / ``G2`` (scale-free; the paper tunes it).
* Misiakos et al.'s clustering is for a single-output network; with two logits we cluster the units of the
  logit difference ``f1 - f2``, which is all the decision depends on: the compressed net has the same
  ``f1 - f2`` up to the clustering error (exactly when every cluster is a singleton), not the same logits.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lottery._validation import check_data, check_fraction, check_positive_int, check_seed
from lottery.masks import Mask
from lottery.methods._common import new_model, provenance, resolve_config, snapshot
from lottery.models import mlp
from lottery.ticket import Ticket
from lottery.training import evaluate
from lottery.training import train as train_model
from tropical.decision import DecisionWeights, decision_weights
from tropical.errors import UnsupportedLayerError

__all__ = [
    "TropicalPruneResult",
    "cluster_units",
    "compare_with_magnitude",
    "decision_metrics",
    "generators",
    "one_hidden_layer",
    "prune_generators",
    "tropical_cluster",
    "tropical_objective",
    "tropical_prune",
]

PAPERS = {
    "tropical": "Alfarra, Bibi, Hammoud, Gaafar, Ghanem. On the decision boundaries of neural networks: a "
    "tropical geometry perspective. TPAMI 2022",
    "tropical_cluster": "Misiakos, Smyrnis, Retsinas, Maragos. Neural network approximation based on "
    "Hausdorff distance of tropical zonotopes. ICLR 2022",
}


# -- reading and writing one-hidden-layer networks (read by tropical.decision_weights) --------------------
def _classifier(model: nn.Module, function: str, input_shape=None) -> tuple[DecisionWeights, list[str]]:
    """Alfarra et al.'s weights of ``model`` for classes (0, 1) and the names of its two weight parameters.

    The weights are :func:`tropical.decision_weights`' (which raises ``UnsupportedLayerError`` for anything
    but ``affine -> ReLU/LeakyReLU/PReLU -> affine``). Pruning writes ``A`` and ``B`` back into the model, so
    they must also be the model's own two prunable weight parameters, unchanged: a single logit, more than
    two classes, a convolution or a BatchNorm folded into ``A`` are refused with ``UnsupportedLayerError``.
    ``input_shape`` (per sample; the data's, when known) lets a model that reshapes its input be read.
    """
    try:
        weights = decision_weights(model, (0, 1), input_shape=input_shape)
    except (UnsupportedLayerError, ValueError) as error:  # ValueError: e.g. a conv model without input_shape
        kind = UnsupportedLayerError if isinstance(error, UnsupportedLayerError) else ValueError
        raise kind(
            f"{function} works on one-hidden-layer two-class classifiers only (tropical reads this model "
            f"with tropical.decision_weights): {error}"
        ) from None
    names = list(Mask.ones(model))
    parameters = dict(model.named_parameters())
    own = len(names) == 2 and all(
        tuple(parameters[name].shape) == value.shape
        and np.array_equal(parameters[name].detach().cpu().double().numpy(), value)
        for name, value in zip(names, (weights.weight, weights.output_weight), strict=True)
    )
    if not own:
        shapes = {name: tuple(parameters[name].shape) for name in names}
        logits = shapes[names[-1]][0] if names and len(shapes[names[-1]]) == 2 else None
        if logits is not None and logits != 2:
            raise UnsupportedLayerError(
                f"{function} works on two-class classifiers Linear(n, p) -> activation -> Linear(p, 2); "
                f"this model's last layer '{names[-1]}' has {logits} output{'s' * (logits != 1)} "
                f"(prunable weights {shapes}), and two logits are needed. Train a two-logit model on "
                "two-class data, or use a method that reads any model (METHODS['imp'], 'snip', 'gmp', ...)."
            )
        raise UnsupportedLayerError(
            f"{function} rewrites the two weight matrices of Linear(n, p) -> activation -> Linear(p, 2), "
            f"which must be the matrices the model computes with; this model's prunable weights are {shapes} "
            f"and it reads as A {weights.weight.shape}, B {weights.output_weight.shape}. Use two Linear "
            "layers and two logits (not one logit, no convolution, no BatchNorm between them)."
        )
    return weights, names


def _require_relu(weights: DecisionWeights, function: str) -> None:
    if np.any(weights.slope != 0.0):
        slopes = np.unique(weights.slope)
        raise UnsupportedLayerError(
            f"{function} needs ReLU hidden units; this model's hidden activation has negative-side slopes "
            f"{slopes[:5].tolist()}{' ...' if slopes.size > 5 else ''} (LeakyReLU or PReLU). "
            "tropical_prune accepts them."
        )


def one_hidden_layer(model: nn.Module) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """``A`` (p, n), ``c1`` (p,), ``B`` (2, p), ``c2`` (2,) in float64 and the two weight names.

    Read by :func:`tropical.decision_weights` (which also gives the hidden slopes and the generators).

    Raises
    ------
    tropical.errors.UnsupportedLayerError
        Unless ``model`` is ``Linear(n, p) -> ReLU/LeakyReLU/PReLU -> Linear(p, 2)`` (``Flatten``,
        ``Dropout``, ``Identity`` allowed) whose two weight parameters are ``A`` and ``B``.
    """
    weights, names = _classifier(model, "one_hidden_layer")
    return weights.weight, weights.bias, weights.output_weight, weights.output_bias, names


def _relu_form(weights: DecisionWeights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``Â`` (p, n), ``B̂`` (2, p) of a ReLU network with the generators of ``weights``, and ``s = 1 - a``.

    A unit with slope ``a`` computes ``a z + (1 - a) relu(z)``: its generators are those of a ReLU unit with
    row ``|s| A_j`` and, when ``s < 0`` (``a > 1``), the two output entries swapped
    (:class:`tropical.decision.DecisionWeights`). For ReLU (``a = 0``) ``Â = A`` and ``B̂ = B``.
    """
    s = 1.0 - weights.slope
    A_hat = np.abs(s)[:, None] * weights.weight
    B_hat = np.where(s < 0, weights.output_weight[::-1], weights.output_weight)
    return A_hat, B_hat, s


def _from_relu_form(
    result: TropicalPruneResult, weights: DecisionWeights, s: np.ndarray
) -> tuple[np.ndarray, ...]:
    """The pruned ``(Ã, B̃)`` and their masks from the solution ``(Â, B̂)`` of the ReLU form.

    Units with ``s = 0`` (slope 1, linear) have no generators: their kept weights stay as they were.
    """
    live = s != 0.0
    scale = np.where(live, np.abs(s), 1.0)[:, None]
    A_new = np.where(live[:, None], result.weight / scale, weights.weight * result.weight_mask)
    B_new = np.where(s < 0, result.output_weight[::-1], result.output_weight)
    B_mask = np.where(s < 0, result.output_mask[::-1], result.output_mask)
    return A_new, B_new, result.weight_mask, B_mask


def _pruned_copy(model: nn.Module, function: str, **options) -> tuple[nn.Module, Mask, TropicalPruneResult]:
    """A copy of ``model`` pruned by :func:`prune_generators` (``options``), its mask and the solver's result.

    The solver works on the ReLU form of the hidden slopes (:func:`_relu_form`); the copy holds the
    weights mapped back, so that its generators (:func:`tropical.decision_weights`) are the solver's.
    """
    weights, names = _classifier(model, function)
    A_hat, B_hat, s = _relu_form(weights)
    result = prune_generators(A_hat, B_hat, **options)
    A_new, B_new, A_mask, B_mask = _from_relu_form(result, weights, s)
    pruned = _with_weights(copy.deepcopy(model), names, A_new, B_new)
    return pruned, Mask({names[0]: torch.as_tensor(A_mask), names[1]: torch.as_tensor(B_mask)}), result


def _with_weights(model: nn.Module, names: list[str], A: np.ndarray, B: np.ndarray) -> nn.Module:
    parameters = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in zip(names, (A, B), strict=True):
            p = parameters[name]
            p.copy_(torch.as_tensor(value, dtype=p.dtype))
    return model


# -- the objective --------------------------------------------------------------------------------------
def _uv(B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    u = np.maximum(B[0], 0.0) + np.maximum(-B[1], 0.0)
    v = np.maximum(B[1], 0.0) + np.maximum(-B[0], 0.0)
    return u, v


def _check_two_class(A, B) -> tuple[np.ndarray, np.ndarray]:
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    if A.ndim != 2:
        raise ValueError(f"A must have shape (p, n), got {A.shape}")
    if B.ndim != 2 or B.shape[0] != 2 or B.shape[1] != A.shape[0]:
        raise ValueError(f"B must have shape (2, {A.shape[0]}) (two classes), got {B.shape}")
    return A, B


def generators(A, B) -> tuple[np.ndarray, np.ndarray]:
    """``G1``, ``G2`` of Alfarra et al., each (p, n): row j is ``w_j A_j`` (docs/math.md §3), from weights.

    The array form of ``tropical.decision_weights(model, (0, 1)).generators`` for a ReLU network, for the
    weights inside the optimisation loop of :func:`prune_generators`, which are not a torch model (the tests
    check that both agree). For a model use :func:`tropical.decision_weights`, which also reads LeakyReLU
    and PReLU slopes and gives the base points.

    Parameters
    ----------
    A : array_like, shape (p, n)
        Hidden-layer weight.
    B : array_like, shape (2, p)
        Output weight.
    """
    A, B = _check_two_class(A, B)
    u, v = _uv(B)
    return u[:, None] * A, v[:, None] * A


def tropical_objective(A_new, B_new, A, B, *, lambdas: tuple[float, float] = (0.0, 0.0)) -> float:
    """``1/2 ||G̃1 - G1||_F^2 + 1/2 ||G̃2 - G2||_F^2 + λ1 ||G̃1||_{2,1} + λ2 ||G̃2||_{2,1}``.

    Parameters
    ----------
    A_new, B_new : array_like, shapes (p, n) and (2, p)
        The pruned network's weights.
    A, B : array_like
        The original ones.
    lambdas : (float, float)
    """
    G1, G2 = generators(A, B)
    H1, H2 = generators(A_new, B_new)
    l1, l2 = lambdas
    return float(
        0.5 * np.sum((H1 - G1) ** 2) + 0.5 * np.sum((H2 - G2) ** 2)
        + l1 * np.linalg.norm(H1, axis=1).sum() + l2 * np.linalg.norm(H2, axis=1).sum()
    )  # fmt: skip


def _step_A(A_new, u, v, G1, G2, support, lambdas):
    """Exact minimisation over Ã (rows independent): group soft-thresholding on the support."""
    l1, l2 = lambdas
    q = u**2 + v**2
    r = (u[:, None] * G1 + v[:, None] * G2) * support
    norm = np.linalg.norm(r, axis=1)
    mu = l1 * u + l2 * v
    out = A_new.copy()
    active = q > 0
    shrink = np.where(norm > 0, np.maximum(0.0, 1.0 - mu / np.where(norm > 0, norm, 1.0)), 0.0)
    out[active] = (r[active] / q[active, None]) * shrink[active, None]
    return out


def _unit_objective(u, v, a, g1, g2, lambdas):
    n = np.linalg.norm(a, axis=-1)
    return (
        0.5 * np.sum((u[..., None] * a - g1) ** 2, axis=-1)
        + 0.5 * np.sum((v[..., None] * a - g2) ** 2, axis=-1)
        + lambdas[0] * u * n + lambdas[1] * v * n
    )  # fmt: skip


def _step_B(A_new, B_new, B_orig, G1, G2, support_B, lambdas):
    """Exact minimisation over B̃ through (u, v), respecting which entries of B̃ may be non-zero."""
    l1, l2 = lambdas
    alpha = np.sum(A_new**2, axis=1)
    norm_a = np.sqrt(alpha)
    safe = np.where(alpha > 0, alpha, 1.0)
    u_star = np.maximum(0.0, (np.sum(A_new * G1, axis=1) - l1 * norm_a) / safe)
    v_star = np.maximum(0.0, (np.sum(A_new * G2, axis=1) - l2 * norm_a) / safe)
    zero = np.zeros_like(u_star)
    f_u = _unit_objective(u_star, zero, A_new, G1, G2, lambdas)  # (u*, 0)
    f_v = _unit_objective(zero, v_star, A_new, G1, G2, lambdas)  # (0, v*)
    k1, k2 = support_B[0], support_B[1]
    out = np.zeros_like(B_new)
    # both entries free: (b1, b2) = (u, v) or (-v, -u), whichever is closer to the original pair
    plus = np.stack([u_star, v_star])
    minus = np.stack([-v_star, -u_star])
    closer = np.sum((plus - B_orig) ** 2, axis=0) <= np.sum((minus - B_orig) ** 2, axis=0)
    both = np.where(closer, plus, minus)
    only1 = np.where(f_u <= f_v, u_star, -v_star)  # b2 = 0: u = ReLU(b1), v = ReLU(-b1)
    only2 = np.where(f_u <= f_v, -u_star, v_star)  # b1 = 0: u = ReLU(-b2), v = ReLU(b2)
    sel_both, sel_1, sel_2 = k1 & k2, k1 & ~k2, ~k1 & k2
    out[:, sel_both] = both[:, sel_both]
    out[0, sel_1] = only1[sel_1]
    out[1, sel_2] = only2[sel_2]
    keep = alpha == 0  # a zero row makes the unit's generators zero whatever B̃ is: leave B̃ unchanged
    out[:, keep] = B_new[:, keep] * support_B[:, keep]
    return out


def _top_k(scores: np.ndarray, k: int, seed: int) -> np.ndarray:
    flat = scores.reshape(-1)
    order = np.random.default_rng(seed).permutation(flat.size)
    chosen = order[np.argsort(-flat[order], kind="stable")[:k]]
    mask = np.zeros(flat.size, dtype=bool)
    mask[chosen] = True
    return mask.reshape(scores.shape)


@dataclass
class TropicalPruneResult:
    """What :func:`prune_generators` returns.

    Attributes
    ----------
    weight : ndarray, shape (p, n)
        Ã.
    output_weight : ndarray, shape (2, p)
        B̃.
    weight_mask, output_mask : ndarray of bool
        Supports of Ã and B̃ (exactly the requested number of entries kept).
    objective : ndarray, shape (2 warmup + 1 + 2 iterations + 1,)
        The objective after every half-step: the start, ``2 warmup`` warm-up half-steps, then (index
        ``projection``) right after the projection and ``2 iterations`` half-steps on the support.
    projection : int
        Index in ``objective`` of the value right after the projection.
    lambdas : (float, float)
    """

    weight: np.ndarray
    output_weight: np.ndarray
    weight_mask: np.ndarray
    output_mask: np.ndarray
    objective: np.ndarray
    projection: int
    lambdas: tuple[float, float]


def prune_generators(
    A,
    B,
    *,
    sparsity: float | tuple[float, float],
    lambdas: tuple[float, float] | None = None,
    warmup: int = 10,
    iterations: int = 50,
    seed: int = 0,
) -> TropicalPruneResult:
    """Sparse (Ã, B̃) whose generators stay close to those of (A, B) (Alfarra et al. 2022).

    Parameters
    ----------
    A : array_like, shape (p, n)
    B : array_like, shape (2, p)
    sparsity : float or (float, float)
        Fraction of the entries of A and of B removed (one value for both, or one each), in [0, 1).
    lambdas : (float, float), optional
        ``λ1, λ2``; default 1% of the median generator norm of ``G1`` and ``G2``.
    warmup : int
        Alternating iterations on the full support before the projection (0 allowed).
    iterations : int
        Alternating iterations on the pruned support.
    seed : int
        Tie-breaks of the projection.

    Returns
    -------
    TropicalPruneResult
    """
    A, B = _check_two_class(A, B)
    if isinstance(sparsity, tuple | list):
        if len(sparsity) != 2:
            raise ValueError(f"sparsity must be a float or a pair, got {sparsity!r}")
        s_A, s_B = (check_fraction(s, "sparsity", open_high=True) for s in sparsity)
    else:
        s_A = s_B = check_fraction(sparsity, "sparsity", open_high=True)
    warmup = check_positive_int(warmup, "warmup", allow_zero=True)
    iterations = check_positive_int(iterations, "iterations", allow_zero=True)
    seed = check_seed(seed)
    G1, G2 = generators(A, B)
    if lambdas is None:
        lambdas = tuple(0.01 * float(np.median(np.linalg.norm(G, axis=1))) for G in (G1, G2))
    else:
        if len(lambdas) != 2 or any(not np.isfinite(x) or x < 0 for x in lambdas):
            raise ValueError(f"lambdas must be two finite numbers >= 0, got {lambdas!r}")
        lambdas = (float(lambdas[0]), float(lambdas[1]))
    A_new, B_new = A.copy(), B.copy()
    support_A = np.ones(A.shape, dtype=bool)
    support_B = np.ones(B.shape, dtype=bool)
    trace = [tropical_objective(A_new, B_new, A, B, lambdas=lambdas)]

    def alternate(count: int) -> None:
        nonlocal A_new, B_new
        for _ in range(count):
            u, v = _uv(B_new)
            A_new = _step_A(A_new, u, v, G1, G2, support_A, lambdas)
            trace.append(tropical_objective(A_new, B_new, A, B, lambdas=lambdas))
            B_new = _step_B(A_new, B_new, B, G1, G2, support_B, lambdas)
            trace.append(tropical_objective(A_new, B_new, A, B, lambdas=lambdas))

    alternate(warmup)
    u, v = _uv(B_new)
    score_A = np.abs(A_new) * np.sqrt(u**2 + v**2)[:, None]
    score_B = np.abs(B_new) * np.linalg.norm(A_new, axis=1)[None, :]
    support_A = _top_k(score_A, round((1.0 - s_A) * A.size), seed)
    support_B = _top_k(score_B, round((1.0 - s_B) * B.size), seed + 1)
    A_new, B_new = A_new * support_A, B_new * support_B
    projection = len(trace)
    trace.append(tropical_objective(A_new, B_new, A, B, lambdas=lambdas))
    alternate(iterations)
    return TropicalPruneResult(A_new, B_new, support_A, support_B, np.array(trace), projection, lambdas)


# -- decision polytopes (computed by the tropical package) ------------------------------------------------
def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _polytope_row(reference: nn.Module, model: nn.Module) -> dict:
    """The decision-polytope keys of :func:`tropical.metrics.decision_metrics` for classes (0, 1).

    ``polytope_method`` (a string) and the float keys of :data:`tropical.metrics.DECISION_METRICS` that
    name a polytope, plus ``generator_distance`` (an upper bound of ``polytope_hausdorff``).
    """
    from tropical.metrics import DECISION_METRICS
    from tropical.metrics import decision_metrics as compare

    row = compare(reference, model, classes=(0, 1))
    return {k: row[k] for k in DECISION_METRICS if "polytope" in k or k == "generator_distance"}


#: The keys of the deprecated :func:`decision_metrics` and the tropical keys they were renamed to.
_RENAMED = {
    "hausdorff": "polytope_hausdorff",
    "hausdorff_normalized": "polytope_hausdorff_normalized",
    "iou": "polytope_iou",
    "generator_bound": "generator_distance",
}


def decision_metrics(reference: nn.Module, model: nn.Module) -> dict[str, float]:
    """Deprecated: use :func:`tropical.metrics.decision_metrics` (keys renamed, see below).

    Returns ``hausdorff``, ``hausdorff_normalized``, ``iou`` and ``generator_bound``: the tropical keys
    ``polytope_hausdorff``, ``polytope_hausdorff_normalized``, ``polytope_iou`` and ``generator_distance``
    of the decision polytopes of two one-hidden-layer two-class networks.
    """
    import warnings

    warnings.warn(
        "lottery.methods.tropical_pruning.decision_metrics is deprecated; use "
        "tropical.metrics.decision_metrics(reference, model) (keys polytope_hausdorff, "
        "polytope_hausdorff_normalized, polytope_iou, generator_distance)",
        DeprecationWarning,
        stacklevel=2,
    )
    row = _polytope_row(reference, model)
    return {old: float(row[new]) for old, new in _RENAMED.items()}


def _provenance_values(row: dict) -> dict:
    """JSON-friendly values of a metrics row: non-finite floats become None, strings stay."""
    return {k: v if isinstance(v, str) else _finite_or_none(v) for k, v in row.items()}


# -- Misiakos et al.: clustering ------------------------------------------------------------------------
def cluster_units(model: nn.Module, *, width: int, seed: int = 0, n_init: int = 10) -> nn.Sequential:
    """A narrower network whose zonotope generators are K-means centroids (Misiakos et al. 2022).

    Parameters
    ----------
    model : torch.nn.Module
        ``Linear(n, p), ReLU, Linear(p, 2)`` (``UnsupportedLayerError`` otherwise; the clustering is for
        ReLU units).
    width : int
        Hidden width of the result, ``2 <= width``; with ``width >= p`` every unit is its own cluster.
    seed : int
        K-means initialisation (``sklearn.cluster.KMeans(random_state=seed)``).
    n_init : int
        K-means restarts.

    Returns
    -------
    torch.nn.Sequential
        ``lottery.mlp([n, K, 2])`` with ``K <= width`` hidden units (fewer if there are fewer units with a
        non-zero logit-difference weight); float32.

    Notes
    -----
    With ``w = B(1,:) - B(2,:)``, unit j contributes ``w_j ReLU(a_j x + c1_j) = ±ReLU(g_j · (x, 1))`` with the
    lifted generator ``g_j = |w_j| (a_j, c1_j)``. The positive and the negative units are clustered
    separately (widths split in proportion, each at least 1); a cluster becomes one unit with generator
    ``sum of its members`` (= size x centroid) feeding logit 1 (positive) or logit 2 (negative).
    """
    from sklearn.cluster import KMeans

    weights, _ = _classifier(model, "cluster_units")
    _require_relu(weights, "cluster_units (Misiakos et al.)")
    A, c1, B, c2 = weights.weight, weights.bias, weights.output_weight, weights.output_bias
    width = check_positive_int(width, "width")
    seed = check_seed(seed)
    w = B[0] - B[1]
    lifted = np.abs(w)[:, None] * np.concatenate([A, c1[:, None]], axis=1)
    groups = [np.flatnonzero(w > 0), np.flatnonzero(w < 0)]
    present = [g for g in groups if g.size]
    if not present:
        raise ValueError("model: every unit has B(1,j) = B(2,j); the decision does not depend on the input")
    if width < len(present):
        raise ValueError(f"width must be >= {len(present)} (one unit per sign present), got {width}")
    sizes = [g.size for g in groups]
    counts = [0, 0]
    if all(sizes):
        counts[0] = int(np.clip(round(width * sizes[0] / sum(sizes)), 1, width - 1))
        counts[1] = width - counts[0]
    else:
        counts[0 if sizes[0] else 1] = width
    rows, signs = [], []
    for sign, group, k in zip((1, -1), groups, counts, strict=True):
        if not group.size:
            continue
        points = lifted[group]
        if k >= group.size:
            rows.append(points)
        else:
            km = KMeans(n_clusters=k, random_state=seed, n_init=n_init).fit(points)
            sums = np.zeros((k, points.shape[1]))
            np.add.at(sums, km.labels_, points)
            rows.append(sums[np.bincount(km.labels_, minlength=k) > 0])
        signs.extend([sign] * len(rows[-1]))
    G = np.concatenate(rows)
    signs = np.array(signs)
    K = G.shape[0]
    net = mlp([A.shape[1], K, 2], seed=seed)
    with torch.no_grad():
        net[0].weight.copy_(torch.as_tensor(G[:, :-1]))
        net[0].bias.copy_(torch.as_tensor(G[:, -1]))
        net[2].weight.copy_(torch.as_tensor(np.stack([signs > 0, signs < 0]).astype(np.float64)))
        net[2].bias.copy_(torch.as_tensor(c2))
    return net


# -- methods with the common signature --------------------------------------------------------------------
def _dense_one_hidden(model_fn, data, config, seed, progress, function: str, *, relu: bool = False):
    """The network of ``model_fn``, checked before training (ReLU units only if ``relu``), then trained."""
    if getattr(data, "n_classes", 2) != 2:
        raise ValueError(
            f"data must have two classes for {function}, got {data.n_classes}: use a two-class dataset "
            "(moons, circles, ...) or a method that reads any model (METHODS['imp'], 'snip', 'gmp', ...)"
        )
    model = new_model(model_fn, seed)
    input_shape = tuple(data.x_train.shape[1:]) if hasattr(data, "x_train") else None
    weights, _ = _classifier(model, function, input_shape)
    if relu:
        _require_relu(weights, function)
    init_state = snapshot(model)
    result = train_model(model, data, train=config, progress=progress)
    return model, init_state, result


def tropical_prune(
    model_fn: Callable[..., nn.Module],
    data,
    *,
    sparsity: float,
    lambdas: tuple[float, float] | None = None,
    warmup: int = 10,
    iterations: int = 50,
    finetune: bool = True,
    train=None,
    seed: int = 0,
    progress: bool | None = None,
) -> Ticket:
    """Train a one-hidden-layer two-class network, prune it tropically (:func:`prune_generators`), fine-tune.

    Parameters
    ----------
    model_fn : callable
        ``model_fn(seed=...)`` returning ``Linear(n, p), ReLU, Linear(p, 2)``.
    data : lottery.data.Dataset
        Two classes.
    sparsity : float
        Fraction of each layer's weights removed.
    lambdas, warmup, iterations
        See :func:`prune_generators`.
    finetune : bool
        Train the pruned network again with its mask (the configuration of the dense run).
    train : TrainConfig or dict, optional
    seed : int
    progress : bool, optional

    Returns
    -------
    Ticket
        ``start_state``: the pruned weights before fine-tuning; ``trained_state``: after (or the same when
        ``finetune`` is false); ``init_state``: θ0. Provenance: the objective trace, ``pruned_test_accuracy``
        (before fine-tuning), ``dense_test_accuracy``, ``effective_sparsity``, ``polytope``
        (the polytope keys of :func:`tropical.metrics.decision_metrics` of the dense and the pruned network
        before fine-tuning, ``None`` for an undefined metric) and ``hausdorff`` (its
        ``polytope_hausdorff``).
    """
    check_data(data)
    seed = check_seed(seed)
    config = resolve_config(train, seed)
    model, init_state, dense = _dense_one_hidden(model_fn, data, config, seed, progress, "tropical_prune")
    dense_model = model
    model, mask, result = _pruned_copy(
        dense_model, "tropical_prune",
        sparsity=sparsity, lambdas=lambdas, warmup=warmup, iterations=iterations, seed=seed,
    )  # fmt: skip
    start = snapshot(model)
    pruned_accuracy = evaluate(model, data.x_test, data.y_test)[1]
    polytope = _provenance_values(_polytope_row(dense_model, model))
    history = None
    if finetune:
        tuned = train_model(model, data, mask=mask, train=config, progress=progress)
        history, trained = tuned.history, tuned.trained_state
    else:
        trained = start
    nonzero = sum(int(torch.count_nonzero(start[name])) for name in mask)
    return Ticket(
        mask=mask, init_state=init_state, start_state=start, trained_state=trained, history=history,
        provenance=provenance(
            "tropical", paper=PAPERS["tropical"], mask=mask, data=data, seed=seed, train=config,
            lambdas=list(result.lambdas), warmup=warmup, iterations=iterations, finetune=finetune,
            objective=result.objective.tolist(), projection=result.projection,
            effective_sparsity=1.0 - nonzero / mask.n_total, pruned_test_accuracy=pruned_accuracy,
            dense_test_accuracy=dense.history.test_accuracy, hausdorff=polytope["polytope_hausdorff"],
            polytope=polytope,
            test_accuracy=history.test_accuracy if history is not None else pruned_accuracy,
        ),
    )  # fmt: skip


def tropical_cluster(
    model_fn: Callable[..., nn.Module],
    data,
    *,
    sparsity: float,
    finetune: bool = True,
    n_init: int = 10,
    train=None,
    seed: int = 0,
    progress: bool | None = None,
) -> Ticket:
    """Train a one-hidden-layer two-class network and compress it by generator clustering (Misiakos et al.).

    Parameters
    ----------
    model_fn, data, train, seed, progress
        As for :func:`tropical_prune`.
    sparsity : float
        The hidden width becomes ``K = max(2, round((1 - sparsity) p))``, so about the same fraction of the
        weights remains as with unstructured pruning at ``sparsity``.
    finetune : bool
        Train the compressed (dense, narrower) network afterwards.
    n_init : int
        K-means restarts.

    Returns
    -------
    Ticket
        For the *compressed* architecture ``[n, K, 2]`` (a dense mask): ``init_state`` and ``start_state``
        are the clustered weights, ``trained_state`` the fine-tuned ones. Provenance: ``original_width``,
        ``width``, ``polytope`` and ``hausdorff`` (as in :func:`tropical_prune`), ``pruned_test_accuracy``,
        ``dense_test_accuracy``.
    """
    check_data(data)
    seed = check_seed(seed)
    sparsity = check_fraction(sparsity, "sparsity", open_high=True)
    config = resolve_config(train, seed)
    model, _, dense = _dense_one_hidden(model_fn, data, config, seed, progress, "tropical_cluster", relu=True)
    A = one_hidden_layer(model)[0]
    width = max(2, round((1.0 - sparsity) * A.shape[0]))
    small = cluster_units(model, width=width, seed=seed, n_init=n_init)
    start = snapshot(small)
    pruned_accuracy = evaluate(small, data.x_test, data.y_test)[1]
    A_small = one_hidden_layer(small)[0]
    polytope = _provenance_values(_polytope_row(model, small))
    mask = Mask.ones(small)
    history = None
    if finetune:
        tuned = train_model(small, data, train=config, progress=progress)
        history, trained = tuned.history, tuned.trained_state
    else:
        trained = start
    return Ticket(
        mask=mask, init_state=start, start_state=start, trained_state=trained, history=history,
        provenance=provenance(
            "tropical_cluster", paper=PAPERS["tropical_cluster"], mask=mask, data=data, seed=seed,
            train=config, original_width=int(A.shape[0]), width=int(A_small.shape[0]), finetune=finetune,
            weight_fraction=small_weight_fraction(A.shape, A_small.shape),
            hausdorff=polytope["polytope_hausdorff"], polytope=polytope,
            pruned_test_accuracy=pruned_accuracy, dense_test_accuracy=dense.history.test_accuracy,
            test_accuracy=history.test_accuracy if history is not None else pruned_accuracy,
        ),
    )  # fmt: skip


def small_weight_fraction(shape, small_shape) -> float:
    """Weights of ``[n, K, 2]`` over those of ``[n, p, 2]`` (``shape`` = (p, n), ``small_shape`` = (K, n))."""
    p, n = shape
    k = small_shape[0]
    return (k * n + 2 * k) / (p * n + 2 * p)


def compare_with_magnitude(
    model: nn.Module,
    data,
    *,
    sparsity: float,
    lambdas: tuple[float, float] | None = None,
    warmup: int = 10,
    iterations: int = 50,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Tropical pruning, magnitude pruning and generator clustering of a trained net, without fine-tuning.

    Parameters
    ----------
    model : torch.nn.Module
        Trained ``Linear(n, p), ReLU, Linear(p, 2)``; not modified.
    data : lottery.data.Dataset
        For the test accuracy.
    sparsity : float
        Per-layer sparsity of both pruning methods (magnitude: ``lottery.criteria.prune`` with
        ``scope="layer"``); clustering keeps ``max(2, round((1 - sparsity) p))`` units.
    lambdas, warmup, iterations, seed
        See :func:`prune_generators`.

    Returns
    -------
    dict
        ``{"dense" | "magnitude" | "tropical" | "cluster": {"test_accuracy", "polytope_hausdorff", ...,
        "generator_distance", "frobenius", "weight_fraction"}}``: the polytope keys of
        :func:`tropical.metrics.decision_metrics` of each network against the dense one (float keys only)
        and ``frobenius`` ``sqrt(||G̃1 - G1||_F^2 + ||G̃2 - G2||_F^2)``, the unit-by-unit distance that
        tropical pruning minimises (NaN for the clustered net, whose units do not correspond one to one).
    """
    from lottery.criteria import prune

    weights, _ = _classifier(model, "compare_with_magnitude")
    _require_relu(weights, "compare_with_magnitude (its clustering row, Misiakos et al.)")
    A, dense = weights.weight, weights.generators

    def row(net: nn.Module, fraction: float, matched: bool = True) -> dict[str, float]:
        frobenius = float("nan")
        if matched:
            pruned = decision_weights(net, (0, 1)).generators
            frobenius = float(np.sqrt(sum(np.sum((H - G) ** 2) for H, G in zip(pruned, dense, strict=True))))
        return {
            "test_accuracy": evaluate(net, data.x_test, data.y_test)[1],
            **{k: v for k, v in _polytope_row(model, net).items() if k != "polytope_method"},
            "frobenius": frobenius,
            "weight_fraction": fraction,
        }

    out = {"dense": row(model, 1.0)}
    magnitude = copy.deepcopy(model)
    mask = prune(magnitude, criterion="magnitude", sparsity=sparsity, scope="layer", seed=seed)
    mask.apply(magnitude)
    out["magnitude"] = row(magnitude, mask.density)
    tropical, tropical_mask, _ = _pruned_copy(
        model, "compare_with_magnitude",
        sparsity=sparsity, lambdas=lambdas, warmup=warmup, iterations=iterations, seed=seed,
    )  # fmt: skip
    out["tropical"] = row(tropical, tropical_mask.density)
    width = max(2, round((1.0 - check_fraction(sparsity, "sparsity")) * A.shape[0]))
    small = cluster_units(model, width=width, seed=seed)
    out["cluster"] = row(small, small_weight_fraction(A.shape, (small[0].weight.shape[0], A.shape[1])), False)
    return out
