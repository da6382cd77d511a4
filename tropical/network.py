"""ReLU networks as tropical rational maps (Zhang, Naitzat & Lim, ICML 2018).

For a layer ``x -> sigma(W x + b)`` whose input is ``F - G`` (docs/math.md §2), with ``W = W+ - W-``::

    H = W+ F + W- G + b,    N = W+ G + W- F,
    ReLU:        F' = H ⊕ N,                       G' = N
    LeakyReLU s: F' = H ⊕ (H^{⊙s} ⊙ N^{⊙(1-s)}),     G' = N
    linear:      F' = H,                           G' = N

(``+`` between polynomials is ⊙, a weight ``w >= 0`` is the tropical power ``^{⊙w}``, ``+ b`` adds ``b`` to
every coefficient), starting from ``F = x_k`` and ``G = 0``. A slope ``s`` outside ``[0, 1]`` (``abs`` is
``s = -1``) uses ``where(x >= 0, x, s x) = s x + (1 - s) relu(x)``: with ``a = s``, ``b = 1 - s`` and
``M = H ⊕ N``, ``F' = a⁺ H + b⁺ M`` and ``G' = N + a⁻ H + b⁻ M``.

Any model :func:`tropical.graph.piecewise_linear_graph` reads is converted: affine nodes propagate ``F``,
``G`` through the positive and negative parts of their linear ops (convolutions stay convolutions), and a max
node (max-pooling, ``torch.maximum``) is the tropical sum
``max_j (F_j - G_j) = max_j (F_j + sum_{i != j} G_i) - sum_i G_i``.

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
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from tropical._threads import limited_threads
from tropical.errors import ComputationTooLargeError, UnsupportedLayerError
from tropical.graph import Dense, Graph, piecewise_linear_graph
from tropical.hull import (
    MAX_QHULL_DIMENSION,
    RELATIVE_TOLERANCE,
    affine_frame,
    normalise,
    unique_rows,
    upper_faces,
    upper_hull_vertices,
    upper_simplices,
)
from tropical.layers import AffineLayer
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
        ``outputs[k](X) == network(X)[:, k]`` up to rounding (see below).
    layers : tuple of tuples of TropicalRational, or None
        When requested, ``layers[l][i]`` is unit ``i`` of layer ``l`` after its activation (the last entry
        equals ``outputs``); for a non-chain graph the "layers" are its activation and max nodes.
    graph : tropical.graph.Graph or None
        The network that was converted; calling the map evaluates it.

    Notes
    -----
    ``m(X)`` evaluates the network itself (:attr:`graph`), so it is exact to float64 rounding of the
    network's own computation. ``m[k](X)`` evaluates ``F_k(X) - G_k(X)``: ``F_k`` and ``G_k`` grow with
    the product of the layers' weight norms, and their difference loses about ``log10(|F_k(x)| /
    |m[k](x)|)`` of float64's 16 digits (all of them when ``F_k`` reaches ~1e16 times the output, e.g. deep
    networks with weights ~1e3). The polynomials themselves (exponents, coefficients) are unaffected.
    """

    def __init__(self, outputs, layers=None, graph: Graph | None = None):
        self.outputs = tuple(outputs)
        self.layers = None if layers is None else tuple(tuple(layer) for layer in layers)
        self.graph = graph

    def __len__(self) -> int:
        return len(self.outputs)

    def __getitem__(self, index):
        return self.outputs[index]

    @property
    def dimension(self) -> int:
        """Input dimension ``d``."""
        return self.outputs[0].dimension

    def __call__(self, X) -> np.ndarray:
        """Evaluate all outputs: ``(n, d) -> (n, k)`` (the network's own forward pass when it is known)."""
        if hasattr(X, "detach"):  # a torch tensor
            X = X.detach().cpu().numpy()
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.dimension:
            raise ValueError(f"X must have shape (n, {self.dimension}), got {X.shape}")
        if self.graph is not None:
            return self.graph(X).reshape(len(X), -1)
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


def _combination(terms) -> _Monomials:
    """``sum_t c_t * m_t`` for monomials ``m_t`` and per-unit (or scalar) factors ``c_t >= 0``."""
    coefficients = sum(c * m.coefficients for c, m in terms)
    exponents = sum((c[None] if np.ndim(c) else c) * m.exponents for c, m in terms)
    return _Monomials(coefficients, exponents)


