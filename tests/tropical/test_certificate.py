"""An exactness certificate for the monomial sets of ``tropical.from_torch``, from the network alone.

Only numpy, scipy's Qhull and the network's weights are used: nothing of ``tropical`` but the monomial sets
under test. The polynomials are evaluated as numbers by the recursion of docs/math.md, section 2 (Zhang,
Naitzat & Lim, ICML 2018): for a layer ``x -> W x + b`` with ``W = W+ - W-`` and input ``F - G``,

    H = W+ F + W- G + b,   N = W+ G + W- F,   then  F' = max(H, N), G' = N  (ReLU)  or  F' = H, G' = N
    (last layer),

starting from ``F = x``, ``G = 0``. The polynomial ``P(x) = max_i (c_i + <a_i, x>)`` of a returned set
``R`` equals the network's ``F`` (or ``G``) everywhere, and every returned monomial is essential, when:

(a) **soundness**: every monomial ``i`` has a witness ``x_i`` where it beats every other returned monomial
    by a margin and ``F(x_i) = c_i + <a_i, x_i>``;
(b) **completeness**: at the tie point ``x_f`` of every upper facet ``f`` of the lifted hull
    ``conv{(a_i, c_i)}`` (outward normal ``(nu, nu_0)``, ``nu_0 > 0``, ``x_f = nu / nu_0``),
    ``F(x_f) = P(x_f)``;
(c) **at infinity**: in the outward normal ``r`` of every facet of the Newton polytope ``conv{a_i}``,
    the recession function ``F_inf(r)`` (the recursion with every bias set to zero) equals
    ``max_i <a_i, r>``.

Why: on the region of monomial ``i`` (``P = l_i``), the region's vertices are tie points, where (b) gives
``F = l_i``; its recession directions lie in the normal cone of ``a_i``, where (c) and convexity give
``F(y + t r) <= F(y) + t F_inf(r) = l_i(y + t r)``. So the convex ``F - l_i`` is ``<= 0`` on the region,
and ``= 0`` at the interior witness of (a), hence ``= 0`` on the whole region: ``F = P`` everywhere. A
missing monomial would stick out above some facet (b) or beyond a Newton facet (c); a spurious or wrong
one fails (a).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch
from conftest import mlp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.spatial import ConvexHull
from torch import nn

import tropical as tr


def dense_layers(model) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(W, b)`` in float64 of an ``nn.Sequential`` of ``Linear`` and ``ReLU`` (ReLU between Linears)."""
    layers = [m for m in model if isinstance(m, nn.Linear)]
    kinds = [type(m) for m in model]
    expected = [nn.Linear, nn.ReLU] * (len(layers) - 1) + [nn.Linear]
    if kinds != expected:
        raise ValueError(f"the certificate reads Linear/ReLU chains, got {kinds}")
    return [(m.weight.detach().double().numpy(), m.bias.detach().double().numpy()) for m in layers]


