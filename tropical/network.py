"""ReLU networks as tropical rational maps (Zhang, Naitzat & Lim, ICML 2018).

For a layer ``x -> sigma(W x + b)`` whose input is ``F - G`` (MATH.md §2), with ``W = W+ - W-``::

    H = W+ F + W- G + b,    N = W+ G + W- F,
    ReLU:        F' = H ⊕ N,                       G' = N
    LeakyReLU s: F' = H ⊕ (H^{⊙s} ⊙ N^{⊙(1-s)}),     G' = N
    linear:      F' = H,                           G' = N

(``+`` between polynomials is ⊙, a weight ``w >= 0`` is the tropical power ``^{⊙w}``, ``+ b`` adds ``b`` to
every coefficient), starting from ``F = x_k`` and ``G = 0``.

Two exact algorithms produce the reduced polynomials of this recursion:

``"recursion"``
    The recursion itself in :class:`~tropical.polynomial.TropicalPolynomial` arithmetic: every ⊙ of a
    layer is a Minkowski sum computed as a balanced tree of pairwise products, reduced after each product.
    Simple, any input dimension, but the pairwise products grow quadratically.

``"oracle"`` (default for input dimension <= 6)
    The recursion *evaluated* at a point ``x`` gives the value of every ``F`` and ``G`` and, by following
    which side of every ⊕ wins, the monomial that attains it -- a point of the lifted polytope that is
    extreme in direction ``(x, 1)``. Starting from monomials sampled at random points, every upper facet
    of the current hull is tested: if the recursion at the facet's tie point exceeds the facet's value, the
    monomial found there lies above the facet and is added; the same test with directions at infinity
    (biases ignored, coefficients breaking ties) grows the Newton polytope. When no facet is violated the
    hull is the upper hull of the whole recursion, i.e. the reduced polynomial. The cost follows the size of
    the output, never the ``|P| x |Q|`` products: this is the "merge whole sums at once" of the common
    refinement of the summands' linear regions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from tropical.errors import ComputationTooLargeError
from tropical.hull import (
    MAX_QHULL_DIMENSION,
    affine_frame,
    normalise,
    unique_rows,
    upper_faces,
    upper_hull_vertices,
    upper_simplices,
)
from tropical.layers import AffineLayer, affine_layers
from tropical.polynomial import TropicalPolynomial, TropicalRational
from tropical.polytope import Polytope

__all__ = ["TropicalMap", "from_torch", "region_count_bound"]

DEFAULT_MAX_MONOMIALS = 500_000
#: Relative margin by which a monomial must beat a facet to count as lying above it.
VIOLATION_TOLERANCE = 1e-10


class TropicalMap(Sequence):
    """A network as tropical rational functions, one ``F_k ⊘ G_k`` per output.

    Attributes
    ----------
    outputs : tuple of TropicalRational
        ``outputs[k](X) == network(X)[:, k]``.
    layers : tuple of tuples of TropicalRational, or None
        When requested, ``layers[l][i]`` is unit ``i`` of layer ``l`` after its activation (the last entry
        equals ``outputs``).
    """

    def __init__(self, outputs, layers=None):
        self.outputs = tuple(outputs)
        self.layers = None if layers is None else tuple(tuple(layer) for layer in layers)

    def __len__(self) -> int:
        return len(self.outputs)

    def __getitem__(self, index):
        return self.outputs[index]

    @property
    def dimension(self) -> int:
        """Input dimension ``d``."""
        return self.outputs[0].dimension

    def __call__(self, X) -> np.ndarray:
        """Evaluate all outputs: ``(n, d) -> (n, k)``."""
        return np.column_stack([output(X) for output in self.outputs])

    def monomial_counts(self) -> np.ndarray:
        """Number of monomials of ``(F_k, G_k)`` for every output, shape (k, 2)."""
        return np.array([[len(o.numerator), len(o.denominator)] for o in self.outputs])

    def __repr__(self) -> str:
        counts = ", ".join(f"{f}/{g}" for f, g in self.monomial_counts())
        return f"TropicalMap(outputs={len(self)}, variables={self.dimension}, monomials F/G: {counts})"


# ------------------------------------------------------------------------------------------ oracle
@dataclass
class _Monomials:
    """The active monomial of a vector of polynomials at a batch of points.

    ``coefficients`` has shape (n, units) and ``exponents`` shape (n, d, units) (units last, so that a
    layer is one matrix product over all points and coordinates).
    """

    coefficients: np.ndarray
    exponents: np.ndarray

    def combine(self, first_weight: np.ndarray, other: _Monomials, other_weight: np.ndarray, bias=None):
        """``first_weight @ self + other_weight @ other (+ bias)`` as monomials of the next layer."""
        coefficients = self.coefficients @ first_weight.T + other.coefficients @ other_weight.T
        if bias is not None:
            coefficients = coefficients + bias
        n, d, m = self.exponents.shape
        exponents = (
            self.exponents.reshape(n * d, m) @ first_weight.T
            + other.exponents.reshape(n * d, m) @ other_weight.T
        )
        return _Monomials(coefficients, exponents.reshape(n, d, -1))

    def mix(self, weight: float, other: _Monomials) -> _Monomials:
        return _Monomials(
            weight * self.coefficients + (1 - weight) * other.coefficients,
            weight * self.exponents + (1 - weight) * other.exponents,
        )

    def where(self, mask: np.ndarray, other: _Monomials) -> _Monomials:
        return _Monomials(
            np.where(mask, self.coefficients, other.coefficients),
            np.where(mask[:, None, :], self.exponents, other.exponents),
        )

    def unit(self, index: int) -> np.ndarray:
        """Lifted points ``(a, c)`` of one unit, shape (n, d + 1)."""
        return np.column_stack([self.exponents[:, :, index], self.coefficients[:, index]])


def _wins(first: _Monomials, second: _Monomials, X: np.ndarray, at_infinity: bool) -> np.ndarray:
    """Where ``first`` attains the maximum against ``second`` (ties go to ``first``).

    At a finite point ``x`` the values ``c + <a, x>`` are compared. For a direction ``u`` at infinity the
    biasless values ``<a, u>`` are compared and coefficients break ties: the winner maximises
    ``(u, epsilon)`` over the lifted points for an infinitesimal ``epsilon > 0``.
    """
    primary_1 = np.einsum("ndu,nd->nu", first.exponents, X)
    primary_2 = np.einsum("ndu,nd->nu", second.exponents, X)
    if not at_infinity:
        return first.coefficients + primary_1 >= second.coefficients + primary_2
    # relative to the size of the terms (rounding of the sums), never absolute: weights may be 1e-8
    magnitude = np.einsum("ndu,nd->nu", np.abs(first.exponents) + np.abs(second.exponents), np.abs(X))
    slack = 1e-12 * magnitude
    return (primary_1 > primary_2 + slack) | (
        (np.abs(primary_1 - primary_2) <= slack) & (first.coefficients >= second.coefficients)
    )


def _forward(layers: list[AffineLayer], X: np.ndarray, depth: int, at_infinity: bool = False):
    """The monomials of ``F`` and ``G`` of every unit of layer ``depth`` that are active at ``X``.

    Parameters
    ----------
    X : ndarray, shape (n, d)
        Points, or directions when ``at_infinity``.

    Returns
    -------
    F, G : _Monomials
        Coefficients (n, units) and exponents (n, d, units).
    """
    n, d = X.shape
    F = _Monomials(np.zeros((n, d)), np.ascontiguousarray(np.broadcast_to(np.eye(d), (n, d, d))))
    G = _Monomials(np.zeros((n, d)), np.zeros((n, d, d)))
    for layer in layers[: depth + 1]:
        positive, negative = np.maximum(layer.weight, 0), np.maximum(-layer.weight, 0)
        H = F.combine(positive, G, negative, bias=layer.bias)  # at infinity the bias only breaks ties
        N = G.combine(positive, F, negative)
        if layer.slope is None:
            F = H
        else:
            other = N if layer.slope == 0 else H.mix(layer.slope, N)
            F = H.where(_wins(H, other, X, at_infinity), other)
        G = N
    return F, G


# ----------------------------------------------------------------------------- hull by the oracle
def _facet_ties(lifted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tie points ``x`` and values of the upper facets of lifted points (Qhull triangles, not merged)."""
    exponents = lifted[:, :-1]
    d = exponents.shape[1]
    frame = affine_frame(exponents)
    if frame.dimension == d and d >= 1 and affine_frame(lifted).dimension == d + 1:
        scaled, spread = normalise(lifted, lifted=True)
        try:
            hull = ConvexHull(scaled, qhull_options="Qt")
        except QhullError:  # nearly degenerate: the merged faces below have an exact fallback
            hull = None
        if hull is not None:
            upper = upper_simplices(hull, scaled[:, :-1])
            normals = hull.equations[upper, :-1] / spread
            ties = normals[:, :-1] / normals[:, -1:]
            first = lifted[hull.simplices[upper, 0]]
            return ties, first[:, -1] + np.einsum("fd,fd->f", first[:, :-1], ties)
    faces = upper_faces(lifted)
    return np.array([f.normal for f in faces]), np.array([f.value for f in faces])


