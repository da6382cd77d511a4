"""decision_weights: Alfarra et al.'s arrays for ReLU, LeakyReLU (any slope), PReLU and the first layer of
deep nets, against the network's own forward pass, from_torch and brute-force subset sums."""

import copy
import itertools

import numpy as np
import pytest
import torch
from conftest import forward
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import ConvexHull
from torch import nn

import tropical as tr
from tropical import Polytope, UnsupportedLayerError
from tropical.decision import DecisionWeights, decision_weights

slopes = st.one_of(
    st.sampled_from([0.0, 0.01, 0.5, 1.0, 1.7, -0.3, -1.0]), st.floats(-3, 3, allow_nan=False).map(float)
)


def leaky_net(n_in, width, n_out, slope, *, seed=0, prelu=False):
    torch.manual_seed(seed)
    if prelu:
        activation = nn.PReLU(width)
        with torch.no_grad():
            activation.weight.copy_(torch.as_tensor(slope, dtype=torch.float64))
    else:
        activation = nn.LeakyReLU(slope)
    return nn.Sequential(nn.Linear(n_in, width), activation, nn.Linear(width, n_out)).double()


def difference(model, X, classes=(0, 1)):
    out = forward(model, X)
    return out[:, classes[0]] - out[:, classes[1]]


@settings(max_examples=40, deadline=None)
@given(
    slope=slopes,
    n_in=st.integers(1, 5),
    width=st.integers(1, 7),
    n_out=st.integers(2, 4),
    seed=st.integers(0, 10_000),
)
def test_sides_difference_is_the_network_for_any_leaky_slope(slope, n_in, width, n_out, seed):
    model = leaky_net(n_in, width, n_out, slope, seed=seed)
    classes = (n_out - 1, 0)
    weights = decision_weights(model, classes)
    X = np.random.default_rng(seed).normal(scale=3.0, size=(50, n_in))
    T1, T2 = weights.sides(X)
    np.testing.assert_allclose(T1 - T2, difference(model, X, classes), atol=1e-9, rtol=1e-9)
    assert (weights.generator_weights >= 0).all()
    np.testing.assert_array_equal(weights.slope, np.full(width, slope))


@settings(max_examples=25, deadline=None)
@given(
    slope_list=st.lists(slopes, min_size=1, max_size=6),
    n_in=st.integers(1, 4),
    seed=st.integers(0, 10_000),
)
def test_prelu_per_unit_slopes(slope_list, n_in, seed):
    width = len(slope_list)
    model = leaky_net(n_in, width, 3, slope_list, seed=seed, prelu=True)
    weights = decision_weights(model, (1, 2))
    X = np.random.default_rng(seed).normal(scale=3.0, size=(40, n_in))
    T1, T2 = weights.sides(X)
    np.testing.assert_allclose(T1 - T2, difference(model, X, (1, 2)), atol=1e-9, rtol=1e-9)
    np.testing.assert_allclose(weights.slope, slope_list, atol=1e-12)


def brute_force_lifted_points(weights: DecisionWeights, side: int) -> np.ndarray:
    """Every monomial of T_side: base + the sum of any subset of the lifted generators (2^p points)."""
    L = np.column_stack([weights.weight, weights.bias]) * weights.generator_weights[side][:, None]
    p = len(L)
    subsets = np.array(list(itertools.product([0, 1], repeat=p)), float)
    return np.append(weights.bases[side], weights.constants[side]) + subsets @ L


@pytest.mark.parametrize("slope", [0.0, 0.2, 1.5, -0.7])
def test_zonotopes_are_the_newton_polytopes_of_from_torch(slope):
    model = leaky_net(2, 5, 2, slope, seed=3)
    Z1, Z2 = tr.decision_zonotopes(model)
    m = tr.from_torch(model)
    F1, G1 = m[0].numerator, m[0].denominator
    F2, G2 = m[1].numerator, m[1].denominator
    assert (F1 * G2).reduced().newton_polytope().same_as(Z1.to_polytope())
    assert (F2 * G1).reduced().newton_polytope().same_as(Z2.to_polytope())
    R = ((F1 * G2) + (F2 * G1)).reduced()
    assert R.newton_polytope().same_as(tr.decision_polytope(model))


@pytest.mark.parametrize(("slope", "n_in"), [(0.3, 3), (2.0, 3), (-0.5, 2), (0.0, 3)])
def test_lifted_zonotopes_and_values_against_brute_force_subset_sums(slope, n_in):
    model = leaky_net(n_in, 5, 2, slope, seed=11)
    with torch.no_grad():  # every unit in both zonotopes: full-dimensional hulls for Qhull
        model[2].weight.abs_().mul_(3.0)
    weights = decision_weights(model)
    X = np.random.default_rng(0).normal(scale=2.0, size=(30, n_in))
    Xh = np.column_stack([X, np.ones(len(X))])
    values = []
    for side, Z in enumerate(weights.zonotopes(lifted=True)):
        points = brute_force_lifted_points(weights, side)
        # the tropical polynomial with all 2^p monomials is T_side: its value is the max over monomials
        values.append((Xh @ points.T).max(axis=1))
        hull = ConvexHull(points)
        assert Z.to_polytope().volume == pytest.approx(hull.volume, rel=1e-9)
        assert Z.to_polytope().same_as(Polytope(points[hull.vertices]))
    np.testing.assert_allclose(values[0] - values[1], difference(model, X), atol=1e-9)


