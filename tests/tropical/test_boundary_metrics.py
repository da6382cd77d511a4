"""Boundary and region metrics against analytic values and brute-force sampling."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tropical.metrics import (
    RegionStatistics,
    boundary_hausdorff,
    class_iou,
    region_agreement,
    region_statistics,
)
from tropical.regions import decision_boundary, linear_regions


def linear_classifier(weight, bias):
    """A network without hidden layer: ``weight @ x + bias`` (2 outputs)."""
    model = nn.Sequential(nn.Linear(2, len(weight))).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.as_tensor(np.asarray(weight, dtype=np.float64)))
        model[0].bias.copy_(torch.as_tensor(np.asarray(bias, dtype=np.float64)))
    return model


def sampled_hausdorff(a, b, spacing):
    """Hausdorff distance of densely sampled segments (a lower bound within ``spacing`` of the truth)."""

    def sample(segments):
        points = []
        for p, q in segments:
            n = max(2, int(np.ceil(np.linalg.norm(q - p) / spacing)) + 1)
            points.append(p + np.linspace(0, 1, n)[:, None] * (q - p))
        return np.concatenate(points)

    from scipy.spatial import cKDTree

    pa, pb = sample(a), sample(b)
    return max(cKDTree(pb).query(pa)[0].max(), cKDTree(pa).query(pb)[0].max())


def test_hausdorff_analytic_cases():
    assert boundary_hausdorff([[[0, 0], [1, 0]]], [[[0, 1], [3, 1]]]) == pytest.approx(np.sqrt(5))
    # the farthest point is the middle of a gap, not an end point
    gap = [[[0, 0], [1, 0]], [[3, 0], [4, 0]]]
    assert boundary_hausdorff([[[0, 0], [4, 0]]], gap) == pytest.approx(1.0)
    # parallel segments of equal length
    assert boundary_hausdorff([[[0, 0], [2, 0]]], [[[0, 0.5], [2, 0.5]]]) == pytest.approx(0.5)
    # the farthest point of a is equidistant from an end point and a line of b (parabola bisector):
    # a is the x-axis from 0 to 2, b is {(0, 1)} and the vertical segment x = 2, y in [1, 3]
    b = [[[0, 1], [0, 1]], [[2, 1], [2, 3]]]
    # d((x,0), (0,1)) = sqrt(x^2 + 1), d((x,0), b2) = sqrt((2-x)^2 + 1): equal at x = 1 -> sqrt(2);
    # and b's far end (2, 3) is 3 away from a
    assert boundary_hausdorff([[[0, 0], [2, 0]]], b) == pytest.approx(3.0)
    assert boundary_hausdorff(np.zeros((0, 2, 2)), np.zeros((0, 2, 2))) == 0.0
    assert boundary_hausdorff(np.zeros((0, 2, 2)), [[[0, 0], [1, 0]]]) == np.inf
    with pytest.raises(ValueError, match="a must be segments"):
        boundary_hausdorff(np.zeros((3, 2)), [[[0, 0], [1, 0]]])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(1, 6), m=st.integers(1, 6))
def test_hausdorff_equals_dense_sampling(seed, n, m):
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(-1, 1, size=(n, 2, 2)), rng.uniform(-1, 1, size=(m, 2, 2))
    exact = boundary_hausdorff(a, b)
    spacing = 5e-4
    sampled = sampled_hausdorff(a, b, spacing)
    # sampling both sets can only move the answer by the sampling spacing
    assert sampled - spacing <= exact <= sampled + spacing
    assert boundary_hausdorff(b, a) == pytest.approx(exact)


def test_hausdorff_of_network_boundaries():
    torch.manual_seed(2)  # a seed whose boundary crosses the box
    model = nn.Sequential(nn.Linear(2, 12), nn.ReLU(), nn.Linear(12, 12), nn.ReLU(), nn.Linear(12, 2))
    segments = decision_boundary(model, bounds=(-3, 3, -3, 3))
    assert len(segments) > 5
    assert boundary_hausdorff(segments, segments) < 1e-12
    shifted = segments + np.array([0.01, 0.0])
    assert 0.0 < boundary_hausdorff(segments, shifted) <= 0.01 + 1e-12


def test_agreement_and_iou_of_linear_classifiers():
    # class 1 where x > 0, against class 1 where x > 0.5 and where y > 0, on [-1, 1]^2
    a = linear_classifier([[-1, 0], [1, 0]], [0, 0])
    b = linear_classifier([[-1, 0], [1, 0]], [0.5, -0.5])  # output1 - output0 = 2x - 1
    c = linear_classifier([[0, -1], [0, 1]], [0, 0])
    box = (-1, 1, -1, 1)
    assert region_agreement(a, a, bounds=box) == pytest.approx(1.0)
    assert region_agreement(a, b, bounds=box) == pytest.approx(0.75)
    assert region_agreement(a, c, bounds=box) == pytest.approx(0.5)
    np.testing.assert_allclose(class_iou(a, b, bounds=box), [2 / 3, 1 / 2])
    np.testing.assert_allclose(class_iou(a, c, bounds=box), [1 / 3, 1 / 3])


def test_agreement_equals_sampled_agreement_of_random_nets():
    torch.manual_seed(1)
    a = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    b = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    box = (-2, 2, -2, 2)
    exact = region_agreement(linear_regions(a, bounds=box), linear_regions(b, bounds=box))
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 801), np.linspace(-2, 2, 801)), axis=-1).reshape(-1, 2)
    with torch.no_grad():
        x = torch.as_tensor(grid)
        sampled = (a.double()(x).argmax(1) == b.double()(x).argmax(1)).double().mean().item()
    assert exact == pytest.approx(sampled, abs=5e-3)


def test_metrics_refuse_mismatched_inputs():
    a = linear_classifier([[-1, 0], [1, 0]], [0, 0])
    three = nn.Sequential(nn.Linear(2, 3))
    with pytest.raises(ValueError, match="classes"):
        region_agreement(a, three, bounds=(-1, 1, -1, 1))
    with pytest.raises(ValueError, match="different domains"):
        region_agreement(linear_regions(a, bounds=(-1, 1, -1, 1)), linear_regions(a, bounds=(-2, 2, -1, 1)))
    with pytest.raises(ValueError, match="Regions object already"):
        region_statistics(linear_regions(a, bounds=(-1, 1, -1, 1)), bounds=(-1, 1, -1, 1))


def test_region_statistics_of_a_line_arrangement():
    # x = 0 and y = 0 cut [-1, 3] x [-1, 1] into areas 2, 2, 6, 6 (hidden lines of a 2-2-1 net)
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(2, dtype=torch.float64))
        model[0].bias.zero_()
    stats = region_statistics(model, bounds=(-1, 3, -1, 1))
    assert isinstance(stats, RegionStatistics)
    assert stats.count == 4
    assert stats.domain_area == pytest.approx(8.0)
    assert stats.density == pytest.approx(0.5)
    assert (stats.min_area, stats.max_area, stats.mean_area) == pytest.approx((1.0, 3.0, 2.0))
    assert stats.median_area == pytest.approx(2.0)
    fractions = np.array([1, 1, 3, 3]) / 8
    assert stats.area_entropy == pytest.approx(-(fractions * np.log(fractions)).sum())
    assert stats.mean_vertices == pytest.approx(4.0)


@pytest.mark.parametrize("scale", [1.0, 1e-8, 1e6])
def test_regression_zero_length_segments_are_points_of_the_set(scale):
    """Stress campaign: a zero-length segment was dropped when the set had other segments (the distance of
    a far point was ignored: 0 instead of 10 below), and a set made of one point crashed (GEOS finds nothing
    with a zero-length linestring). Analytic oracles."""
    segment = np.array([[[10.0, 0.0], [11.0, 0.0]]]) * scale
    with_point = np.array([[[0.0, 0.0], [0.0, 0.0]], [[10.0, 0.0], [11.0, 0.0]]]) * scale
    assert boundary_hausdorff(with_point, segment) == pytest.approx(10.0 * scale, rel=1e-12)
    assert boundary_hausdorff(segment, with_point) == pytest.approx(10.0 * scale, rel=1e-12)
    point = np.array([[[10.0, 3.0], [10.0, 3.0]]]) * scale
    assert boundary_hausdorff(point, segment) == pytest.approx(np.hypot(1.0, 3.0) * scale, rel=1e-12)
    assert boundary_hausdorff(segment, point) == pytest.approx(np.hypot(1.0, 3.0) * scale, rel=1e-12)


def test_identical_boundaries_and_classes_compare_exactly():
    """A segment shared by both sets is at distance 0 exactly, in either orientation and order; a
    classifier against itself agrees on exactly the whole domain (no overlay rounding)."""
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(2, 12), nn.ReLU(), nn.Linear(12, 12), nn.ReLU(), nn.Linear(12, 3))
    regions = linear_regions(model, bounds=(-3, 3, -3, 3))
    segments = regions.decision_boundary()
    shuffled = segments[np.random.default_rng(0).permutation(len(segments))][:, ::-1]
    assert boundary_hausdorff(segments, shuffled) == 0.0
    assert boundary_hausdorff([[[0.0, 0.0], [1.0, 0.0]]], [[[1.0, -0.0], [-0.0, -0.0]]]) == 0.0
    assert region_agreement(regions, regions) == 1.0
    # a shared part does not hide the distance of the rest: the sampled oracle still applies
    extra = np.array([[[5.0, 5.0], [6.0, 5.0]]])
    spacing = 1e-3
    expected = sampled_hausdorff(segments, np.concatenate([segments, extra]), spacing)
    assert boundary_hausdorff(segments, np.concatenate([segments, extra])) == pytest.approx(
        expected, abs=spacing
    )


def test_metrics_of_regions_equal_metrics_of_models_without_a_second_sweep(monkeypatch):
    import tropical.regions

    a = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 2)).double()
    b = linear_classifier([[1, 2], [-1, 0.5]], [0.1, 0])
    box = (-2, 2, -2, 2)
    from_models = (
        region_agreement(a, b, bounds=box),
        class_iou(a, b, bounds=box),
        region_statistics(a, bounds=box),
    )
    regions_a, regions_b = linear_regions(a, bounds=box), linear_regions(b, bounds=box)
    with pytest.raises(ValueError, match="model_b is a Regions object already"):
        region_agreement(a, regions_b, bounds=box)
    monkeypatch.setattr(
        tropical.regions, "linear_regions", lambda *args, **kwargs: pytest.fail("swept again")
    )
    assert region_agreement(regions_a, regions_b) == from_models[0]
    np.testing.assert_array_equal(class_iou(regions_a, regions_b), from_models[1])
    statistics = region_statistics(regions_a)
    assert statistics.count == from_models[2].count and statistics.domain_area == from_models[2].domain_area


def test_a_reference_sweeps_its_network_once_and_agrees_with_sampling(monkeypatch):
    import tropical.regions
    from tropical.metrics import Reference

    sweeps = []
    regions = tropical.regions.linear_regions

    def counted(model, **options):
        sweeps.append(model)
        return regions(model, **options)

    monkeypatch.setattr(tropical.regions, "linear_regions", counted)
    torch.manual_seed(0)
    dense = nn.Sequential(nn.Linear(2, 10), nn.ReLU(), nn.Linear(10, 3)).double()
    reference = Reference(dense)
    box = (-2.0, 2.0, -2.0, 2.0)
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 401), np.linspace(-2, 2, 401)), axis=-1).reshape(-1, 2)
    with torch.no_grad():
        dense_class = dense(torch.as_tensor(grid)).argmax(dim=1).numpy()
    for seed in (1, 2, 3):
        torch.manual_seed(seed)
        ticket = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 3)).double()
        with torch.no_grad():
            sampled = float(np.mean(ticket(torch.as_tensor(grid)).argmax(dim=1).numpy() == dense_class))
        agreement = region_agreement(reference, ticket, bounds=box)
        assert agreement == pytest.approx(sampled, abs=0.01)
        np.testing.assert_array_equal(
            class_iou(reference, ticket, bounds=box), class_iou(dense, ticket, bounds=box)
        )
    assert sum(model is reference.model for model in sweeps) == 1