def _newton_directions(exponents: np.ndarray) -> np.ndarray:
    """Outward facet normals of the Newton polytope, and both normals of its affine hull if it is flat."""
    polytope = Polytope(exponents)
    directions = [
        polytope.equations[:, :-1],
        polytope.affine_equations[:, :-1],
        -polytope.affine_equations[:, :-1],
    ]
    return np.vstack([np.atleast_2d(u) for u in directions if len(u)])


class _Oracle:
    """The active monomial of one polynomial (``F`` or ``G`` of one unit) at points and at infinity."""

    def __init__(self, layers, depth: int, unit: int, denominator: bool):
        self.layers, self.depth, self.unit, self.denominator = layers, depth, unit, denominator

    def __call__(self, X: np.ndarray, at_infinity: bool = False) -> np.ndarray:
        F, G = _forward(self.layers, X, self.depth, at_infinity)
        return (G if self.denominator else F).unit(self.unit)


def _sample_points(layers: list[AffineLayer], n: int, rng: np.random.Generator) -> np.ndarray:
    """Points at several scales around the first layer's hyperplanes, where most regions are."""
    first = layers[0]
    norms = np.linalg.norm(first.weight, axis=1)
    distances = np.abs(first.bias[norms > 0]) / norms[norms > 0]
    scale = 1.0 + (float(np.median(distances)) if len(distances) else 0.0)
    scales = scale * np.geomspace(0.05, 50.0, 8)
    d = first.n_in
    points = rng.standard_normal((n, d)) * np.repeat(scales, -(-n // len(scales)))[:n, None]
    return points


def _oracle_hull(oracle: _Oracle, initial: np.ndarray, directions: np.ndarray, max_monomials: int, what: str):
    """Upper hull vertices of the lifted polytope that the oracle explores (see the module docstring)."""
    points = np.vstack([oracle(initial), oracle(directions, at_infinity=True)])
    rng = np.random.default_rng(0)
    for _ in range(10_000):
        representatives, _ = unique_rows(points)
        points = points[representatives]
        if len(points) > max_monomials:
            raise ComputationTooLargeError(
                f"{what} has more than {max_monomials:,} monomials (at least {len(points):,} found); "
                "raise max_monomials= if you have the memory, or use tropical.linear_regions for a 2-D slice",
                estimate=len(points),
                limit=max_monomials,
            )
        found = []
        # the Newton polytope: directions at infinity
        exponents = points[:, :-1]
        normals = _newton_directions(exponents)
        candidates = oracle(normals, at_infinity=True)
        reach = np.einsum("fd,fd->f", candidates[:, :-1], normals)
        current = (normals @ exponents.T).max(axis=1)
        # tolerances relative to the polynomial's own scale (exponents and coefficients of 1e-8 are fine)
        exponent_size = np.abs(np.vstack([exponents, candidates[:, :-1]])).max()
        above = reach > current + VIOLATION_TOLERANCE * np.abs(normals).sum(axis=1) * exponent_size
        found.append(candidates[above])
        # the upper facets: tie points
        ties, values = _facet_ties(points)
        if len(ties):
            candidates = oracle(ties)
            reach = candidates[:, -1] + np.einsum("fd,fd->f", candidates[:, :-1], ties)
            size = np.abs(np.vstack([points, candidates])).max(axis=0)
            scale = np.abs(values) + size[-1] + np.abs(ties).sum(axis=1) * size[:-1].max()
            above = reach > values + VIOLATION_TOLERANCE * scale
            if above.any():
                jitter = ties[above] + 1e-7 * (1 + np.abs(ties[above])) * rng.standard_normal(
                    ties[above].shape
                )
                found.extend([candidates[above], oracle(jitter)])
        new = np.vstack(found)
        if len(new) == 0:
            break
        points = np.vstack([points, new])
    keep = upper_hull_vertices(points)
    order = np.lexsort(points[keep, :-1].T[::-1])
    return TropicalPolynomial(points[keep[order], :-1], points[keep[order], -1])


# -------------------------------------------------------------------------------------- recursion
def _product(factors: list[TropicalPolynomial], d: int) -> TropicalPolynomial:
    """⊙ of many polynomials as a balanced tree of reduced pairwise products."""
    if not factors:
        return TropicalPolynomial.constant(0.0, d)
    while len(factors) > 1:
        paired = [(factors[i] * factors[i + 1]).reduced() for i in range(0, len(factors) - 1, 2)]
        factors = paired + ([factors[-1]] if len(factors) % 2 else [])
    return factors[0]


def _recursion_layer(F, G, layer: AffineLayer, d: int, product=_product):
    """One step of Zhang et al.'s recursion in polynomial arithmetic (MATH.md §2).

    ``product(factors, d)`` computes the ⊙ of a list of polynomials (reduced).
    """
    new_F, new_G = [], []
    for row, bias in zip(layer.weight, layer.bias, strict=True):
        h_factors = [F[j] ** w for j, w in enumerate(row) if w > 0] + [
            G[j] ** -w for j, w in enumerate(row) if w < 0
        ]
        n_factors = [G[j] ** w for j, w in enumerate(row) if w > 0] + [
            F[j] ** -w for j, w in enumerate(row) if w < 0
        ]
        H = product(h_factors, d) * float(bias)
        N = product(n_factors, d)
        if layer.slope is None:
            new_F.append(H)
        elif layer.slope == 0:
            new_F.append((H + N).reduced())
        else:
            new_F.append((H + ((H**layer.slope) * (N ** (1 - layer.slope))).reduced()).reduced())
        new_G.append(N)
    return new_F, new_G


# ------------------------------------------------------------------------------------ size control
def region_count_bound(widths: Sequence[int]) -> float:
    """Upper bound on the number of linear regions of a ReLU network (Serra, Tjandraatmadja & Ramalingam,
    ICML 2018, Theorem 1 without the refinement): ``prod_l sum_{j <= min(d, n_l)} C(n_l, j)``.

    Every reduced ``F`` and ``G`` of the network has at most this many monomials, because each linear
    region of the network selects one monomial of each of them.

    Parameters
    ----------
    widths : sequence of int
        ``(d, n_1, ..., n_L)``: input dimension and the widths of the layers with an activation.
    """
    d = widths[0]
    bound = 1.0
    for n in widths[1:]:
        bound *= sum(math.comb(n, j) for j in range(min(d, n) + 1))
    return bound


def from_torch(
    model,
    *,
    method: str = "auto",
    layers: bool = False,
    max_monomials: int = DEFAULT_MAX_MONOMIALS,
    seed: int = 0,
    samples: int = 4096,
    progress: bool = False,
) -> TropicalMap:
    """The exact tropical rational map of a feed-forward ReLU network (Zhang et al., ICML 2018).

    Parameters
    ----------
    model : torch.nn.Module
        ``nn.Sequential`` (nested is fine) of ``Linear``, ``ReLU``, ``LeakyReLU``, ``Identity``, ``Flatten``,
        ``Dropout`` (read as at evaluation time) and ``BatchNorm1d`` in eval mode. Effective weights are
        read, so pruned models (also ``torch.nn.utils.prune``'s re-parametrised ones) convert as they compute.
    method : {"auto", "oracle", "recursion"}
        Algorithm (see the module docstring); ``"auto"`` uses the oracle up to input dimension 6.
    layers : bool
        Also return the ``F`` and ``G`` of every unit of every layer (``TropicalMap.layers``).
    max_monomials : int
        Largest polynomial to build. Larger ones raise :class:`ComputationTooLargeError` with an estimate,
        before memory runs out.
    seed : int
        Seed of the random starting points of the oracle (the result does not depend on it).
    samples : int
        Number of starting points of the oracle.
    progress : bool
        Show a progress bar over the polynomials.

    Returns
    -------
    TropicalMap
        ``m(X)`` equals ``model(X)`` (float64, up to rounding) for ``X`` of shape (n, d). Every ``F``, ``G``
        is reduced.

    Raises
    ------
    UnsupportedLayerError
        For other modules, naming the class and position.
    ValueError
        For NaN or infinite weights, or an unknown method.
    ComputationTooLargeError
        When a polynomial would exceed ``max_monomials``.
    """
    if method not in ("auto", "oracle", "recursion"):
        raise ValueError(f"method must be 'auto', 'oracle' or 'recursion', got {method!r}")
    affine = affine_layers(model)
    d = affine[0].n_in
    if method == "auto":
        method = "oracle" if d + 1 <= MAX_QHULL_DIMENSION else "recursion"
    if method == "oracle" and d + 1 > MAX_QHULL_DIMENSION:
        raise ValueError(f"method='oracle' needs input dimension <= {MAX_QHULL_DIMENSION - 1}, got {d}")
    widths = [d] + [layer.n_out for layer in affine if layer.slope is not None]
    bound = region_count_bound(widths)
    rng = np.random.default_rng(seed)

    from tqdm.auto import tqdm

    depths = range(len(affine)) if layers else [len(affine) - 1]
    total = sum(2 * affine[depth].n_out for depth in depths)
    bar = tqdm(total=total, disable=not progress, desc="tropical polynomials", unit="poly")
    if method == "recursion":
        if bound > max_monomials:
            raise ComputationTooLargeError(
                f"the network may have up to {bound:.3g} monomials per polynomial (region bound for widths "
                f"{widths}), above max_monomials={max_monomials:,}; the pairwise recursion would not finish. "
                "Use tropical.decision_zonotopes (one hidden layer) or tropical.linear_regions (2-D slice)",
                estimate=bound,
                limit=max_monomials,
            )
        F = [TropicalPolynomial.variable(k, d) for k in range(d)]
        G = [TropicalPolynomial.constant(0.0, d) for _ in range(d)]
        per_layer = []
        for layer in affine:
            F, G = _recursion_layer(F, G, layer, d)
            per_layer.append([TropicalRational(f, g) for f, g in zip(F, G, strict=True)])
            bar.update(2 * layer.n_out if layers or layer is affine[-1] else 0)
        bar.close()
        return TropicalMap(per_layer[-1], per_layer if layers else None)

    initial = _sample_points(affine, samples, rng)
    directions = rng.standard_normal((max(64, 16 * d), d))
    per_layer = []
    for depth in depths:
        units = []
        for unit in range(affine[depth].n_out):
            pair = []
            for denominator in (False, True):
                what = f"{'G' if denominator else 'F'} of unit {unit} of layer {depth}"
                oracle = _Oracle(affine, depth, unit, denominator)
                pair.append(_oracle_hull(oracle, initial, directions, max_monomials, what))
                bar.update(1)
            units.append(TropicalRational(*pair))
        per_layer.append(units)
    bar.close()
    return TropicalMap(per_layer[-1], per_layer if layers else None)
