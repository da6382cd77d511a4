"""TropicalPolynomial: evaluation, arithmetic, reduction and Newton polytopes against independent oracles."""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import ConvexHull

from tropical import ComputationTooLargeError, TropicalPolynomial, TropicalRational


def hull_vertex_set(points):
    """Vertices of conv(points) with scipy directly (full-dimensional inputs only), as a set of tuples."""
    hull = ConvexHull(points)
    return {tuple(np.round(points[v], 9)) for v in hull.vertices}


def polynomials_with(coefficients):
    """(exponents (m, d), coefficients (m,)) with small integer exponents, d in 1..3, m in 1..25."""
    return st.integers(1, 3).flatmap(
        lambda d: st.integers(1, 25).flatmap(
            lambda m: st.tuples(
                st.lists(st.lists(st.integers(-3, 3), min_size=d, max_size=d), min_size=m, max_size=m),
                st.lists(coefficients, min_size=m, max_size=m),
            )
        )
    )


# any float, including subnormals and near-ties: for values and for what is clearly kept or dropped
polynomials = polynomials_with(st.floats(-5, 5, allow_nan=False))
# coefficients on a quarter grid: exact ties are frequent, and with exponents in [-3, 3] a monomial that is
# the unique maximum somewhere wins by a rational margin (>= 2e-5) far above the linear programs' tolerance
grid_polynomials = polynomials_with(st.integers(-20, 20).map(lambda k: k / 4))


def deduplicated(exponents, coefficients):
    """Distinct exponents, each with its largest coefficient (what a tropical sum of duplicates is)."""
    exponents, inverse = np.unique(np.asarray(exponents, float), axis=0, return_inverse=True)
    best = np.full(len(exponents), -np.inf)
    np.maximum.at(best, inverse.reshape(-1), coefficients)
    return exponents, best


def test_evaluation_is_max_plus():
    p = TropicalPolynomial([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]], [1.0, 0.0, -1.0])
    X = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    np.testing.assert_allclose(p(X), [1.0, 3.0, 5.0])
    assert p(np.array([3.0, 0.0])) == 3.0


def test_evaluation_accepts_torch_tensors():
    torch = pytest.importorskip("torch")
    p = TropicalPolynomial(torch.tensor([[1.0], [2.0]]), torch.tensor([0.0, -1.0]))
    np.testing.assert_allclose(p(torch.tensor([[0.0], [2.0]])), [0.0, 3.0])


def test_constructors():
    d = 3
    X = np.random.default_rng(0).normal(size=(10, d))
    np.testing.assert_allclose(TropicalPolynomial.constant(2.5, d)(X), 2.5)
    np.testing.assert_allclose(TropicalPolynomial.variable(1, d)(X), X[:, 1])
    np.testing.assert_allclose(TropicalPolynomial.monomial([1, 2, 0], 0.5)(X), 0.5 + X[:, 0] + 2 * X[:, 1])


@settings(max_examples=40, deadline=None)
@given(polynomials, polynomials)
def test_arithmetic_matches_pointwise_max_and_sum(first, second):
    p = TropicalPolynomial(*first)
    if p.dimension != len(second[0][0]):
        return
    q = TropicalPolynomial(*second)
    X = np.random.default_rng(1).normal(size=(50, p.dimension)) * 4
    # float addition is not associative: (c_i + c_j) + <a_i + a_j, x> and (c_i + <a_i, x>) + (c_j + <a_j, x>)
    # differ by rounding, and by a subnormal coefficient that is lost in one order and kept in the other
    close = {"rtol": 1e-12, "atol": 1e-9}
    np.testing.assert_allclose((p + q)(X), np.maximum(p(X), q(X)), **close)
    np.testing.assert_allclose((p * q)(X), p(X) + q(X), **close)
    np.testing.assert_allclose((p**2.5)(X), 2.5 * p(X), **close)
    np.testing.assert_allclose((p * 3.0)(X), p(X) + 3.0, **close)
    np.testing.assert_allclose((p + 3.0)(X), np.maximum(p(X), 3.0), **close)


