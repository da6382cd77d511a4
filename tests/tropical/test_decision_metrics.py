"""decision_metrics: one table row comparing two classifiers, against independent oracles.

Oracles: brute-force decision polygons (all 2^p subset sums of the generators, shapely hulls), the networks'
forward passes on dense grids, tracemalloc for the memory of refusals, and identity (a network against
itself gives exactly 0 distances and 1 agreements).
"""

from __future__ import annotations

import copy
import itertools
import math
import tracemalloc

import numpy as np
import pytest
import shapely
import torch
from conftest import forward, mlp
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tropical.decision import decision_zonotopes
from tropical.metrics import DECISION_METRICS, Reference, decision_metrics

STRINGS = {"polytope_method", "boundary_method", "plane_method"}


def data(d, n=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(2, size=n)


def brute_polygon(model):
    """conv(Z1 ∪ Z2) from all 2^p subset sums of the generators (2-D, p small)."""
    points = []
    for Z in decision_zonotopes(model):
        G = Z.generators
        subsets = np.array(list(itertools.product([0, 1], repeat=len(G))), dtype=float)
        points.append(Z.base + subsets @ G)
    return shapely.MultiPoint(np.vstack(points)).convex_hull


def convex_hausdorff(P, Q):
    """Hausdorff distance of convex polygons: the largest distance of a vertex of one to the other."""
    return max(
        shapely.distance(shapely.points(shapely.get_coordinates(A)), B).max() for A, B in ((P, Q), (Q, P))
    )


# ---------------------------------------------------------------------------------------------- keys
def test_the_same_keys_in_the_documented_order_for_2d_and_64d_inputs():
    rows = [
        decision_metrics(mlp([2, 6, 2], seed=0), mlp([2, 5, 2], seed=1), bounds=(-2, 2, -2, 2)),
        decision_metrics(
            mlp([64, 6, 2], seed=0), mlp([64, 6, 2], seed=1), data=data(64), planes=2, max_regions=10**5
        ),
    ]
    for row in rows:
        assert list(row) == list(DECISION_METRICS)
        assert all(isinstance(row[key], str) for key in STRINGS)
        assert all(isinstance(row[key], float) for key in row if key not in STRINGS)
    assert rows[0]["plane_method"] == "skipped: no data= given"
    assert rows[1]["boundary_method"].startswith("skipped: no domain")
    assert rows[1]["plane_method"] == "exact" and rows[1]["planes"] == 2.0


# ---------------------------------------------------------------------------------------------- identity
@pytest.mark.parametrize("widths", [[2, 7, 2], [6, 5, 3], [4, 6, 5, 2]])
def test_a_network_against_itself_gives_exact_zeros_and_ones(widths):
    net = mlp(widths, seed=3)
    X, y = data(widths[0])
    plane = {"bounds": (-2, 2, -2, 2)} if widths[0] == 2 else {"plane": X[:3]}
    row = decision_metrics(net, copy.deepcopy(net), data=(X, y), planes=3, **plane)
    assert row["boundary_method"] == row["plane_method"] == "exact"
    zeros = [key for key in row if "hausdorff" in key or key.endswith("agreement_std")] + [
        "generator_distance"
    ]
    ones = [key for key in row if "agreement" in key and key.endswith("_mean")] + ["boundary_agreement"]
    if row["polytope_method"] == "exact":
        ones += ["polytope_iou", "polytope_iou_normalized", "polytope_volume_ratio"]
        assert row["polytope_vertices"] == row["dense_polytope_vertices"]
    for key in zeros:
        assert math.isnan(row[key]) or row[key] == 0.0, key
    for key in ones:
        assert row[key] == 1.0, key
    assert row["linear_regions"] == row["dense_linear_regions"]
    for name in ("triangle_regions", "box_boundary_length", "local_regions", "local_boundary_pieces"):
        window, metric = name.split("_", 1)
        assert row[f"{name}_mean"] == row[f"{window}_dense_{metric}_mean"], name


# ---------------------------------------------------------------------------------------------- oracles
@pytest.mark.parametrize("seed", [0, 1])
def test_exact_polytope_metrics_equal_brute_force_polygons(seed):
    reference, model = mlp([2, 7, 2], seed=seed), mlp([2, 5, 2], seed=seed + 10)
    row = decision_metrics(reference, model)
    P, Q = brute_polygon(model), brute_polygon(reference)
    assert row["polytope_method"] == "exact"
    assert row["polytope_hausdorff"] == pytest.approx(convex_hausdorff(P, Q), rel=1e-9)
    assert row["polytope_hausdorff_lower"] == row["polytope_hausdorff"] == row["polytope_hausdorff_upper"]
    assert row["polytope_iou"] == pytest.approx(P.intersection(Q).area / P.union(Q).area, rel=1e-9)
    assert row["polytope_volume_ratio"] == pytest.approx(P.area / Q.area, rel=1e-9)  # model / reference
    assert row["polytope_vertices"] == len(P.exterior.coords) - 1
    assert row["dense_polytope_vertices"] == len(Q.exterior.coords) - 1
    assert row["polytope_hausdorff"] <= row["generator_distance"] + 1e-9


@pytest.mark.parametrize(("slope", "other"), [(0.2, 1.5), (-0.5, 0.0)])
def test_leaky_polytope_metrics_equal_the_newton_polygons_of_from_torch(slope, other):
    """The decision polygon of a LeakyReLU net is Newt(F_0 G_1 ⊕ F_1 G_0) of tropical.from_torch."""
    import tropical as tr

    def leaky(seed, a):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(2, 5), nn.LeakyReLU(a), nn.Linear(5, 2)).double()

    def newton_polygon(model):
        m = tr.from_torch(model)
        R = (m[0].numerator * m[1].denominator) + (m[1].numerator * m[0].denominator)
        return shapely.MultiPoint(R.exponents).convex_hull

    reference, model = leaky(0, slope), leaky(1, other)
    row = decision_metrics(reference, model, bounds=(-2, 2, -2, 2))
    P, Q = newton_polygon(model), newton_polygon(reference)
    assert row["polytope_method"] == "exact"
    assert row["polytope_hausdorff"] == pytest.approx(convex_hausdorff(P, Q), rel=1e-9)
    assert row["polytope_iou"] == pytest.approx(P.intersection(Q).area / P.union(Q).area, rel=1e-9)
    assert row["polytope_hausdorff"] <= row["generator_distance"] + 1e-9


