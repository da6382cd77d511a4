"""Projected Newton polygons against projecting all 2^p subset sums and taking their hull (Qhull, shapely)."""

import itertools

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import shapely
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import ConvexHull

import tropical as tr
from tropical import Zonotope, ZonotopeHull
from tropical.metrics import (
    hausdorff_bracket,
    principal_plane,
    projected_hausdorff,
    projected_iou,
    projected_polygons,
)


def subset_sums(zonotope):
    p = len(zonotope.generators)
    corners = np.array(list(itertools.product([0.0, 1.0], repeat=p))).reshape(-1, p)
    return zonotope.base + corners @ zonotope.generators


def hull_polygon(points):
    return shapely.Polygon(points[ConvexHull(points).vertices])


def random_plane(rng, d):
    q, _ = np.linalg.qr(rng.standard_normal((d, 2)))
    return q.T


def random_hull(rng, d, p=5):
    return ZonotopeHull(
        Zonotope(rng.standard_normal((p, d)), rng.standard_normal(d)),
        Zonotope(rng.standard_normal((p - 1, d)), rng.standard_normal(d)),
    )


@given(st.integers(3, 8), st.integers(3, 6), st.integers(0, 10_000))
@settings(max_examples=25, deadline=None)
def test_projection_equals_hull_of_projected_subset_sums(d, p, seed):
    rng = np.random.default_rng(seed)
    hull = random_hull(rng, d, p)
    basis = random_plane(rng, d)
    (projection,) = projected_polygons([hull], basis=basis)
    points = np.vstack([subset_sums(Z) for Z in hull.zonotopes]) @ basis.T
    expected = hull_polygon(points)
    assert shapely.Polygon(projection.hull).symmetric_difference(expected).area < 1e-9 * expected.area
    assert len(projection.hull) == len(ConvexHull(points).vertices)
    for part, Z in zip(projection.parts, hull.zonotopes, strict=True):
        assert shapely.Polygon(part).symmetric_difference(hull_polygon(subset_sums(Z) @ basis.T)).area < 1e-9


def test_principal_plane_is_the_top_eigenvectors_of_the_generator_second_moment():
    rng = np.random.default_rng(0)
    hull = random_hull(rng, 7, 6)
    basis = principal_plane(hull)
    generators = np.vstack([Z.generators for Z in hull.zonotopes])
    _, vectors = np.linalg.eigh(generators.T @ generators)
    top = vectors[:, ::-1][:, :2].T
    assert np.allclose(basis @ basis.T, np.eye(2))
    assert np.allclose(np.abs(basis @ top.T), np.eye(2), atol=1e-8)


def test_projected_metrics_against_shapely_and_below_the_bracket():
    rng = np.random.default_rng(1)
    A, B = random_hull(rng, 6), random_hull(rng, 6)
    basis = principal_plane(A)
    PA = hull_polygon(np.vstack([subset_sums(Z) for Z in A.zonotopes]) @ basis.T)
    PB = hull_polygon(np.vstack([subset_sums(Z) for Z in B.zonotopes]) @ basis.T)
    expected_iou = PA.intersection(PB).area / PA.union(PB).area
    assert projected_iou(A, B) == pytest.approx(expected_iou, rel=1e-9)
    value = projected_hausdorff(A, B)
    vertex_distances = [PB.distance(shapely.Point(v)) for v in PA.exterior.coords] + [
        PA.distance(shapely.Point(v)) for v in PB.exterior.coords
    ]
    assert value == pytest.approx(max(vertex_distances), rel=1e-9)
    assert value <= hausdorff_bracket(A, B, method="bracket").upper * (1 + 1e-9)  # projection is 1-Lipschitz


def test_models_of_any_input_size_and_the_plot():
    torch.manual_seed(0)
    dense = torch.nn.Sequential(torch.nn.Linear(64, 40), torch.nn.ReLU(), torch.nn.Linear(40, 10))
    ticket = torch.nn.Sequential(torch.nn.Linear(64, 40), torch.nn.ReLU(), torch.nn.Linear(40, 10))
    ticket.load_state_dict(dense.state_dict())
    with torch.no_grad():
        ticket[0].weight.mul_(torch.rand(40, 64) > 0.8)
    polygons = projected_polygons([dense, ticket], classes=(2, 5))
    assert all(np.allclose(p.basis, polygons[0].basis) for p in polygons)
    # the projection of the decision polytope = projection of its two zonotopes' vertices' hull
    Z1, Z2 = tr.decision_zonotopes(ticket, (2, 5))
    basis = polygons[0].basis
    two_d = np.vstack([Z.projected(basis).vertices for Z in (Z1, Z2)])
    assert shapely.Polygon(polygons[1].hull).symmetric_difference(hull_polygon(two_d)).area < 1e-9
    artists = tr.plot.projected_newton_polygons(
        [dense, ticket], labels=["dense", "ticket 80%"], classes=(2, 5), zonotopes=True
    )
    assert len(artists["polygons"]) == 2 and len(artists["parts"]) == 4
    assert artists["polygons"][0].axes.get_legend() is not None
    _, axes = tr.plot.projected_newton_polygon_grid(
        dense, [[ticket, dense], [ticket]], row_labels=["a", "b"], column_labels=["x", "y"], classes=(2, 5)
    )
    assert axes.shape == (2, 2) and not axes[1, 1].axison
    drawn = axes[0, 0].patches[1].get_xy()[:-1]  # the ticket's polygon, closed by matplotlib
    assert np.allclose(np.sort(drawn, axis=0), np.sort(polygons[1].hull, axis=0))
    matplotlib.pyplot.close("all")


def test_errors():
    cube = Zonotope(np.eye(3))
    with pytest.raises(ValueError, match="orthonormal"):
        projected_polygons([cube], basis=[[1, 0, 0], [1, 1, 0]])
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        projected_polygons([cube], basis=np.eye(4)[:2])
    with pytest.raises(ValueError, match="R\\^2"):
        projected_polygons([cube, Zonotope(np.eye(2))])
    with pytest.raises(ValueError, match="labels"):
        tr.plot.projected_newton_polygons([cube, cube], labels=["one"])
