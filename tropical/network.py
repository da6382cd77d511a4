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
    refinement of the summands' linear regions. On 2-input networks the starting points are one point per
    linear region of a box (every ``F`` and ``G`` is affine on each), so the hull already equals the
    polynomial on the box and only faces whose tie points lie outside it are tested.
"""

from __future__ import annotations

import gc
import itertools
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy.spatial import QhullError

try:  # private scipy API: merged facets without triangulation, incremental insertion
    from scipy.spatial._qhull import _Qhull
except ImportError:  # a scipy without it: every caller catches QhullError and uses the public hull functions

    def _Qhull(*args, **kwargs):
        raise QhullError("scipy.spatial._qhull._Qhull is not available in this scipy version")


from tropical._progress import Progress
from tropical._threads import limited_threads
from tropical._validation import float_array
from tropical.budget import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_SECONDS,
    Cost,
    check_cost,
    count_text,
    hull_cost,
    oracle_cost,
)
from tropical.errors import ComputationTooLargeError, UnsupportedLayerError
from tropical.graph import Dense, Graph, piecewise_linear_graph
from tropical.hull import (
    MAX_QHULL_DIMENSION,
    RELATIVE_TOLERANCE,
    UPPER_NORMAL_THRESHOLD,
    affine_frame,
    normalise,
    unique_rows,
    upper_faces,
    upper_hull_vertices,
    upper_vertices_with_witnesses,
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
        X = float_array(X, "X")
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
#: Qhull options of the growing hull: coplanar facets are merged (one facet per cell of the dual
#: subdivision, no triangulation), and the wide merges of nearly degenerate lifted sets are allowed.
_GROWING_QHULL_OPTIONS = b"C-0 Q12"
#: Points are inserted into the growing hull while their scaled coordinates stay within this (the first
#: set's are within 1); farther ones make the oracle build the hull anew with a fresh scaling.
_REBUILD_EXTENT = 8.0


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused inside the block (restored on exit, also on an exception).

    Qhull's facets are read as one Python list per facet (tens of thousands, no reference cycles among
    them); their allocation triggers full collections, each of which walks every object of the process
    (with torch loaded, ~260,000 objects: 0.13 s per collection).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _facets(qhull) -> tuple[list, np.ndarray]:
    """The facets of a Qhull object (vertex lists) and their equations, read without collections."""
    with _collector_paused():
        return qhull.get_hull_facets()


def _spans(lifted: np.ndarray) -> bool:
    """Whether lifted points have full-dimensional exponents and do not lie on one hyperplane."""
    d = lifted.shape[1] - 1
    return (
        d >= 1
        and len(lifted) > d + 1
        and affine_frame(lifted[:, :-1]).dimension == d
        and affine_frame(normalise(lifted, lifted=True)[0]).dimension == d + 1
    )


class _GrowingHull:
    """The upper faces and the Newton polytope of a growing set of lifted points: one incremental Qhull
    kept across the oracle's rounds, so that a round that adds a handful of points costs a handful of
    insertions, not a new hull.

    Qhull merges coplanar facets and does not triangulate: every upper facet is one cell of the dual
    subdivision with one tie point (a cell of a 4-variable polynomial is about 20 triangles). The points
    are centred and scaled once, by the first set. Point ``i`` of the hull is row ``i`` of the lifted
    points in the order they were given.

    The hull is that of the points and the point at infinity below them, ``conv(S) + ray(-e_c)``, through
    the projective map ``(y, c) -> (y, 1) / (top - c)`` (``top`` above every coefficient; the map keeps
    convexity on ``c < top``), which sends that point to the origin. Its facets are the upper facets of
    ``S`` and one vertical facet through the origin over every facet of the Newton polytope: Qhull builds no
    lower hull, and the Newton polytope comes with the upper faces instead of from a hull of its own.
    A hyperplane ``<n, T(p)> + b = 0`` of the image is ``<n_y, y> - b c + (n_last + b top) = 0``.
    """

    def __init__(self, lifted: np.ndarray):
        self.origin = lifted.mean(axis=0)
        _, self.spread = normalise(lifted, lifted=True)
        scaled = self._scaled(lifted)
        self.top = float(scaled[:, -1].max()) + 1.0
        self.size = len(lifted)
        apex = np.zeros((1, lifted.shape[1]))  # the point at infinity below, point 0 of the hull
        self.qhull = _Qhull(
            b"i",
            np.ascontiguousarray(np.vstack([apex, self._projected(scaled)])),
            _GROWING_QHULL_OPTIONS,
            required_options=b"",
            incremental=True,
        )

    @classmethod
    def of(cls, lifted: np.ndarray) -> _GrowingHull | None:
        """The hull of ``lifted``, or None where Qhull cannot build it (a degenerate set)."""
        if not _spans(lifted):
            return None
        try:
            return cls(lifted)
        except QhullError:
            return None

    def _scaled(self, lifted: np.ndarray) -> np.ndarray:
        return (lifted - self.origin) / self.spread

    def _projected(self, scaled: np.ndarray) -> np.ndarray:
        homogeneous = np.column_stack([scaled[:, :-1], np.ones(len(scaled))])
        return np.ascontiguousarray(homogeneous / (self.top - scaled[:, -1:]))

    def add(self, lifted: np.ndarray) -> bool:
        """Insert points (the next rows); False when Qhull gives up (the hull is unusable then) or when they
        lie far outside the first set's box or near ``top`` (the scaling would cost Qhull precision: build
        anew)."""
        scaled = self._scaled(lifted)
        near_top = scaled[:, -1].max(initial=-np.inf) > self.top - 0.5
        if near_top or np.abs(scaled).max(initial=0.0) > _REBUILD_EXTENT:
            return False
        try:
            self.qhull.add_points(self._projected(scaled))
        except QhullError:
            return False
        self.size += len(lifted)
        return True

    def faces(self, lifted: np.ndarray) -> tuple[tuple, _Newton]:
        """The upper facets and the Newton polytope of the points ``lifted`` (the rows inserted so far).

        Returns
        -------
        faces : tuple
            ``members`` (point indices of the upper facets, concatenated), ``owner`` (the facet of every
            entry, sorted), the tie points ``ties``, shape (f, d), and ``rim``: the points over the Newton
            polytope's boundary (the vertices of the vertical facets).
        newton : _Newton
        """
        facets, equations = _facets(self.qhull)
        lengths = np.fromiter(map(len, facets), dtype=np.int64, count=len(facets))
        entries = np.fromiter(itertools.chain.from_iterable(facets), dtype=np.int64, count=int(lengths.sum()))
        owner = np.repeat(np.arange(len(facets)), lengths)
        members = entries - 1  # point 0 of the hull is the apex
        vertical = np.zeros(len(facets), dtype=bool)
        vertical[owner[members < 0]] = True
        n, b = equations[:, :-2], equations[:, -1]
        normals = np.column_stack([n, -b])  # in the scaled (y, c) coordinates
        norms = np.linalg.norm(normals, axis=1, keepdims=True)
        upper = ~vertical & (normals[:, -1] / norms[:, 0] > UPPER_NORMAL_THRESHOLD)
        number = np.cumsum(upper) - 1  # position of every upper facet among the upper ones
        keep = upper[owner]
        unscaled = normals[upper] / self.spread
        rim = np.unique(members[vertical[owner] & (members >= 0)])
        # vertical facets: <n_y, (a - origin) / s> + n_last <= 0 (b = 0: the hyperplane holds the apex)
        n_y, n_last = n[vertical], equations[vertical, -2]
        length = np.linalg.norm(n_y, axis=1)
        offsets = (n_last * self.spread[0] - n_y @ self.origin[:-1]) / length
        unit = n_y / length[:, None]
        newton = _Newton(np.column_stack([unit, offsets]), unit, lifted[rim, :-1])
        faces = (members[keep], number[owner[keep]], unscaled[:, :-1] / unscaled[:, -1:], rim)
        return faces, newton

    def close(self) -> None:
        self.qhull.close()


def _exact_ties(lifted: np.ndarray) -> np.ndarray:
    """Tie points of the upper faces of a set the growing hull cannot take (degenerate or refused by
    Qhull): :func:`tropical.hull.upper_faces`, which has exact fallbacks."""
    faces = upper_faces(lifted)
    return np.array([f.normal for f in faces]).reshape(len(faces), lifted.shape[1] - 1)


def _face_values(lifted: np.ndarray, faces) -> np.ndarray:
    """The value of every upper face at its tie point: the largest of its vertices' values there."""
    members, owner, ties, _ = faces
    values = np.full(len(ties), -np.inf)
    own = lifted[members, -1] + np.einsum("md,md->m", lifted[members, :-1], ties[owner])
    if len(own):  # the entries of a face are one run (``owner`` sorted): one reduction per run
        starts = np.flatnonzero(np.diff(owner, prepend=-1))
        values[owner[starts]] = np.maximum.reduceat(own, starts)
    return values