@settings(max_examples=60, deadline=None)
@given(grid_polynomials)
def test_reduced_keeps_exactly_the_monomials_that_are_unique_max_somewhere(data):
    from conftest import unique_max_somewhere

    p = TropicalPolynomial(*data)
    r = p.reduced()
    X = np.random.default_rng(2).normal(size=(200, p.dimension)) * 10
    np.testing.assert_allclose(r(X), p(X), atol=1e-9)
    exponents, best = deduplicated(p.exponents, p.coefficients)
    expected = {(*tuple(exponents[i]), best[i]) for i in unique_max_somewhere(exponents, best)}
    assert {tuple(row) for row in r.lifted} == expected


@settings(max_examples=60, deadline=None)
@given(polynomials)
def test_reduced_on_arbitrary_floats_keeps_every_clear_winner_and_drops_every_clear_loser(data):
    """Margins between 0 and 1e-7 (a coefficient of 1e-13 over a tie) are left to the documented tolerance."""
    from conftest import max_margins

    p = TropicalPolynomial(*data)
    r = p.reduced()
    X = np.random.default_rng(2).normal(size=(200, p.dimension)) * 10
    np.testing.assert_allclose(r(X), p(X), atol=1e-9)
    exponents, best = deduplicated(p.exponents, p.coefficients)
    margins = max_margins(exponents, best)
    kept = {tuple(row) for row in r.lifted}
    lifted = [(*tuple(exponents[i]), best[i]) for i in range(len(best))]
    assert {lifted[i] for i in np.flatnonzero(margins > 1e-7)} <= kept
    assert not {lifted[i] for i in np.flatnonzero(margins < -1e-9)} & kept


@pytest.mark.parametrize(
    ("exponents", "coefficients", "kept"),
    [
        (
            [[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]],
            [0.0, 2.0, 0.0],
            {(1.0, 1.0, 2.0), (0.0, 0.0, 0.0)},
        ),  # duplicates
        ([[0.0, 0.0], [1.0, 0.0]], [0.0, 0.0], {(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)}),  # fewer than d + 2 points
        ([[0.0], [1.0], [2.0]], [0.0, 0.0, 0.0], {(0.0, 0.0), (2.0, 0.0)}),  # d = 1, collinear lifted points
        ([[0.0], [1.0], [2.0]], [0.0, 1.0, 0.0], {(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)}),  # d = 1, a kink
        # exponents on a line in the plane (flat Newton polytope): Qhull would fail without projection
        (
            [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]],
            [0.0, 1.0, 1.0, 0.0],
            {(0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (2.0, 2.0, 1.0), (3.0, 3.0, 0.0)},
        ),
        # lifted points on one plane c = <(1, 2), a> + 3: only the corners of the square matter
        (
            [[0, 0], [1, 0], [0, 1], [1, 1], [0.5, 0.5]],
            [3, 4, 5, 6, 4.5],
            {(0, 0, 3), (1, 0, 4), (0, 1, 5), (1, 1, 6)},
        ),
        ([[2.0, 1.0]], [7.0], {(2.0, 1.0, 7.0)}),  # a single monomial
    ],
)
def test_reduced_degenerate_cases(exponents, coefficients, kept):
    p = TropicalPolynomial(exponents, coefficients)
    assert {tuple(float(v) for v in row) for row in p.reduced().lifted} == {
        tuple(map(float, k)) for k in kept
    }


@pytest.mark.parametrize("scale", [1.0, 1e-8, 1e6])
def test_regression_d1_short_edge_of_the_upper_chain_is_kept(scale):
    """A monomial whose exponent is 1e-4 of the extent from its neighbours and that wins by 2e-6 (far above
    the 1e-9 tolerance) was merged away: the 1-D chain test compared a triangle's area, not a distance.
    Found by the stress campaign in a 1-8-6-8-1 network (error 8e-5 in the value of ``from_torch``)."""
    exponents = np.array([[0.0], [1 - 2e-4], [1 - 1e-4], [1.0]]) * scale
    coefficients = np.array([-1.0, 0.0, 2e-6, 0.0]) * scale
    p = TropicalPolynomial(exponents, coefficients)
    r = p.reduced()
    X = np.linspace(-0.2, 0.2, 401)[:, None]
    np.testing.assert_allclose(r(X), p(X), rtol=0, atol=1e-12 * scale)  # the unreduced sum is the oracle
    assert len(r) == 4
    assert len(p.dual_subdivision()) == 3  # three edges of the upper chain