def _activate(H: _Monomials, N: _Monomials, slope, X, at_infinity: bool):
    """``F, G`` after ``where(x >= 0, x, slope * x)`` of ``x = H - N`` (any real slope, scalar or per unit).

    ``slope * x + (1 - slope) * relu(x)`` with ``relu(H - N) = max(H, N) - N``.
    """
    M = H.where(_wins(H, N, X, at_infinity), N)
    if np.ndim(slope) == 0 and slope == 0:
        return M, N
    if np.ndim(slope) == 0 and 0 < slope < 1:  # the recursion's own form, same values and ties
        other = H.mix(slope, N)
        return H.where(_wins(H, other, X, at_infinity), other), N
    a = np.asarray(slope, dtype=np.float64)
    b = 1.0 - a
    terms_F = [(np.maximum(a, 0), H), (np.maximum(b, 0), M)]
    terms_G = [(1.0, N), (np.maximum(-a, 0), H), (np.maximum(-b, 0), M)]
    return _combination(terms_F), _combination(terms_G)


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
            F, G = H, N
        else:
            F, G = _activate(H, N, layer.slope, X, at_infinity)
    return F, G


def _through(op, monomials: _Monomials) -> _Monomials:
    """A nonnegative linear op applied to the monomials of its input units."""
    n, d, _ = monomials.exponents.shape
    coefficients = op.apply(monomials.coefficients.reshape(n, *op.in_shape)).reshape(n, -1)
    exponents = op.apply(monomials.exponents.reshape(n * d, *op.in_shape)).reshape(n, d, -1)
    return _Monomials(coefficients, exponents)


def _gathered(monomials: _Monomials, index: np.ndarray) -> _Monomials:
    return _Monomials(monomials.coefficients[:, index], monomials.exponents[:, :, index])


def _max_node(F: _Monomials, G: _Monomials, windows: np.ndarray, X, at_infinity: bool):
    """``max_j (F_j - G_j) = max_j (F_j + sum_{i != j} G_i) - sum_i G_i`` over every window."""
    valid = windows >= 0
    index = np.maximum(windows, 0)
    Fw, Gw = _gathered(F, index), _gathered(G, index)  # coefficients (n, k, w), exponents (n, d, k, w)
    S = _Monomials((Gw.coefficients * valid).sum(axis=-1), (Gw.exponents * valid[None, None]).sum(axis=-1))
    difference = Fw.coefficients - Gw.coefficients
    primary = np.einsum("ndkw,nd->nkw", Fw.exponents - Gw.exponents, X)
    if not at_infinity:
        best = np.where(valid[None], difference + primary, -np.inf).argmax(axis=-1)
    else:
        magnitude = np.einsum("ndkw,nd->nkw", np.abs(Fw.exponents) + np.abs(Gw.exponents), np.abs(X))
        n, k, w = primary.shape
        best = np.zeros((n, k), dtype=np.int64)
        best_primary = np.full((n, k), -np.inf)
        best_coefficient = np.full((n, k), -np.inf)
        best_magnitude = np.zeros((n, k))
        for j in range(w):  # window positions (a few), not monomials
            slack = 1e-12 * np.maximum(magnitude[:, :, j], best_magnitude)
            better = valid[None, :, j] & (
                (primary[:, :, j] > best_primary + slack)
                | (
                    (np.abs(primary[:, :, j] - best_primary) <= slack)
                    & (difference[:, :, j] > best_coefficient)
                )
            )
            best = np.where(better, j, best)
            best_primary = np.where(better, primary[:, :, j], best_primary)
            best_coefficient = np.where(better, difference[:, :, j], best_coefficient)
            best_magnitude = np.where(better, magnitude[:, :, j], best_magnitude)
    pick = best[:, :, None]
    coefficients = np.take_along_axis(difference, pick, axis=-1)[..., 0] + S.coefficients
    exponents = np.take_along_axis(Fw.exponents - Gw.exponents, pick[:, None], axis=-1)[..., 0] + S.exponents
    return _Monomials(coefficients, exponents), S