def test_relu_weights_are_alfarras_formulas():
    model = leaky_net(4, 6, 3, 0.0, seed=5)
    A = model[0].weight.detach().numpy()
    B = model[2].weight.detach().numpy()
    weights = decision_weights(model, (2, 0))
    G1, G2 = weights.generators
    np.testing.assert_allclose(G1, (np.maximum(B[2], 0) + np.maximum(-B[0], 0))[:, None] * A)
    np.testing.assert_allclose(G2, (np.maximum(B[0], 0) + np.maximum(-B[2], 0))[:, None] * A)
    o = (np.abs(B[2]) + np.abs(B[0])) @ np.maximum(-A, 0)
    np.testing.assert_allclose(weights.bases, [o, o])
    np.testing.assert_allclose(weights.output_weight, B[[2, 0]])
    np.testing.assert_allclose(weights.constants, model[2].bias.detach().numpy()[[2, 0]])
    assert weights.construction == "one hidden layer"
    assert weights.classes == (2, 0)


def test_single_logit_and_errors():
    torch.manual_seed(0)
    single = nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.3), nn.Linear(4, 1)).double()
    weights = decision_weights(single, (1, 0))
    X = np.random.default_rng(1).normal(size=(20, 3))
    T1, T2 = weights.sides(X)
    np.testing.assert_allclose(T1 - T2, forward(single, X)[:, 0], atol=1e-12)
    deep = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    with pytest.raises(UnsupportedLayerError, match=r"rest='linear'.*from_torch"):
        decision_weights(deep)
    with pytest.raises(ValueError, match="rest"):
        decision_weights(deep, rest="jacobian")
    ends_relu = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2), nn.ReLU())
    with pytest.raises(UnsupportedLayerError, match="affine -> ReLU"):
        decision_weights(ends_relu, rest="linear")
    with pytest.raises(ValueError, match="classes"):
        decision_weights(single, (0, 2))


def without_later_activations(model):
    """The oracle of rest='linear': the same network with every activation after the first one removed."""
    layers = list(copy.deepcopy(model))
    first = next(k for k, layer in enumerate(layers) if not isinstance(layer, nn.Linear))
    return nn.Sequential(
        *layers[: first + 1], *[layer for layer in layers[first + 1 :] if isinstance(layer, nn.Linear)]
    )


@settings(max_examples=20, deadline=None)
@given(
    widths=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    slope=slopes,
    seed=st.integers(0, 10_000),
)
def test_deep_first_layer_with_linear_rest(widths, slope, seed):
    torch.manual_seed(seed)
    sizes = [3, *widths, 3]
    modules = [nn.Linear(sizes[0], sizes[1]), nn.LeakyReLU(slope)]
    for n_in, n_out in itertools.pairwise(sizes[1:]):
        modules += [nn.Linear(n_in, n_out), nn.ReLU()]
    model = nn.Sequential(*modules[:-1]).double()
    weights = decision_weights(model, (0, 2), rest="linear")
    assert weights.construction == "first layer, rest linear"
    X = np.random.default_rng(seed).normal(scale=2.0, size=(40, 3))
    T1, T2 = weights.sides(X)
    np.testing.assert_allclose(T1 - T2, difference(without_later_activations(model), X, (0, 2)), atol=1e-9)
    # the zonotopes of the deep net are those of the one-hidden-layer net with the product as output map
    Z1, Z2 = tr.decision_zonotopes(model, (0, 2), rest="linear")
    np.testing.assert_allclose(Z1.support(X), weights.zonotopes()[0].support(X), atol=1e-12)
    hull = tr.decision_hull(model, (0, 2), rest="linear")
    np.testing.assert_allclose(hull.support(X), np.maximum(Z1.support(X), Z2.support(X)), atol=1e-12)


def test_deep_rest_linear_is_exact_where_later_units_are_active():
    torch.manual_seed(4)
    model = nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    with torch.no_grad():  # every second-layer unit active on the box: positive weights, large biases
        model[2].weight.abs_()
        model[2].bias.fill_(5.0)
    weights = decision_weights(model, rest="linear")
    X = np.random.default_rng(2).uniform(-1, 1, size=(100, 2))
    T1, T2 = weights.sides(X)
    np.testing.assert_allclose(T1 - T2, difference(model, X), atol=1e-9)


def cell_set(lifted, cells):
    return sorted(tuple(sorted(map(tuple, np.round(lifted[c], 7)))) for c in cells)


@pytest.mark.parametrize(("slope", "seed"), [(0.1, 0), (0.7, 1), (1.8, 2), (-0.5, 3), (-0.5, 5), (-1.0, 5)])
def test_leaky_subdivision_sweep_equals_hull_and_from_torch_and_lies_on_the_boundary(slope, seed):
    model = leaky_net(2, 6, 3, slope, seed=seed)
    sweep = tr.decision_subdivision(model, (0, 2), method="arrangement")
    hull = tr.decision_subdivision(model, (0, 2), method="hull")
    assert len(sweep) > 0 and cell_set(sweep.lifted, sweep.cells) == cell_set(hull.lifted, hull.cells)
    m = tr.from_torch(model)
    F0, G0 = m[0].numerator, m[0].denominator
    F2, G2 = m[2].numerator, m[2].denominator
    R = ((F0 * G2) + (F2 * G0)).reduced()
    assert cell_set(R.lifted, [c for c in R.dual_subdivision() if len(c) >= 3]) == cell_set(
        sweep.lifted, sweep.cells
    )
    curve = tr.decision_subdivision(model, (0, 2)).hypersurface(bounds=(-5, 5, -5, 5))
    grid = forward(model, np.mgrid[-5:5:200j, -5:5:200j].reshape(2, -1).T)
    values = grid[:, 0] - grid[:, 2]
    assert (len(curve) > 0) == (values.min() < 0 < values.max())  # a boundary in the box iff a sign change
    out = forward(model, curve.segments.mean(axis=1))
    np.testing.assert_allclose(out[:, 0], out[:, 2], atol=1e-9)