def test_boundary_agreement_equals_dense_sampling_of_both_networks():
    reference, model = mlp([2, 9, 3], seed=4), mlp([2, 6, 3], seed=5)
    row = decision_metrics(reference, model, classes=(0, 2), bounds=(-2, 1, -1, 2))
    u, v = np.meshgrid(np.linspace(-2, 1, 401), np.linspace(-1, 2, 401))
    points = np.column_stack([u.ravel(), v.ravel()])
    agree = forward(reference, points).argmax(axis=1) == forward(model, points).argmax(axis=1)
    assert row["boundary_agreement"] == pytest.approx(agree.mean(), abs=0.005)


# ---------------------------------------------------------------------------------------------- skipped
def test_a_polytope_too_large_to_enumerate_is_bounded_promptly_and_in_bounded_memory():
    reference, model = mlp([64, 16, 10], seed=0), mlp([64, 16, 10], seed=1)
    tracemalloc.start()
    try:
        row = decision_metrics(reference, model)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100e6
    assert row["polytope_method"] == "bracket"
    assert 0 < row["polytope_hausdorff_lower"] == row["polytope_hausdorff"] <= row["polytope_hausdorff_upper"]
    assert row["polytope_hausdorff_upper"] <= row["generator_distance"]
    for key in (
        "polytope_iou",
        "polytope_volume_ratio",
        "polytope_vertices",
        "polytope_hausdorff_normalized",
    ):
        assert math.isnan(row[key]), key  # these need the vertices
    assert np.isfinite(row["projected_polytope_hausdorff"]) and 0 <= row["projected_polytope_iou"] <= 1


def brute_projection(model, basis, classes):
    """conv(Z1 ∪ Z2) projected by ``basis`` (2, d), from all 2^p subset sums of the generators."""
    points = []
    for Z in decision_zonotopes(model, classes):
        subsets = np.array(list(itertools.product([0, 1], repeat=len(Z.generators))), dtype=float)
        points.append((Z.base + subsets @ Z.generators) @ basis.T)
    return shapely.MultiPoint(np.vstack(points)).convex_hull


