"""Decision-boundary polytopes of one-hidden-layer ReLU classifiers (Alfarra et al., TPAMI 2022).

For ``f(x) = B max(A x + c1, 0) + c2`` with ``A`` of shape ``(p, n)`` and classes ``i, j`` (docs/math.md §3;
Alfarra, Bibi, Hammoud, Gaafar & Ghanem, "On the decision boundaries of neural networks: a tropical
geometry perspective", TPAMI 2022, arXiv:2002.08838; Zhang, Naitzat & Lim, ICML 2018):

    f_i - f_j = T_1 - T_2,   T_k(x) = <o, x> + c2_k + sum_l w_kl max(A_l x + c1_l, 0),
    w_1 = relu(B_i) + relu(-B_j),  w_2 = relu(B_j) + relu(-B_i),  o = (|B_i| + |B_j|) A^-,

with ``T_1 = H_i ⊙ Q_j`` and ``T_2 = H_j ⊙ Q_i``. The decision boundary ``{f_i = f_j}`` lies on the tropical
hypersurface of ``R = T_1 ⊕ T_2`` -- exactly on its *mixed* part, where a monomial of ``T_1`` ties with one of
``T_2``. ``Newt(T_k) = o + Z(G_k)`` with ``G_k = Diag(w_k) A``: two zonotopes with the SAME base point ``o``,
so the decision polytope is ``conv(Z(G_1) ∪ Z(G_2))`` up to one common translation. Lifting the biases gives
the lifted zonotopes with generators ``w_kl (A_l, c1_l)`` based at ``(o, c2_i)`` and ``(o, c2_j)``; the
projection of the upper faces of the hull of both is the dual subdivision ``δ(R)``.

The 2^p monomials are never expanded. In two input dimensions :func:`decision_subdivision` sweeps the
arrangement of the ``p`` lines ``{A_l x + c1_l = 0}``: along every line the crossings with the other lines
are sorted and the positive part of every cell is accumulated with prefix sums (``O(p^2 log p)``), which
gives every vertex of ``T(R)``: arrangement vertices where one side wins (a parallelogram of ``δ(R)``),
points where the boundary ``T_1 = T_2`` crosses a line (a trapezoid or triangle mixing both sides) and
degenerate points (several concurrent lines, or a tie at an arrangement vertex), handled exactly. When the
arrangement has no vertex (one live unit, or live units that all ignore one input direction, as after heavy
pruning) the Newton polygon is a segment: ``δ(R)`` is a chain of segments, found by sweeping across the
parallel lines, and the decision boundary is a set of parallel lines. Monomials are identified by an exact
64-bit hash of their activation pattern, not by rounded coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from tropical._validation import corner_mask, positional_deprecated
from tropical.budget import DEFAULT_MAX_BYTES, DEFAULT_MAX_SECONDS, check_cost, count_text, hull_cost
from tropical.errors import ComputationTooLargeError, UnsupportedLayerError
from tropical.hull import RELATIVE_TOLERANCE, convex_hull_vertices, unique_rows, upper_faces
from tropical.layers import AffineLayer, affine_layers
from tropical.polytope import Polytope
from tropical.zonotope import ALTERNATIVES, Zonotope, ZonotopeHull, _merge_2d

__all__ = [
    "DecisionSubdivision",
    "DecisionWeights",
    "decision_hull",
    "decision_hypersurface",
    "decision_polytope",
    "decision_subdivision",
    "decision_weights",
    "decision_zonotopes",
]

#: ``DecisionWeights.construction`` of a deep network's first hidden layer read with ``rest="linear"``.
FIRST_LAYER = "first layer, rest linear"
#: Largest number of line pairs the 2-D sweep accepts by default (a 2-2000-2 net has about 2e6).
DEFAULT_MAX_PAIRS = 5_000_000


@dataclass(frozen=True)
class DecisionWeights:
    """The arrays of Alfarra et al.'s construction for one pair of classes ``(i, j)``, in float64.

    The classifier is read as ``f(x) = B σ(A x + c1) + c2`` with ``σ(z) = where(z >= 0, z, a z)`` per hidden
    unit (``a = 0``: ReLU; any real slope: LeakyReLU, PReLU) and two output rows ``B_i``, ``B_j``. Then
    (docs/high_dimensions.md, "LeakyReLU and deep networks")

        f_i - f_j = T_1 - T_2,    T_k(x) = <base_k, x> + constant_k + sum_l w_kl max(A_l x + c1_l, 0),

    and ``Newt(T_k) = base_k + Z(G_k)`` with ``G_k = Diag(w_k) A``: the decision zonotopes.

    Attributes
    ----------
    weight : ndarray, shape (p, n)
        ``A``, the hidden layer (masks of pruned models applied; a convolution as its dense matrix).
    bias : ndarray, shape (p,)
        ``c1``.
    slope : ndarray, shape (p,)
        ``a``, the activation slope of every hidden unit on the negative side (0 for ReLU).
    output_weight : ndarray, shape (2, p)
        ``(B_i, B_j)``, the output rows of the two classes. For a deep network read with ``rest="linear"``
        the rows of the product of the later weights (see :func:`decision_weights`).
    output_bias : ndarray, shape (2,)
        ``(c2_i, c2_j)``.
    generator_weights : ndarray, shape (2, p)
        ``w_1``, ``w_2`` (non-negative): ``G_k = w_k[:, None] * A``.
    bases : ndarray, shape (2, n)
        Base points of the two zonotopes (for ReLU both are ``o = (|B_i| + |B_j|) A-``).
    constants : ndarray, shape (2,)
        Constant terms of ``T_1`` and ``T_2`` (the last coordinate of the lifted base points).
    classes : (int, int)
        ``(i, j)``.
    construction : str
        ``"one hidden layer"`` (exact), or ``"first layer, rest linear"`` for a deeper network read with
        ``rest="linear"``.
    """

    weight: np.ndarray
    bias: np.ndarray
    slope: np.ndarray
    output_weight: np.ndarray
    output_bias: np.ndarray
    generator_weights: np.ndarray
    bases: np.ndarray
    constants: np.ndarray
    classes: tuple[int, int]
    construction: str

    @property
    def generators(self) -> tuple[np.ndarray, np.ndarray]:
        """``G_1``, ``G_2``, each (p, n): row ``l`` is ``w_kl A_l`` (zero for dead or pruned units)."""
        G1, G2 = (w[:, None] * self.weight for w in self.generator_weights)
        return G1, G2

    def zonotopes(self, *, lifted: bool = False) -> tuple[Zonotope, Zonotope]:
        """The two decision zonotopes (as :func:`decision_zonotopes`)."""
        if lifted:
            L = np.column_stack([self.weight, self.bias])
            return tuple(
                Zonotope(w[:, None] * L, np.append(base, constant))
                for w, base, constant in zip(self.generator_weights, self.bases, self.constants, strict=True)
            )
        return tuple(
            Zonotope(w[:, None] * self.weight, base)
            for w, base in zip(self.generator_weights, self.bases, strict=True)
        )

    def sides(self, X) -> tuple[np.ndarray, np.ndarray]:
        """``T_1(X)`` and ``T_2(X)`` at points ``X`` of shape (N, n); ``T_1 - T_2 = f_i - f_j``."""
        X = np.asarray(X, dtype=np.float64)
        hidden = np.maximum(X @ self.weight.T + self.bias, 0.0)  # (N, p)
        return tuple(
            X @ base + constant + hidden @ w
            for w, base, constant in zip(self.generator_weights, self.bases, self.constants, strict=True)
        )


def _kind(slope) -> str:
    if slope is None:
        return "linear"
    if np.ndim(slope):
        return "PReLU"
    return "ReLU" if slope == 0.0 else f"LeakyReLU({slope})"


def _class_pair(classes, m: int) -> tuple[int, int]:
    integers = isinstance(classes, tuple | list | np.ndarray) and len(classes) == 2
    integers = integers and all(isinstance(c, int | np.integer) and not isinstance(c, bool) for c in classes)
    if not integers:
        raise ValueError(f"classes must be a pair of int class indices, e.g. (0, 1), got {classes!r}")
    i, j = (int(c) for c in classes)
    if m < 2:
        raise ValueError(f"the model has {m} output; a decision boundary needs at least 2 classes")
    if not (0 <= i < m and 0 <= j < m) or i == j:
        raise ValueError(f"classes must be two different indices in [0, {m}), got {classes!r}")
    return i, j


def _linear_rest(layers: list[AffineLayer]) -> AffineLayer:
    """The later layers composed with every activation read as the identity: ``W_L ... W_2`` and the
    composed bias, the affine map of the rest of the network where all its units are active."""
    weight, bias = layers[0].weight, layers[0].bias
    for layer in layers[1:]:
        weight, bias = layer.weight @ weight, layer.weight @ bias + layer.bias
    return AffineLayer(weight, bias, None, ", ".join(layer.source for layer in layers))


def _read_layers(model, function: str, rest, input_shape) -> tuple[AffineLayer, AffineLayer, str]:
    """The hidden layer and the output map of ``model`` (see :func:`decision_weights`)."""
    if rest not in (None, "linear"):
        raise ValueError(f"rest must be None or 'linear', got {rest!r}")
    layers = affine_layers(model, input_shape=input_shape)
    kinds = [_kind(layer.slope) for layer in layers]
    shape_ok = len(layers) >= 2 and kinds[0] != "linear" and kinds[-1] == "linear"
    deep = len(layers) > 2
    if not shape_ok or (deep and rest is None):
        described = " -> ".join(
            f"affine({layer.n_in}->{layer.n_out}), {kind}" for layer, kind in zip(layers, kinds, strict=True)
        )
        advice = (
            " For a deeper network pass rest='linear' (Alfarra et al.'s construction on the first hidden "
            "layer, the later layers read as their linear part), or use tropical.from_torch(model) for the "
            "exact tropical rational map: output k is F_k - G_k and the decision boundary between classes i "
            "and j lies on the tropical hypersurface of F_i ⊙ G_j ⊕ F_j ⊙ G_i."
        )
        raise UnsupportedLayerError(
            f"{function} needs a one-hidden-layer classifier affine -> ReLU/LeakyReLU/PReLU -> affine "
            "(Linear layers, optionally with Flatten/Dropout/Identity, or any module whose graph is that "
            f"chain); this model reads as: {described}.{advice}"
        )
    if deep:
        return layers[0], _linear_rest(layers[1:]), FIRST_LAYER
    return layers[0], layers[1], "one hidden layer"


def decision_weights(model, classes=(0, 1), *, rest: str | None = None, input_shape=None) -> DecisionWeights:
    """The classifier weights and zonotope generators of Alfarra et al.'s construction for two classes.

    The public array form of :func:`decision_zonotopes`, for code that works on the weights themselves
    (e.g. pruning by matching generators, ``lottery.methods.tropical_prune``).

    Parameters
    ----------
    model : torch.nn.Module
        ``affine -> σ -> affine`` with ``σ`` ReLU, LeakyReLU (any slope, also above 1 or negative) or PReLU
        (``Linear`` layers, ``Flatten``/``Dropout``/``Identity`` allowed; pruned weights read as the model
        computes them; any model whose piecewise-linear graph is that chain, e.g. a custom module or a
        convolution first layer). ``m >= 2`` outputs, or one logit ``z`` read as the two logits ``(0, z)``
        (class 1 where ``z > 0``). With ``rest="linear"``, also a deeper chain (see ``rest``).
    classes : (int, int)
        The two classes ``(i, j)`` whose decision boundary ``f_i = f_j`` is studied.
    rest : {None, "linear"}
        How the layers after the first hidden layer are read. ``None``: there must be exactly one affine
        output map (the exact construction of Alfarra et al., Theorem 2). ``"linear"``: a deeper network is
        read as its first hidden layer followed by the *linear part* of the rest, the product
        ``W_L ... W_2`` of the later weights (every later activation read as the identity, the affine map of
        the rest on the region where all later units are active). The zonotopes then describe the first
        layer's contribution to the decision boundary, exactly on that region only; this is how Alfarra et
        al.'s first-layer quantities are applied to deep nets here (docs/high_dimensions.md).
    input_shape : tuple of int, optional
        Per-sample input shape, for models that do not start with a ``Linear`` layer (e.g. ``(1, 8, 8)``
        for a convolution first layer, read as its dense matrix on the flattened input).

    Returns
    -------
    DecisionWeights
        ``weight`` (p, n), ``bias`` (p,), ``slope`` (p,), ``output_weight`` (2, p), ``output_bias`` (2,),
        ``generator_weights`` (2, p), ``generators`` (``G_1``, ``G_2``, each (p, n)), ``bases`` (2, n),
        ``constants`` (2,).

    Raises
    ------
    UnsupportedLayerError
        For any other architecture (naming what the model reads as and what to use instead).
    ValueError
        For classes that are not two different output indices.

    References
    ----------
    Alfarra, Bibi, Hammoud, Gaafar & Ghanem, "On the decision boundaries of neural networks: a tropical
    geometry perspective", TPAMI 2022 (arXiv:2002.08838), Theorem 2; Zhang, Naitzat & Lim, "Tropical
    geometry of deep neural networks", ICML 2018 (the LeakyReLU split). docs/math.md §3.

    Examples
    --------
    >>> import torch
    >>> torch.manual_seed(0) and None
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.LeakyReLU(0.2), torch.nn.Linear(5, 2))
    >>> weights = decision_weights(net, (0, 1))
    >>> [G.shape for G in weights.generators], weights.slope.tolist()
    ([(5, 3), (5, 3)], [0.2, 0.2, 0.2, 0.2, 0.2])
    >>> X = torch.randn(4, 3, dtype=torch.float64)
    >>> T1, T2 = weights.sides(X.numpy())
    >>> out = net.double()(X).detach().numpy()
    >>> bool(abs((T1 - T2) - (out[:, 0] - out[:, 1])).max() < 1e-9)
    True
    """
    return _weights(model, classes, "decision_weights", rest, input_shape)


def _weights(model, classes, function: str, rest, input_shape) -> DecisionWeights:
    hidden, output, construction = _read_layers(model, function, rest, input_shape)
    if output.n_out == 1:  # one logit z: the classes are (0, z)
        output = AffineLayer(
            np.vstack([np.zeros_like(output.weight), output.weight]), np.append(0.0, output.bias), None,
            output.source,
        )  # fmt: skip
    i, j = _class_pair(classes, output.n_out)
    A, c1 = hidden.weight, hidden.bias
    a = np.broadcast_to(np.asarray(hidden.slope, dtype=np.float64), c1.shape).copy()
    B = output.weight[[i, j]]
    # σ(z) = a z + (1 - a) relu(z); relu(A_l x + c1_l) = max(A+_l x + c1_l, A-_l x) - A-_l x (docs)
    u = np.array([np.maximum(B[0], 0) + np.maximum(-B[1], 0), np.maximum(B[1], 0) + np.maximum(-B[0], 0)])
    b = 1.0 - a
    generator_weights = u * np.maximum(b, 0) + u[::-1] * np.maximum(-b, 0)
    Ap, Am = np.maximum(A, 0), np.maximum(-A, 0)
    positive = np.maximum(a, 0)[:, None] * Ap + np.maximum(b, 0)[:, None] * Am  # exponents of F'_l at rest
    negative = Am + np.maximum(-a, 0)[:, None] * Ap + np.maximum(-b, 0)[:, None] * Am  # of G'_l
    bases = u @ positive + u[::-1] @ negative
    constants = output.bias[[i, j]] + u @ (np.maximum(a, 0) * c1) + u[::-1] @ (np.maximum(-a, 0) * c1)
    return DecisionWeights(
        A, c1, a, B, output.bias[[i, j]], generator_weights, bases, constants, (i, j), construction
    )


def decision_zonotopes(
    model, classes=(0, 1), *, lifted: bool = False, rest: str | None = None, input_shape=None
) -> tuple[Zonotope, Zonotope]:
    """Alfarra et al.'s zonotopes ``Z(G_1)``, ``Z(G_2)`` of a one-hidden-layer classifier.

    Parameters
    ----------
    model : torch.nn.Module
        ``Linear -> ReLU -> Linear`` (``LeakyReLU`` with any slope and ``PReLU`` too; ``Flatten``,
        ``Dropout``, ``Identity`` allowed; pruned weights are read as the model computes them; any model
        whose piecewise-linear graph is that chain, e.g. a custom module or a convolution first layer),
        input size ``n``, hidden width ``p``, ``m >= 2`` outputs, or one logit ``z`` read as the two logits
        ``(0, z)`` (class 1 where ``z > 0``).
    classes : (int, int)
        The two classes ``(i, j)`` whose decision boundary ``f_i = f_j`` is studied.
    lifted : bool
        Return the lifted zonotopes in ``R^{n+1}`` (biases as the last coordinate): generators
        ``w_kl (A_l, c1_l)`` based at ``(o, c2_i)`` and ``(o, c2_j)`` (for ReLU).
    rest : {None, "linear"}
        ``"linear"`` accepts a deeper network: its first hidden layer, with the rest of the network read as
        its linear part (see :func:`decision_weights`).
    input_shape : tuple of int, optional
        Per-sample input shape, for models that do not start with a ``Linear`` layer (e.g. ``(1, 8, 8)``
        for a convolution first layer, read as its dense matrix on the flattened input).

    Returns
    -------
    (Zonotope, Zonotope)
        For ReLU ``Z1 = o + Z(Diag(relu(B_i) + relu(-B_j)) A)`` (Newton polytope of ``H_i ⊙ Q_j``) and
        ``Z2 = o + Z(Diag(relu(B_j) + relu(-B_i)) A)`` (of ``H_j ⊙ Q_i``), both with ``p`` generators
        (zero rows for pruned or irrelevant neurons) and the shared base ``o = (|B_i| + |B_j|) A^-``.
        For LeakyReLU/PReLU slopes ``a`` the generator weights and base points of
        :class:`DecisionWeights` (docs/high_dimensions.md): ``Newt(F_i ⊙ G_j)`` and ``Newt(F_j ⊙ G_i)`` of
        :func:`tropical.from_torch`.

    Raises
    ------
    UnsupportedLayerError
        For any other architecture, with a pointer to ``rest="linear"`` and :func:`tropical.from_torch` for
        deeper nets.

    References
    ----------
    Alfarra et al., TPAMI 2022 (arXiv:2002.08838), Theorem 2; docs/math.md §3.
    """
    return _weights(model, classes, "decision_zonotopes", rest, input_shape).zonotopes(lifted=lifted)


def decision_hull(
    model, classes=(0, 1), *, lifted: bool = False, rest: str | None = None, input_shape=None
) -> ZonotopeHull:
    """The decision-boundary polytope ``conv(Z1 ∪ Z2)`` as a :class:`~tropical.zonotope.ZonotopeHull`,
    without enumerating its vertices: exact support functions and projections in any input dimension.

    Parameters
    ----------
    model, classes, lifted, rest, input_shape
        As in :func:`decision_zonotopes`.

    Returns
    -------
    ZonotopeHull
        Of the two zonotopes of :func:`decision_zonotopes`; ``decision_hull(model).to_polytope()`` is
        :func:`decision_polytope` (when affordable).

    Examples
    --------
    >>> import torch
    >>> torch.manual_seed(0) and None
    >>> net = torch.nn.Sequential(torch.nn.Linear(784, 300), torch.nn.ReLU(), torch.nn.Linear(300, 10))
    >>> hull = decision_hull(net, (0, 1))
    >>> hull.ambient_dimension, hull.support([1.0] * 784) > 0
    (784, True)
    """
    net = _weights(model, classes, "decision_hull", rest, input_shape)
    if lifted:
        bases = np.column_stack([net.bases, net.constants])
        return ZonotopeHull._from_scaled_rows(
            np.column_stack([net.weight, net.bias]), net.generator_weights, bases
        )
    return ZonotopeHull._from_scaled_rows(net.weight, net.generator_weights, net.bases)


def decision_polytope(
    model,
    classes=(0, 1),
    *,
    lifted: bool = False,
    max_candidates: int = 2_000_000,
    max_bytes: float = DEFAULT_MAX_BYTES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    rest: str | None = None,
    input_shape=None,
) -> Polytope:
    """The decision-boundary polytope ``conv(Z1 ∪ Z2)`` of a one-hidden-layer classifier, enumerated.

    Parameters
    ----------
    model, classes, rest, input_shape
        As in :func:`decision_zonotopes`.
    lifted : bool
        The lifted polytope in ``R^{n+1}`` (biases as the last coordinate): the extended Newton polytope of
        ``R = H_i ⊙ Q_j ⊕ H_j ⊙ Q_i``; its projected upper faces are :func:`decision_subdivision`.
    max_candidates : int
        Passed to :meth:`Zonotope.vertices` (dimension >= 3).
    max_bytes, max_seconds : float
        Limits on the estimated memory and time of the vertex enumerations and the convex hull, checked
        before any of them starts (:mod:`tropical.budget`).

    Returns
    -------
    Polytope
        Equal to the Newton polytope of the expanded ``R`` (docs/math.md §3), without expanding it.

    Raises
    ------
    ComputationTooLargeError
        When an estimate is above its limit (typically from 5-6 input dimensions on): use
        :func:`decision_hull` (support functions, :func:`tropical.metrics.hausdorff_bracket`, projections).
    """
    hull = decision_hull(model, classes, lifted=lifted, rest=rest, input_shape=input_shape)
    try:  # every estimate is checked before any enumeration starts
        return hull.to_polytope(max_candidates=max_candidates, max_bytes=max_bytes, max_seconds=max_seconds)
    except ComputationTooLargeError as error:
        shape = "" if input_shape is None else f", input_shape={tuple(input_shape)}"
        options = "".join(f", {k}={v!r}" for k, v in (("lifted", lifted), ("rest", rest)) if v)
        raise ComputationTooLargeError(
            f"{error} For this model, tropical.decision_hull(model, {tuple(classes)}{options}{shape}) is the "
            "same polytope, unenumerated.",
            estimate=error.estimate,
            limit=error.limit,
        ) from None


# ------------------------------------------------------------------------------------ subdivision
@dataclass(frozen=True)
class DecisionSubdivision:
    """The dual subdivision ``δ(R)`` of ``R = H_i ⊙ Q_j ⊕ H_j ⊙ Q_i``: projected upper faces of the lifted
    decision polytope, with the side of every monomial.

    Attributes
    ----------
    exponents : ndarray, shape (m, n)
        The monomials that are vertices of some cell (upper vertices of the lifted polytope).
    coefficients : ndarray, shape (m,)
        Their coefficients (last lifted coordinate).
    sides : ndarray of int, shape (m,)
        1 for a monomial of ``T_1 = H_i ⊙ Q_j`` (class ``i`` wins where it is maximal), 2 for ``T_2``.
    cell_vertices : ndarray of int, shape (N,)
        Vertices of all cells, concatenated (counter-clockwise per cell when ``n = 2``). The cells have the
        dimension of the Newton polytope: segments (two vertices) when it is flat, none when it is a point.
    cell_offsets : ndarray of int, shape (c + 1,)
        Cell ``k`` is ``cell_vertices[cell_offsets[k]:cell_offsets[k + 1]]``.
    tie_points : ndarray, shape (c, n)
        For each cell, the point of the input space where its monomials tie: a vertex of ``T(R)`` (for a
        segment cell of a flat Newton polygon, the point of its tie line closest to the origin).
    mixed : ndarray of bool, shape (c,)
        Whether the cell has monomials of both sides (its tie point is on the decision boundary).
    """

    exponents: np.ndarray
    coefficients: np.ndarray
    sides: np.ndarray
    cell_vertices: np.ndarray
    cell_offsets: np.ndarray
    tie_points: np.ndarray
    mixed: np.ndarray

    def __len__(self) -> int:
        return len(self.tie_points)

    def __repr__(self) -> str:
        return (
            f"DecisionSubdivision(cells={len(self)}, monomials={len(self.exponents)}, "
            f"mixed_cells={int(self.mixed.sum())})"
        )

    @property
    def lifted(self) -> np.ndarray:
        """Lifted monomials ``(exponent, coefficient)``, shape (m, n + 1)."""
        return np.column_stack([self.exponents, self.coefficients])

    @property
    def cells(self) -> list[np.ndarray]:
        """Cells as a list of index arrays into :attr:`exponents` (as in ``dual_subdivision``)."""
        return np.split(self.cell_vertices, self.cell_offsets[1:-1]) if len(self) else []

    @cached_property
    def cell_sizes(self) -> np.ndarray:
        """Number of vertices of every cell, shape (c,)."""
        return np.diff(self.cell_offsets)

    def _cell_edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Directed edges ``(first, second, cell)`` of all cells, each cell counter-clockwise."""
        owner = np.repeat(np.arange(len(self)), self.cell_sizes)
        position = np.arange(len(self.cell_vertices)) - self.cell_offsets[owner]
        following = np.where(
            position + 1 == self.cell_sizes[owner], self.cell_offsets[owner], np.arange(len(owner)) + 1
        )
        return self.cell_vertices, self.cell_vertices[following], owner

    def edges(self) -> np.ndarray:
        """Distinct edges of the subdivision as pairs of monomial indices, shape (e, 2) (2-D only)."""
        if self.exponents.shape[1] != 2:
            raise ValueError("edges() needs a subdivision of a 2-D Newton polygon")
        first, second, _ = self._cell_edges()
        return np.unique(np.sort(np.column_stack([first, second]), axis=1), axis=0)

    def polynomial(self):
        """``R`` restricted to the monomials of the subdivision (the same function), a TropicalPolynomial."""
        from tropical.polynomial import TropicalPolynomial

        return TropicalPolynomial(self.exponents, self.coefficients)

    def hypersurface(self, *legacy, bounds=None):
        """The mixed part of ``T(R)`` (the decision boundary) clipped to ``bounds=(xmin, xmax, ymin, ymax)``
        (keyword-only; positionally: deprecated); see :func:`decision_hypersurface`."""
        bounds = positional_deprecated("DecisionSubdivision.hypersurface", ("bounds",), legacy).get(
            "bounds", bounds
        )
        return _mixed_curve(self, bounds)


