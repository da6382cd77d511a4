import copy
import functools
import itertools

import numpy as np
import pytest
import shapely
import shapely.affinity
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

import tropical
from lottery.data import load_dataset
from lottery.methods.tropical_pruning import (
    _pruned_copy,
    cluster_units,
    compare_with_magnitude,
    generators,
    one_hidden_layer,
    prune_generators,
    tropical_cluster,
    tropical_objective,
    tropical_prune,
)
from lottery.models import mlp
from tropical.decision import decision_weights
from tropical.errors import UnsupportedLayerError
from tropical.metrics import decision_metrics


def test_generators_hand_made():
    A = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    B = np.array([[2.0, -1.0, 0.0], [-3.0, 0.5, 1.0]])
    G1, G2 = generators(A, B)
    # w1 = ReLU(B1) + ReLU(-B2) = [2 + 3, 0 + 0, 0 + 0]; w2 = ReLU(B2) + ReLU(-B1) = [0 + 0, 0.5 + 1, 1 + 0]
    np.testing.assert_allclose(G1, [[5.0, 10.0], [0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(G2, [[0.0, 0.0], [4.5, -1.5], [0.5, 0.5]])


def test_generators_agree_with_the_tropical_package():
    """The array adapter used inside the optimisation loop gives tropical.decision_zonotopes' generators."""
    net = mlp([3, 7, 2], seed=2)
    with torch.no_grad():
        net[0].weight[1:3] = 0.0  # pruned entries are read as zeros by both
        net[2].weight[0, 4] = 0.0
    A, _, B, _, _ = one_hidden_layer(net)
    Z1, Z2 = tropical.decision_zonotopes(net, (0, 1))
    G1, G2 = generators(A, B)
    np.testing.assert_allclose(G1, Z1.generators, rtol=0, atol=1e-12)
    np.testing.assert_allclose(G2, Z2.generators, rtol=0, atol=1e-12)


def brute_polygon(net) -> shapely.Polygon:
    """conv(o + Z(G1) ∪ o + Z(G2)) from all 2 x 2^p subset sums (docs/math.md §3), as a shapely polygon."""
    A = net[0].weight.detach().double().numpy()
    B = net[2].weight.detach().double().numpy()
    w1 = np.maximum(B[0], 0) + np.maximum(-B[1], 0)
    w2 = np.maximum(B[1], 0) + np.maximum(-B[0], 0)
    base = (np.abs(B[0]) + np.abs(B[1])) @ np.maximum(-A, 0)
    subsets = np.array(list(itertools.product([0, 1], repeat=A.shape[0])), dtype=float)
    points = np.concatenate([base + subsets @ (w1[:, None] * A), base + subsets @ (w2[:, None] * A)])
    return shapely.MultiPoint(points).convex_hull


def brute_hausdorff(P: shapely.Polygon, Q: shapely.Polygon) -> float:
    """Largest distance of a vertex of one convex polygon to the other polygon."""
    one = max(Q.distance(shapely.Point(v)) for v in P.exterior.coords)
    two = max(P.distance(shapely.Point(v)) for v in Q.exterior.coords)
    return max(one, two)


def brute_shape(P: shapely.Polygon) -> shapely.Polygon:
    """Centroid to the origin, diameter 1."""
    vertices = np.array(P.exterior.coords)
    diameter = np.max(np.linalg.norm(vertices[:, None] - vertices[None], axis=-1))
    centred = shapely.affinity.translate(P, -P.centroid.x, -P.centroid.y)
    return shapely.affinity.scale(centred, 1 / diameter, 1 / diameter, origin=(0, 0))


def perturbed(net, seed):
    other = copy.deepcopy(net)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in other.parameters():
            p.mul_(1 + 0.3 * torch.randn(p.shape, generator=g))
        other[0].weight[0] = 0.0
    return other


@pytest.mark.parametrize("seed", [0, 1])
def test_decision_metrics_match_brute_force_polygons(seed):
    net = mlp([2, 7, 2], seed=seed)
    for other in (perturbed(net, seed + 10), mlp([2, 5, 2], seed=seed + 20)):  # same and different width
        got = decision_metrics(net, other)
        P, Q = brute_polygon(net), brute_polygon(other)
        assert got["polytope_hausdorff"] == pytest.approx(brute_hausdorff(P, Q), rel=1e-9, abs=1e-12)
        shape = brute_hausdorff(brute_shape(P), brute_shape(Q))
        assert got["polytope_hausdorff_normalized"] == pytest.approx(shape, rel=1e-9, abs=1e-12)
        assert got["polytope_iou"] == pytest.approx(
            P.intersection(Q).area / P.union(Q).area, rel=1e-9, abs=1e-12
        )
        assert got["polytope_hausdorff"] <= got["generator_distance"] + 1e-9
    same = decision_metrics(net, copy.deepcopy(net))
    assert same["polytope_hausdorff"] == pytest.approx(0, abs=1e-12) and same[
        "polytope_iou"
    ] == pytest.approx(1)
    assert same["generator_distance"] == pytest.approx(0, abs=1e-12)


def test_deprecated_decision_metrics_warns_and_keeps_its_keys():
    from lottery.methods.tropical_pruning import decision_metrics as old

    net, other = mlp([2, 6, 2], seed=0), mlp([2, 5, 2], seed=1)
    with pytest.warns(DeprecationWarning, match="tropical.metrics.decision_metrics"):
        got = old(net, other)
    P, Q = brute_polygon(net), brute_polygon(other)
    assert set(got) == {"hausdorff", "hausdorff_normalized", "iou", "generator_bound"}
    assert got["hausdorff"] == pytest.approx(brute_hausdorff(P, Q), rel=1e-9, abs=1e-12)
    assert got["iou"] == pytest.approx(P.intersection(Q).area / P.union(Q).area, rel=1e-9, abs=1e-12)


def test_compare_with_magnitude_uses_exact_polytope_metrics():
    data = load_dataset("moons", n_samples=200, seed=0)
    net = mlp([2, 8, 2], seed=3)
    result = compare_with_magnitude(net, data, sparsity=0.5, warmup=2, iterations=3, seed=0)
    assert set(result) == {"dense", "magnitude", "tropical", "cluster"}
    # magnitude pruning done here independently: the 50% largest |w| of each layer
    pruned = copy.deepcopy(net)
    with torch.no_grad():
        for layer in (pruned[0], pruned[2]):
            w = layer.weight
            threshold = w.abs().flatten().sort(descending=True).values[w.numel() // 2 - 1]
            w[w.abs() < threshold] = 0.0
    P, Q = brute_polygon(net), brute_polygon(pruned)
    row = result["magnitude"]
    assert row["polytope_hausdorff"] == pytest.approx(brute_hausdorff(P, Q), rel=1e-9)
    assert row["polytope_iou"] == pytest.approx(P.intersection(Q).area / P.union(Q).area, rel=1e-9)
    assert row["weight_fraction"] == pytest.approx(0.5)
    A, B = net[0].weight.detach().double(), net[2].weight.detach().double()
    a, b = pruned[0].weight.detach().double(), pruned[2].weight.detach().double()
    u = lambda m, i, j: torch.relu(m[i]) + torch.relu(-m[j])  # noqa: E731
    squared = sum(
        ((u(b, i, j)[:, None] * a - u(B, i, j)[:, None] * A) ** 2).sum() for i, j in ((0, 1), (1, 0))
    )
    assert row["frobenius"] == pytest.approx(float(squared.sqrt()), rel=1e-6)
    assert (
        result["dense"]["polytope_hausdorff"] == pytest.approx(0, abs=1e-12)
        and result["dense"]["polytope_iou"] == 1
    )
    assert np.isnan(result["cluster"]["frobenius"])
    for values in result.values():
        assert values["polytope_hausdorff"] <= values["generator_distance"] + 1e-9
        assert 0 <= values["polytope_iou"] <= 1


def small_problem(seed=0, p=12, n=3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((p, n)), rng.standard_normal((2, p))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_objective_decreases_monotonically_and_sparsity_is_kept(seed):
    A, B = small_problem(seed)
    result = prune_generators(A, B, sparsity=0.6, lambdas=(0.3, 0.2), warmup=8, iterations=15, seed=seed)
    trace = result.objective
    k = result.projection
    scale = 1e-12 * max(1.0, trace.max())
    assert np.all(np.diff(trace[:k]) <= scale)  # warm-up on the full support
    assert np.all(np.diff(trace[k:]) <= scale)  # on the pruned support
    assert trace[k:][-1] < trace[k] - 1e-6  # and it does decrease there
    assert trace[k - 1] < trace[0]
    # the trace is the objective of the returned weights, computed independently
    G1, G2 = generators(A, B)
    H1, H2 = generators(result.weight, result.output_weight)
    direct = (
        0.5 * ((H1 - G1) ** 2).sum() + 0.5 * ((H2 - G2) ** 2).sum()
        + 0.3 * np.sqrt((H1**2).sum(1)).sum() + 0.2 * np.sqrt((H2**2).sum(1)).sum()
    )  # fmt: skip
    assert trace[-1] == pytest.approx(direct, rel=1e-12)
    assert int(result.weight_mask.sum()) == round(0.4 * A.size)
    assert int(result.output_mask.sum()) == round(0.4 * B.size)
    assert np.all(result.weight[~result.weight_mask] == 0)
    assert np.all(result.output_weight[~result.output_mask] == 0)


def test_the_row_update_is_the_exact_minimiser():
    """One warm-up half-step on a single unit against a numerical minimiser of the same function."""
    A, B = small_problem(5, p=1, n=3)
    lambdas = (0.4, 0.1)
    result = prune_generators(A, B, sparsity=0.0, lambdas=lambdas, warmup=1, iterations=0)
    G1, G2 = generators(A, B)
    u, v = np.maximum(B[0], 0) + np.maximum(-B[1], 0), np.maximum(B[1], 0) + np.maximum(-B[0], 0)

    def f(a):
        return tropical_objective(a[None, :], B, A, B, lambdas=lambdas)

    numeric = minimize(f, A[0], method="Nelder-Mead", options=dict(xatol=1e-10, fatol=1e-14, maxiter=20000))
    assert result.objective[1] == pytest.approx(numeric.fun, abs=1e-7)
    assert u[0] + v[0] > 0 and G1.shape == G2.shape == (1, 3)


def test_clustering_with_full_width_keeps_the_logit_difference():
    net = mlp([2, 9, 2], seed=4)
    with torch.no_grad():
        net[0].bias.copy_(torch.linspace(-1, 1, 9))
    small = cluster_units(net, width=9)
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(0))
    d_big = net(x)[:, 0] - net(x)[:, 1]
    d_small = small(x)[:, 0] - small(x)[:, 1]
    torch.testing.assert_close(d_small, d_big, atol=1e-5, rtol=1e-5)
    narrow = cluster_units(net, width=3)
    assert narrow[0].weight.shape[0] <= 3


def test_tropical_prune_ticket_and_errors():
    data = load_dataset("moons", n_samples=200, seed=0)
    ticket = tropical_prune(
        functools.partial(mlp, [2, 20, 2]), data, sparsity=0.7, train=dict(epochs=3, batch_size=32), seed=0
    )
    for name, keep in ticket.mask.items():
        assert int(keep.sum()) == round(0.3 * keep.numel())
        assert torch.equal(ticket.trained_state[name][~keep], torch.zeros(int((~keep).sum())))
    assert ticket.provenance["hausdorff"] >= 0 and "objective" in ticket.provenance
    polytope = ticket.provenance["polytope"]
    assert (
        polytope["polytope_hausdorff"]
        == ticket.provenance["hausdorff"]
        <= polytope["generator_distance"] + 1e-9
    )
    assert 0 <= polytope["polytope_iou"] <= 1 and polytope["polytope_method"] == "exact"
    with pytest.raises(UnsupportedLayerError, match="tropical_prune works on one-hidden-layer"):
        tropical_prune(functools.partial(mlp, [2, 4, 4, 2]), data, sparsity=0.5)
    with pytest.raises(ValueError, match="two classes"):
        prune_generators(np.ones((3, 2)), np.ones((3, 3)), sparsity=0.5)


def activation_net(activation: torch.nn.Module, p: int = 6, n: int = 3, seed: int = 0) -> torch.nn.Sequential:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(n, p), activation, torch.nn.Linear(p, 2))


@settings(max_examples=15, deadline=None)
@given(
    slopes=st.lists(
        st.sampled_from([0.0, 0.25, 1.0, 1.5, -0.5, 3.0]) | st.floats(-2, 3, allow_nan=False),
        min_size=6,
        max_size=6,
    ),
    seed=st.integers(0, 1000),
)
def test_prelu_nets_are_pruned_in_the_relu_form_of_their_slopes(slopes, seed):
    """Per-channel PReLU (any slopes, also 1 and above 1): the pruned copy's generators, as tropical reads
    them, are the solver's; its objective, recomputed from tropical's generators, is the solver's last."""
    prelu = torch.nn.PReLU(6)
    with torch.no_grad():
        prelu.weight.copy_(torch.tensor(slopes))
    net = activation_net(prelu, seed=seed).double()
    lambdas = (0.05, 0.02)
    pruned, mask, result = _pruned_copy(
        net, "test", sparsity=0.5, lambdas=lambdas, warmup=3, iterations=4, seed=seed
    )
    dense, after = decision_weights(net), decision_weights(pruned)
    G, H = dense.generators, after.generators
    solver = generators(result.weight, result.output_weight)
    for k in range(2):
        np.testing.assert_allclose(H[k], solver[k], rtol=0, atol=1e-12)
    objective = sum(0.5 * np.sum((h - g) ** 2) + lam * np.linalg.norm(h, axis=1).sum()
                    for h, g, lam in zip(H, G, lambdas, strict=True))  # fmt: skip
    assert objective == pytest.approx(result.objective[-1], rel=1e-9, abs=1e-12)
    for name, keep in mask.items():  # exactly the requested sparsity; pruned entries are zero
        assert int(keep.sum()) == round(0.5 * keep.numel())
        assert torch.all(dict(pruned.named_parameters())[name][~keep] == 0)
    linear = np.asarray(slopes) == 1.0  # linear units keep their kept weights
    kept = mask["0.weight"].numpy()[linear]
    np.testing.assert_array_equal(after.weight[linear][kept], net[0].weight.detach().numpy()[linear][kept])


def test_tropical_prune_of_a_leaky_relu_net_end_to_end():
    data = load_dataset("moons", n_samples=200, seed=0)

    def model_fn(seed):
        return activation_net(torch.nn.LeakyReLU(0.1), p=12, n=2, seed=seed)

    ticket = tropical_prune(model_fn, data, sparsity=0.5, train=dict(epochs=2, batch_size=32), seed=0)
    assert ticket.density == pytest.approx(0.5, abs=0.02)
    polytope = ticket.provenance["polytope"]
    assert 0 <= polytope["polytope_iou"] <= 1
    assert polytope["polytope_hausdorff"] <= polytope["generator_distance"] + 1e-9


@pytest.mark.parametrize(
    ("model", "match"),
    [
        (mlp([2, 4, 4, 2], seed=0), "one-hidden-layer"),
        (mlp([2, 4, 1], seed=0), r"two logits"),
        (mlp([2, 4, 3], seed=0), r"two logits"),
        (torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.BatchNorm1d(4).eval(), torch.nn.ReLU(),
                             torch.nn.Linear(4, 2)), "no BatchNorm"),
        (activation_net(torch.nn.Tanh()), "one-hidden-layer"),
    ],
    ids=["deep", "one-logit", "three-classes", "batchnorm", "tanh"],
)  # fmt: skip
def test_models_tropical_pruning_cannot_rewrite_are_refused_by_name(model, match):
    if isinstance(model[1], torch.nn.BatchNorm1d):
        with torch.no_grad():
            model[1].running_var.fill_(4.0)  # folding changes A: it is not the Linear weight any more
    with pytest.raises(UnsupportedLayerError, match=match):
        one_hidden_layer(model)
    with pytest.raises(UnsupportedLayerError, match=match):
        _pruned_copy(model, "tropical_prune", sparsity=0.5)


def test_clustering_refuses_leaky_units():
    net = activation_net(torch.nn.PReLU(6))
    with pytest.raises(UnsupportedLayerError, match="needs ReLU hidden units"):
        cluster_units(net, width=3)
    data = load_dataset("moons", n_samples=60, seed=0)
    with pytest.raises(UnsupportedLayerError, match="needs ReLU hidden units"):
        compare_with_magnitude(activation_net(torch.nn.LeakyReLU(0.2), n=2), data, sparsity=0.5)


def test_tropical_cluster_refuses_leaky_units_before_training():
    data = load_dataset("moons", n_samples=60, seed=0)

    def model_fn(seed):
        return activation_net(torch.nn.LeakyReLU(0.1), n=2, seed=seed)

    with pytest.raises(UnsupportedLayerError, match="tropical_cluster needs ReLU hidden units"):
        tropical_cluster(model_fn, data, sparsity=0.5, train=dict(epochs=1000))  # would take minutes