@pytest.mark.parametrize("n_in", [2, 7])
def test_projected_polytopes_equal_brute_force_projections_on_the_principal_plane(n_in):
    reference, model = mlp([n_in, 5, 3], seed=2), mlp([n_in, 4, 3], seed=3)
    row = decision_metrics(reference, model, classes=(1, 2))
    generators = np.vstack([Z.generators for Z in decision_zonotopes(reference, (1, 2))])
    basis = np.linalg.svd(generators)[2][:2]  # the reference's two leading principal directions
    P, Q = brute_projection(model, basis, (1, 2)), brute_projection(reference, basis, (1, 2))
    assert row["projected_polytope_hausdorff"] == pytest.approx(convex_hausdorff(P, Q), rel=1e-9)
    assert row["projected_polytope_iou"] == pytest.approx(P.intersection(Q).area / P.union(Q).area, rel=1e-9)
    if n_in == 2:  # a rotation: the projection changes nothing
        assert row["projected_polytope_hausdorff"] == pytest.approx(row["polytope_hausdorff"], rel=1e-9)
        assert row["projected_polytope_iou"] == pytest.approx(row["polytope_iou"], rel=1e-9)


def brute_support_gap(reference, model, directions):
    """max over the directions of |h_P(u) - h_Q(u)| from all 2^p subset sums: a lower bound of H(P, Q)."""

    def support(net):
        points = []
        for Z in decision_zonotopes(net):
            subsets = np.array(list(itertools.product([0, 1], repeat=len(Z.generators))), dtype=float)
            points.append(Z.base + subsets @ Z.generators)
        return (np.vstack(points) @ directions.T).max(axis=0)

    return float(np.abs(support(reference) - support(model)).max())


def test_3d_polytopes_above_the_vertex_limit_are_bracketed_around_the_exact_distance():
    reference, model = mlp([3, 8, 2], seed=0), mlp([3, 6, 2], seed=1)
    exact = decision_metrics(reference, model)
    bracket = decision_metrics(reference, model, max_exact_vertices=50)
    assert exact["polytope_method"] == "exact" and bracket["polytope_method"] == "bracket"
    assert math.isnan(bracket["polytope_iou"]) and not math.isnan(exact["polytope_iou"])
    directions = np.random.default_rng(0).normal(size=(20_000, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    sampled = brute_support_gap(reference, model, directions)  # <= the true distance, and close to it
    distance = exact["polytope_hausdorff"]
    assert sampled <= distance * (1 + 1e-9) and distance == pytest.approx(sampled, rel=0.02)
    assert bracket["polytope_hausdorff_lower"] <= distance * (1 + 1e-9)
    assert distance <= bracket["polytope_hausdorff_upper"] * (1 + 1e-9)
    assert bracket["polytope_hausdorff_lower"] == pytest.approx(distance, rel=0.05)  # the ascent finds it


def without_later_activations(model):
    """The same layers with every activation after the first removed: a one-hidden-layer net."""
    layers = list(copy.deepcopy(model))
    first = next(k for k, layer in enumerate(layers) if not isinstance(layer, nn.Linear))
    later = [layer for layer in layers[first + 1 :] if isinstance(layer, nn.Linear)]
    return nn.Sequential(*layers[: first + 1], *later)


@pytest.mark.parametrize("widths", [[2, 5, 4, 2], [3, 6, 5, 4, 3]])
def test_deep_networks_are_measured_by_their_first_layer_or_skipped(widths):
    a, b = mlp(widths, seed=0), mlp(widths, seed=1)
    deep = decision_metrics(a, b, bounds=(-1, 1, -1, 1) if widths[0] == 2 else None)
    shallow = decision_metrics(without_later_activations(a), without_later_activations(b))
    assert shallow["polytope_method"] in ("exact", "bracket")
    assert deep["polytope_method"] == shallow["polytope_method"] + " (first layer, rest linear)"
    for key in ("polytope_hausdorff", "polytope_hausdorff_upper", "generator_distance", "polytope_iou"):
        np.testing.assert_allclose(deep[key], shallow[key], rtol=1e-9)
    if widths[0] == 2:
        assert deep["boundary_method"] == "exact" and 0 <= deep["boundary_agreement"] <= 1
    skipped = decision_metrics(a, b, rest=None)
    assert skipped["polytope_method"].startswith("skipped: UnsupportedLayerError")
    assert np.isnan(skipped["polytope_hausdorff"]) and np.isnan(skipped["generator_distance"])
    with pytest.raises(ValueError, match="rest"):
        decision_metrics(a, b, rest="jacobian")


def test_unsupported_networks_are_skipped_not_raised():
    tanh = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))
    row = decision_metrics(tanh, tanh, bounds=(-1, 1, -1, 1))
    assert all(row[key].startswith("skipped: UnsupportedLayerError") for key in STRINGS)
    one = decision_metrics(mlp([2, 4, 1]), mlp([2, 4, 1], seed=1), bounds=(-1, 1, -1, 1))
    assert one["polytope_method"] == "exact" and one["boundary_method"] == "exact"  # z read as (0, z)