def _polynomial_values(lifted: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The polynomial ``max_i c_i + <a_i, x>`` of lifted points at the rows of ``X`` (blocks of the table)."""
    values = np.empty(len(X))
    step = max(1, (1 << 22) // max(len(lifted), 1))
    for start in range(0, len(X), step):
        block = slice(start, start + step)
        values[block] = (X[block] @ lifted[:, :-1].T + lifted[:, -1]).max(axis=1, initial=-np.inf)
    return values


def _final_vertices(lifted: np.ndarray, faces=None, newton: _Newton | None = None) -> np.ndarray:
    """Indices of the upper hull vertices of lifted points: the monomials of the reduced polynomial.

    Every vertex of an upper face is a candidate, with a witness: the mean of the tie points of its faces,
    pushed outward along the normals of the Newton polytope's facets through it (the regions of monomials
    on the boundary are unbounded). For a vertex this point is inside its region. Candidates it leaves
    undecided are tried at a nearer point (pushed :data:`_NEAR_PUSH` as far) before a linear program.
    The decision is :func:`tropical.hull.upper_vertices_with_witnesses`, the package's one definition of
    a kept monomial (the witnesses certify, a linear program decides the rest), so the oracle keeps what
    ``reduced()`` keeps.

    Parameters
    ----------
    lifted : ndarray, shape (n, d + 1)
    faces : tuple, optional
        ``(members, owner, ties, rim)`` of :meth:`_GrowingHull.faces` for these points; computed here
        when omitted. Degenerate sets go to :func:`tropical.hull.upper_hull_vertices`.
    newton : _Newton, optional
        The Newton polytope of the exponents, if known.
    """
    n, d = lifted.shape[0], lifted.shape[1] - 1
    if faces is None:
        hull = _GrowingHull.of(lifted)
        if hull is None:
            return upper_hull_vertices(lifted)
        faces, newton = hull.faces(lifted)
        hull.close()
    members, owner, ties, rim = faces
    count = np.bincount(members, minlength=n)
    candidates = np.flatnonzero(count)
    centre = np.column_stack([np.bincount(members, ties[owner, j], n) for j in range(d)])
    witnesses = centre[candidates] / count[candidates, None]
    equations = (_Newton.of(lifted[:, :-1]) if newton is None else newton).equations
    outer = np.flatnonzero(np.isin(candidates, rim))  # the others are inside the Newton polytope
    distance = lifted[candidates[outer], :-1] @ equations[:, :-1].T + equations[:, -1]
    on_facet = np.abs(distance) <= 10 * RELATIVE_TOLERANCE * np.ptp(lifted[:, :-1], axis=0).max()
    extent = 1.0 + float(np.ptp(ties, axis=0).max(initial=0.0))
    push = on_facet @ equations[:, :-1]
    nearer = witnesses.copy()
    witnesses[outer] += extent * push
    nearer[outer] += _NEAR_PUSH * extent * push
    return upper_vertices_with_witnesses(
        lifted, candidates, witnesses, faces=(members, owner), second_witnesses=nearer
    )


#: The second witness of a candidate on the Newton polytope's boundary is pushed this fraction of the
#: first's distance: a far witness pays ``tolerance * ||x||_1`` and can lose by it where the candidate wins
#: nearer (4-10-10-2: two candidates, which went to linear programs).
_NEAR_PUSH = 1e-3


@dataclass
class _Newton:
    """The Newton polytope of the monomials found so far.

    ``equations`` are its facets (``normal @ a + offset <= 0``, unit outward normals), ``directions`` the
    facet normals and both normals of its affine hull when it is flat (the directions at infinity to
    test), and ``vertices`` points that span it (its vertices, or every exponent on its boundary). The
    oracle reads it from the vertical facets of its growing hull (:meth:`_GrowingHull.faces`); :meth:`of`
    computes it for the sets that hull cannot take.
    """

    equations: np.ndarray
    directions: np.ndarray
    vertices: np.ndarray

    @classmethod
    def of(cls, exponents: np.ndarray) -> _Newton:
        """One Qhull with merged facets (isotropic scaling keeps the normals); flat or 1-D sets, and sets
        Qhull cannot take, by :class:`~tropical.polytope.Polytope`."""
        d = exponents.shape[1]
        if d >= 2 and len(exponents) > d and affine_frame(exponents).dimension == d:
            scaled, spread = normalise(exponents)
            try:
                qhull = _Qhull(
                    b"i", np.ascontiguousarray(scaled), _GROWING_QHULL_OPTIONS, required_options=b""
                )
                facets, equations = _facets(qhull)
                qhull.close()
            except QhullError:
                facets = None
            if facets is not None:
                normals = equations[:, :-1]
                offsets = equations[:, -1] * spread[0] - normals @ exponents.mean(axis=0)
                vertices = np.unique(np.fromiter(itertools.chain.from_iterable(facets), dtype=np.int64))
                return cls(np.column_stack([normals, offsets]), normals, exponents[vertices])
        polytope = Polytope(exponents)
        directions = [
            polytope.equations[:, :-1],
            polytope.affine_equations[:, :-1],
            -polytope.affine_equations[:, :-1],
        ]
        directions = np.vstack([np.atleast_2d(u) for u in directions if len(u)])
        return cls(polytope.equations, directions, polytope.vertices)


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


#: Largest number of linear regions whose interior points start the oracle on a 2-input network, and the
#: memory their sweep may use (``max_memory`` of :func:`tropical.linear_regions`).
MAX_SEED_REGIONS, MAX_SEED_BYTES = 100_000, 2e8
#: Tie points within this fraction of the covered box's half-width count as inside it (the box's edge
#: itself is no boundary of the regions).
_INSIDE = 1.0 - 1e-6
#: The regions' box is at most this many times the first layer's typical distance from the origin, and its
#: regions are resolved to this fraction of its half-width: regions thinner than 1e-10 of that distance may
#: be merged into a neighbour, 10x below the width at which a monomial wins by the tolerance of
#: ``reduced()`` (docs/tolerances.md), so every monomial the reduction keeps has a region of its own.
_SEED_BOX, _SEED_TOLERANCE = 1e3, 1e-13


def _region_points(model, input_shape, first: AffineLayer) -> tuple[np.ndarray, float]:
    """One interior point of every linear region of a 2-input network on a box ``[-h, h]^2`` around the
    crossings of its first layer's lines (:func:`tropical.linear_regions`), and ``h``.

    Every ``F`` and ``G`` of the network (of any layer) is affine on every linear region, with the
    monomial the oracle finds at its interior point. With these monomials among the points, a polynomial's
    current hull equals the polynomial on the whole box, so only faces whose tie points lie outside it
    need testing: the rounds find the monomials of unbounded regions beyond the box and certify the rest.
    No points and ``h = 0`` for other input dimensions, or when the regions exceed
    :data:`MAX_SEED_REGIONS` or their sweep :data:`MAX_SEED_BYTES` (the random starting points and the
    rounds alone are used then).
    """
    if first.n_in != 2:
        return np.zeros((0, first.n_in)), 0.0
    from tropical.regions import linear_regions

    weight = first.weight[np.linalg.norm(first.weight, axis=1) > 0]
    bias = first.bias[np.linalg.norm(first.weight, axis=1) > 0]
    i, j = np.triu_indices(len(weight), k=1)
    determinant = weight[i, 0] * weight[j, 1] - weight[i, 1] * weight[j, 0]
    crossing = determinant != 0
    i, j, determinant = i[crossing], j[crossing], determinant[crossing]
    x = (-bias[i] * weight[j, 1] + bias[j] * weight[i, 1]) / determinant
    y = (-bias[j] * weight[i, 0] + bias[i] * weight[j, 0]) / determinant
    near = np.abs(bias) / np.linalg.norm(weight, axis=1)
    scale = 1.0 + (float(np.median(near)) if len(near) else 0.0)  # as the random samples'
    extent = max(np.abs(np.concatenate([x, y, near])).max(initial=0.0), 1.0)
    half = min(2.0 * extent, _SEED_BOX * scale)
    if not np.isfinite(half):  # weights near the smallest floats: the random starts alone
        return np.zeros((0, 2)), 0.0
    try:
        regions = linear_regions(
            model,
            bounds=(-half, half, -half, half),
            input_shape=input_shape,
            max_regions=MAX_SEED_REGIONS,
            max_memory=MAX_SEED_BYTES,
            tolerance=_SEED_TOLERANCE,
        )
    except (ComputationTooLargeError, UnsupportedLayerError):
        return np.zeros((0, 2)), 0.0
    return regions.interior_points, half


def _starting_points(seeds: np.ndarray, covered: float, samples: np.ndarray) -> np.ndarray:
    """The region points and the random samples outside their box (inside it they find nothing new)."""
    outside = np.abs(samples).max(axis=1, initial=0.0) >= covered if covered else np.ones(len(samples), bool)
    return np.vstack([seeds, samples[outside]])


def _face_keys(ties: np.ndarray, values: np.ndarray) -> np.ndarray:
    """One 64-bit hash per face, of its tie point and value rounded to about 1e-11 of the face's own size.

    The step is a power of two per face (the same face gives the same key in every round); a step shared
    by all faces would follow the largest tie point (nearly vertical faces have ties of 1e12) and merge
    the keys of distinct faces, whose tests would then be skipped.
    """
    faces = np.column_stack([ties, values])
    size = np.maximum(np.abs(faces).max(axis=1, initial=0.0), 1e-300)
    step = np.exp2(np.ceil(np.log2(1e-11 * size)))
    rounded = np.clip(np.round(faces / step[:, None]), -(2.0**62), 2.0**62).astype(np.int64).view(np.uint64)
    key = np.zeros(len(faces), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in rounded.T:  # d + 1 columns; splitmix64-style mixing of each coordinate into the key
            key = (key ^ column) * np.uint64(0xBF58476D1CE4E5B9)
            key ^= key >> np.uint64(31)
            key *= np.uint64(0x94D049BB133111EB)
            key ^= key >> np.uint64(29)
    return key.view(np.int64)


def _distinct(points: np.ndarray) -> np.ndarray:
    """The points without repeats (docs/tolerances.md, "Coincide"), in their order."""
    representatives, _ = unique_rows(points)
    return points[np.sort(representatives)]


def _new_rows(points: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """The candidates that coincide with no point and no earlier candidate."""
    if len(candidates) == 0:
        return candidates
    combined = np.vstack([points, candidates])
    representatives, _ = unique_rows(combined)
    return combined[np.sort(representatives[representatives >= len(points)])]


def _oracle_hull(oracle: _Oracle, initial, directions, budget: _Budget, what: str, covered: float = 0.0):
    """Upper hull vertices of the lifted polytope that the oracle explores (see the module docstring).

    ``covered``: the half-width of a box ``[-h, h]^d`` whose linear regions all have a point among
    ``initial`` (:func:`_region_points`); faces whose tie points lie inside it need no test.
    """
    points = _distinct(np.vstack([oracle(initial), oracle(directions, at_infinity=True)]))
    rng = np.random.default_rng(0)
    tested = np.zeros(0, dtype=np.int64)  # keys of the faces tested and not violated
    hull = None
    try:
        for _ in range(10_000):
            if len(points) > budget.max_monomials:
                raise ComputationTooLargeError(
                    f"{what} has more than {budget.max_monomials:,} monomials (at least {len(points):,} "
                    "found); "
                    "raise max_monomials= if you have the memory, or use tropical.linear_regions for a 2-D "
                    "slice",
                    estimate=len(points),
                    limit=budget.max_monomials,
                )
            budget.check(len(points), what)
            found = []
            # one hull of the points: its upper faces (tie points) and the Newton polytope (directions at
            # infinity); the growing hull takes the new points, or is built anew
            if hull is not None and hull.size < len(points) and not hull.add(points[hull.size :]):
                hull.close()
                hull = None
            if hull is None:
                hull = _GrowingHull.of(points)
            faces, newton = hull.faces(points) if hull is not None else (None, _Newton.of(points[:, :-1]))
            normals = newton.directions
            candidates = oracle(normals, at_infinity=True)
            reach = np.einsum("fd,fd->f", candidates[:, :-1], normals)
            current = (normals @ newton.vertices.T).max(axis=1)  # the vertices span all the exponents
            # tolerances relative to the polynomial's own scale (exponents and coefficients of 1e-8 are fine)
            exponent_size = np.abs(np.vstack([points[:, :-1], candidates[:, :-1]])).max()
            above = reach > current + VIOLATION_TOLERANCE * np.abs(normals).sum(axis=1) * exponent_size
            found.append(candidates[above])
            # the upper faces: tie points, from the growing hull or exactly
            if faces is not None:
                ties, values = faces[2], _face_values(points, faces)
            else:
                ties = _exact_ties(points)
                values = _polynomial_values(points, ties)
            # a face tested in an earlier round and not violated gives the same answer again: skip it
            keys = _face_keys(ties, values)
            fresh = ~np.isin(keys, tested) & ~(np.abs(ties).max(axis=1) < _INSIDE * covered)
            ties, values, keys = ties[fresh], values[fresh], keys[fresh]
            if len(ties):
                candidates = oracle(ties)
                reach = candidates[:, -1] + np.einsum("fd,fd->f", candidates[:, :-1], ties)
                size = np.abs(np.vstack([points, candidates])).max(axis=0)
                scale = np.abs(values) + size[-1] + np.abs(ties).sum(axis=1) * size[:-1].max()
                above = reach > values + VIOLATION_TOLERANCE * scale
                tested = np.union1d(tested, keys[~above])
                if above.any():
                    jitter = ties[above] + 1e-7 * (1 + np.abs(ties[above])) * rng.standard_normal(
                        ties[above].shape
                    )
                    found.extend([candidates[above], oracle(jitter)])
            new = _new_rows(points, np.vstack(found))
            if len(new) == 0:
                break
            points = np.vstack([points, new])
        keep = _final_vertices(points, faces, newton)
    finally:
        if hull is not None:
            hull.close()
    budget.done(len(points))
    order = np.lexsort(points[keep, :-1].T[::-1])
    return TropicalPolynomial(points[keep[order], :-1], points[keep[order], -1])


# -------------------------------------------------------------------------------------- recursion
def _product(factors: list[TropicalPolynomial], d: int, check=None) -> TropicalPolynomial:
    """⊙ of many polynomials as a balanced tree of reduced pairwise products.

    ``check(n)``, if given, is called before each pairwise product of ``n`` lifted points is formed.
    """
    if not factors:
        return TropicalPolynomial.constant(0.0, d)
    while len(factors) > 1:
        paired = []
        for i in range(0, len(factors) - 1, 2):
            if check is not None:
                check(len(factors[i]) * len(factors[i + 1]))
            paired.append((factors[i] * factors[i + 1]).reduced())
        factors = paired + ([factors[-1]] if len(factors) % 2 else [])
    return factors[0]


class _RecursionBudget:
    """The estimated cost of ``method="recursion"``, summed over its pairwise products as they come: each
    product of ``n`` lifted points is reduced by a hull in ``d + 1`` dimensions
    (:func:`tropical.budget.hull_cost`; above 7 dimensions one linear program over all ``n`` points per
    point). Raises :class:`ComputationTooLargeError` before the product that would take the sum above the
    limits."""

    def __init__(self, d: int, limits: dict, name: str = "method='recursion'"):
        self.d, self.limits, self.name, self.seconds = d, limits, name, 0.0

    def __call__(self, n: int) -> None:
        cost = hull_cost(n, self.d + 1)
        self.seconds += cost.seconds
        check_cost(
            Cost(cost.memory, self.seconds),
            what=(
                f"{self.name} on a {self.d}-input network (its pairwise products so far, the last of "
                f"{n:,} lifted points, reduced in {self.d + 1} dimensions)"
            ),
            max_bytes=self.limits["max_bytes"],
            max_seconds=self.limits["max_seconds"],
            alternative=_ALTERNATIVE,
        )


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
            new_F.append(product([p**w for p, w in ((H, a), (M, b)) if w > 0], d))
            N = product([N] + [p**-w for p, w in ((H, a), (M, b)) if w < 0], d)
        new_G.append(N)
    return new_F, new_G


# ------------------------------------------------------------------------------------------ budget
#: The final size of a polynomial per monomial estimated from the starting points (typically 1.2-3x,
#: median about 2).
_GROWTH_OF_ESTIMATE = 2.0


def _monomial_estimate(lifted: np.ndarray) -> float:
    """Number of monomials of a polynomial, from the ones active at random points: Chao1 (``f1^2 / 2 f2``
    more than were seen, ``f1`` and ``f2`` the monomials seen once and twice; a lower estimate, as small
    regions are rarely hit) times :data:`_GROWTH_OF_ESTIMATE`."""
    _, groups = unique_rows(lifted)
    counts = np.bincount(groups)
    once, twice = float(np.sum(counts == 1)), float(np.sum(counts == 2))
    unseen = once * (once - 1) / 2 if twice == 0 else once * once / (2 * twice)
    return _GROWTH_OF_ESTIMATE * (len(counts) + unseen)


class _Budget:
    """The time and memory of a conversion, estimated before it starts and re-estimated every round.

    ``estimates`` holds the expected number of lifted points of every polynomial, in the order they are
    built. Before each round of polynomial ``i`` with ``n`` points the total is re-estimated (known sizes
    of the finished polynomials, ``max(n, estimate)`` for this one, the estimates of the others) and
    :class:`ComputationTooLargeError` is raised when it exceeds the limits. The decision depends on the
    point counts only (never on the clock), so a conversion is refused or done the same way every time.
    """

    def __init__(self, estimates, d: int, limits: dict, alternative: str):
        self.estimates, self.d, self.alternative = [float(e) for e in estimates], d, alternative
        self.max_seconds, self.max_bytes = limits["max_seconds"], limits["max_bytes"]
        self.max_monomials = limits["max_monomials"]
        self.finished: list[float] = []

    def total(self, current: float | None = None) -> Cost:
        sizes = self.finished + self.estimates[len(self.finished) :]
        if current is not None and len(self.finished) < len(sizes):
            sizes[len(self.finished)] = max(sizes[len(self.finished)], current)
        costs = [oracle_cost(n, self.d) for n in sizes]
        return Cost(max((c.memory for c in costs), default=0.0), sum(c.seconds for c in costs))

    def check(self, current: float | None = None, what: str = "") -> None:
        sizes = self.finished + self.estimates[len(self.finished) :]
        found = f" ({what}: {current:,.0f} monomials found so far)" if current is not None else ""
        check_cost(
            self.total(current),
            what=(
                f"The exact conversion of a {self.d}-input network ({len(sizes)} polynomials, about "
                f"{count_text(max(sizes, default=0))} monomials in the largest{found})"
            ),
            max_bytes=self.max_bytes,
            max_seconds=self.max_seconds,
            alternative=self.alternative,
        )

    def done(self, n: int) -> None:
        self.finished.append(float(n))


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
    max_seconds: float = DEFAULT_MAX_SECONDS,
    max_bytes: float = DEFAULT_MAX_BYTES,
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
        Number of random starting points of the oracle (>= 1). On 2-input networks the oracle starts from
        one point per linear region on a box (:func:`tropical.linear_regions`) and keeps only the random
        points outside it (docs/from_torch_speed.md).
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
    max_seconds, max_bytes : float
        Limits of the estimated running time (seconds on a 2-core machine) and peak memory (bytes)
        (:mod:`tropical.budget`; docs/from_torch_speed.md). The cost follows the number of monomials and
        the input dimension (the hulls are in ``d + 1`` dimensions). The oracle estimates it from the
        monomials found at the starting points before any hull is built, and again before every round;
        the recursion sums the estimates of its pairwise products before each one is formed. Above either
        limit :class:`ComputationTooLargeError` is raised with the estimate and what to compute instead.
        The decision depends on the monomials found, never on the clock.

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
        When a polynomial would exceed ``max_monomials``, or the conversion ``max_seconds`` or
        ``max_bytes`` (estimated).
    """
    if method not in ("auto", "oracle", "recursion"):
        raise ValueError(f"method must be 'auto', 'oracle' or 'recursion', got {method!r}")
    for name, value in (("max_seconds", max_seconds), ("max_bytes", max_bytes)):
        if isinstance(value, bool) or not isinstance(value, int | float | np.number) or not value > 0:
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    for name, value in (("samples", samples), ("max_monomials", max_monomials), ("threads", threads)):
        if name == "threads" and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if progress not in (None, True, False):
        raise ValueError(f"progress must be True, False or None (auto), got {progress!r}")
    with limited_threads(threads):
        limits = {
            "max_monomials": max_monomials,
            "max_seconds": float(max_seconds),
            "max_bytes": float(max_bytes),
        }
        return _convert(model, method, layers, limits, seed, samples, progress, input_shape)