def _empty_subdivision(n: int) -> DecisionSubdivision:
    return DecisionSubdivision(
        np.zeros((0, n)), np.zeros(0), np.zeros(0, int), np.zeros(0, int), np.zeros(1, int),
        np.zeros((0, n)), np.zeros(0, bool),
    )  # fmt: skip


def decision_subdivision(
    model,
    classes=(0, 1),
    *,
    method: str = "auto",
    max_pairs: int = DEFAULT_MAX_PAIRS,
    tolerance: float = RELATIVE_TOLERANCE,
    max_bytes: float = DEFAULT_MAX_BYTES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> DecisionSubdivision:
    """The dual subdivision ``δ(R)``: projected upper faces of the lifted decision polytope.

    Parameters
    ----------
    model, classes
        As in :func:`decision_zonotopes`.
    method : {"auto", "arrangement", "hull"}
        ``"arrangement"`` (2-D inputs only, the default there): the line-arrangement sweep described in the
        module docstring, ``O(p^2 log p)``, exact monomial identities. ``"hull"``: Qhull's upper hull of the
        vertices of both lifted zonotopes (any input size up to ``tropical.hull.MAX_QHULL_DIMENSION - 1``;
        monomials identified by coordinates).
    max_pairs : int
        Limit on the number of line pairs of the sweep (about ``p^2 / 2``).
    tolerance : float
        Relative tolerance for ties and coinciding lines (see :mod:`tropical.hull`).
    max_bytes, max_seconds : float
        ``method="hull"``: limits on the estimated memory and time of the lifted vertex enumerations and
        the upper hull, checked before either starts (:mod:`tropical.budget`).

    Returns
    -------
    DecisionSubdivision

    Raises
    ------
    ComputationTooLargeError
        When ``p (p - 1) / 2 > max_pairs``, or when the hull method's estimate is above a limit.
    """
    if method not in ("auto", "arrangement", "hull"):
        raise ValueError(f"method must be 'auto', 'arrangement' or 'hull', got {method!r}")
    net = _weights(model, classes, "decision_subdivision", None, None)
    n = net.weight.shape[1]
    if method == "auto":
        method = "arrangement" if n == 2 else "hull"
    if method == "arrangement":
        if n != 2:
            raise ValueError(f"method='arrangement' needs a 2-D input, the model has {n} inputs")
        return _arrangement_subdivision(net, tolerance, max_pairs)
    return _hull_subdivision(net, tolerance, max_bytes, max_seconds)


def _hull_subdivision(net: DecisionWeights, tolerance: float, max_bytes: float, max_seconds: float):
    Z1, Z2 = net.zonotopes(lifted=True)
    L = Z1.generators
    bounds = ZonotopeHull(Z1, Z2)._vertex_bounds()
    check_cost(
        Z1.vertex_cost() + Z2.vertex_cost() + hull_cost(sum(bounds), L.shape[1]),
        what=(
            f"the dual subdivision of a {net.weight.shape[1]}-input net "
            f"(up to {count_text(sum(bounds))} lifted monomials)"
        ),
        max_bytes=max_bytes,
        max_seconds=max_seconds,
        alternative="tropical.decision_hull(model) is the decision polytope, unenumerated; " + ALTERNATIVES,
    )
    limits = {"max_bytes": max_bytes, "max_seconds": max_seconds}
    V1, V2 = Z1.enumerate_vertices(**limits), Z2.enumerate_vertices(**limits)
    lifted = np.vstack([V1, V2])
    sides = np.concatenate([np.ones(len(V1), int), np.full(len(V2), 2)])
    # the cells are the faces of the dimension of the Newton polytope (segments when it is flat); that
    # dimension is the rank of the generators (exact zeros for dead units), not of the rounded vertices
    exponents = np.vstack([Z1.generators, Z2.generators])[:, :-1]
    singular = np.linalg.svd(exponents, compute_uv=False) if exponents.size else np.zeros(0)
    dimension = int(np.count_nonzero(singular > tolerance * singular.max(initial=0.0)))
    faces = [face for face in upper_faces(lifted, tolerance) if dimension and len(face.vertices) > dimension]
    if not faces:
        return _empty_subdivision(net.weight.shape[1])
    if dimension == 2 == net.weight.shape[1]:  # a merged Qhull face may list points lying on its edges
        faces = [
            replace(face, vertices=face.vertices[corner_mask(lifted[face.vertices, :2], RELATIVE_TOLERANCE)])
            for face in faces
        ]
    flat = np.concatenate([face.vertices for face in faces])
    used, local = np.unique(flat, return_inverse=True)
    offsets = np.concatenate([[0], np.cumsum([len(face.vertices) for face in faces])])
    mixed = np.array([len(np.unique(sides[face.vertices])) == 2 for face in faces])
    return DecisionSubdivision(
        lifted[used, :-1], lifted[used, -1], sides[used], local.reshape(-1), offsets,
        np.array([face.normal for face in faces]), mixed,
    )  # fmt: skip


# ---------------------------------------------------------------------------- the 2-D line sweep
class _Cells:
    """Accumulates cells: lifted vertices, side, 64-bit activation hash, tie point."""

    def __init__(self):
        self.lifted, self.sides, self.keys, self.sizes, self.ties = [], [], [], [], []

    def add(self, lifted, sides, keys, tie_points):
        """Add ``c`` cells of equal size ``s``: lifted (c, s, 3), sides (c, s), keys (c, s), ties (c, 2)."""
        if len(lifted) == 0:
            return
        c, s, _ = lifted.shape
        self.lifted.append(lifted.reshape(-1, 3))
        self.sides.append(np.broadcast_to(sides, (c, s)).reshape(-1))
        self.keys.append(keys.reshape(-1))
        self.sizes.append(np.full(c, s))
        self.ties.append(tie_points.reshape(c, 2))

    def build(self) -> DecisionSubdivision:
        if not self.sizes:
            return _empty_subdivision(2)
        lifted = np.vstack(self.lifted)
        sides = np.concatenate(self.sides).astype(np.int64)
        keys = np.concatenate(self.keys)
        sizes = np.concatenate(self.sizes)
        ties = np.vstack(self.ties)
        combined = np.column_stack([sides.astype(np.uint64), keys])
        _, first, inverse = np.unique(combined, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        side_min = np.minimum.reduceat(sides, offsets[:-1])
        side_max = np.maximum.reduceat(sides, offsets[:-1])
        return DecisionSubdivision(
            lifted[first, :2], lifted[first, 2], sides[first], inverse, offsets, ties, side_min != side_max
        )


def _normalised_lines(net: DecisionWeights, tolerance: float):
    """Lines ``(a, c)`` with ``|a| = 1`` (oriented, merged), per-side weights and adjusted lifted bases."""
    A, c1 = net.weight, net.bias
    w1, w2 = net.generator_weights
    base = np.column_stack([net.bases, net.constants])  # (2, 3) lifted base points of both sides
    norms = np.hypot(A[:, 0], A[:, 1])
    active = (w1 > 0) | (w2 > 0)
    scale = max(norms[active].max(initial=0.0), 1e-300)
    flat = active & (norms <= tolerance * scale)
    # a neuron with a zero input row is the constant relu(c1): it only moves the lifted bases up
    base[:, 2] += np.array([w1[flat] @ np.maximum(c1[flat], 0), w2[flat] @ np.maximum(c1[flat], 0)])
    keep = active & ~flat
    a, c, weights = (
        A[keep] / norms[keep, None],
        c1[keep] / norms[keep],
        np.vstack([w1, w2])[:, keep] * norms[keep],
    )
    # orient normals into the half-plane angle in [-tol, pi - tol): [0, g] = g + [0, -g]
    angle = np.arctan2(a[:, 1], a[:, 0])
    flip = (angle < -tolerance) | (angle >= np.pi - tolerance)
    lines = np.column_stack([a, c])
    base += weights[:, flip] @ lines[flip]  # original generators of the flipped lines
    lines[flip] *= -1
    if len(lines) == 0:
        return lines, weights, base
    _, groups = unique_rows(lines, tolerance)
    merged = np.zeros((groups.max() + 1, 3))
    count = np.bincount(groups)
    np.add.at(merged, groups, lines)
    merged /= count[:, None]
    merged_weights = np.zeros((2, len(merged)))
    np.add.at(merged_weights.T, groups, weights.T)
    merged[:, :2] /= np.hypot(merged[:, 0], merged[:, 1])[:, None]
    return merged, merged_weights, base


@dataclass(frozen=True)
class _Arrangement:
    """The ``q`` distinct live hidden-unit lines of a 2-input classifier and what each contributes.

    Attributes
    ----------
    lines : ndarray, shape (q, 3)
        ``(a, c)`` with ``|a| = 1``: line ``l`` is ``{<a_l, x> + c_l = 0}``, its unit active on the positive
        side.
    weights : ndarray, shape (2, q)
        Generator weights of both sides (``w_1``, ``w_2`` of the merged units, scaled by the row norms).
    base : ndarray, shape (6,)
        Lifted base points of both sides, ``(exponent, coefficient)`` of ``T_1`` then of ``T_2``.
    G : ndarray, shape (q, 6)
        Lifted generators of every line for both sides (``weights[k, l] * lines[l]``).
    H : ndarray of uint64, shape (q, 2)
        Random 64-bit hash of every line per side (0 where the side has no generator): a monomial is
        identified by the sum of the hashes of its active units, modulo 2^64.
    magnitude : float
        Scale of all coordinates, for relative tolerances.
    tolerance : float
    """

    lines: np.ndarray
    weights: np.ndarray
    base: np.ndarray
    G: np.ndarray
    H: np.ndarray
    magnitude: float
    tolerance: float

    @property
    def q(self) -> int:
        return len(self.lines)

    @property
    def feet(self) -> np.ndarray:
        """Point of every line closest to the origin, shape (q, 2)."""
        return -self.lines[:, 2, None] * self.lines[:, :2]

    @property
    def directions(self) -> np.ndarray:
        """Unit direction of every line, shape (q, 2): ``t`` runs along ``feet + t * directions``."""
        return np.column_stack([-self.lines[:, 1], self.lines[:, 0]])


@dataclass(frozen=True)
class _Runs:
    """The sweep along every line: crossings with the other lines sorted by position, grouped into runs
    (crossings at the same point: concurrent lines), with the lifted base points of both sides before and
    after each run (prefix sums of the generators switched on or off).

    ``E`` is the number of crossings (twice the number of intersecting pairs), ``R`` the number of runs.

    Attributes
    ----------
    points, t, other : ndarray, shapes (E, 2), (E,), (E,)
        Crossing point, its position along the swept line, and the index of the crossing line; sorted by
        swept line, then ``t``.
    counts : ndarray, shape (q,)
        Crossings per swept line.
    init, init_hash : ndarray, shapes (q, 6), (q, 2)
        Lifted generator sum (and hash) of the units active at ``t = -inf`` on every line.
    start, end, line, length, min_other : ndarray, shape (R,)
        First and last crossing of every run, its swept line, its number of crossings and the lowest
        index of the lines crossing there.
    before, before_hash, after, after_hash : ndarray, shapes (R, 6), (R, 2)
        Generator sums (and hashes) active just before and just after every run, ``init`` included.
    leaving, leaving_hash : ndarray, shapes (R, 6), (R, 2)
        Generators (and hashes) of the units that switch off at the run.
    """

    points: np.ndarray
    t: np.ndarray
    other: np.ndarray
    counts: np.ndarray
    init: np.ndarray
    init_hash: np.ndarray
    start: np.ndarray
    end: np.ndarray
    line: np.ndarray
    length: np.ndarray
    min_other: np.ndarray
    before: np.ndarray
    before_hash: np.ndarray
    after: np.ndarray
    after_hash: np.ndarray
    leaving: np.ndarray
    leaving_hash: np.ndarray


def _arrangement_subdivision(net: DecisionWeights, tolerance: float, max_pairs: int) -> DecisionSubdivision:
    """``δ(R)`` of a 2-input classifier by the line sweep of the module docstring, in four phases: the lines
    (:func:`_arrangement`), the sweep along each line (:func:`_sweep`), the cells dual to the arrangement's
    vertices (:func:`_vertex_cells`) and those dual to crossings of the boundary with a line
    (:func:`_crossing_cells`)."""
    arrangement = _arrangement(net, tolerance, max_pairs)
    cells = _Cells()
    if arrangement.q == 0:
        return cells.build()
    runs = _sweep(arrangement)
    if runs is None:  # one line, or all lines parallel: no vertices, a flat Newton polygon
        a = arrangement
        return _parallel_subdivision(a.lines, a.G, a.H, a.weights, a.base, a.magnitude, a.tolerance)
    _vertex_cells(arrangement, runs, cells)
    _crossing_cells(arrangement, runs, cells)
    return cells.build()


def _arrangement(net: DecisionWeights, tolerance: float, max_pairs: int) -> _Arrangement:
    """The merged, normalised lines with their lifted generators and hashes, after the size check."""
    lines, weights, base = _normalised_lines(net, tolerance)
    q = len(lines)
    pairs_count = q * (q - 1) // 2
    if pairs_count > max_pairs:
        raise ComputationTooLargeError(
            f"{q} distinct hidden-unit lines give {pairs_count:,} line pairs (about as many cells of δ(R), "
            f"about {pairs_count * 250 / 1e9:.2g} GB at ~250 bytes per pair), above max_pairs={max_pairs:,}. "
            "Instead: tropical.decision_hull(model) measures the decision polytope without the subdivision "
            "(support functions, tropical.metrics.hausdorff_bracket), or raise max_pairs= only as far as "
            "that memory is available.",
            estimate=float(pairs_count),
            limit=float(max_pairs),
        )
    G = np.concatenate([weights[0][:, None] * lines, weights[1][:, None] * lines], axis=1)  # (q, 6)
    rng = np.random.default_rng(20020838)
    hashes = rng.integers(0, np.iinfo(np.uint64).max, size=q, dtype=np.uint64, endpoint=True)
    H = np.column_stack([np.where(weights[0] > 0, hashes, 0), np.where(weights[1] > 0, hashes, 0)]).astype(
        np.uint64
    )
    magnitude = np.abs(base).sum() + np.abs(G).sum()
    return _Arrangement(lines, weights, base.reshape(6), G, H, float(magnitude), tolerance)


def _sweep(arrangement: _Arrangement) -> _Runs | None:
    """Sort the crossings along every line and accumulate the generators switched on and off (prefix sums
    over a ``(q, width, 6)`` padding, ``width`` the most crossings on one line); None without crossings."""
    G, H, tolerance, q = arrangement.G, arrangement.H, arrangement.tolerance, arrangement.q
    a, c = arrangement.lines[:, :2], arrangement.lines[:, 2]
    det = a[:, None, 0] * a[None, :, 1] - a[:, None, 1] * a[None, :, 0]  # det(a_i, a_j) = <a_j, dir_i>
    parallel = np.abs(det) <= 1e-12
    np.fill_diagonal(parallel, False)
    offset = c[None, :] - c[:, None] * (a @ a.T)  # a_j . x0_i + c_j
    before = (~parallel & (det < 0)) | (parallel & (offset > tolerance * (1 + np.abs(c).max())))
    np.fill_diagonal(before, False)
    init = before.astype(float) @ G  # (q, 6) positive part at t = -inf on every line
    init_hash = np.column_stack([(before.astype(np.uint64) @ H[:, k]) for k in range(2)])

    i, j = np.triu_indices(q, 1)
    d_ij = det[i, j]
    good = np.abs(d_ij) > 1e-12
    i, j, d_ij = i[good], j[good], d_ij[good]
    if len(i) == 0:
        return None
    point = np.column_stack(
        [(-c[i] * a[j, 1] + c[j] * a[i, 1]) / d_ij, (-a[i, 0] * c[j] + a[j, 0] * c[i]) / d_ij]
    )
    line = np.concatenate([i, j])
    other = np.concatenate([j, i])
    points = np.vstack([point, point])
    t = np.einsum("ek,ek->e", points, arrangement.directions[line])
    sign = np.concatenate([np.sign(d_ij), -np.sign(d_ij)])
    order = np.lexsort((t, line))
    line, other, points, t, sign = line[order], other[order], points[order], t[order], sign[order]
    E = len(line)
    counts = np.bincount(line, minlength=q)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position = np.arange(E) - starts[line]
    width = max(int(counts.max(initial=0)), 1)
    delta = sign[:, None] * G[other]  # (E, 6): crossing line `other` adds (+) or removes (-) its generator
    padded = np.zeros((q, width, 6))
    padded[line, position] = delta
    inclusive = np.cumsum(padded, axis=1)[line, position]
    exclusive = inclusive - delta
    delta_hash = np.where(sign[:, None] > 0, H[other], np.uint64(0) - H[other])
    padded_hash = np.zeros((q, width, 2), np.uint64)
    padded_hash[line, position] = delta_hash
    inclusive_hash = np.cumsum(padded_hash, axis=1)[line, position]
    exclusive_hash = inclusive_hash - delta_hash

    # runs: crossings at the same point of a line (concurrent lines)
    new_run = np.ones(E, dtype=bool)
    new_run[1:] = (line[1:] != line[:-1]) | (np.diff(t) > tolerance * np.maximum(1.0, np.abs(t[1:])))
    run_start = np.flatnonzero(new_run)
    run_end = np.append(run_start[1:], E) - 1
    run_line = line[run_start]
    leaving = np.where(sign[:, None] < 0, G[other], 0.0)
    leaving_hash = np.where(sign[:, None] < 0, H[other], 0).astype(np.uint64)
    return _Runs(
        points=points,
        t=t,
        other=other,
        counts=counts,
        init=init,
        init_hash=init_hash,
        start=run_start,
        end=run_end,
        line=run_line,
        length=run_end - run_start + 1,
        min_other=np.minimum.reduceat(other, run_start),
        before=init[run_line] + exclusive[run_start],
        before_hash=init_hash[run_line] + exclusive_hash[run_start],
        after=init[run_line] + inclusive[run_end],
        after_hash=init_hash[run_line] + inclusive_hash[run_end],
        leaving=np.add.reduceat(leaving, run_start, axis=0),
        leaving_hash=np.add.reduceat(leaving_hash, run_start, axis=0),
    )


def _vertex_cells(arrangement: _Arrangement, runs: _Runs, cells: _Cells) -> None:
    """Cells dual to the vertices of the arrangement (each once: on its lowest-numbered line). A generic
    vertex where one side wins is a parallelogram of that side, ``v`` of them at once; concurrent lines or a
    tie ``T_1 = T_2`` at the vertex are few and handled one by one (:func:`_degenerate_cell`)."""
    G, H, weights = arrangement.G, arrangement.H, arrangement.weights
    r = np.flatnonzero(runs.line < runs.min_other)
    x = runs.points[runs.start[r]]  # (v, 2)
    P = arrangement.base + runs.before[r] - runs.leaving[r]  # (v, 6) lifted base points of both sides
    P_hash = runs.before_hash[r] - runs.leaving_hash[r]
    xh = np.column_stack([x, np.ones(len(x))])
    D = np.einsum("vk,vk->v", P[:, :3], xh) - np.einsum("vk,vk->v", P[:, 3:], xh)  # T1 - T2
    size = arrangement.magnitude * np.maximum(1.0, np.abs(x).max(axis=1))
    tie = np.abs(D) <= arrangement.tolerance * size
    fast = (runs.length[r] == 1) & ~tie
    li, lj = runs.line[r[fast]], runs.other[runs.start[r[fast]]]
    for side in (0, 1):
        winner = (D[fast] > 0) if side == 0 else (D[fast] < 0)
        ok = winner & (weights[side, li] > 0) & (weights[side, lj] > 0)
        cols = slice(3 * side, 3 * side + 3)
        g1, g2 = G[li[ok], cols], G[lj[ok], cols]
        B = P[fast][ok][:, cols]
        h0 = P_hash[fast][ok][:, side]
        h1, h2 = H[li[ok], side], H[lj[ok], side]
        ccw = (g1[:, 0] * g2[:, 1] - g1[:, 1] * g2[:, 0]) > 0
        first = np.where(ccw[:, None], g1, g2)
        second = np.where(ccw[:, None], g2, g1)
        hf, hs = np.where(ccw, h1, h2), np.where(ccw, h2, h1)
        lifted = np.stack([B, B + first, B + first + second, B + second], axis=1)
        keys = np.stack([h0, h0 + hf, h0 + hf + hs, h0 + hs], axis=1)
        cells.add(lifted, np.int64(side + 1), keys, x[fast][ok])
    for k in np.flatnonzero(~fast):
        run = r[k]
        through = np.concatenate([[runs.line[run]], runs.other[runs.start[run] : runs.end[run] + 1]])
        _degenerate_cell(cells, x[k], P[k], P_hash[k], D[k], bool(tie[k]), through, G, H)


def _crossing_cells(arrangement: _Arrangement, runs: _Runs, cells: _Cells) -> None:
    """Cells dual to the points where the boundary ``T_1 = T_2`` crosses a line inside an edge of the
    arrangement: on each of the ``q + R`` intervals between consecutive runs (``T_1 - T_2`` is affine in
    ``t`` there) a sign change gives a quadrilateral or triangle mixing both sides."""
    G, H, weights, q = arrangement.G, arrangement.H, arrangement.weights, arrangement.q
    tolerance, magnitude = arrangement.tolerance, arrangement.magnitude
    first_run = np.full(q, -1)
    first_run[runs.line[::-1]] = np.arange(len(runs.line))[::-1]
    next_same = np.append(runs.line[1:] == runs.line[:-1], False)
    interval_line = np.concatenate([np.arange(q), runs.line])  # (q + R,): before the first run, after each
    interval_state = np.vstack([runs.init, runs.after])
    interval_hash = np.vstack([runs.init_hash, runs.after_hash])
    t_run = runs.t[runs.start]
    low = np.concatenate([np.full(q, -np.inf), t_run])
    high = np.concatenate([
        np.where(runs.counts > 0, t_run[np.maximum(first_run, 0)], np.inf),
        np.where(next_same, np.append(t_run[1:], np.inf), np.inf),
    ])  # fmt: skip
    S = arrangement.base + interval_state
    difference = S[:, :3] - S[:, 3:]
    foot, along = arrangement.feet[interval_line], arrangement.directions[interval_line]
    alpha = np.einsum("ek,ek->e", difference[:, :2], foot) + difference[:, 2]
    beta = np.einsum("ek,ek->e", difference[:, :2], along)
    moving = np.abs(beta) > tolerance * magnitude
    with np.errstate(divide="ignore", invalid="ignore"):
        t_zero = np.where(moving, -alpha / np.where(moving, beta, 1.0), np.nan)
    # The boundary crosses the interval when T1 - T2 changes sign between its ends by more than the tie
    # tolerance of the vertices (the same test as `tie` in _vertex_cells): a vertex that is a tie already
    # carries the boundary, and a crossing found next to it as well would give overlapping cells.
    end_signs = []
    for end, infinite_sign in ((low, -1.0), (high, 1.0)):
        finite = np.isfinite(end)
        t_end = np.where(finite, end, 0.0)
        value = alpha + beta * t_end
        where = foot + t_end[:, None] * along
        threshold = tolerance * magnitude * np.maximum(1.0, np.abs(where).max(axis=1))
        side = np.where(value > threshold, 1, np.where(value < -threshold, -1, 0))
        end_signs.append(np.where(finite, side, np.sign(infinite_sign * beta)))
    crossing = moving & (end_signs[0] * end_signs[1] < 0) & np.isfinite(t_zero)
    e = np.flatnonzero(crossing)
    lid = interval_line[e]
    tie_points = foot[e] + t_zero[e, None] * along[e]
    B1, B2 = S[e, :3], S[e, 3:]
    g1, g2 = G[lid, :3], G[lid, 3:]
    h1, h2 = interval_hash[e, 0], interval_hash[e, 1]
    k1, k2 = H[lid, 0], H[lid, 1]
    both = (weights[0, lid] > 0) & (weights[1, lid] > 0)
    only1 = (weights[0, lid] > 0) & ~both
    only2 = (weights[1, lid] > 0) & ~both
    for mask, lifted, sides, keys in (
        (both, lambda m: [B1[m], B1[m] + g1[m], B2[m] + g2[m], B2[m]], [1, 1, 2, 2],
         lambda m: [h1[m], h1[m] + k1[m], h2[m] + k2[m], h2[m]]),
        (only1, lambda m: [B1[m], B1[m] + g1[m], B2[m]], [1, 1, 2], lambda m: [h1[m], h1[m] + k1[m], h2[m]]),
        (only2, lambda m: [B1[m], B2[m] + g2[m], B2[m]], [1, 2, 2], lambda m: [h1[m], h2[m] + k2[m], h2[m]]),
    ):  # fmt: skip
        polygon = np.stack(lifted(mask), axis=1)
        key = np.stack(keys(mask), axis=1)
        side = np.broadcast_to(np.array(sides), key.shape)
        area = _signed_area(polygon[:, :, :2])
        reverse = area < 0
        polygon[reverse] = polygon[reverse, ::-1]
        key[reverse] = key[reverse, ::-1]
        side = np.where(reverse[:, None], side[:, ::-1], side)
        cells.add(polygon, side, key, tie_points[mask])


def _parallel_subdivision(lines, G, H, weights, base, magnitude, tolerance) -> DecisionSubdivision:
    """``δ(R)`` when all ``q >= 1`` lines are parallel to one unit normal ``u`` (a single live line, or a net
    whose live units all ignore one input direction, common after pruning).

    The arrangement has no vertex, so the 2-D sweep finds nothing. Every monomial is ``base + sum of
    generators`` with all exponent differences along ``u``: the Newton polygon is a segment and ``δ(R)`` is
    a chain of segments, each dual to a whole line of ``T(R)`` orthogonal to ``u``. Sweeping ``s = <u, x>``
    across the sorted lines ``s = -c_l`` gives them: a side's kink at a line where that side wins, a tie of
    both sides at a line (degenerate: the extreme monomials of all that tie), and a crossing ``T_1 = T_2``
    inside an interval between lines (mixed). Tie points are the points ``s u`` of the tie lines.
    """
    u = lines[0, :2]
    position = -lines[:, 2]  # line l is {<u, x> = position_l}; its unit is active for <u, x> > position_l
    order = np.argsort(position, kind="stable")
    position = position[order]
    # state k: lifted bases of both sides between sorted lines k - 1 and k (lines order[:k] active)
    state = base.reshape(1, 6) + np.vstack([np.zeros((1, 6)), np.cumsum(G[order], axis=0)])
    state_hash = np.vstack([np.zeros((1, 2), np.uint64), np.cumsum(H[order], axis=0, dtype=np.uint64)])
    exponent = np.column_stack([state[:, :2] @ u, state[:, 3:5] @ u])  # (q + 1, 2) along u, per side
    difference = exponent[:, 0] - exponent[:, 1]  # slope of T_1 - T_2 in s
    offset = state[:, 2] - state[:, 5]
    cells = _Cells()

    # ---- the lines of the arrangement: one side kinks there (or both sides tie)
    D = offset[:-1] + difference[:-1] * position  # T_1 - T_2 on sorted line k
    tie = np.abs(D) <= tolerance * magnitude * np.maximum(1.0, np.abs(position))
    for side in (0, 1):
        cols = slice(3 * side, 3 * side + 3)
        k = np.flatnonzero(~tie & ((D > 0) if side == 0 else (D < 0)) & (weights[side, order] > 0))
        B, g = state[k, cols], G[order[k], cols]
        h0 = state_hash[k, side]
        lifted = np.stack([B, B + g], axis=1)
        keys = np.stack([h0, h0 + H[order[k], side]], axis=1)
        cells.add(lifted, np.int64(side + 1), keys, position[k, None] * u)
    for k in np.flatnonzero(tie):  # few: both sides tie on a line
        unit = order[k]
        candidates = [
            (state[k, 3 * side : 3 * side + 3] + step * G[unit, 3 * side : 3 * side + 3], side + 1,
             state_hash[k : k + 2, side][step])
            for side in (0, 1)
            for step in ((0, 1) if weights[side, unit] > 0 else (0,))
        ]  # fmt: skip
        along = np.array([point[:2] @ u for point, _, _ in candidates])
        low, high = int(np.argmin(along)), int(np.argmax(along))
        if along[high] - along[low] <= tolerance * magnitude:
            continue
        cells.add(
            np.array([[candidates[low][0], candidates[high][0]]]),
            np.array([[candidates[low][1], candidates[high][1]]]),
            np.array([[candidates[low][2], candidates[high][2]]], np.uint64),
            position[k] * u,
        )

    # ---- crossings T_1 = T_2 strictly between consecutive lines (a mixed segment)
    moving = np.abs(difference) > tolerance * magnitude
    with np.errstate(divide="ignore", invalid="ignore"):
        zero = np.where(moving, -offset / np.where(moving, difference, 1.0), np.nan)
    low = np.concatenate([[-np.inf], position])
    high = np.concatenate([position, [np.inf]])
    margin = tolerance * np.maximum(1.0, np.abs(zero))
    k = np.flatnonzero(moving & (zero > low + margin) & (zero < high - margin))
    lifted = np.stack([state[k, :3], state[k, 3:]], axis=1)
    keys = state_hash[k]
    cells.add(lifted, np.array([1, 2]), keys, zero[k, None] * u)
    return cells.build()


def _signed_area(polygons: np.ndarray) -> np.ndarray:
    """Shoelace areas of ``(c, s, 2)`` polygons."""
    x, y = polygons[..., 0], polygons[..., 1]
    return 0.5 * (x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y).sum(axis=1)


def _zonotope_cell(B, hash0, generators, hashes, x):
    """Vertices (ccw), lifted coordinates and activation hashes of the face ``B + Z(generators)``.

    All generators are orthogonal to ``(x, 1)``, so every vertex ties at ``x``. The polygon may be a
    segment or a point (then it is not a cell by itself, but it joins a tie cell).
    """
    from tropical.zonotope import _vertices_2d

    merged, start = _merge_2d(generators[:, :2], B[:2], 1e-12)
    polygon = _vertices_2d(merged, start)
    value = B[:2] @ x + B[2]
    lifted = np.column_stack([polygon, value - polygon @ x])
    if len(polygon) >= 3:  # a direction inside the normal cone of every vertex
        edges = np.roll(polygon, -1, axis=0) - polygon
        normals = np.column_stack([edges[:, 1], -edges[:, 0]])
        normals /= np.linalg.norm(normals, axis=1, keepdims=True)
        inside = normals + np.roll(normals, 1, axis=0)
    else:
        inside = polygon - polygon.mean(axis=0)
    include = (inside @ generators[:, :2].T) > 0  # (v, k): generators summed into each vertex
    with np.errstate(over="ignore"):  # hashes add modulo 2^64
        keys = np.array([hash0 + hashes[row].sum(dtype=np.uint64) for row in include], dtype=np.uint64)
    return lifted, keys


def _degenerate_cell(cells: _Cells, x, P, P_hash, D, tie, through, G, H):
    parts = []
    for side in (0, 1):
        if not tie and (D > 0) != (side == 0):
            continue
        cols = slice(3 * side, 3 * side + 3)
        lifted, keys = _zonotope_cell(P[cols], P_hash[side], G[through, cols], H[through, side], x)
        parts.append((lifted, np.full(len(keys), side + 1), keys))
    lifted = np.vstack([part[0] for part in parts])
    sides = np.concatenate([part[1] for part in parts])
    keys = np.concatenate([part[2] for part in parts])
    if len(parts) > 1:
        hull = convex_hull_vertices(lifted[:, :2])
        hull = hull[corner_mask(lifted[hull, :2], RELATIVE_TOLERANCE)]
        lifted, sides, keys = lifted[hull], sides[hull], keys[hull]
    if len(lifted) < 3:
        return
    cells.add(lifted[None], sides[None], keys[None], np.asarray(x)[None])


# ---------------------------------------------------------------------------- decision hypersurface
def _mixed_curve(subdivision: DecisionSubdivision, bounds):
    from tropical.curve import TropicalCurve, clip_to_box, curve_from_cell_edges

    if subdivision.exponents.shape[1] != 2:
        raise ValueError("the decision hypersurface as segments needs a 2-D input")
    if len(subdivision) and (subdivision.cell_sizes == 2).all():
        # a flat Newton polygon (all lines parallel): every cell is a segment, dual to a whole line of T(R)
        pairs = subdivision.cell_vertices.reshape(-1, 2)[subdivision.mixed]
        delta = subdivision.exponents[pairs[:, 1]] - subdivision.exponents[pairs[:, 0]]
        n = len(pairs)
        segments, kept = clip_to_box(
            subdivision.tie_points[subdivision.mixed],
            np.column_stack([-delta[:, 1], delta[:, 0]]),
            np.full(n, -np.inf),
            np.full(n, np.inf),
            bounds=bounds,
        )
        return TropicalCurve(segments, pairs[kept], np.full(len(kept), "line"), np.zeros((0, 2)), bounds)
    first, second, owner = subdivision._cell_edges()
    mixed = subdivision.sides[first] != subdivision.sides[second]
    ties = subdivision.tie_points
    return curve_from_cell_edges(
        subdivision.exponents,
        first[mixed],
        second[mixed],
        owner[mixed],
        ties,
        bounds=bounds,
        vertices=ties[subdivision.mixed],
    )


def decision_hypersurface(
    model,
    classes=(0, 1),
    *legacy,
    bounds=None,
    method: str = "auto",
    tolerance: float = RELATIVE_TOLERANCE,
):
    """The decision boundary of a one-hidden-layer 2-D classifier as the mixed part of ``T(R)``, exactly.

    Only ties between a monomial of ``T_1 = H_i ⊙ Q_j`` and one of ``T_2 = H_j ⊙ Q_i`` are kept
    (docs/math.md §2): ties inside one side are kinks of ``f_i - f_j``'s pieces, not boundary.

    Parameters
    ----------
    model, classes
        As in :func:`decision_zonotopes`; the model must have 2 inputs.
    bounds : (xmin, xmax, ymin, ymax)
        Box the pieces are clipped to, keyword-only (the old order ``(model, bounds, classes)`` still works
        with a ``DeprecationWarning``).
    method, tolerance
        As in :func:`decision_subdivision`.

    Returns
    -------
    tropical.curve.TropicalCurve
        ``segments`` (s, 2, 2); ``monomials`` (s, 2) index pairs into the subdivision's ``exponents`` (one
        monomial of each side); ``kinds``; ``vertices`` = tie points of the mixed cells.
    """
    if bounds is None and np.size(classes) == 4:  # the old order: (model, bounds, classes)
        old = positional_deprecated("decision_hypersurface", ("bounds", "classes"), (classes, *legacy))
        bounds, classes = old["bounds"], old.get("classes", (0, 1))
    elif legacy:
        raise TypeError("decision_hypersurface() takes model and classes positionally; pass bounds=")
    if bounds is None:
        raise TypeError("decision_hypersurface() needs bounds=(xmin, xmax, ymin, ymax)")
    return decision_subdivision(model, classes, method=method, tolerance=tolerance).hypersurface(
        bounds=bounds
    )