def test_too_many_regions_skip_the_boundary_sections():
    reference, model = mlp([2, 30, 2], seed=0), mlp([2, 30, 2], seed=1)
    row = decision_metrics(reference, model, bounds=(-5, 5, -5, 5), data=data(2), planes=2, max_regions=20)
    for key in ("boundary_method", "plane_method"):
        assert row[key].startswith("skipped: ComputationTooLargeError")
    assert math.isnan(row["boundary_agreement"]) and math.isnan(row["box_agreement_mean"])
    assert row["polytope_method"] == "exact"


def test_bad_arguments_raise():
    a, b = mlp([2, 4, 2]), mlp([3, 4, 2])
    with pytest.raises(ValueError, match="same input and output sizes"):
        decision_metrics(a, b)
    with pytest.raises(ValueError, match="classes"):
        decision_metrics(a, a, classes=(0, 0))
    with pytest.raises(ValueError, match="classes"):
        decision_metrics(a, a, classes=(0, 2))
    with pytest.raises(ValueError, match=r"data X must have shape \(n, 2\)"):
        decision_metrics(a, a, data=data(3))
    for options in ({"data": data(2)}, {}):  # a bad option raises even when its section is not computed
        with pytest.raises(ValueError, match="triplets"):
            decision_metrics(a, a, triplets="odd", **options)
    with pytest.raises(ValueError, match="planes must be a positive integer"):
        decision_metrics(a, a, data=data(2), planes=0)
    with pytest.raises(ValueError, match="bounds"):
        decision_metrics(a, a, bounds=(1, 0, 0, 1))
    with pytest.raises(ValueError, match="max_regions"):
        decision_metrics(a, a, max_regions=0)


# ---------------------------------------------------------------------------------------------- properties
@settings(max_examples=10, deadline=None)
@given(
    n_in=st.sampled_from([2, 3, 5]),
    widths=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    n_out=st.integers(2, 3),
    seed=st.integers(0, 2**16),
)
def test_bounds_and_ranges_hold_for_random_networks(n_in, widths, n_out, seed):
    reference, model = mlp([n_in, widths[0], n_out], seed=seed), mlp([n_in, widths[1], n_out], seed=seed + 1)
    X, y = data(n_in, n=12, seed=seed)
    domain = {"bounds": (-2, 2, -2, 2)} if n_in == 2 else {"plane": X[:3]}
    row = decision_metrics(reference, model, data=(X, y), planes=2, **domain)
    assert row["boundary_method"] == row["plane_method"] == "exact"
    lower, value, upper = (row[f"polytope_hausdorff{s}"] for s in ("_lower", "", "_upper"))
    assert lower <= value <= upper + 1e-9 * max(1.0, upper)
    assert value <= row["generator_distance"] * (1 + 1e-9) + 1e-12
    for key in ("boundary_agreement", "triangle_agreement_mean", "box_agreement_mean"):
        assert 0.0 <= row[key] <= 1.0
    assert row["triangle_regions_mean"] <= row["box_regions_mean"]
    assert row["triangle_boundary_length_mean"] <= row["box_boundary_length_mean"] + 1e-12


def test_when_the_bracket_is_refused_the_projection_bounds_the_distance(monkeypatch):
    import tropical.metrics.support as support
    from tropical.errors import ComputationTooLargeError

    def refuse(*args, **kwargs):
        raise ComputationTooLargeError("refused for the test", estimate=2.0, limit=1.0)

    monkeypatch.setattr(support, "hausdorff_bracket", refuse)
    row = decision_metrics(mlp([10, 6, 2], seed=0), mlp([10, 5, 2], seed=1))
    assert row["polytope_method"] == "projected"
    assert row["polytope_hausdorff"] == row["polytope_hausdorff_lower"] == row["projected_polytope_hausdorff"]
    assert row["polytope_hausdorff_upper"] == row["generator_distance"] >= row["polytope_hausdorff"]


