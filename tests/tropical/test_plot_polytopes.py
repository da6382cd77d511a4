"""Figures of decision polytopes: they draw what they say (artists, geometry), without showing anything."""

import matplotlib
import numpy as np
import pytest
import torch
from torch import nn

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import tropical as tr
from tropical.plot import classifier_geometry, decision_polygon, decision_polygon_grid, lifted_polytope


def make_net(width=12, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, width), nn.ReLU(), nn.Linear(width, 2)).double()


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_decision_polygon_draws_hull_zonotopes_and_subdivision():
    model = make_net()
    artists = decision_polygon(model)
    hull = tr.decision_polytope(model)
    drawn = artists["hull"].get_xy()[:-1]
    assert tr.Polytope(drawn).same_as(hull)
    Z1, _ = tr.decision_zonotopes(model)
    np.testing.assert_allclose(artists["Z1"].get_xydata()[:-1], Z1.vertices())
    sub = tr.decision_subdivision(model)
    assert len(artists["subdivision"].get_segments()) + len(artists["mixed"].get_segments()) == len(
        sub.edges()
    )
    assert "raw" in artists["hull"].axes.get_title()


def test_normalised_polygon_has_unit_diameter():
    artists = decision_polygon(make_net(seed=1), normalize="centroid_diameter", subdivision=False)
    polygon = tr.Polytope(artists["hull"].get_xy()[:-1])
    assert polygon.diameter == pytest.approx(1.0)
    np.testing.assert_allclose(polygon.centroid, 0, atol=1e-12)
    assert "normalised" in artists["hull"].axes.get_title()


def test_classifier_geometry_boundary_is_exact():
    model = make_net(seed=2)
    X = np.random.default_rng(0).uniform(-2, 2, (100, 2))
    artists = classifier_geometry(model, X, (X[:, 0] > 0).astype(int))
    segments = np.array(artists["boundary"].get_segments())
    assert len(segments) > 0
    middles = torch.tensor(segments.mean(axis=1))
    out = model(middles).detach().numpy()
    np.testing.assert_allclose(out[:, 0], out[:, 1], atol=1e-9)


def test_grid_and_lifted_view():
    models = [[make_net(seed=3), make_net(seed=4)], [make_net(seed=5), None]]
    figure, axes = decision_polygon_grid(models, row_labels=["a", "b"], column_labels=["0%", "50%"])
    assert axes.shape == (2, 2) and not axes[1, 1].axison
    assert "raw" in figure._suptitle.get_text()
    artists = lifted_polytope(make_net(seed=6))
    assert len(artists["faces"].get_facecolor()) == len(tr.decision_subdivision(make_net(seed=6)))


def test_bad_normalize():
    with pytest.raises(ValueError, match="normalize"):
        decision_polygon(make_net(), normalize="unit")