@pytest.mark.parametrize("scale", [1.0, 1e-8, 1e6])
def test_regression_reduction_by_linear_programs_is_scale_invariant(scale):
    """In 7 variables redundancy is decided by LPs; the margin was compared with an absolute floor (and the
    solver's absolute tolerances), so at a size of 1e-8 a monomial winning by 5% of the scale was dropped.
    ``max(0.05, +-x_k)`` is 0.05 at the origin: the unreduced polynomial is the oracle."""
    d = 7
    exponents = np.vstack([np.zeros(d), np.eye(d), -np.eye(d)]) * scale
    coefficients = np.concatenate([[0.05], np.zeros(2 * d)]) * scale
    p = TropicalPolynomial(exponents, coefficients)
    r = p.reduced()
    X = np.random.default_rng(0).uniform(-0.1, 0.1, size=(50, d))
    np.testing.assert_allclose(r(X), p(X), rtol=1e-12, atol=0)
    assert len(r) == 2 * d + 1


# 29 monomials in 4 variables from a 4-6-6-1 net with parallel rows (stress campaign): Qhull merges nearly
# coplanar facets and one point lying on an upper face (LP margin exactly 0) stayed a vertex of its triangles.
MERGED_FACET_LIFTED = np.array(
    [
        [14.462245990866053, 13.92400852139546, 35.36902310921373, 3.9391915028834164, 4.613815343003348],
        [1.4700464023669957, 2.600507631998835, 4.169419779861439, 14.620756211822307, -4.034966352968595],
        [13.560317734454117, 13.223325404018569, 32.783682489569784, 4.87988375869455, 4.672830289756828],
        [15.491645289328432, 15.824362997510356, 38.993061722032536, 2.5190585529242084, 3.5248657537390518],
        [6.43132677914193, 4.344044329928068, 11.168103936047928, 11.176069534476383, -5.059975427612644],
        [11.032171096621264, 15.04679584161771, 33.72189667043894, 2.9115793400156083, 1.7568565440677533],
        [13.160603468172267, 15.146331162103312, 33.90329231024321, 0.7714660236164883, 1.066010912675228],
        [14.05532347321574, 14.184891166360917, 34.65218980346532, 1.9278315538600563, 2.6967697859307336],
        [14.937025668175446, 14.55463572106843, 36.69439496076448, 3.0443433793378767, 4.8104029110368565],
        [15.498445734634574, 15.828766777204597, 38.85207351272989, 2.4189448675041785, 4.23518505300531],
        [4.367362238751852, 4.3099277749926115, 11.322372683408954, 13.556900406307808, -4.879975204734217],
        [4.861573168128707, 4.416374820794983, 8.476995334300707, 11.157468810867151, -5.243342595478019],
        [6.495794610302856, 4.409463095478214, 11.503768323213224, 11.416787089908686, -5.570820836126742],
        [12.74651492134663, 15.039545249189281, 36.8970658662882, 3.1836114397302153, 1.4133227455874362],
        [13.240725850723486, 15.145992294991654, 34.051688517179954, 0.7841798442895591, 1.0499553548436347],
        [14.135445855766958, 14.184552299249258, 34.80058601040207, 1.9405453745331271, 2.6807142280991405],
        [14.313527226438508, 13.864949513538718, 34.920782954127056, 1.6688966351647934, 2.8249720519819705],
        [14.839066680055115, 14.87389963966731, 36.72259422397623, 3.3287059393792813, 4.650089529322433],
        [5.124764310358248, 3.762906220139996, 8.362486068735642, 10.416933971186694, -4.4670714981411965],
        [6.758985752532396, 3.7559944948232262, 11.389259057648157, 10.676252250228229, -4.79454973878992],
        [11.359830070011732, 14.458746006512868, 33.94305179203917, 2.4117620557674537, 2.0222822328904773],
        [12.99405151218588, 14.451834281196097, 36.96982478095169, 2.6710803348089898, 1.6948039922417535],
        [16.00418607869659, 14.921114156389216, 39.19342557805511, 1.6474788438876904, 4.644868565710865],
        [14.641186199828976, 13.276899678433878, 35.14193807572729, 1.1690793509166386, 3.0903977408046943],
        [15.166725653445582, 14.28584980456247, 36.943749345576464, 2.8288886551311268, 4.915515218145157],
        [15.202606266288104, 14.551030734570045, 37.29961662769271, 0.5436808390829405, 2.5151798827731486],
        [15.34480702411713, 13.96624701885193, 37.063946289301455, 2.557239915762793, 5.059773042027987],
        [15.380687636959653, 14.231427948859507, 37.41981357141769, 0.27203209971460696, 2.6594377066559787],
        [15.906227090576259, 15.240378074988099, 39.221624841266866, 1.9318414039290945, 4.4845551839964415],
    ]
)