@pytest.mark.slow
def test_digits_shaped_networks_get_every_section_that_their_depth_allows():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X[-200:] / 16.0
    y = y[-200:]
    deep = decision_metrics(
        mlp([64, 300, 100, 10], seed=0), mlp([64, 300, 100, 10], seed=1), data=(X, y), planes=3
    )
    assert deep["polytope_method"] == "bracket (first layer, rest linear)"
    assert deep["polytope_hausdorff_lower"] <= deep["polytope_hausdorff_upper"]
    assert deep["plane_method"] == "exact" and deep["box_regions_mean"] > 1000
    shallow = decision_metrics(mlp([64, 300, 10], seed=0), mlp([64, 300, 10], seed=1), data=(X, y), planes=3)
    assert shallow["polytope_method"] == "bracket" and shallow["plane_method"] == "exact"
    assert shallow["projected_polytope_hausdorff"] <= shallow["polytope_hausdorff_upper"]


class _FlatDigitsConvNet(nn.Module):
    """A user's own conv module that takes flat 8x8 digits, as lottery.load_dataset("digits") gives them."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, kernel_size=3, padding=1)
        self.fc = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):
        x = torch.relu(self.conv(x.view(-1, 1, 8, 8)))
        return self.fc(torch.flatten(nn.functional.max_pool2d(x, 2), 1))


def test_custom_conv_module_on_flat_data_is_compared_on_planes():
    torch.manual_seed(0)
    reference, model = _FlatDigitsConvNet().double().eval(), _FlatDigitsConvNet().double().eval()
    X = np.random.default_rng(0).normal(size=(12, 64))
    y = np.arange(12) % 3
    row = decision_metrics(reference, model, plane=X[:3], data=(X, y), planes=1, seed=0)
    assert row["polytope_method"].startswith("skipped: UnsupportedLayerError")  # max-pooling: not one layer
    assert row["boundary_method"] == "exact" and row["plane_method"] == "exact"
    same = decision_metrics(reference, reference, plane=X[:3])
    assert same["boundary_agreement"] == 1.0 and same["boundary_hausdorff"] == 0.0
    # the agreement is the fraction of the plane's domain (the padded box) where both predict the same class
    from tropical import linear_regions

    regions = linear_regions(reference, plane=X[:3])
    (u0, v0), (u1, v1) = regions.domain.min(axis=0), regions.domain.max(axis=0)
    u, v = np.meshgrid(np.linspace(u0, u1, 150)[1:-1], np.linspace(v0, v1, 150)[1:-1])
    points = regions.to_input(np.column_stack([u.ravel(), v.ravel()]))
    with torch.no_grad():
        both = [net(torch.from_numpy(points)).argmax(1).numpy() for net in (reference, model)]
    assert row["boundary_agreement"] == pytest.approx(np.mean(both[0] == both[1]), abs=0.03)


def test_a_conv_net_takes_image_shaped_data_and_equals_the_same_net_on_flat_inputs():
    # issue 11: input_shape passes through to the plane and boundary sections. Oracle: the same networks
    # behind an nn.Unflatten, which read flat (n, 64) inputs and never need an input shape.
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = (digits.data[:60] / 16.0).reshape(-1, 1, 8, 8)
    y = digits.target[:60]

    def conv(seed):
        torch.manual_seed(seed)
        return torch.nn.Sequential(
            torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(72, 10)
        ).double()

    dense, ticket = conv(0), conv(1)
    options = {"classes": (0, 1), "planes": 2, "seed": 3}
    shaped = decision_metrics(dense, ticket, data=(X, y), plane=X[:3], **options)
    flat = decision_metrics(
        torch.nn.Sequential(torch.nn.Unflatten(1, (1, 8, 8)), dense),
        torch.nn.Sequential(torch.nn.Unflatten(1, (1, 8, 8)), ticket),
        data=(X.reshape(60, 64), y),
        plane=X[:3].reshape(3, 64),
        **options,
    )
    assert shaped["plane_method"] == "exact" and shaped["boundary_method"] == "exact"
    for key in ("triangle_agreement_mean", "box_regions_mean", "boundary_agreement", "linear_regions"):
        assert shaped[key] == pytest.approx(flat[key], rel=1e-9), key


# ---------------------------------------------------------------------------------------------- Reference
def same_row(a: dict, b: dict) -> bool:
    """Every key equal, NaN equal to NaN (and a string only to the same string)."""
    return list(a) == list(b) and all(
        a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k])) for k in a
    )


@pytest.mark.parametrize("widths", [[4, 6, 3], [5, 5, 4, 2]])  # exact polytopes; the bracket, deep
def test_a_reference_gives_the_uncached_row_for_every_key_and_every_ticket(widths):
    dense = mlp(widths, seed=0)
    X, y = data(widths[0], seed=1)
    options = {"data": (X, y), "planes": 3, "plane": X[:3], "classes": (0, 1)}
    reference = Reference(dense)
    for seed in (1, 2, 3):
        ticket = mlp([widths[0], 3, *widths[2:]], seed=seed)
        cached = decision_metrics(reference, ticket, **options)
        assert same_row(cached, decision_metrics(dense, ticket, **options))
        assert cached["plane_method"] == "exact" and cached["boundary_method"] == "exact"
        assert not cached["polytope_method"].startswith("skipped")


def test_a_reference_computes_the_dense_geometry_once_for_several_tickets(monkeypatch):
    import tropical.decision
    import tropical.regions

    calls = {"regions": [], "zonotopes": []}
    regions, zonotopes = tropical.regions.linear_regions, tropical.decision.decision_zonotopes

    def counted_regions(model, **options):
        calls["regions"].append(model)
        return regions(model, **options)

    def counted_zonotopes(model, *args, **options):
        calls["zonotopes"].append(model)
        return zonotopes(model, *args, **options)

    monkeypatch.setattr(tropical.regions, "linear_regions", counted_regions)
    monkeypatch.setattr(tropical.decision, "decision_zonotopes", counted_zonotopes)
    dense = mlp([6, 5, 3], seed=0)
    X, y = data(6)
    reference = Reference(dense)
    tickets = [mlp([6, 4, 3], seed=s) for s in (1, 2, 3, 4)]
    for ticket in tickets:
        decision_metrics(reference, ticket, data=(X, y), planes=3, plane=X[:3])
    dense_regions = sum(model is reference.model for model in calls["regions"])
    assert dense_regions == 1 + 3  # the boundary plane and each of the 3 data planes, once
    assert sum(model is reference.model for model in calls["zonotopes"]) == 1
    assert len(calls["regions"]) == dense_regions + 4 * (1 + 3)  # every ticket still gets its own
    assert reference.computed == {"picture": 1 + 3, "plane_view": 3, "decision_zonotopes": 1}


def test_a_reference_is_a_snapshot_of_the_weights_it_was_given():
    dense, ticket = mlp([2, 6, 2], seed=0), mlp([2, 4, 2], seed=1)
    reference = Reference(dense)
    before = decision_metrics(dense, ticket, bounds=(-2, 2, -2, 2))
    with torch.no_grad():
        dense[0].weight.mul_(-1.0)  # training the network afterwards does not change the Reference
    assert same_row(decision_metrics(reference, ticket, bounds=(-2, 2, -2, 2)), before)
    assert not same_row(decision_metrics(dense, ticket, bounds=(-2, 2, -2, 2)), before)


def test_a_reference_rejects_what_is_not_a_network():
    with pytest.raises(TypeError, match=r"torch\.nn\.Module"):
        Reference(np.eye(2))


class ReadsItsInputShape(nn.Module):
    """A forward that reshapes flat inputs only when they are flat, as users write it."""

    def __init__(self, seed):
        super().__init__()
        torch.manual_seed(seed)
        self.conv, self.fc = nn.Conv2d(1, 2, 3), nn.Linear(2 * 2 * 2, 3)

    def forward(self, x):
        if x.dim() == 2:
            x = x.view(x.size(0), 1, 4, 4)
        return self.fc(torch.relu(self.conv(x)).flatten(1))


def test_a_forward_that_reads_its_input_shape_takes_the_shape_of_the_data():
    dense, ticket = ReadsItsInputShape(0).double().eval(), ReadsItsInputShape(1).double().eval()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 16))
    y = rng.integers(0, 3, size=30)
    inferred = decision_metrics(dense, ticket, data=(X, y), planes=1, seed=0)
    assert not inferred["plane_method"].startswith("skipped")
    explicit = decision_metrics(dense, ticket, data=(X, y), planes=1, seed=0, input_shape=(16,))
    assert {k: v for k, v in inferred.items() if k != "seconds"} == pytest.approx(
        {k: v for k, v in explicit.items() if k != "seconds"}, nan_ok=True
    )
