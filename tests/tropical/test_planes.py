"""Data-plane comparisons and local complexity against independent oracles.

Oracles: the networks' own forward passes on dense grids of the plane (predicted classes, activation
patterns), shapely (segment clipping), and hand-built networks whose boundary is known analytically.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import shapely
import torch
from conftest import forward, mlp
from torch import nn

from tropical.metrics import (
    DECISION_METRICS,
    PlaneMetrics,
    Reference,
    boundary_pieces,
    local_complexity,
    plane_metrics,
    plane_triplets,
)
from tropical.metrics.planes import _clip_segments
from tropical.regions import decision_boundary, linear_regions


def activation_patterns(model, points):
    """Activation pattern of every hidden unit at each point, from the forward pass: (n, n_hidden) bool."""
    patterns, x = [], torch.as_tensor(points, dtype=torch.float64)
    with torch.no_grad():
        for module in model:
            x = module(x)
            if isinstance(module, nn.Linear) and module is not model[-1]:
                patterns.append((x > 0).numpy())
    return np.concatenate(patterns, axis=1)


def frame(points):
    """Origin and orthonormal frame of the plane through three points (Gram-Schmidt, as documented)."""
    origin = points[0]
    e1 = (points[1] - origin) / np.linalg.norm(points[1] - origin)
    d2 = points[2] - origin
    e2 = d2 - (d2 @ e1) * e1
    return origin, np.stack([e1, e2 / np.linalg.norm(e2)])


def grid(low, high, count):
    u, v = np.meshgrid(np.linspace(low[0], high[0], count), np.linspace(low[1], high[1], count))
    return np.column_stack([u.ravel(), v.ravel()])


def labelled_data(n=60, d=8, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(classes, size=n)


# ---------------------------------------------------------------------------------------------- triplets
def test_triplets_follow_the_requested_class_mix_and_the_seed():
    X, y = labelled_data(n=90, classes=3)
    same = plane_triplets(X, y, count=20, triplets="same", seed=1)
    mixed = plane_triplets(X, y, count=20, triplets="mixed", seed=1)
    assert same.shape == mixed.shape == (20, 3)
    assert np.all(y[same] == y[same][:, :1])
    assert all(len(set(row)) == 3 for row in y[mixed])
    assert np.array_equal(mixed, plane_triplets(X, y, count=20, triplets="mixed", seed=1))
    assert not np.array_equal(mixed, plane_triplets(X, y, count=20, triplets="mixed", seed=2))
    two = plane_triplets(X, y % 2, count=20, triplets="mixed", seed=0)
    assert all(len(set(row)) == 2 for row in (y % 2)[two])


def test_triplets_never_repeat_or_line_up_points():
    line = np.outer(np.arange(30.0), [1.0, 2.0, 0.5])  # 30 collinear points ...
    X = np.vstack([line, [[0.0, 0.0, 1.0]]])  # ... and one off the line
    rows = plane_triplets(X, count=5, triplets="any", seed=0)
    assert np.all(rows == rows) and all(30 in row and len(set(row)) == 3 for row in rows)
    with pytest.raises(ValueError, match="spanning a plane"):
        plane_triplets(line, count=1, triplets="any")


def test_triplets_reject_bad_arguments():
    X, y = labelled_data()
    with pytest.raises(ValueError, match="needs the labels"):
        plane_triplets(X, count=2)
    with pytest.raises(ValueError, match="triplets must be one of"):
        plane_triplets(X, y, triplets="diverse")
    with pytest.raises(ValueError, match="labels"):
        plane_triplets(X, y[:-1])
    with pytest.raises(ValueError, match="two classes"):
        plane_triplets(X, np.zeros(len(X)), triplets="mixed")


# ---------------------------------------------------------------------------------------------- geometry
def test_clipping_to_a_triangle_equals_shapely():
    rng = np.random.default_rng(0)
    triangle = np.array([[0.0, 0.0], [2.0, 0.2], [0.5, 1.5]])
    segments = rng.uniform(-1, 3, size=(300, 2, 2))
    clipped = _clip_segments(segments, triangle)
    polygon = shapely.Polygon(triangle)
    expected = shapely.length(shapely.intersection(shapely.linestrings(segments), polygon))
    kept = expected > 0
    assert len(clipped) == kept.sum()
    lengths = np.linalg.norm(clipped[:, 1] - clipped[:, 0], axis=1)
    np.testing.assert_allclose(lengths, expected[kept], rtol=1e-9, atol=1e-12)
    assert np.all(shapely.distance(shapely.points(clipped.reshape(-1, 2)), polygon) < 1e-12)


def straight_boundary_net(lines: int, seed: int = 0):
    """A 2-output net whose outputs differ by exactly x: the boundary is the line x = 0, whatever the
    ``lines`` extra ReLU units (which cut it into many segments)."""
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(2, 2 + lines), nn.ReLU(), nn.Linear(2 + lines, 2)).double()
    weight = np.vstack([[1.0, 0.0], [-1.0, 0.0], rng.normal(size=(lines, 2))])
    bias = np.concatenate([[0.0, 0.0], rng.normal(scale=0.5, size=lines)])
    extra = rng.normal(size=lines)
    out = np.array([np.concatenate([[1.0, -1.0], extra]), np.concatenate([[0.0, 0.0], extra])])
    with torch.no_grad():
        model[0].weight.copy_(torch.as_tensor(weight))
        model[0].bias.copy_(torch.as_tensor(bias))
        model[2].weight.copy_(torch.as_tensor(out))
        model[2].bias.zero_()
    return model


def test_a_straight_boundary_cut_by_many_regions_is_one_piece():
    model = straight_boundary_net(12)
    segments = decision_boundary(model, bounds=(-2, 2, -2, 2))
    assert len(segments) > 3  # the region edges split it
    np.testing.assert_allclose(segments[:, :, 0], 0.0, atol=1e-12)
    assert np.all(boundary_pieces(segments) == 0)
    regions = linear_regions(model, bounds=(-2, 2, -2, 2))
    _, pieces = local_complexity(regions, [[0.1, 0.0], [0.5, 1.0], [-1.5, -1.5]], radius=0.3)
    assert pieces.tolist() == [1, 0, 0]


def test_pieces_end_at_corners_and_junctions():
    corner = [[[0, 0], [1, 0]], [[1, 0], [2, 0]], [[2, 0], [2, 1]]]
    assert boundary_pieces(corner).tolist() == [0, 0, 1]
    junction = [[[0, 0], [1, 0]], [[1, 0], [2, 0]], [[1, 0], [1, 1]]]  # three ends at (1, 0)
    assert len(set(boundary_pieces(junction).tolist())) == 3
    assert boundary_pieces(np.zeros((0, 2, 2))).shape == (0,)


def distinct_patterns(model, points) -> int:
    patterns = activation_patterns(model, points)
    assert patterns.shape[1] < 63
    return len(np.unique(patterns @ (1 << np.arange(patterns.shape[1]))))


@pytest.mark.parametrize("seed", [0, 2])
def test_regions_within_radius_match_sampled_activation_patterns(seed):
    model = mlp([2, 10, 8, 2], seed=seed)
    regions = linear_regions(model, bounds=(-3, 3, -3, 3))
    centers = np.random.default_rng(seed).uniform(-2, 2, size=(4, 2))
    radius = 0.6
    counts, _ = local_complexity(regions, centers, radius=radius)
    r, t = np.meshgrid(np.linspace(0, 1, 300)[1:], np.linspace(0, 2 * np.pi, 1440, endpoint=False))
    unit = np.column_stack([(np.sqrt(r) * np.cos(t)).ravel(), (np.sqrt(r) * np.sin(t)).ravel()])
    disk = 1.03 * radius * unit
    inner = np.linalg.norm(disk, axis=1) < radius
    for center, count in zip(centers, counts, strict=True):
        assert (
            distinct_patterns(model, center + disk[inner]) <= count <= distinct_patterns(model, center + disk)
        )
    assert counts.max() > 1  # the disks do cross region edges


# ---------------------------------------------------------------------------------------------- planes
def test_agreement_areas_equal_dense_sampling_of_both_networks():
    X, y = labelled_data(d=6)
    reference, model = mlp([6, 12, 3], seed=0), mlp([6, 9, 3], seed=1)
    result = plane_metrics(reference, model, X, y, planes=3, seed=0)
    for k, indices in enumerate(result.triplets):
        origin, basis = frame(X[indices])
        corners = (X[indices] - origin) @ basis.T
        low, high = corners.min(axis=0), corners.max(axis=0)
        pad = 0.5 * (high - low).max()
        points = grid(low - pad, high + pad, 301)
        inputs = origin + points @ basis
        agree = forward(model, inputs).argmax(axis=1) == forward(reference, inputs).argmax(axis=1)
        inside = shapely.contains_xy(shapely.Polygon(corners), points[:, 0], points[:, 1])
        assert result.per_plane["box_agreement"][k] == pytest.approx(agree.mean(), abs=0.01)
        assert result.per_plane["triangle_agreement"][k] == pytest.approx(agree[inside].mean(), abs=0.02)
    assert np.all((result.per_plane["triangle_agreement"] >= 0) & (result.per_plane["box_agreement"] <= 1))


def test_region_counts_in_the_triangle_match_sampled_activation_patterns():
    X, y = labelled_data(d=5)
    model = mlp([5, 8, 6, 2], seed=3)
    result = plane_metrics(model, model, X, y, planes=2, seed=4)
    for k, indices in enumerate(result.triplets):
        origin, basis = frame(X[indices])
        corners = (X[indices] - origin) @ basis.T
        weights = np.random.default_rng(k).dirichlet(np.ones(3), size=200_000)
        sampled = distinct_patterns(model, origin + (weights @ corners) @ basis)
        count = result.per_plane["triangle_regions"][k]
        assert sampled <= count <= sampled + 0.05 * count + 1
        assert count <= result.per_plane["box_regions"][k]


def test_the_boundary_length_in_the_triangle_is_the_clipped_boundary():
    X, y = labelled_data(d=4)
    reference, model = mlp([4, 10, 2], seed=5), mlp([4, 10, 2], seed=6)
    result = plane_metrics(reference, model, X, y, planes=2, seed=1)
    for k, indices in enumerate(result.triplets):
        origin, basis = frame(X[indices])
        triangle = shapely.Polygon((X[indices] - origin) @ basis.T)
        segments = decision_boundary(model, plane=X[indices])
        expected = shapely.length(shapely.intersection(shapely.linestrings(segments), triangle)).sum()
        assert result.per_plane["triangle_boundary_length"][k] == pytest.approx(expected, rel=1e-9, abs=1e-12)
        box = np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1).sum()
        assert result.per_plane["box_boundary_length"][k] == pytest.approx(box, rel=1e-12)


def test_summary_is_mean_and_std_with_the_documented_keys():
    X, y = labelled_data(d=3)
    result = plane_metrics(mlp([3, 6, 3], seed=0), mlp([3, 6, 3], seed=1), X, y, planes=3, radius=0.2)
    assert isinstance(result, PlaneMetrics) and result.radius == 0.2
    summary = result.summary()
    assert set(summary) <= set(DECISION_METRICS)
    assert summary["planes"] == 3.0
    values = result.per_plane["box_agreement"]
    assert summary["box_agreement_mean"] == np.mean(values) and summary["box_agreement_std"] == np.std(values)
    assert result.per_point["local_regions"].shape == (3, 3)
    with pytest.raises(ValueError, match="radius"):
        plane_metrics(mlp([3, 6, 3]), mlp([3, 6, 3]), X, y, planes=1, radius=-1.0)


def test_infinite_boundary_distances_are_counted_not_averaged():
    per_plane = {"triangle_boundary_hausdorff": np.array([1.0, np.inf, 3.0]), "box_agreement": np.ones(3)}
    result = PlaneMetrics(np.zeros((3, 3), dtype=int), 0.1, per_plane, {}).summary()
    assert (
        result["triangle_boundary_hausdorff_mean"] == 2.0 and result["triangle_boundary_hausdorff_std"] == 1.0
    )
    assert result["triangle_boundary_hausdorff_infinite"] == pytest.approx(1 / 3)
    assert "box_agreement_infinite" not in result
    none = PlaneMetrics(np.zeros((1, 3), dtype=int), 0.1, {"box_boundary_hausdorff": np.array([np.inf])}, {})
    summary = none.summary()
    assert (
        np.isnan(summary["box_boundary_hausdorff_mean"]) and summary["box_boundary_hausdorff_infinite"] == 1.0
    )


def dense_side_oracle(dense, points, radius):
    """The reference's own numbers on one plane from its regions and boundary read with shapely: the
    regions overlapping the triangle, the boundary length inside it, the regions meeting each disk."""
    regions = linear_regions(dense, plane=points)
    corners = (points - regions.origin) @ regions.frame.T
    triangle = shapely.Polygon(corners).normalize()
    polygons = [shapely.Polygon(regions.vertices[regions.region_vertices[a:b]])
                for a, b in itertools.pairwise(regions.offsets)]  # fmt: skip
    inside = sum(shapely.intersection(p, triangle).area > 1e-12 * triangle.area for p in polygons)
    segments = decision_boundary(dense, plane=points)
    length = shapely.length(shapely.intersection(shapely.linestrings(segments), triangle)).sum()
    near = [sum(shapely.distance(p, shapely.Point(c)) < radius for p in polygons) for c in corners]
    return inside, length, near


def test_a_shared_reference_gives_every_ticket_the_values_of_the_networks_themselves(monkeypatch):
    import tropical.regions
    from tropical.metrics import planes

    sweeps, views = [], []
    regions, of = tropical.regions.linear_regions, planes._PlaneView.of.__func__

    def counted_regions(model, **options):
        sweeps.append(model)
        return regions(model, **options)

    def counted_view(cls, picture, radius, **options):
        views.append(picture)
        return of(cls, picture, radius, **options)

    monkeypatch.setattr(tropical.regions, "linear_regions", counted_regions)
    monkeypatch.setattr(planes._PlaneView, "of", classmethod(counted_view))
    X, y = labelled_data(d=4)
    dense = mlp([4, 7, 3], seed=0)
    reference = Reference(dense)
    tickets = [mlp([4, 5, 3], seed=seed) for seed in (1, 2, 3)]
    shared = [plane_metrics(reference, ticket, X, y, planes=3, seed=5) for ticket in tickets]
    # the dense sweep and the dense side of each plane ran once per plane, not once per ticket
    assert sum(model is reference.model for model in sweeps) == 3
    dense_pictures = [reference.picture(plane=X[i], max_regions=2_000_000) for i in shared[0].triplets]
    assert sum(any(p is d for d in dense_pictures) for p in views) == 3
    assert len(sweeps) == len(views) == 3 + 3 * 3  # every ticket still gets its own
    assert reference.computed == {"picture": 3, "plane_view": 3, "decision_zonotopes": 0}
    monkeypatch.undo()
    for ticket, cached in zip(tickets, shared, strict=True):
        alone = plane_metrics(dense, ticket, X, y, planes=3, seed=5)  # no memo shared with anything
        np.testing.assert_array_equal(cached.triplets, alone.triplets)
        for key, values in alone.per_plane.items():
            np.testing.assert_array_equal(cached.per_plane[key], values)
        for key, values in alone.per_point.items():
            np.testing.assert_array_equal(cached.per_point[key], values)
    for k, indices in enumerate(shared[0].triplets):  # the cached dense side against shapely directly
        inside, length, near = dense_side_oracle(dense, X[indices], shared[0].radius)
        for result in shared:
            assert result.per_plane["triangle_dense_regions"][k] == inside
            assert result.per_plane["triangle_dense_boundary_length"][k] == pytest.approx(length, rel=1e-9)
            np.testing.assert_array_equal(result.per_point["local_dense_regions"][k], near)
