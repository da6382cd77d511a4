"""Regression tests from the second user trial (issue 11, real input dimensions): plots on data planes.

``tropical.plot.regions(net, plane=X[:3], data=X[:3])`` on 64-D digits raised "data must have shape
(n, 2)": the natural call passes the test points themselves. Input-space points are now drawn at their
orthogonal projection onto the plane.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

import tropical as tr


def _net(n_in, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, 12), nn.ReLU(), nn.Linear(12, 3)).double()


class _Conv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.fc = nn.Linear(2 * 8 * 8, 3)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


def _projection(points, regions):
    """Least-squares plane coordinates (independent of the plotting code)."""
    flat = points.reshape(len(points), -1) - regions.origin
    coords, *_ = np.linalg.lstsq(regions.frame.T, flat.T, rcond=None)
    return coords.T


@pytest.mark.parametrize("n_in", [40, 64])
def test_regions_plot_takes_the_plane_points_in_input_space(n_in):
    rng = np.random.default_rng(n_in)
    X = rng.random((20, n_in))
    net = _net(n_in)
    drawn = tr.plot.regions(net, plane=X[:3], data=X, labels=np.arange(20) % 3)
    result, offsets = drawn["result"], drawn["data"].get_offsets()
    np.testing.assert_allclose(offsets, _projection(X, result), atol=1e-10)
    # the three plane points lie on the plane: drawn exactly where the domain coordinates map back to them
    np.testing.assert_allclose(result.to_input(np.asarray(offsets[:3])), X[:3], atol=1e-10)
    # and in the region whose map is the network there
    inside = result.at(np.asarray(offsets[:3]))
    with torch.no_grad():
        expected = net(torch.from_numpy(X[:3])).numpy()
    np.testing.assert_allclose(result.outputs(np.asarray(offsets[:3]), inside), expected, atol=1e-9)
    plt.close("all")


def test_regions_comparison_and_image_shaped_points():
    rng = np.random.default_rng(1)
    images = rng.random((5, 1, 8, 8))
    model = _Conv().double().eval()
    drawn = tr.plot.regions_comparison(model, model, plane=images[:3], data=images)
    for panel in (drawn["a"], drawn["b"]):
        np.testing.assert_allclose(
            panel["data"].get_offsets(), _projection(images, panel["result"]), atol=1e-10
        )
    plt.close("all")


def test_domain_coordinates_still_work_and_bad_shapes_are_named():
    net = _net(64)
    plane = np.random.default_rng(2).random((3, 64))
    drawn = tr.plot.regions(net, plane=plane, data=[[0.0, 0.0], [0.1, 0.2]])
    np.testing.assert_allclose(drawn["data"].get_offsets(), [[0.0, 0.0], [0.1, 0.2]])
    with pytest.raises(ValueError, match=r"\(n, 64\) or \(n, \*input_shape\).*got \(4, 63\)"):
        tr.plot.regions(drawn["result"], data=np.zeros((4, 63)))
    plt.close("all")


def _one_hidden(n_in, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, 16), nn.ReLU(), nn.Linear(16, 3)).double()


@pytest.mark.parametrize("n_in", [3, 5, 64])
@pytest.mark.parametrize("plot", ["decision_polygon", "lifted_polytope", "classifier_geometry"])
def test_newton_polygon_plots_of_more_than_two_inputs_say_what_draws_them(n_in, plot):
    # 3 inputs crashed in lifted_polytope ("could not broadcast input array from shape (6,4) into shape
    # (6,3)"); 64 inputs were refused after estimating the dual subdivision at 1.7e3 years, with the advice
    # to raise the limits; the advice now names the plots that work, and they do
    model = _one_hidden(n_in)
    with pytest.raises(ValueError, match=rf"draws classifiers with 2 inputs, this one has {n_in}") as refusal:
        getattr(tr.plot, plot)(model)
    assert "projected_newton_polygons([model])" in str(refusal.value)
    drawn = tr.plot.projected_newton_polygons([model])
    # the drawn hull is the exact shadow: its support equals the decision polytope's in the plane's directions
    (polygon,) = drawn["projections"]
    angles = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    V = np.column_stack([np.cos(angles), np.sin(angles)])
    hull = tr.decision_hull(model)
    np.testing.assert_allclose((V @ polygon.hull.T).max(axis=1), hull.support(V @ polygon.basis), atol=1e-9)
    plt.close("all")


def test_size_refusals_in_high_dimensions_do_not_advise_raising_a_limit():
    # docs/high_dimensions.md: the message "never advises raising a limit"; it ended with "or raise the
    # limits: enumerate_vertices(max_candidates=..., ...)" whatever the estimate (1e122 years at 784 inputs)
    model = _one_hidden(784)
    for compute in (tr.decision_polytope, lambda m: tr.metrics.hausdorff(m, m), tr.decision_subdivision):
        with pytest.raises(tr.ComputationTooLargeError) as refusal:
            compute(model)
        message = str(refusal.value)
        assert "raise" not in message and "hausdorff_bracket" in message
        assert refusal.value.estimate > refusal.value.limit