def test_regression_point_inside_a_merged_qhull_facet_is_not_kept():
    """The reduction keeps exactly the monomials with a positive LP margin (brute force, rescaled data)."""
    from conftest import max_margins

    exponents, coefficients = MERGED_FACET_LIFTED[:, :-1], MERGED_FACET_LIFTED[:, -1]
    margins = max_margins(exponents / np.abs(exponents).max(), coefficients / np.abs(coefficients).max())
    assert ((margins > 1e-3) | (margins <= 0)).all()  # clear answers: no tolerance question here
    r = TropicalPolynomial(exponents, coefficients).reduced()
    assert {tuple(row) for row in r.lifted} == {tuple(row) for row in MERGED_FACET_LIFTED[margins > 0]}
    faces = TropicalPolynomial(exponents, coefficients).dual_subdivision()
    assert set(np.concatenate(faces)) == set(np.flatnonzero(margins > 0))


def test_regression_small_genuine_cells_are_not_flat_simplices():
    """Six monomials in 4 variables in two clusters of size ~1e-2 (from a 4-4-4-4-1 net, stress campaign):
    every one wins somewhere (LP margins >= 0.005 of the scale), but their Qhull simplices have a volume of
    ~1e-14 * extent**4 and were rejected as flat, dropping a monomial (value error 4.3)."""
    from conftest import max_margins

    lifted = np.array(
        [
            [
                0.38748165308596494,
                11.126491026446706,
                0.5648384996812583,
                0.8868796236076718,
                0.762371809826124,
            ],
            [
                0.387880849777561,
                11.129073782195954,
                0.5648733735823024,
                0.893338568747854,
                0.7659447346832401,
            ],
            [
                0.3952032099845993,
                11.116990395934632,
                0.5771971008597175,
                0.8987972899551694,
                0.7594674042365551,
            ],
            [
                0.7617233018918778,
                13.551102331478527,
                0.5969671538227723,
                6.947887324265766,
                -0.9252351603372387,
            ],
            [
                0.7618241086801213,
                13.550861685314892,
                0.597567176032851,
                6.947784763689328,
                -0.9253846609980803,
            ],
            [0.7621357270220658, 13.550458919489, 0.5975683528470642, 6.948728734691089, -0.9297026114091405],
        ]
    )
    exponents, coefficients = lifted[:, :-1], lifted[:, -1]
    assert (
        max_margins(exponents / np.abs(exponents).max(), coefficients / np.abs(coefficients).max()) > 5e-3
    ).all()
    p = TropicalPolynomial(exponents, coefficients)
    assert len(p.reduced()) == 6
    assert set(np.concatenate(p.dual_subdivision())) == set(range(6))


@pytest.mark.parametrize("d", [2, 3])
def test_reduction_faces_and_newton_polytope_survive_a_qhull_failure(monkeypatch, d):
    """Qhull gives up on some nearly degenerate sets (a 'wide merge'); the linear-program fallbacks must give
    the same monomials, cells and Newton polytope vertices as Qhull does on a set it can handle."""
    import scipy.spatial

    import tropical.hull

    rng = np.random.default_rng(d)
    p = TropicalPolynomial(rng.integers(-4, 5, size=(60, d)), rng.integers(-6, 7, size=60) / 2)
    expected_kept = {tuple(row) for row in p.reduced().lifted}
    expected_cells = {frozenset(map(tuple, p.lifted[cell])) for cell in p.dual_subdivision()}
    expected_vertices = {tuple(row) for row in p.newton_polytope().vertices}
    real_qhull = tropical.hull._qhull
    failures = []

    def qhull_failing_on_large_inputs(points, **options):  # fails on every set with redundant points
        if len(points) > len(expected_kept):
            failures.append(len(points))
            raise scipy.spatial.QhullError("QH6271 qhull topology error (simulated)")
        return real_qhull(points, **options)

    monkeypatch.setattr(tropical.hull, "_qhull", qhull_failing_on_large_inputs)
    q = TropicalPolynomial(p.exponents, p.coefficients)
    assert {tuple(row) for row in q.reduced().lifted} == expected_kept
    assert {frozenset(map(tuple, q.lifted[cell])) for cell in q.dual_subdivision()} == expected_cells
    assert {tuple(row) for row in q.newton_polytope().vertices} == expected_vertices
    assert failures  # the fallbacks were exercised


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_newton_polytope_of_product_is_minkowski_sum_and_of_sum_is_hull_of_union(seed):
    rng = np.random.default_rng(seed)
    d = int(rng.integers(2, 4))
    p = TropicalPolynomial(rng.normal(size=(8, d)), rng.normal(size=8))
    q = TropicalPolynomial(rng.normal(size=(6, d)), rng.normal(size=6))
    sums = (p.exponents[:, None, :] + q.exponents[None, :, :]).reshape(-1, d)
    assert {tuple(np.round(v, 9)) for v in (p * q).newton_polytope().vertices} == hull_vertex_set(sums)
    union = np.vstack([p.exponents, q.exponents])
    assert {tuple(np.round(v, 9)) for v in (p + q).newton_polytope().vertices} == hull_vertex_set(union)