def _graph_forward(graph: Graph, splits: dict, X: np.ndarray, target: int, at_infinity: bool = False):
    """:func:`_forward` on a piecewise-linear graph: ``F``, ``G`` of node ``target`` active at ``X``."""
    n, d = X.shape
    last_use = {}
    for index, node in enumerate(graph.nodes[: target + 1]):
        for i in node.inputs:
            last_use[i] = index
    state = {0: (
        _Monomials(np.zeros((n, d)), np.ascontiguousarray(np.broadcast_to(np.eye(d), (n, d, d)))),
        _Monomials(np.zeros((n, d)), np.zeros((n, d, d))),
    )}  # fmt: skip
    for index, node in enumerate(graph.nodes[1 : target + 1], start=1):
        if node.kind == "affine":
            bias = 0.0 if node.bias is None else np.broadcast_to(node.bias.reshape(-1), (n, node.size))
            F_terms, G_terms = [], []
            for op, i in zip(node.ops, node.inputs, strict=True):
                positive, negative = splits[id(op)]
                F_in, G_in = state[i]
                F_terms += [_through(positive, F_in), _through(negative, G_in)]
                G_terms += [_through(positive, G_in), _through(negative, F_in)]
            F = _combination([(1.0, m) for m in F_terms])
            F = _Monomials(F.coefficients + bias, F.exponents)
            G = _combination([(1.0, m) for m in G_terms])
        elif node.kind == "activation":
            slope = node.slope
            if np.ndim(slope):
                slope = np.broadcast_to(np.asarray(slope, dtype=np.float64), node.shape).reshape(-1)
            F, G = _activate(*state[node.inputs[0]], slope, X, at_infinity)
        else:
            F, G = _max_node(*state[node.inputs[0]], node.windows, X, at_infinity)
        state[index] = (F, G)
        for i in set(node.inputs):
            if last_use[i] == index:
                del state[i]
    return state[target]


# ----------------------------------------------------------------------------- hull by the oracle
def _facet_ties(lifted: np.ndarray):
    """Tie points ``x`` and values of the upper facets of lifted points, and the Qhull hull they come from.

    Qhull's triangles of one face share its tie point: each face is returned once (up to rounding). The
    hull is ``(hull, upper)`` (``upper`` marks the upper facets) or None when the merged faces of
    :func:`tropical.hull.upper_faces` were used.
    """
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
            values = first[:, -1] + np.einsum("fd,fd->f", first[:, :-1], ties)
            faces, _ = unique_rows(np.column_stack([ties, values]), tolerance=1e-11)
            return ties[faces], values[faces], (hull, upper)
    faces = upper_faces(lifted)
    return np.array([f.normal for f in faces]), np.array([f.value for f in faces]), None