def numeric_parts(layers, X, *, biases: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``F(X)``, ``G(X)`` of every output, shape (n, outputs) each, by the recursion on numbers."""
    F, G = np.array(X, dtype=np.float64), np.zeros_like(X, dtype=np.float64)
    for index, (W, b) in enumerate(layers):
        plus, minus = np.maximum(W, 0), np.maximum(-W, 0)
        H = F @ plus.T + G @ minus.T + (b if biases else 0.0)
        N = G @ plus.T + F @ minus.T
        F, G = (H, N) if index == len(layers) - 1 else (np.maximum(H, N), N)
    return F, G


def _max_terms(exponents, coefficients, X, *, chunk: int = 2048) -> np.ndarray:
    """``max_i (c_i + <a_i, x>)`` at every row of ``X`` (chunked: ``n x m`` values at once would not fit)."""
    best = np.empty(len(X))
    for start in range(0, len(X), chunk):
        best[start : start + chunk] = (X[start : start + chunk] @ exponents.T + coefficients).max(axis=1)
    return best


@dataclass
class Certificate:
    """What was checked, and every failure (empty lists: the set is exactly the polynomial's)."""

    monomials: int
    upper_facets: int
    newton_facets: int
    linear_programs: int
    unsound: list  # monomials without a witness, or whose witness value differs from F
    incomplete: list  # tie points where F differs from the set's max
    at_infinity: list  # Newton facet normals where F's recession differs from the set's support

    @property
    def exact(self) -> bool:
        return not (self.unsound or self.incomplete or self.at_infinity)


def certify(polynomial, evaluate, recession, *, rtol: float = 1e-9) -> Certificate:
    """Certify that ``polynomial`` (exponents ``(m, d)``, coefficients ``(m,)``) is the function ``evaluate``.

    Parameters
    ----------
    polynomial
        Any object with ``exponents`` and ``coefficients`` (a ``TropicalPolynomial``).
    evaluate, recession : callable, (n, d) -> (n,)
        The polynomial as numbers (e.g. ``numeric_parts``) and its recession function (biases dropped).
    rtol : float
        Tolerance relative to the size of the terms compared.
    """
    A = np.asarray(polynomial.exponents, dtype=np.float64)
    c = np.asarray(polynomial.coefficients, dtype=np.float64)
    m, d = A.shape
    lifted = ConvexHull(np.column_stack([A, c]))
    normals, nu0 = lifted.equations[:, :d], lifted.equations[:, d]  # unit outward normals (nu, nu_0)
    upper = nu0 > 1e-12
    # (b) tie points of the upper facets: <nu, a> + nu_0 c + e = 0 on the facet, so the max of
    # c + <a, x> at x = nu / nu_0 is -e / nu_0 there
    ties = normals[upper] / nu0[upper, None]
    value = evaluate(ties)
    best = _max_terms(A, c, ties)
    scale = 1.0 + np.abs(ties) @ np.abs(A).max(axis=0) + np.abs(c).max()
    incomplete = np.flatnonzero(np.abs(value - best) > rtol * scale).tolist()
    # (c) the Newton polytope's facets
    newton = ConvexHull(A)
    outward = newton.equations[:, :d]
    at_infinity_gap = recession(outward) - (outward @ A.T).max(axis=1)
    at_infinity = np.flatnonzero(np.abs(at_infinity_gap) > rtol * (1.0 + np.abs(A).max())).tolist()
    # (a) witnesses: the mean of each monomial's tie points, pushed along the outward normals of the
    # Newton facets through it (its region's recession directions)
    simplices = lifted.simplices[upper]
    owner = simplices.ravel()
    counts = np.bincount(owner, minlength=m)
    mean = np.zeros((m, d))
    np.add.at(mean, owner, np.repeat(ties, d + 1, axis=0))
    mean[counts > 0] /= counts[counts > 0, None]
    # every Newton facet whose hyperplane holds a_i, also when a_i is not one of Qhull's vertices of it
    units = outward / np.linalg.norm(outward, axis=1, keepdims=True)
    slack = 1e-9 * (1.0 + np.abs(A).max())
    push = np.vstack(
        [
            (
                np.abs(
                    A[start : start + 1024] @ units.T
                    + newton.equations[:, d] / np.linalg.norm(outward, axis=1)
                )
                <= slack
            )
            @ units
            for start in range(0, m, 1024)
        ]
    )
    reach = 1.0 + np.abs(ties).max() if len(ties) else 1.0
    witness = mean + reach * push
    margin = _witness_margins(A, c, witness)
    for nearer in (1e-3, 0.0):  # a failed witness: nearer the tie points (a thin region), then by LP
        retry = np.flatnonzero(margin <= rtol * _sizes(A, c, witness))
        witness[retry] = mean[retry] + nearer * reach * push[retry]
        margin[retry] = _witness_margins(A, c, witness, rows=retry)
    retry = np.flatnonzero(margin <= rtol * _sizes(A, c, witness))
    for i in retry:
        witness[i], margin[i] = _best_witness(A, c, i)
    size = _sizes(A, c, witness)
    # a positive margin below the tolerance (a region of width ~1e-8) is kept, but F must match there too
    unsound = [
        (int(i), "never the unique maximum", float(margin[i])) for i in np.flatnonzero(margin <= 1e-12 * size)
    ]
    gap = evaluate(witness) - (c + np.einsum("ij,ij->i", A, witness))
    unsound += [
        (int(i), "differs from F at its witness", float(gap[i]))
        for i in np.flatnonzero((np.abs(gap) > rtol * size) & (margin > 1e-12 * size))
    ]
    linear_programs = len(retry)
    return Certificate(m, int(upper.sum()), len(outward), linear_programs, unsound, incomplete, at_infinity)


def _sizes(A, c, X) -> np.ndarray:
    """The scale of the terms ``c_i + <a_i, x>`` at every row of ``X``, for relative tolerances."""
    return 1.0 + np.abs(X) @ np.abs(A).max(axis=0) + np.abs(c).max()


def _witness_margins(A, c, witness, *, rows=None, chunk: int = 1024) -> np.ndarray:
    """``l_i(x_i) - max_{j != i} l_j(x_i)`` for the monomials ``rows`` (default all) at their witnesses."""
    m = len(A)
    every = np.arange(m) if rows is None else np.asarray(rows)
    if m == 1:
        return np.ones(len(every))
    margins = np.empty(len(every))
    for start in range(0, len(every), chunk):
        rows = every[start : start + chunk]
        values = witness[rows] @ A.T + c
        own = values[np.arange(len(rows)), rows].copy()
        values[np.arange(len(rows)), rows] = -np.inf
        margins[start : start + chunk] = own - values.max(axis=1)
    return margins


def _best_witness(A, c, i) -> tuple[np.ndarray, float]:
    """Maximise ``t`` with ``c_j + <a_j, x> + t <= c_i + <a_i, x>`` for ``j != i``, ``t <= 1``."""
    m, d = A.shape
    others = np.delete(np.arange(m), i)
    a_ub = np.column_stack([A[others] - A[i], np.ones(len(others))])
    b_ub = c[i] - c[others]
    objective = np.zeros(d + 1)
    objective[-1] = -1.0
    result = linprog(
        objective, A_ub=a_ub, b_ub=b_ub, bounds=[(None, None)] * d + [(None, 1.0)], method="highs"
    )
    if result.status != 0:
        return np.zeros(d), -np.inf
    return result.x[:d], float(result.x[-1])


# ------------------------------------------------------------------------------------------- tests
def _full_dimensional(polynomial) -> bool:
    """Qhull needs lifted points spanning R^(d+1) (a constant G, a net with one hidden unit do not)."""
    lifted = np.column_stack([polynomial.exponents, polynomial.coefficients])
    centred = lifted - lifted.mean(axis=0)
    return len(lifted) > lifted.shape[1] and np.linalg.matrix_rank(centred, tol=1e-9) == lifted.shape[1]


@settings(max_examples=25, deadline=None)
@given(
    inputs=st.integers(2, 3),
    hidden=st.lists(st.integers(3, 6), min_size=1, max_size=2),
    outputs=st.integers(1, 3),
    seed=st.integers(0, 2**31 - 1),
    method=st.sampled_from(["auto", "recursion"]),
)
def test_from_torch_monomials_are_certified_on_small_nets(inputs, hidden, outputs, seed, method):
    net = mlp([inputs, *hidden, outputs], seed=seed)
    tropical_map = tr.from_torch(net, method=method)
    layers = dense_layers(net)
    X = np.random.default_rng(seed).standard_normal((50, inputs)) * 3
    F, G = numeric_parts(layers, X)  # the recursion on numbers is the network (docs/math.md, section 2)
    np.testing.assert_allclose(F - G, net(torch.from_numpy(X)).detach().numpy(), atol=1e-9)
    certified = 0
    for k, rational in enumerate(tropical_map.outputs):
        for column, polynomial in enumerate((rational.numerator, rational.denominator)):
            if not _full_dimensional(polynomial):
                continue
            certificate = certify(
                polynomial,
                lambda Y, k=k, column=column: numeric_parts(layers, Y)[column][:, k],
                lambda Y, k=k, column=column: numeric_parts(layers, Y, biases=False)[column][:, k],
            )
            assert certificate.exact, (k, column, certificate)
            certified += 1
    assume(certified > 0)


def _cube_net():
    return mlp([3, 5, 5, 2], seed=0)


@pytest.fixture(scope="module")
def certified_polynomial():
    """The F of output 0 of a 3-5-5-2 net, with its numeric oracle."""
    net = _cube_net()
    layers = dense_layers(net)
    polynomial = tr.from_torch(net).outputs[0].numerator

    def evaluate(Y):
        return numeric_parts(layers, Y)[0][:, 0]

    def recession(Y):
        return numeric_parts(layers, Y, biases=False)[0][:, 0]

    return polynomial, evaluate, recession


def test_certificate_accepts_the_exact_set(certified_polynomial):
    polynomial, evaluate, recession = certified_polynomial
    certificate = certify(polynomial, evaluate, recession)
    assert certificate.exact and certificate.monomials == len(polynomial.exponents) > 100


def _mutated(polynomial, exponents, coefficients):
    return tr.TropicalPolynomial(exponents, coefficients)


@pytest.mark.parametrize("which", ["interior", "boundary"])
def test_certificate_finds_a_missing_monomial(certified_polynomial, which):
    polynomial, evaluate, recession = certified_polynomial
    A, c = np.asarray(polynomial.exponents), np.asarray(polynomial.coefficients)
    on_newton = np.zeros(len(A), dtype=bool)
    on_newton[ConvexHull(A).vertices] = True
    drop = np.flatnonzero(~on_newton if which == "interior" else on_newton)[0]
    keep = np.arange(len(A)) != drop
    certificate = certify(_mutated(polynomial, A[keep], c[keep]), evaluate, recession)
    assert not certificate.exact
    # an interior monomial is missed above a facet; a Newton vertex beyond a Newton facet (or a facet)
    assert (
        certificate.incomplete if which == "interior" else (certificate.at_infinity or certificate.incomplete)
    )


def test_certificate_finds_a_redundant_or_wrong_monomial(certified_polynomial):
    polynomial, evaluate, recession = certified_polynomial
    A, c = np.asarray(polynomial.exponents), np.asarray(polynomial.coefficients)
    # the midpoint of two monomials, lowered: never the maximum (not reduced)
    below = certify(
        _mutated(polynomial, np.vstack([A, (A[0] + A[1]) / 2]), np.append(c, c.min() - 1)),
        evaluate,
        recession,
    )
    assert [reason for _, reason, _ in below.unsound] == ["never the unique maximum"]
    assert not below.incomplete and not below.at_infinity
    # one coefficient raised by 1e-4 of the scale: wrong at its witness (and above F at the facets around it)
    raised = c.copy()
    raised[5] += 1e-4 * (1 + np.abs(c).max())
    wrong = certify(_mutated(polynomial, A, raised), evaluate, recession)
    assert (5, "differs from F at its witness") in [(i, reason) for i, reason, _ in wrong.unsound]
    # one coefficient lowered: the set's max drops below F at the facets around it
    lowered = c.copy()
    lowered[5] -= 1e-4 * (1 + np.abs(c).max())
    assert certify(_mutated(polynomial, A, lowered), evaluate, recession).incomplete


@pytest.mark.slow
@pytest.mark.parametrize(
    "widths",
    [(4, 10, 10, 2), (3, 16, 16, 2), (2, 64, 64, 2), (2, 8, 8, 8, 8, 1)],
    ids=lambda widths: "-".join(map(str, widths)),
)
def test_from_torch_monomials_are_certified_on_the_benchmark_nets(widths):
    # the nets of benchmarks/bench_from_torch.py (make_net, seed 0); 2-8-8-8-8-1 once lost 10 monomials
    net = mlp(list(widths), seed=0)
    tropical_map = tr.from_torch(net)
    layers = dense_layers(net)
    for k, rational in enumerate(tropical_map.outputs):
        for column, polynomial in enumerate((rational.numerator, rational.denominator)):
            certificate = certify(
                polynomial,
                lambda Y, k=k, column=column: numeric_parts(layers, Y)[column][:, k],
                lambda Y, k=k, column=column: numeric_parts(layers, Y, biases=False)[column][:, k],
            )
            assert certificate.exact, (widths, k, column, certificate)