def test_newton_polytope_can_be_flat():
    p = TropicalPolynomial([[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [2.0, 0.0, 0.0]], [0.0, 0.0, 0.0])
    polytope = p.newton_polytope()
    assert polytope.dimension == 2
    assert polytope.volume == 0.0
    assert polytope.relative_volume == pytest.approx(1.0)


def test_rational_is_difference():
    F = TropicalPolynomial([[1.0], [0.0]], [0.0, 1.0])
    G = TropicalPolynomial([[2.0]], [0.0])
    X = np.linspace(-3, 3, 11)[:, None]
    np.testing.assert_allclose(TropicalRational(F, G)(X), F(X) - G(X))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TropicalPolynomial([[0.0, np.nan]], [0.0]), "exponents contains NaN"),
        (lambda: TropicalPolynomial([[0.0, 1.0]], [np.nan]), "coefficients contains NaN"),
        (lambda: TropicalPolynomial([0.0, 1.0], [0.0, 1.0]), "shape \\(m, d\\)"),
        (lambda: TropicalPolynomial([[0.0], [1.0]], [0.0]), "coefficients must have shape \\(2,\\)"),
        (lambda: TropicalPolynomial([[0.0]], [-np.inf]), "at least one monomial"),
        (lambda: TropicalPolynomial([[0.0]], [0.0]) ** -1, "power must be a finite real number >= 0"),
        (lambda: TropicalPolynomial.variable(3, 2), "k=3"),
        (
            lambda: TropicalPolynomial([[0.0]], [0.0]) + TropicalPolynomial([[0.0, 1.0]], [0.0]),
            "1 and 2 variables",
        ),
        (lambda: TropicalPolynomial([[0.0]], [0.0])(np.zeros((3, 2))), "1 columns"),
    ],
)
def test_bad_input_is_named(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_too_large_product_raises_with_estimate(monkeypatch):
    import tropical.polynomial as module

    monkeypatch.setattr(module, "MAX_PRODUCT_MONOMIALS", 100)
    p = TropicalPolynomial(np.zeros((20, 1)) + np.arange(20)[:, None], np.zeros(20))
    with pytest.raises(ComputationTooLargeError, match="400 candidate monomials") as info:
        p * p
    assert info.value.estimate == 400


# ------------------------------------------------------------------- exact ties (issue 14): idempotence
def assert_same_monomials(p, q, tolerance=1e-9):
    """Both polynomials have the same monomials: equal counts and every lifted row matched both ways."""
    assert len(p) == len(q), (len(p), len(q))
    scale = tolerance * max(1.0, np.abs(p.lifted).max(), np.abs(q.lifted).max())
    distance = np.abs(p.lifted[:, None, :] - q.lifted[None, :, :]).max(axis=-1)
    assert (distance.min(axis=1) <= scale).all() and (distance.min(axis=0) <= scale).all()


@st.composite
def tie_networks(draw):
    """Small ReLU nets full of exact ties: integer weights, duplicated and parallel rows, zero biases and
    dead units (input dimension <= 3, widths <= 5, one or two hidden layers, one or two outputs)."""
    from torch import nn

    d = draw(st.integers(1, 3))
    widths = [d, *draw(st.lists(st.integers(1, 5), min_size=1, max_size=2)), draw(st.integers(1, 2))]
    modules = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
        if draw(st.booleans()):
            entries = st.integers(-2, 2).map(float)
        else:
            entries = st.floats(-2, 2, allow_nan=False).map(lambda w: round(w, 3))
        weight = np.array(
            draw(st.lists(st.lists(entries, min_size=n_in, max_size=n_in), min_size=n_out, max_size=n_out))
        )
        bias = np.array(
            draw(st.lists(st.sampled_from([0.0, 0.0, 1.0, -1.0, 0.5]), min_size=n_out, max_size=n_out))
        )
        if n_out >= 2 and draw(st.booleans()):  # a duplicated or parallel row
            factor = draw(st.sampled_from([1.0, 2.0, 0.5]))
            weight[1], bias[1] = factor * weight[0], factor * bias[0]
        if draw(st.booleans()):  # a dead unit (or a constant one)
            weight[-1], bias[-1] = 0.0, draw(st.sampled_from([0.0, -1.0, 1.0]))
        linear = nn.Linear(n_in, n_out).double()
        linear.weight.data = torch.tensor(weight)
        linear.bias.data = torch.tensor(bias)
        modules.append(linear)
        if i < len(widths) - 2:
            modules.append(nn.ReLU())
    return nn.Sequential(*modules)


def raw_products(model):
    """The unreduced ⊙ products of the last layer's recursion (what reduced() sees in method="recursion")."""
    from tropical.layers import affine_layers
    from tropical.network import _recursion_layer

    layers = affine_layers(model)
    d = layers[0].n_in
    F = [TropicalPolynomial.variable(k, d) for k in range(d)]
    G = [TropicalPolynomial.constant(0.0, d) for _ in range(d)]
    for layer in layers[:-1]:
        F, G = _recursion_layer(F, G, layer, d)

    def unreduced(factors, d):
        product = TropicalPolynomial.constant(0.0, d)
        for factor in factors:
            product = product * factor
        return product

    return [
        p
        for pair in zip(*_recursion_layer(F, G, layers[-1], d, product=unreduced), strict=True)
        for p in pair
    ]


@settings(max_examples=25, deadline=None)
@given(tie_networks())
def test_reduced_is_idempotent_on_raw_products_of_nets_with_exact_ties(model):
    for p in raw_products(model):
        once = p.reduced()
        twice = once.reduced()
        np.testing.assert_array_equal(twice.lifted, once.lifted)
        X = np.random.default_rng(0).normal(size=(200, p.dimension)) * 3
        np.testing.assert_allclose(once(X), p(X), rtol=1e-12, atol=1e-12)  # the same function


@settings(max_examples=60, deadline=None)
@given(grid_polynomials)
def test_reduced_is_idempotent_on_grid_polynomials(data):
    p = TropicalPolynomial(*data)
    once = p.reduced()
    np.testing.assert_array_equal(once.reduced().lifted, once.lifted)


@settings(max_examples=25, deadline=None)
@given(tie_networks())
def test_recursion_and_oracle_give_identical_monomials_on_nets_with_exact_ties(model):
    from tropical import from_torch

    oracle, recursion = from_torch(model, method="oracle"), from_torch(model, method="recursion")
    for a, b in zip(oracle, recursion, strict=True):
        assert_same_monomials(a.numerator, b.numerator)
        assert_same_monomials(a.denominator, b.denominator)
    X = np.random.default_rng(1).normal(size=(200, oracle.dimension)) * 3
    with torch.no_grad():
        expected = model(torch.tensor(X)).numpy()
    np.testing.assert_allclose(recursion(X), expected, rtol=1e-9, atol=1e-9)


def test_regression_reduced_not_idempotent():
    """reduced_not_idempotent.py: the 6,144-monomial raw product of the last layer of a 4-4-3-4-1 net kept
    129 monomials, reducing again gave 128 (one lay on an edge of the upper hull, 3e-14 below the best
    convex combination of its neighbours), so method="recursion" disagreed with the oracle."""
    from tropical import from_torch

    model = _reduced_not_idempotent_net()
    recursion, oracle = from_torch(model, method="recursion"), from_torch(model, method="oracle")
    F = recursion[0].numerator
    np.testing.assert_array_equal(F.reduced().lifted, F.lifted)
    assert_same_monomials(F, oracle[0].numerator)
    assert_same_monomials(recursion[0].denominator, oracle[0].denominator)
    # independent oracle: every kept monomial beats all the others by a clear margin somewhere
    from conftest import max_margins

    lifted = (F.lifted - F.lifted.mean(axis=0)) / np.ptp(F.lifted, axis=0)
    assert (max_margins(lifted[:, :-1], lifted[:, -1]) > 1e-9).all()


def _reduced_not_idempotent_net():
    """The 4-4-3-4-1 ReLU net of reduced_not_idempotent.py (float64 weights and biases)."""
    from torch import nn

    modules = []
    for k, (weight, bias) in enumerate(REDUCED_NOT_IDEMPOTENT_LAYERS):
        linear = nn.Linear(len(weight[0]), len(weight)).double()
        linear.weight.data = torch.tensor(weight, dtype=torch.float64)
        linear.bias.data = torch.tensor(bias, dtype=torch.float64)
        modules += [linear] + ([nn.ReLU()] if k < len(REDUCED_NOT_IDEMPOTENT_LAYERS) - 1 else [])
    return nn.Sequential(*modules)


REDUCED_NOT_IDEMPOTENT_LAYERS = [
    (
        [
            [-0.602909460013681, -0.5734775653298014, 0.7413301499552994, -1.6861352441317117],
            [0.23092406748939268, -0.6256844637125416, 1.8745915612152577, 0.37562381651014115],
            [-0.7185207860026604, 2.465965105541538, 1.3245242726234205, 1.3198864713332825],
            [-1.0192390951055519, -0.7968942688458025, 1.4833560816236386, 1.3807323411575811],
        ],
        [-0.35445393530602903, 1.3726816966574342, 0.233006231496782, 1.1904237218621359],
    ),
    (
        [
            [2.324025523074435, -1.4387681497461005, -1.4904768011164724, -0.5158086379191879],
            [0.18637439028202346, 0.1541114849823208, -0.6241562966829795, 0.6806237079680435],
            [-0.9880472487064892, -0.5281632482265507, 1.0933223604233135, -0.3079226444947571],
        ],
        [-0.20691328459337402, -1.8588106315750565, 1.1109226004730428],
    ),
    (
        [
            [0.48889681656422107, -1.6807195465909537, -0.7969159982690814],
            [-1.8758191126514219, -1.6138117814383974, 0.4892449962068526],
            [-0.2164114458953667, 1.0422009643958523, -0.3096948323456531],
            [0.2086910342582143, -0.8883605451556044, -0.544725529854368],
        ],
        [0.5076326322083589, -0.7209486256578693, 0.43515880533089063, 0.11501983765097208],
    ),
    (
        [[-0.7337014582480669, 0.11447782468706846, -0.7427298357735225, 2.278368280739007]],
        [-0.08340084571379777],
    ),
]


REDUCED_KEEPS_NONVERTICES_LIFTED = np.array(
    [
        [0.0, 0.0, 6.3025797835689197, 8.342820311729529, 0.0],
        [
            0.0027383968506493163,
            0.00033094921931775241,
            6.3025643436698049,
            8.3391728527045803,
            0.00086092568277442458,
        ],
        [
            0.0070174549946912758,
            0.011767519340280762,
            6.2729597378786313,
            8.3336773348268736,
            -0.013282570532770618,
        ],
        [
            0.0097558518453405921,
            0.012098468559598516,
            6.2729442979795165,
            8.3300298758019249,
            -0.012421644849996192,
        ],
        [
            0.030758152788672118,
            0.022958291080933838,
            6.3181014695425279,
            8.3446580123669136,
            0.0062512792244827659,
        ],
        [
            0.060514169314940899,
            0.048868191414286388,
            6.3361352602050900,
            8.3546665919491065,
            0.011641527771042661,
        ],
        [
            0.067531624309632179,
            0.060635710754567154,
            6.3065152145148016,
            8.3455236150464511,
            -0.0016410427617279573,
        ],
        [
            0.070270021160281498,
            0.060966659973884903,
            6.3064997746156868,
            8.3418761560215025,
            -0.00078011707895353152,
        ],
        [
            0.088533925252963705,
            0.071495533275902468,
            6.3516723860778130,
            8.3601517516114399,
            0.017031881312751004,
        ],
        [
            0.091272322103613024,
            0.071826482495220223,
            6.3516569461786982,
            8.3565042925864912,
            0.017892806995525427,
        ],
        [
            0.095551380247654971,
            0.083263052616183247,
            6.3220523403875255,
            8.3510087747087844,
            0.0037493107799803846,
        ],
        [
            0.098289777098304290,
            0.083594001835500989,
            6.3220369004884107,
            8.3473613156838375,
            0.0046102364627548095,
        ],
    ]
)


@pytest.mark.parametrize(("exponent_scale", "coefficient_scale"), [(1.0, 1.0), (1e-8, 1e8), (1e8, 1e-8)])
def test_regression_reduced_keeps_nonvertices(exponent_scale, coefficient_scale):
    """reduced_keeps_nonvertices.py: G_1 of a 4-4-3-2 net (12 monomials in 4 variables); monomials 4-7 are
    exact convex combinations of others with the same coefficient (inside faces of the upper hull) and were
    kept, so same_function said False for identical functions."""
    from scipy.optimize import linprog

    lifted = REDUCED_KEEPS_NONVERTICES_LIFTED
    p = TropicalPolynomial(lifted[:, :4], lifted[:, 4])
    # oracle: the best coefficient a convex combination of the others reaches at each exponent (an LP)
    below = []
    for i in range(len(lifted)):
        others = np.delete(lifted, i, axis=0)
        a_eq = np.vstack([others[:, :4].T, np.ones(len(others))])
        result = linprog(-others[:, 4], A_eq=a_eq, b_eq=np.append(lifted[i, :4], 1.0), method="highs")
        below.append(result.status == 0 and -result.fun >= lifted[i, 4] - 1e-12)
    vertices = np.flatnonzero(~np.array(below))
    assert list(vertices) == [0, 1, 2, 3, 8, 9, 10, 11]
    assert {tuple(row) for row in p.reduced().lifted} == {tuple(row) for row in lifted[vertices]}
    scaled = TropicalPolynomial(lifted[:, :4] * exponent_scale, lifted[:, 4] * coefficient_scale).reduced()
    np.testing.assert_array_equal(scaled.exponents, lifted[vertices, :4] * exponent_scale)
    q = TropicalPolynomial(lifted[vertices, :4], lifted[vertices, 4])
    X = np.random.default_rng(0).standard_normal((1000, 4)) * 10
    np.testing.assert_array_equal(p(X), q(X))  # the same function, and:
    assert p.same_function(q)
    assert set(np.concatenate(p.dual_subdivision())) <= set(vertices)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 4), st.integers(0, 10_000), st.sampled_from([0.0, 8.0]), st.sampled_from([1.0, 0.05]))