def _final_vertices(lifted: np.ndarray, hull=None, tolerance: float = RELATIVE_TOLERANCE) -> np.ndarray:
    """Indices of the upper hull vertices of lifted points, from one Qhull triangulation, without a loop.

    A point is a vertex exactly when its region ``{x : c + <a, x> is the maximum}`` has an interior. That
    region is the convex hull of the tie points of the point's upper triangles plus the cone of the
    outward normals of the Newton polytope's facets through it, so the mean of the tie points pushed along
    the sum of the normals lies in its relative interior: the point is a vertex when it beats every other
    point there by more than rounding. Points inside a face (coplanar triangles, the middle of an edge)
    only tie there. Degenerate sets go to
    :func:`tropical.hull.upper_hull_vertices`. ``hull`` is the ``(hull, upper)`` of :func:`_facet_ties` for
    these points, if known.
    """
    exponents = lifted[:, :-1]
    n, d = exponents.shape
    if (
        d < 2
        or n <= d + 1
        or affine_frame(exponents).dimension != d
        or affine_frame(lifted).dimension != d + 1
    ):
        return upper_hull_vertices(lifted)
    scaled, spread = normalise(lifted, lifted=True)
    if hull is None:
        try:
            hull = ConvexHull(scaled, qhull_options="Qt")
        except QhullError:
            return upper_hull_vertices(lifted)
        upper = np.flatnonzero(upper_simplices(hull, scaled[:, :-1]))
    else:
        hull, upper = hull
    normals = hull.equations[upper, :-1] / spread
    ties = normals[:, :-1] / normals[:, -1:]
    simplices = hull.simplices[upper]
    count = np.bincount(simplices.ravel(), minlength=n)
    spread_ties = np.repeat(ties, d + 1, axis=0)
    centre = np.column_stack([np.bincount(simplices.ravel(), spread_ties[:, j], n) for j in range(d)])
    candidates = np.flatnonzero(count)
    centre = centre[candidates] / count[candidates, None]
    # the recession cone: outward normals of the Newton polytope's facets through the point
    newton = Polytope(exponents).equations
    distance = exponents[candidates] @ newton[:, :-1].T + newton[:, -1]
    on_facet = np.abs(distance) <= 10 * tolerance * np.ptp(exponents, axis=0).max()
    push = on_facet @ newton[:, :-1]
    extent = 1.0 + float(np.ptp(ties, axis=0).max(initial=0.0))
    X = centre + extent * push
    size = np.abs(lifted).max(axis=0)
    vertex = np.zeros(len(candidates), dtype=bool)
    step = max(1, (1 << 22) // n)
    for start in range(0, len(candidates), step):  # chunks of the (candidates, n) value table
        block = slice(start, start + step)
        values = lifted[:, -1] + X[block] @ exponents.T
        own = values[np.arange(len(values)), candidates[block]].copy()
        values[np.arange(len(values)), candidates[block]] = -np.inf
        scale = size[-1] + np.abs(X[block]).sum(axis=1) * size[:-1].max()
        vertex[block] = own > values.max(axis=1) + tolerance * scale
    return candidates[vertex]


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
    """The active monomial of one polynomial (``F`` or ``G`` of one unit) at points and at infinity.

    ``forward(X, at_infinity)`` returns the ``F``, ``G`` monomials of the unit's layer or node.
    """

    def __init__(self, forward, unit: int, denominator: bool):
        self.forward, self.unit, self.denominator = forward, unit, denominator

    def __call__(self, X: np.ndarray, at_infinity: bool = False) -> np.ndarray:
        F, G = self.forward(X, at_infinity=at_infinity)
        return (G if self.denominator else F).unit(self.unit)


class _SharedStart:
    """``forward(X, at_infinity)`` that keeps its answer for the starting points and directions, which are
    the same for every polynomial of a layer (one forward pass instead of one per polynomial)."""

    def __init__(self, forward, initial: np.ndarray, directions: np.ndarray):
        self.forward, self.starts, self.kept = forward, (initial, directions), {}

    def __call__(self, X: np.ndarray, at_infinity: bool = False):
        if not any(X is start for start in self.starts):
            return self.forward(X, at_infinity=at_infinity)
        key = (id(X), at_infinity)
        if key not in self.kept:
            self.kept[key] = self.forward(X, at_infinity=at_infinity)
        return self.kept[key]


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


def _face_keys(ties: np.ndarray, values: np.ndarray, tested: dict) -> np.ndarray:
    """One 64-bit hash per face, of its tie point and value rounded to 1e-11 of the first round's scale."""
    faces = np.column_stack([ties, values])
    if "step" not in tested:
        tested["step"] = 1e-11 * max(float(np.abs(faces).max(initial=0.0)), 1e-300)
    rounded = np.clip(np.round(faces / tested["step"]), -(2.0**62), 2.0**62).astype(np.int64).view(np.uint64)
    key = np.zeros(len(faces), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in rounded.T:  # d + 1 columns; splitmix64-style mixing of each coordinate into the key
            key = (key ^ column) * np.uint64(0xBF58476D1CE4E5B9)
            key ^= key >> np.uint64(31)
            key *= np.uint64(0x94D049BB133111EB)
            key ^= key >> np.uint64(29)
    return key.view(np.int64)


def _oracle_hull(oracle: _Oracle, initial: np.ndarray, directions: np.ndarray, max_monomials: int, what: str):
    """Upper hull vertices of the lifted polytope that the oracle explores (see the module docstring)."""
    points = np.vstack([oracle(initial), oracle(directions, at_infinity=True)])
    rng = np.random.default_rng(0)
    tested = {"keys": np.zeros(0, dtype=np.int64)}
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
        ties, values, hull = _facet_ties(points)
        # a face tested in an earlier round and not violated gives the same answer again: skip it
        keys = _face_keys(ties, values, tested)
        fresh = ~np.isin(keys, tested["keys"])
        ties, values, keys = ties[fresh], values[fresh], keys[fresh]
        if len(ties):
            candidates = oracle(ties)
            reach = candidates[:, -1] + np.einsum("fd,fd->f", candidates[:, :-1], ties)
            size = np.abs(np.vstack([points, candidates])).max(axis=0)
            scale = np.abs(values) + size[-1] + np.abs(ties).sum(axis=1) * size[:-1].max()
            above = reach > values + VIOLATION_TOLERANCE * scale
            tested["keys"] = np.union1d(tested["keys"], keys[~above])
            if above.any():
                jitter = ties[above] + 1e-7 * (1 + np.abs(ties[above])) * rng.standard_normal(
                    ties[above].shape
                )
                found.extend([candidates[above], oracle(jitter)])
        new = np.vstack(found)
        if len(new) == 0:
            break
        points, hull = np.vstack([points, new]), None
    keep = _final_vertices(points, hull)
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
    """One step of Zhang et al.'s recursion in polynomial arithmetic (docs/math.md §2).

    ``product(factors, d)`` computes the ⊙ of a list of polynomials (reduced).
    """
    new_F, new_G = [], []
    slopes = np.broadcast_to(
        np.asarray(np.nan if layer.slope is None else layer.slope, float), layer.bias.shape
    )
    for row, bias, slope in zip(layer.weight, layer.bias, slopes, strict=True):
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
        elif slope == 0:
            new_F.append((H + N).reduced())
        elif 0 < slope < 1:
            new_F.append((H + ((H**slope) * (N ** (1 - slope))).reduced()).reduced())
        else:  # s x + (1 - s) relu(x): the negative factor goes to G
            M = (H + N).reduced()
            a, b = float(slope), 1.0 - float(slope)
            new_F.append(_product([p**w for p, w in ((H, a), (M, b)) if w > 0], d))
            N = _product([N] + [p**-w for p, w in ((H, a), (M, b)) if w < 0], d)
        new_G.append(N)
    return new_F, new_G


# ---------------------------------------------------------------------------------------- progress
#: With ``progress=None``: seconds before a bar appears on a terminal, and before plain lines start elsewhere.
AUTO_PROGRESS_DELAY = {"tty": 2.0, "plain": 10.0}
#: Smallest interval between two plain-text progress lines.
PLAIN_PROGRESS_INTERVAL = 5.0


class _Progress:
    """Progress over the polynomials of a conversion: a tqdm bar on a terminal, plain lines elsewhere.

    ``progress=True`` shows it from the start; ``None`` (auto) only once the conversion has run for
    :data:`AUTO_PROGRESS_DELAY` seconds, so quick calls stay silent; ``False`` never. Without a terminal
    (CI, nohup, a notebook's captured stderr) one line is written to stderr at most every
    :data:`PLAIN_PROGRESS_INTERVAL` seconds and when the last polynomial is done.
    """

    def __init__(self, total: int, progress: bool | None, unit: str = "polynomials", stream=None):
        self.total, self.done, self.unit = total, 0, unit
        self.stream = sys.stderr if stream is None else stream
        self.start = self.last_line = time.perf_counter()
        tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.bar = None
        self.plain_delay = None
        if progress is False or total == 0:
            return
        if tty:
            from tqdm.auto import tqdm

            delay = 0.0 if progress else AUTO_PROGRESS_DELAY["tty"]
            self.bar = tqdm(
                total=total, desc=f"tropical {unit}", unit=unit[:-1], delay=delay, file=self.stream
            )
        else:
            self.plain_delay = 0.0 if progress else AUTO_PROGRESS_DELAY["plain"]

    def update(self, what: str, monomials: int) -> None:
        """One more polynomial is done: ``what`` names it, ``monomials`` is its size."""
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            return
        if self.plain_delay is None:
            return
        now = time.perf_counter()
        due = now - self.last_line >= PLAIN_PROGRESS_INTERVAL or self.done == self.total
        if now - self.start >= self.plain_delay and (due or (self.plain_delay == 0.0 and self.done == 1)):
            print(
                f"from_torch: {self.done}/{self.total} {self.unit}, last {what} ({monomials:,} monomials), "
                f"{now - self.start:.1f} s",
                file=self.stream,
                flush=True,
            )
            self.last_line = now

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


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
    progress: bool | None = None,
    input_shape=None,
    threads: int | None = 1,
) -> TropicalMap:
    """The exact tropical rational map of a piecewise-linear network (Zhang et al., ICML 2018).

    Parameters
    ----------
    model : torch.nn.Module
        Any model :func:`tropical.graph.piecewise_linear_graph` reads: ``nn.Sequential`` or custom modules
        of ``Linear``, convolutions, pooling, ``BatchNorm`` in eval mode, residual connections, ReLU,
        LeakyReLU (any slope), PReLU, Hardtanh, ReLU6, ``abs``, max-pooling... Effective weights are read,
        so pruned models (also ``torch.nn.utils.prune``'s re-parametrised ones) convert as they compute. A
        final ``Softmax``/``LogSoftmax`` is dropped: the map describes the logits.
    method : {"auto", "oracle", "recursion"}
        Algorithm (see the module docstring); ``"auto"`` uses the oracle up to input dimension 6. The
        recursion reads chains (no residual connection, no max node) only.
    layers : bool
        Also return the ``F`` and ``G`` of every unit of every layer (``TropicalMap.layers``).
    max_monomials : int
        Largest polynomial to build. Larger ones raise :class:`ComputationTooLargeError` with an estimate,
        before memory runs out.
    seed : int
        Seed of the random starting points of the oracle (the result does not depend on it).
    samples : int
        Number of starting points of the oracle (>= 1).
    progress : bool or None
        Progress over the polynomials: a tqdm bar when stderr is a terminal, otherwise one plain line on
        stderr every few seconds (so logs under CI or nohup show where the time goes). ``None`` (default)
        shows it only for long conversions (after 2 s on a terminal, 10 s elsewhere); ``True`` from the
        start; ``False`` never.
    input_shape : tuple of int, optional
        Per-sample input shape (e.g. ``(1, 3)`` for a ``Conv1d`` on a length-3 signal), needed when the
        model does not start with a ``Linear`` layer. The map's variables are the flattened input.
    threads : int or None
        BLAS/OpenMP threads (threadpoolctl) and torch intra-op threads while the polynomials are built
        (default 1: the oracle multiplies small matrices, where more threads only wait on each other,
        several times slower on a busy machine). The previous limits are restored on return; ``None``
        leaves the thread pools as they are.

    Returns
    -------
    TropicalMap
        ``m(X)`` equals ``model(X)`` for ``X`` of shape (n, d) (it evaluates the network; see
        :class:`TropicalMap` for the precision of ``F_k - G_k``). Every ``F``, ``G`` is reduced.

    Raises
    ------
    UnsupportedLayerError
        For modules without a piecewise-linear form, all of them named with their positions.
    ValueError
        For NaN or infinite weights, bad ``samples``/``max_monomials``/``input_shape``, or an unknown method.
    ComputationTooLargeError
        When a polynomial would exceed ``max_monomials``.
    """
    if method not in ("auto", "oracle", "recursion"):
        raise ValueError(f"method must be 'auto', 'oracle' or 'recursion', got {method!r}")
    for name, value in (("samples", samples), ("max_monomials", max_monomials), ("threads", threads)):
        if name == "threads" and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if progress not in (None, True, False):
        raise ValueError(f"progress must be True, False or None (auto), got {progress!r}")
    with limited_threads(threads):
        return _convert(model, method, layers, max_monomials, seed, samples, progress, input_shape)


def _convert(model, method, layers, max_monomials, seed, samples, progress, input_shape) -> TropicalMap:
    """:func:`from_torch` after its arguments are checked, inside the thread limits."""
    graph = piecewise_linear_graph(model, input_shape=input_shape)
    d = graph.n_in
    if method == "auto":
        method = "oracle" if d + 1 <= MAX_QHULL_DIMENSION else "recursion"
    if method == "oracle" and d + 1 > MAX_QHULL_DIMENSION:
        raise ValueError(f"method='oracle' needs input dimension <= {MAX_QHULL_DIMENSION - 1}, got {d}")
    if not graph.is_chain:
        if method == "recursion":
            raise UnsupportedLayerError(
                "method='recursion' reads chains of affine maps and activations; this model has residual "
                "connections or max nodes. Use method='oracle' (input dimension <= "
                f"{MAX_QHULL_DIMENSION - 1})"
            )
        return _from_graph(graph, layers, max_monomials, seed, samples, progress)
    affine = graph.chain()
    widths = [d] + [layer.n_out for layer in affine if layer.slope is not None]
    bound = region_count_bound(widths)
    rng = np.random.default_rng(seed)
    depths = range(len(affine)) if layers else [len(affine) - 1]
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
        bar = _Progress(len(affine), progress, unit="layers")
        for depth, layer in enumerate(affine):
            F, G = _recursion_layer(F, G, layer, d)
            per_layer.append([TropicalRational(f, g) for f, g in zip(F, G, strict=True)])
            bar.update(f"layer {depth}", max(len(p) for p in F + G))
        bar.close()
        return TropicalMap(per_layer[-1], per_layer if layers else None, graph)

    initial = _sample_points(affine, samples, rng)
    directions = rng.standard_normal((max(64, 16 * d), d))
    per_layer = []
    bar = _Progress(sum(2 * affine[depth].n_out for depth in depths), progress)
    for depth in depths:
        forward = _SharedStart(partial(_forward, affine, depth=depth), initial, directions)
        where = f"layer {depth}"
        per_layer.append(
            _unit_rationals(forward, affine[depth].n_out, where, initial, directions, max_monomials, bar)
        )
    bar.close()
    return TropicalMap(per_layer[-1], per_layer if layers else None, graph)


def _from_graph(graph: Graph, layers: bool, max_monomials: int, seed: int, samples: int, progress):
    """The oracle on a graph that is not a chain: one polynomial per unit of the requested nodes."""
    rng = np.random.default_rng(seed)
    d = graph.n_in
    splits = {id(op): _split(op) for node in graph.nodes for op in node.ops}
    initial = _sample_points([_first_layer(graph)], samples, rng)
    directions = rng.standard_normal((max(64, 16 * d), d))
    targets = [
        i for i, node in enumerate(graph.nodes) if node.kind in ("activation", "max") and i < graph.output
    ]
    targets = [*targets, graph.output] if layers else [graph.output]
    bar = _Progress(sum(2 * graph.nodes[t].size for t in targets), progress)
    per_node = []
    for target in targets:
        forward = _SharedStart(partial(_graph_forward, graph, splits, target=target), initial, directions)
        node = graph.nodes[target]
        per_node.append(
            _unit_rationals(forward, node.size, repr(node.name), initial, directions, max_monomials, bar)
        )
    bar.close()
    return TropicalMap(per_node[-1], per_node if layers else None, graph)


def _unit_rationals(forward, units: int, where: str, initial, directions, max_monomials: int, bar):
    """``F ⊘ G`` of every unit of one layer or node, each polynomial grown by the oracle."""
    rationals = []
    for unit in range(units):
        pair = []
        for denominator in (False, True):
            what = f"{'G' if denominator else 'F'} of unit {unit} of {where}"
            oracle = _Oracle(forward, unit, denominator)
            pair.append(_oracle_hull(oracle, initial, directions, max_monomials, what))
            bar.update(what, len(pair[-1]))
        rationals.append(TropicalRational(*pair))
    return rationals


def _split(op, max_entries: int = 1 << 22):
    """Positive and negative parts of an op, as dense matrices when small: the oracle applies them many
    times to small batches, where one matrix product beats a torch call."""
    positive, negative = op.split()
    if op.n_in * op.n_out > max_entries:
        return positive, negative
    return Dense(positive.matrix(), (op.n_in,)), Dense(negative.matrix(), (op.n_in,))


def _first_layer(graph: Graph) -> AffineLayer:
    """The affine map in front of the graph's first activation or max node (where regions start)."""
    first = next(
        (i for i, node in enumerate(graph.nodes) if node.kind in ("activation", "max")), graph.output
    )
    source = graph.nodes[first].inputs[0] if first != graph.output else first
    points = np.vstack([np.zeros(graph.n_in), np.eye(graph.n_in)])
    values = graph.values(points, keep=True)[source].reshape(len(points), -1)
    return AffineLayer((values[1:] - values[0]).T, values[0], 0.0, graph.nodes[source].name)