def _convert(model, method, layers, limits, seed, samples, progress, input_shape) -> TropicalMap:
    """:func:`from_torch` after its arguments are checked, inside the thread limits."""
    graph = piecewise_linear_graph(model, input_shape=input_shape)
    d = graph.n_in
    max_monomials = limits["max_monomials"]
    name = f"method={method!r}"
    if method == "auto":
        method = "oracle" if d + 1 <= MAX_QHULL_DIMENSION else "recursion"
        name = (
            f"from_torch (method='auto' uses the pairwise recursion: the oracle reads at most "
            f"{MAX_QHULL_DIMENSION - 1} inputs)"
        )
    if method == "oracle" and d + 1 > MAX_QHULL_DIMENSION:
        raise ValueError(f"method='oracle' needs input dimension <= {MAX_QHULL_DIMENSION - 1}, got {d}")
    if not graph.is_chain:
        if method == "recursion":
            instead = (
                "Use method='oracle'."
                if d + 1 <= MAX_QHULL_DIMENSION
                else f"The oracle that reads them needs at most {MAX_QHULL_DIMENSION - 1} inputs, and this "
                f"model has {d}: {_ALTERNATIVE}."
            )
            raise UnsupportedLayerError(
                f"{name} reads chains of affine maps and activations; this model has residual "
                f"connections or max nodes. {instead}"
            )
        return _from_graph(graph, layers, limits, seed, samples, progress, (model, input_shape))
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
                f"Instead: {_chain_alternatives(widths, input_shape)}",
                estimate=bound,
                limit=max_monomials,
            )
        F = [TropicalPolynomial.variable(k, d) for k in range(d)]
        G = [TropicalPolynomial.constant(0.0, d) for _ in range(d)]
        per_layer = []
        bar = Progress(len(affine), progress, unit="layers")
        product = partial(_product, check=_RecursionBudget(d, limits, name))
        for depth, layer in enumerate(affine):
            F, G = _recursion_layer(F, G, layer, d, product=product)
            per_layer.append([TropicalRational(f, g) for f, g in zip(F, G, strict=True)])
            bar.update(f"layer {depth}", max(len(p) for p in F + G))
        bar.close()
        return TropicalMap(per_layer[-1], per_layer if layers else None, graph)

    seeds, covered = _region_points(model, input_shape, affine[0])
    initial = _starting_points(seeds, covered, _sample_points(affine, samples, rng))
    directions = rng.standard_normal((max(64, 16 * d), d))
    forwards = [_SharedStart(partial(_forward, affine, depth=depth), initial, directions) for depth in depths]
    units = [affine[depth].n_out for depth in depths]
    budget = _start_budget(forwards, units, initial, d, limits, bound)
    per_layer = []
    bar = Progress(2 * sum(units), progress)
    for depth, forward, count in zip(depths, forwards, units, strict=True):
        where = f"layer {depth}"
        per_layer.append(_unit_rationals(forward, count, where, initial, directions, budget, bar, covered))
    bar.close()
    return TropicalMap(per_layer[-1], per_layer if layers else None, graph)


