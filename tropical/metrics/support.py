"""Hausdorff distances of convex bodies in any dimension, from their support functions: a certified bracket.

The Hausdorff distance of two convex bodies is ``H(A, B) = max_{|u| = 1} |h_A(u) - h_B(u)|`` with the support
function ``h_A(u) = max_{a in A} <a, u>`` (Schneider, *Convex Bodies*, Lemma 1.8.14). For zonotopes
``h_Z(u) = <c, u> + sum_j |<g_j, u>| / 2`` (``c`` the centre) and for the decision polytope
``conv(Z1 ∪ Z2)`` of a one-hidden-layer classifier ``h = max(h_Z1, h_Z2)``: exact and cheap in any dimension,
while the vertices are not (a 784-300 net's zonotope has more vertices than there are atoms in the universe).

:func:`hausdorff_bracket` returns ``lower <= H(A, B) <= upper``:

- ``lower``: the largest ``|h_A(u) - h_B(u)|`` over many directions (seeded Gaussian ones, the centre
  difference, the generators and their matched differences), improved by local ascent on the sphere from the
  best of them. Every evaluated direction gives a valid lower bound.
- ``upper``, the smallest of the certified bounds that apply:

  * ``"generators"`` (zonotopes and hulls of zonotopes), one side at a time. A point of ``Z`` is
    ``z(λ) = c + sum_j λ_j g_j`` with ``λ in [-1/2, 1/2]^p``; for an injective matching ``pi``, signs
    ``s_j`` and factors ``t_j in [0, 1]`` the point ``w(λ) = c' + sum_j s_j t_j λ_j g'_pi(j)`` lies in
    ``Z'``, so ``max_{z in Z} dist(z, Z') <= max_λ |z(λ) - w(λ)| = max_{s in {-1,1}^(p+1)} |D^T s|`` with
    rows ``d_0 = c - c'`` and ``d_j = (g_j - s_j t_j g'_pi(j)) / 2`` (a convex function of ``λ`` is largest
    at a vertex). ``t_j = 1`` is the generator matching of Misiakos et al. (ICLR 2022; its sum of norms is
    their bound); the ``t_j`` that shortens each row (``g_j`` minus its projection on the segment
    ``[-g'_pi(j), g'_pi(j)]``) is never worse row by row and halves the bound's square for unrelated,
    nearly orthogonal generators (``t_j = 0`` there: the bound becomes a radius of ``Z`` about ``c'``).
    Matchings: neuron order, and an optimal assignment on the rows' lengths. More generally any
    ``μ = M λ`` whose matrix has rows of l1 norm at most 1 keeps ``w = c' + sum_k μ_k g'_k`` in ``Z'``,
    with rows ``d_j = (g_j - sum_k M_kj g'_k) / 2``: for the entries that decide the result, ``M`` starts at
    the matching and follows accelerated projected gradient steps on ``|G - M^T G'|_F^2`` within a budget
    of floating-point operations (about 50 steps for 300 generators in 64-D, none in 784-D).
    ``max_s |D^T s|`` is at most the sum of the row norms and at most ``sqrt(sum_k w_k) ||W^(-1/2) D||_2``
    for any positive weights (Cauchy-Schwarz; ``w_k = 1`` and ``w_k = |d_k|`` are used); the bounds that
    decide the result are then tightened by the dual of the semidefinite relaxation of ``max_s |D^T s|``
    (``n lambda_max(D D^T - Diag(lambda)) + sum(lambda)``, within a few percent of the true maximum in
    tests, exact for orthogonal rows). Hulls: ``max_{a in conv ∪ A_i} dist(a, conv ∪ B_j) <=
    max_i min_j max_{a in A_i} dist(a, B_j)``, and ``H`` is the larger of the two sides.
  * ``"covering"`` (low dimension): ``h_A - h_B`` is Lipschitz with constant ``R_A + R_B`` (radii about a
    common point), so its maximum over the sphere is at most its maximum over a grid of directions with
    covering radius ``rho`` plus ``(R_A + R_B) rho``. The grid is the cube surface with ``k`` cells per
    edge, radially projected (1-Lipschitz), ``rho = sqrt(d - 1) / k``; only affordable for small ``d``.
  * ``"points"`` (point sets): ``H(conv P, conv Q) <= H(P, Q)``, the Hausdorff distance of the points.
  * ``"radius"`` (always): ``H(A, B) <= max(max_{a in A} |a - b0|, max_{b in B} |b - a0|)`` for points
    ``a0 in A``, ``b0 in B``.

Where the vertices are affordable (2-D and 3-D inputs, :mod:`tropical.budget`) ``method="auto"`` computes the
exact distance instead and ``lower == upper``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from tropical.budget import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_SECONDS,
    check_cost,
    count_text,
    hull_cost,
    nearest_point_cost,
    single_threaded,
)
from tropical.errors import ComputationTooLargeError
from tropical.metrics._bodies import body_or_points
from tropical.polytope import Polytope
from tropical.zonotope import Zonotope, ZonotopeHull, largest_singular_value, zonotope_vertex_bound

__all__ = ["HausdorffBracket", "convex_body", "hausdorff_bracket"]

#: Largest number of generators matched optimally (an ``n x n`` assignment); larger ones use index order.
_MAX_ASSIGNMENT = 3000
#: Subgradient steps of the semidefinite dual bound, and the largest number of rows it is used for.
_DUAL_ITERATIONS = 20
#: Floating-point operations allowed per refined entry for the general map bound (:func:`_mapped_rows`).
_MAP_FLOPS = 1.2e9
#: Random starts of the sign iterations that set the target of the dual steps.
_SIGN_STARTS = 16
_MAX_DUAL_ROWS = 2000
#: Largest number of point pairs for the point-set bound (one distance matrix).
_MAX_POINT_PAIRS = 4_000_000
#: Number of largest generators (and generator differences) per zonotope used as starting directions.
_INFORMED = 64
#: Angles (radians) of the trial steps of the local ascent.
_STEPS = np.array([0.5, 0.15, 0.04, 0.01, 0.002])


@dataclass(frozen=True)
class HausdorffBracket:
    """Certified bounds ``lower <= H(A, B) <= upper`` of a Hausdorff distance.

    Attributes
    ----------
    lower : float
        ``|h_A(u) - h_B(u)|`` at the best unit direction found (attained, so a lower bound).
    upper : float
        A certified upper bound (equal to ``lower`` when ``method == "exact"``).
    method : {"exact", "bracket"}
        ``"exact"``: computed from the vertices (2-D, 3-D when affordable).
    bound : str
        Which bound gave ``upper``: ``"exact"``, ``"generators"``, ``"covering"``, ``"points"`` or
        ``"radius"``.
    direction : ndarray, shape (d,)
        The unit direction attaining ``lower`` (``h_A - h_B`` has the sign ``sign``); NaN when exact.
    sign : int
        ``+1`` when ``h_A(direction) > h_B(direction)`` (``A`` sticks out of ``B`` there), ``-1`` when
        below, ``0`` when exact.
    """

    lower: float
    upper: float
    method: str
    bound: str
    direction: np.ndarray
    sign: int

    @property
    def width(self) -> float:
        """``upper - lower``."""
        return self.upper - self.lower

    @property
    def relative_width(self) -> float:
        """``(upper - lower) / upper`` (0 when exact, NaN when both are 0)."""
        return self.width / self.upper if self.upper > 0 else float("nan")

    def __repr__(self) -> str:
        return (
            f"HausdorffBracket(lower={self.lower:.6g}, upper={self.upper:.6g}, method={self.method!r}, "
            f"bound={self.bound!r})"
        )


class _PointSet:
    """The convex hull of a point set, through its support function only (no hull is computed)."""

    def __init__(self, points: np.ndarray):
        self.points = points
        self.ambient_dimension = points.shape[1]

    def support(self, directions) -> np.ndarray:
        return (np.atleast_2d(directions) @ self.points.T).max(axis=1)

    def support_points(self, directions) -> np.ndarray:
        return self.points[np.argmax(np.atleast_2d(directions) @ self.points.T, axis=1)]


def convex_body(value, *, classes=(0, 1), name: str = "A"):
    """What the support-function metrics accept, as an object with ``support`` and ``support_points``.

    Parameters
    ----------
    value : torch.nn.Module, Zonotope, ZonotopeHull, Polytope or array_like (n, d)
        A model is read as its decision polytope (:func:`tropical.decision_hull`, one-hidden-layer
        classifiers); an array is the convex hull of its rows (not computed).
    classes : (int, int)
        The class pair of a model's decision polytope.
    name : str
        Used in error messages.

    Raises
    ------
    UnsupportedLayerError
        For a model that is not ``Linear -> ReLU/LeakyReLU/PReLU -> Linear`` (the message says what the
        model reads as).
    TypeError
        For anything else (one message for every body metric, naming what is accepted).
    ValueError
        For points with NaN or infinite coordinates.
    """
    if isinstance(value, _PointSet):  # already read (projected_polygons passes its bodies on)
        return value
    body = body_or_points(value, name, classes=classes)
    if isinstance(body, Polytope):
        return _PointSet(body.vertices)
    return _PointSet(body) if isinstance(body, np.ndarray) else body


# ---------------------------------------------------------------------------------- upper bounds
def _members(body) -> tuple[Zonotope, ...] | None:
    if isinstance(body, Zonotope):
        return (body,)
    if isinstance(body, ZonotopeHull):
        return body.zonotopes
    return None


def _top_eigenvalue(gram: np.ndarray) -> float:
    from scipy.linalg import eigh

    top = len(gram) - 1
    return max(float(eigh(gram, eigvals_only=True, subset_by_index=[top, top])[0]), 0.0)


def _rows_bound(rows: np.ndarray) -> float:
    """An upper bound of ``max_{|u| = 1} sum_k |<d_k, u>|`` for the rows ``d_k``: the smallest of the sum of
    norms and the two weighted Cauchy-Schwarz bounds (see the module docstring), from one Gram matrix."""
    norms = np.linalg.norm(rows, axis=1)
    keep = norms > 0
    rows, norms = rows[keep], norms[keep]
    if len(rows) == 0:
        return 0.0
    total = float(norms.sum())
    if len(rows) > rows.shape[1]:  # the d x d Gram matrix is the smaller one
        uniform = np.sqrt(len(rows)) * largest_singular_value(rows)
        weighted = np.sqrt(total) * largest_singular_value(rows / np.sqrt(norms)[:, None])
        return float(min(total, uniform, weighted))
    gram = rows @ rows.T
    uniform = np.sqrt(len(rows) * _top_eigenvalue(gram))
    scale = 1.0 / np.sqrt(norms)
    weighted = np.sqrt(total * _top_eigenvalue(gram * np.outer(scale, scale)))
    return float(min(total, uniform, weighted))


def _residual_rows(G: np.ndarray, matched: np.ndarray) -> np.ndarray:
    """Rows ``(g_j - t_j s_j h_j) / 2`` of the map bound (module docstring): ``s_j`` the sign of
    ``<g_j, h_j>`` and ``t_j`` in ``[0, 1]`` the factor that makes the row shortest (``g_j`` minus its
    projection on the segment ``[-h_j, h_j]``; ``t_j = 1`` would be the generator matching)."""
    dot = np.einsum("ij,ij->i", G, matched)
    signs = np.where(dot >= 0, 1.0, -1.0)
    squared = (matched**2).sum(axis=1)
    t = np.clip(np.abs(dot) / np.where(squared > 0, squared, 1.0), 0.0, 1.0)
    return (G - (signs * t)[:, None] * matched) / 2


def _residual_costs(G: np.ndarray, H: np.ndarray) -> np.ndarray:
    """``(p, p)`` distances of every ``g_j`` to every segment ``[-h_k, h_k]`` (the projected rows' norms)."""
    squared_g, squared_h = (G**2).sum(axis=1), (H**2).sum(axis=1)
    cross = np.abs(G @ H.T)
    t = np.clip(cross / np.where(squared_h > 0, squared_h, 1.0)[None, :], 0.0, 1.0)
    return np.sqrt(np.maximum(squared_g[:, None] - t * (2 * cross - t * squared_h[None, :]), 0.0))


def _rows_in_l1_ball(M: np.ndarray) -> np.ndarray:
    """Each row of ``M`` projected on the unit l1 ball (Duchi, Shalev-Shwartz, Singer & Chandra, ICML
    2008), vectorised over rows, then scaled so that no row's l1 norm exceeds 1 after rounding."""
    size = np.abs(M)
    ordered = -np.sort(-size, axis=1)
    excess = np.cumsum(ordered, axis=1) - 1.0
    k = np.arange(1, M.shape[1] + 1)
    last = M.shape[1] - 1 - np.argmax((ordered - excess / k > 0)[:, ::-1], axis=1)
    theta = np.maximum(excess[np.arange(len(M)), last] / (last + 1), 0.0)
    out = np.sign(M) * np.maximum(size - theta[:, None], 0.0)
    return out / np.maximum(np.abs(out).sum(axis=1), 1.0)[:, None]


def _mapped_rows(Z: Zonotope, W: Zonotope, rows: np.ndarray, flops: float = _MAP_FLOPS) -> np.ndarray:
    """Rows of the map bound for a general linear map ``μ = M λ`` (module docstring): every row of ``M``
    with l1 norm at most 1 keeps ``w(λ) = c' + sum_k μ_k w_k`` in ``W``, and the rows are ``d_0 = c - c'``,
    ``d_j = (g_j - sum_k M_kj w_k) / 2``. ``M`` starts at the matching that gave ``rows`` (a scaled
    partial permutation: ``rows[1:] = (G - M^T H) / 2``, recovered by least squares on the matched
    generator) and follows accelerated projected gradient steps on ``|G - M^T H|_F^2`` (a proxy of the
    bound, which is evaluated on the result), as many as ``flops`` allows."""
    G, H = Z.generators, W.generators
    p, q, d = len(G), len(H), Z.ambient_dimension
    iterations = int(min(200, flops / max(4.0 * p * q * d, 1.0)))
    if iterations < 5 or p == 0 or q == 0:
        return rows
    taken = G - 2 * rows[1 : p + 1]  # (p, d): the part of every g_j that the matching maps, t_j s_j w_pi(j)
    step = 1.0 / max(largest_singular_value(H) ** 2, 1e-300)
    # initial M: the matched generator's factor, found as the coefficient of taken_j on each w_k
    coefficients = (taken @ H.T) / np.maximum((H**2).sum(axis=1), 1e-300)[None, :]  # (p, q)
    scale = np.linalg.norm(taken, axis=1)[:, None] * np.linalg.norm(H, axis=1)[None, :]
    exact = np.abs(np.abs(taken @ H.T) - scale) <= 1e-9 * np.maximum(scale, 1e-300)
    M = _rows_in_l1_ball(np.where(exact & (scale > 0), coefficients, 0.0).T)  # (q, p)
    previous, momentum = M, M
    for k in range(iterations):
        gradient = H @ (momentum.T @ H - G).T  # (q, p)
        M = _rows_in_l1_ball(momentum - step * gradient)
        momentum = M + (k / (k + 3)) * (M - previous)
        previous = M
    return np.vstack([rows[:1], (G - M.T @ H) / 2])


def _zonotope_bound(Z: Zonotope, W: Zonotope, *, assign: bool = True) -> tuple[float, np.ndarray]:
    """Certified upper bound of ``max_{z in Z} dist(z, W)`` (one side of ``H(Z, W)``) by the map bound of
    the module docstring: for generators matched in index order (neuron to neuron, for tickets of one
    network) and, if ``assign``, by an optimal assignment, each with the shortest rows. Returns the bound and
    the rows ``d_k`` of the best matching (for :func:`_hypercube_bound`)."""
    G, H = Z.generators, W.generators
    n = max(len(G), len(H))
    d = Z.ambient_dimension
    G = np.vstack([G, np.zeros((n - len(G), d))])
    H = np.vstack([H, np.zeros((n - len(H), d))])
    shift = Z.centroid - W.centroid
    matchings = [np.arange(n)]
    if (assign or len(Z) != len(W)) and 0 < n <= _MAX_ASSIGNMENT:
        matchings.append(linear_sum_assignment(_residual_costs(G, H))[1])
    best, best_rows = np.inf, None
    for matching in matchings:
        rows = np.vstack([shift[None], _residual_rows(G, H[matching])])
        value = _rows_bound(rows)
        if value < best:
            best, best_rows = value, rows
    return float(best), best_rows


def _hypercube_lower(rows: np.ndarray, starts: int = _SIGN_STARTS, steps: int = 30) -> float:
    """A lower estimate of ``max_{s in {-1, 1}^n} |D^T s|^2``: sign iterations ``s <- sign(D D^T s)`` (each
    never decreases ``|D^T s|``) from seeded random signs. Only the target of the dual steps below."""
    rng = np.random.default_rng(0)
    S = np.where(rng.standard_normal((len(rows), starts)) >= 0, 1.0, -1.0)
    for _ in range(steps):
        updated = np.where(rows @ (rows.T @ S) >= 0, 1.0, -1.0)
        if np.array_equal(updated, S):
            break
        S = updated
    return float(((rows.T @ S) ** 2).sum(axis=0).max())


def _hypercube_bound(rows: np.ndarray, iterations: int = _DUAL_ITERATIONS) -> float:
    """Upper bound of ``max_{|u| = 1} sum_k |<d_k, u>| = max_{s in {-1, 1}^n} |D^T s|`` by the dual of its
    semidefinite relaxation: for any ``lambda``, ``s^T M s <= n lambda_max(M - Diag(lambda)) + sum(lambda)``
    with ``M = D D^T`` (every ``s_k^2 = 1``). ``lambda`` starts at the better of ``diag(M)`` (exact for
    orthogonal rows) and ``|d| sum|d|`` (at most the sum of norms, exact for parallel rows) and follows
    Polyak subgradient steps towards a target between the best bound so far and the value of signs found by
    :func:`_hypercube_lower`; every step's bound is valid (dense top eigenpair), the best is returned."""
    from scipy.linalg import eigh

    keep = np.linalg.norm(rows, axis=1) > 0
    rows = rows[keep]
    n = len(rows)
    if n == 0:
        return 0.0
    M = rows @ rows.T
    norms = np.linalg.norm(rows, axis=1)

    def evaluate(lam):
        value, vector = eigh(M - np.diag(lam), subset_by_index=[n - 1, n - 1], driver="evr")
        return n * float(value[0]) + float(lam.sum()), vector[:, 0]  # a valid bound for every lambda

    # two starts: diag(M) (exact for orthogonal rows) and |d| sum|d| (never above the sum of norms,
    # since |D^T x|^2 <= (sum_k |x_k| |d_k|)^2 <= sum|d| sum_k |d_k| x_k^2)
    starts = [np.diag(M).copy(), norms * norms.sum()]
    evaluations = [evaluate(lam) for lam in starts]
    first = int(np.argmin([value for value, _ in evaluations]))
    lam, (value, vector) = starts[first], evaluations[first]
    best = value
    attained = _hypercube_lower(rows) if n > 1 else best
    for _ in range(iterations):
        if best - attained <= 1e-12 * best:
            break
        gradient = 1.0 - n * vector**2
        size = float(gradient @ gradient)
        if size <= 1e-24:
            break
        lam = lam - (value - (attained + 0.5 * (best - attained))) / size * gradient
        value, vector = evaluate(lam)
        best = min(best, value)
    return float(np.sqrt(max(best, 0.0)))


def _generator_bound(A, B) -> float:
    """``H(A, B) <= max(max_i min_j U(A_i -> B_j), max_j min_i U(B_j -> A_i))`` for the members of the
    hulls and the one-sided map bounds ``U`` of :func:`_zonotope_bound`."""
    members_a, members_b = _members(A), _members(B)
    if members_a is None or members_b is None:
        return np.inf
    sides = []
    for first, second in ((members_a, members_b), (members_b, members_a)):
        # optimal assignments for the corresponding members (Z1 with W1, ...), index order for the others
        bounds = [
            [_zonotope_bound(Z, W, assign=i == j) for j, W in enumerate(second)] for i, Z in enumerate(first)
        ]
        table = np.array([[value for value, _ in row] for row in bounds])
        # refine the entries that decide max_i min_j by the semidefinite dual bound
        for i in range(len(first)):
            j = int(np.argmin(table[i]))
            rows = bounds[i][j][1]
            if rows is not None and len(rows) <= _MAX_DUAL_ROWS:
                mapped = _mapped_rows(first[i], second[j], rows)
                table[i, j] = min(table[i, j], _hypercube_bound(rows), _hypercube_bound(mapped))
        sides.append(float(table.min(axis=1).max()))
    return max(sides)


def _point_set_bound(A, B) -> float:
    """``H(conv P, conv Q) <= H(P, Q)`` (a point's distance to a hull is at most that to its nearest point):
    the Hausdorff distance of the point sets, in chunks."""
    if not (isinstance(A, _PointSet) and isinstance(B, _PointSet)):
        return np.inf
    P, Q = A.points, B.points
    if len(P) * len(Q) > _MAX_POINT_PAIRS:
        return np.inf

    from scipy.spatial.distance import cdist

    distances = cdist(P, Q)
    return float(max(distances.min(axis=1).max(), distances.min(axis=0).max()))


def _centre_and_radius(body) -> tuple[np.ndarray, float]:
    """A point of the body and an upper bound of the distance of any point of the body to it."""
    if isinstance(body, Zonotope):
        return body.centroid, body.radius
    if isinstance(body, ZonotopeHull):
        centre = body.zonotopes[0].centroid
        radius = max(np.linalg.norm(Z.centroid - centre) + Z.radius for Z in body.zonotopes)
        return centre, float(radius)
    centre = body.points.mean(axis=0)
    return centre, float(np.linalg.norm(body.points - centre, axis=1).max())


def _radius_bound(A, B) -> float:
    (a0, ra), (b0, rb) = _centre_and_radius(A), _centre_and_radius(B)
    gap = float(np.linalg.norm(a0 - b0))
    return max(ra, rb) + gap


def _covering_directions(d: int, budget: int) -> tuple[np.ndarray, float] | None:
    """Cell centres of the cube surface with ``k`` cells per edge, projected to the sphere, and their chord
    covering radius ``sqrt(d - 1) / k``; None when fewer than 2 cells per edge fit in ``budget``."""
    if d < 2:
        return None
    k = int(np.floor((budget / (2 * d)) ** (1.0 / (d - 1)) + 1e-9))
    if k < 2:
        return None
    ticks = (np.arange(k) + 0.5) * (2.0 / k) - 1.0
    face = np.stack(np.meshgrid(*([ticks] * (d - 1)), indexing="ij"), axis=-1).reshape(-1, d - 1)
    blocks = []
    for axis in range(d):
        for side in (-1.0, 1.0):
            blocks.append(np.insert(face, axis, side, axis=1))
    U = np.vstack(blocks)
    return U / np.linalg.norm(U, axis=1, keepdims=True), float(np.sqrt(d - 1) / k)


# ---------------------------------------------------------------------------------- lower bound
def _unit(U: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(U, axis=1, keepdims=True)
    return U[norms[:, 0] > 0] / norms[norms[:, 0] > 0]


def _informed_directions(A, B) -> np.ndarray:
    """Centre difference and generator directions: where zonotopes of pruned nets tend to differ most."""
    (a0, _), (b0, _) = _centre_and_radius(A), _centre_and_radius(B)
    rows = [(a0 - b0)[None]]
    members_a, members_b = _members(A) or (), _members(B) or ()
    largest = lambda G: G[np.argsort(np.linalg.norm(G, axis=1))[::-1][:_INFORMED]]  # noqa: E731
    for Z in (*members_a, *members_b):
        rows.append(largest(Z.generators))
    for Z, W in zip(members_a, members_b, strict=False):
        if len(Z) == len(W):
            rows.append(largest(Z.generators - W.generators))
    U = _unit(np.vstack(rows))
    return np.vstack([U, -U])


def _difference(A, B, U: np.ndarray) -> np.ndarray:
    return A.support(U) - B.support(U)


def _ascend(A, B, U: np.ndarray, signs: np.ndarray, values: np.ndarray, steps: int):
    """Local ascent of ``sign * (h_A - h_B)`` on the sphere from every row of ``U`` (batched): each round
    tries the gradient's own direction and rotations of several angles towards it, keeping improvements."""
    for _ in range(steps):
        gradient = signs[:, None] * (A.support_points(U) - B.support_points(U))
        tangent = gradient - np.einsum("ij,ij->i", gradient, U)[:, None] * U
        size = np.linalg.norm(tangent, axis=1, keepdims=True)
        tangent = np.divide(tangent, size, out=np.zeros_like(tangent), where=size > 0)
        length = np.linalg.norm(gradient, axis=1, keepdims=True)
        own = np.divide(gradient, length, out=U.copy(), where=length > 0)
        trials = [own] + [np.cos(t) * U + np.sin(t) * tangent for t in _STEPS]
        T = np.stack(trials)  # (s, m, d)
        T /= np.linalg.norm(T, axis=2, keepdims=True)
        trial_values = signs[None, :] * _difference(A, B, T.reshape(-1, U.shape[1])).reshape(len(trials), -1)
        best = np.argmax(trial_values, axis=0)
        gained = trial_values[best, np.arange(len(U))] > values * (1 + 1e-12) + 1e-300
        if not gained.any():
            break
        U = np.where(gained[:, None], T[best, np.arange(len(U))], U)
        values = np.where(gained, trial_values[best, np.arange(len(U))], values)
    return U, values


# ----------------------------------------------------------------------------------------- exact
def _exact(A, B, limits: dict) -> float:
    """Exact Hausdorff distance from vertices (raises ComputationTooLargeError when unaffordable)."""
    from tropical.metrics.polytope import hausdorff

    def polytope(body):
        if isinstance(body, _PointSet):
            n, d = body.points.shape
            what = f"the convex hull of {n:,} points in R^{d}"
            alternative = "tropical.metrics.hausdorff_bracket(A, B, method='bracket')"
            check_cost(hull_cost(n, d), what=what, alternative=alternative, **limits)
            return Polytope(body.points)
        return body.to_polytope(**limits)

    def vertex_bound(body) -> int:
        if isinstance(body, _PointSet):
            return len(body.points)
        if isinstance(body, Zonotope):
            return zonotope_vertex_bound(len(body.reduced), body.dimension)
        return sum(body._vertex_bounds())

    d = A.ambient_dimension
    if d > 2:  # the nearest-point problems for the largest possible vertex counts, before enumerating
        n, m = vertex_bound(A), vertex_bound(B)
        check_cost(
            nearest_point_cost(n, m, d) + nearest_point_cost(m, n, d),
            what=f"the exact Hausdorff distance of polytopes with up to {count_text(n)} and "
            f"{count_text(m)} vertices in R^{d}",
            alternative="tropical.metrics.hausdorff_bracket(A, B, method='bracket')",
            **limits,
        )
    P, Q = polytope(A), polytope(B)
    if d > 2:
        n, m = len(P.vertices), len(Q.vertices)
        check_cost(
            nearest_point_cost(n, m, d) + nearest_point_cost(m, n, d),
            what=f"the exact Hausdorff distance of polytopes with {n:,} and {m:,} vertices in R^{d}",
            alternative="tropical.metrics.hausdorff_bracket(A, B, method='bracket')",
            **limits,
        )
    return hausdorff(P, Q)


def hausdorff_bracket(
    A,
    B,
    *,
    classes=(0, 1),
    method: str = "auto",
    directions: int = 1024,
    starts: int = 8,
    steps: int = 40,
    covering: int = 200_000,
    seed: int = 0,
    max_bytes: float = DEFAULT_MAX_BYTES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> HausdorffBracket:
    """Certified bracket ``[lower, upper]`` of the Hausdorff distance of two convex bodies, in any dimension.

    Parameters
    ----------
    A, B : torch.nn.Module, Zonotope, ZonotopeHull, Polytope or array_like (n, d)
        Models are read as their decision polytopes ``conv(Z1 ∪ Z2)`` for ``classes``
        (:func:`tropical.decision_hull`); arrays as the convex hull of their rows.
    classes : (int, int)
        Class pair for models.
    method : {"auto", "exact", "bracket"}
        ``"auto"``: exact from the vertices in 2-D and 3-D when the estimate is within the limits, else the
        bracket. ``"exact"`` raises :class:`~tropical.errors.ComputationTooLargeError` instead of
        bracketing; ``"bracket"`` never enumerates vertices.
    directions : int
        Number of seeded Gaussian directions (plus the informed ones, see the module docstring).
    starts, steps : int
        Local ascent from the ``starts`` best directions, at most ``steps`` rounds each.
    covering : int
        Largest grid of directions for the covering bound (used when ``2 d k^(d-1) <= covering`` for some
        ``k >= 2``: up to about 10 dimensions).
    seed : int
        Seed of the random directions.
    max_bytes, max_seconds : float
        Limits of the exact computation (:mod:`tropical.budget`).

    Returns
    -------
    HausdorffBracket
        ``lower``, ``upper``, ``method``, ``bound``, ``direction``, ``sign``, ``width``.

    Notes
    -----
    BLAS runs single-threaded inside (:func:`tropical.budget.single_threaded`). Cost of the bracket:
    ``O((directions + starts * steps * 6) * (p_A + p_B) * d)`` for zonotopes with ``p`` generators, plus the
    generator bound's ``p x p`` assignments and Gram eigenvalues: about a second for two 784-300-10
    classifiers (``benchmarks/bench_highdim.py``).

    References
    ----------
    Misiakos, Smyrnis, Retsinas & Maragos, "Neural network approximation based on Hausdorff distance of
    tropical zonotopes", ICLR 2022 (generator matching); Schneider, *Convex Bodies: The Brunn-Minkowski
    Theory* (support functions).

    Examples
    --------
    >>> A = Zonotope([[2.0, 0.0], [0.0, 1.0]])
    >>> B = Zonotope([[1.0, 0.0], [0.0, 1.0]])
    >>> hausdorff_bracket(A, B)
    HausdorffBracket(lower=1, upper=1, method='exact', bound='exact')
    >>> wide = hausdorff_bracket(A, B, method="bracket")
    >>> round(wide.lower, 12), round(wide.upper, 12), wide.bound
    (1.0, 1.0, 'generators')
    """
    if method not in ("auto", "exact", "bracket"):
        raise ValueError(f"method must be 'auto', 'exact' or 'bracket', got {method!r}")
    for name, value in (("directions", directions), ("starts", starts), ("steps", steps)):
        if not (isinstance(value, int | np.integer) and value >= 0):
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    A, B = convex_body(A, classes=classes, name="A"), convex_body(B, classes=classes, name="B")
    with single_threaded():
        return _bracket(A, B, method, directions, starts, steps, covering, seed, max_bytes, max_seconds)


def _bracket(A, B, method, directions, starts, steps, covering, seed, max_bytes, max_seconds):
    d = A.ambient_dimension
    if B.ambient_dimension != d:
        raise ValueError(f"A and B live in different dimensions: {d} and {B.ambient_dimension}")
    limits = {"max_bytes": max_bytes, "max_seconds": max_seconds}
    if method == "exact" or (method == "auto" and d <= 3):
        try:
            value = _exact(A, B, limits)
        except ComputationTooLargeError:
            if method == "exact":
                raise
        else:
            return HausdorffBracket(value, value, "exact", "exact", np.full(d, np.nan), 0)

    rng = np.random.default_rng(seed)
    U = np.vstack([_unit(rng.standard_normal((directions, d))), _informed_directions(A, B)])
    grid = _covering_directions(d, covering)
    if grid is not None:
        U = np.vstack([U, grid[0]])
    if len(U) == 0:  # directions=0 and nothing informed: one coordinate axis
        U = np.eye(d)[:1]
    values = _difference(A, B, U)
    upper, bound = _radius_bound(A, B), "radius"
    if grid is not None:
        # the grid is the tail of U; the Lipschitz constant of h_A - h_B is R_A + R_B about one point
        (a0, ra), (b0, rb) = _centre_and_radius(A), _centre_and_radius(B)
        lipschitz = ra + rb + float(np.linalg.norm(a0 - b0))
        covered = float(np.abs(values[-len(grid[0]) :]).max()) + lipschitz * grid[1]
        if covered < upper:
            upper, bound = covered, "covering"
    generators = _generator_bound(A, B)
    if generators < upper:
        upper, bound = generators, "generators"
    points = _point_set_bound(A, B)
    if points < upper:
        upper, bound = points, "points"

    magnitude = np.abs(values)
    chosen = np.argsort(magnitude)[::-1][: max(starts, 1)]
    signs = np.where(values[chosen] >= 0, 1.0, -1.0)
    U_best, best = _ascend(A, B, U[chosen], signs, magnitude[chosen], steps)
    top = int(np.argmax(best))
    lower = float(best[top])
    return HausdorffBracket(lower, float(upper), "bracket", bound, U_best[top], int(signs[top]))