def test_convex_combinations_of_monomials_are_never_kept(d, seed, offset, spread):
    """Monomials added as convex combinations of 2 to 4 others (on edges and faces of the upper hull, or
    below it, up to rounding) change nothing: the reduction keeps exactly the original set's monomials,
    and reducing again changes nothing."""
    rng = np.random.default_rng(seed)
    # also small clusters far from the origin, as the last layers of a net produce them
    lifted = np.column_stack([offset + spread * rng.normal(size=(12, d)), spread * rng.normal(size=12)])
    kept = TropicalPolynomial(lifted[:, :-1], lifted[:, -1]).reduced()
    vertices = kept.lifted
    combinations = []
    for size in rng.integers(2, 5, size=10):
        chosen = rng.choice(len(vertices), size=min(size, len(vertices)), replace=False)
        weights = rng.dirichlet(np.ones(len(chosen)))
        combinations.append(weights @ vertices[chosen])
    extended = np.vstack([lifted, combinations])
    p = TropicalPolynomial(extended[:, :-1], extended[:, -1]).reduced()
    assert {tuple(row) for row in p.lifted} == {tuple(row) for row in vertices}
    np.testing.assert_array_equal(p.reduced().lifted, p.lifted)


def test_polynomial_in_no_variables_reduces_to_its_largest_constant():
    # regression (repros/unhelpful_errors.py): a 0-variable polynomial is the constant max_i c_i;
    # reduced() raised IndexError inside cKDTree
    p = TropicalPolynomial(np.zeros((3, 0)), [1.0, 3.0, 2.0])
    reduced = p.reduced()
    assert reduced.exponents.shape == (1, 0)
    assert reduced.coefficients.tolist() == [3.0]
    np.testing.assert_array_equal(reduced(np.zeros((4, 0))), np.full(4, 3.0))
    assert reduced.reduced().coefficients.tolist() == [3.0]