#: What to compute instead of a conversion that is too large (it works for any input dimension).
_ALTERNATIVE = (
    "tropical.linear_regions(model, plane=(x0, x1, x2)) gives the exact linear regions and affine maps on a "
    "2-D slice through three inputs; tropical.metrics.decision_metrics(reference, model, plane=(x0, x1, "
    "x2)) compares two classifiers without the polynomials; evaluate the network itself for values"
)


def _chain_alternatives(widths: list[int], input_shape) -> str:
    """Calls that answer for a chain of ``widths`` (input, hidden...) that is too large to convert."""
    shape = "" if input_shape is None else f", input_shape={tuple(input_shape)}"
    if len(widths) == 2:
        polytope = f"tropical.decision_zonotopes(model{shape}) gives its decision zonotopes"
    else:
        polytope = (
            f"tropical.decision_zonotopes(model, rest='linear'{shape}) gives the zonotopes of its first "
            "hidden layer with the later layers read as their linear part (an approximation)"
        )
    if widths[0] == 2:
        domain, where = "bounds=(xmin, xmax, ymin, ymax)", "a box"
    else:
        domain, where = "plane=(x0, x1, x2)", "the plane through three inputs"
    return (
        f"{polytope}, measured in any dimension by tropical.metrics.hausdorff_bracket; "
        f"tropical.linear_regions(model, {domain}{shape}) gives the exact linear regions and affine maps "
        f"on {where}"
    )


def _start_budget(forwards, units, initial, d: int, limits: dict, bound: float = np.inf) -> _Budget:
    """The conversion's budget, checked once before any hull: every polynomial's size is estimated from
    the monomials active at the starting points (capped by the region bound of the widths, if known)."""
    estimates = []
    for index, (forward, count) in enumerate(zip(forwards, units, strict=True)):
        F, G = forward(initial)
        for unit in range(count):
            for side in (F, G):
                estimates.append(min(_monomial_estimate(side.unit(unit)), bound))
        if index:  # computed again when its layer is built: one layer's monomials in memory
            forward.kept.clear()
    budget = _Budget(estimates, d, limits, _ALTERNATIVE)
    budget.check()
    return budget


def _from_graph(graph: Graph, layers: bool, limits: dict, seed: int, samples: int, progress, source):
    """The oracle on a graph that is not a chain: one polynomial per unit of the requested nodes
    (``source``: the model and input shape it was read from)."""
    rng = np.random.default_rng(seed)
    d = graph.n_in
    splits = {id(op): _split(op) for node in graph.nodes for op in node.ops}
    first = _first_layer(graph)
    seeds, covered = _region_points(*source, first)
    initial = _starting_points(seeds, covered, _sample_points([first], samples, rng))
    directions = rng.standard_normal((max(64, 16 * d), d))
    targets = [
        i for i, node in enumerate(graph.nodes) if node.kind in ("activation", "max") and i < graph.output
    ]
    targets = [*targets, graph.output] if layers else [graph.output]
    forwards = [
        _SharedStart(partial(_graph_forward, graph, splits, target=target), initial, directions)
        for target in targets
    ]
    units = [graph.nodes[target].size for target in targets]
    budget = _start_budget(forwards, units, initial, d, limits)
    bar = Progress(2 * sum(units), progress)
    per_node = []
    for target, forward, count in zip(targets, forwards, units, strict=True):
        name = repr(graph.nodes[target].name)
        per_node.append(_unit_rationals(forward, count, name, initial, directions, budget, bar, covered))
    bar.close()
    return TropicalMap(per_node[-1], per_node if layers else None, graph)


def _unit_rationals(forward, units: int, where: str, initial, directions, budget: _Budget, bar, covered):
    """``F ⊘ G`` of every unit of one layer or node, each polynomial grown by the oracle."""
    rationals = []
    for unit in range(units):
        pair = []
        for denominator in (False, True):
            what = f"{'G' if denominator else 'F'} of unit {unit} of {where}"
            oracle = _Oracle(forward, unit, denominator)
            pair.append(_oracle_hull(oracle, initial, directions, budget, what, covered))
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
