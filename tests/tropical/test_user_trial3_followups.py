"""Regression tests from the third user trial (issue 11 follow-ups): a misleading error and plot layouts.

- ``decision_metrics`` on a conv net taking flat inputs with BatchNorm left in training mode said
  "input_shape is needed" (the first read's error) although the read at the data's shape named the real
  problem; the row now carries that reason ("call model.eval()").
- ``regions_comparison``'s suptitle was wider than its figure and clipped at both ends.
- ``decision_polygon_grid`` with one or two columns: the one-row legend was wider than the figure, normalised
  panels were labelled "exponent of x1", the y label sat far from the axes.
- ``classifier_geometry`` titled its panel "data and exact decision boundary" without data.

The layout tests draw the figure (Agg) and compare rendered extents in pixels with the figure's.
"""

import matplotlib

matplotlib.use("Agg")


import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

import tropical as tr
from tropical.plot import classifier_geometry, decision_polygon, decision_polygon_grid, regions_comparison


class _FlatConvBatchNorm(nn.Module):
    """A conv net whose forward reshapes flat 64-vectors to 8 x 8 images, with a BatchNorm."""

    def __init__(self):
        super().__init__()
        self.conv, self.bn, self.fc = nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.Linear(128, 3)

    def forward(self, x):
        return self.fc(torch.relu(self.bn(self.conv(x.view(-1, 1, 8, 8)))).flatten(1))


def _mlp(seed, hidden=8):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 2)).double()


def test_decision_metrics_train_mode_batchnorm_says_call_eval_not_input_shape():
    torch.manual_seed(0)
    net = _FlatConvBatchNorm()  # left in training mode
    X, y = np.random.default_rng(0).normal(size=(30, 64)), np.arange(30) % 3
    with pytest.raises(tr.UnsupportedLayerError, match="training mode"):  # the oracle: the reader itself
        tr.piecewise_linear_graph(net, input_shape=(64,))
    row = tr.metrics.decision_metrics(net, net, data=(X, y), planes=1, seed=0)
    for key in ("polytope_method", "boundary_method", "plane_method"):
        assert row[key].startswith(
            "skipped: UnsupportedLayerError: BatchNorm2d at position bn is in training"
        )
        assert "model.eval()" in row[key] and "input_shape" not in row[key]
    assert all(np.isnan(value) for value in row.values() if isinstance(value, float))
    # in eval mode the same net is read at the data's shape and compared on the planes
    row = tr.metrics.decision_metrics(net.eval(), net, data=(X, y), planes=1, seed=0)
    assert row["plane_method"] == "exact" and row["triangle_agreement_mean"] == 1.0


def test_decision_metrics_still_asks_for_input_shape_when_the_data_shape_does_not_fit():
    """A retry at a wrong shape (a ValueError) keeps the first error, which says what shape to pass."""
    torch.manual_seed(0)
    net = _FlatConvBatchNorm().eval()
    X, y = np.random.default_rng(0).normal(size=(30, 8, 9)), np.arange(30) % 3
    with pytest.raises(ValueError, match="input_shape"):
        tr.metrics.decision_metrics(net, net, data=(X, y), planes=1, seed=0)


def _inside(artist, figure, slack=1.0):
    """The drawn artist's extent lies within the figure (pixels)."""
    box = artist.get_window_extent()
    return box.x0 >= -slack and box.x1 <= figure.bbox.width + slack and box.y0 >= -slack


@pytest.mark.parametrize("size", [None, (6.0, 3.5)])
def test_regions_comparison_suptitle_is_wrapped_inside_its_figure(size):
    a, b = _mlp(0, 16), _mlp(1, 16)
    axes = None if size is None else plt.subplots(1, 2, figsize=size, layout="constrained")[1]
    drawn = regions_comparison(a, b, axes=axes, bounds=(-2, 2, -2, 2))
    figure = drawn["figure"]
    figure.canvas.draw()
    title = figure.get_suptitle()
    assert _inside(figure._suptitle, figure)
    expected = (
        f"classes agree on {100 * drawn['agreement']:.1f}% of the domain (hatched: disagreement; "
        "black lines: exact decision boundaries; colours: activation patterns)"
    )
    assert title.split() == expected.split()  # the whole text, only wrapped
    plt.close(figure)


@pytest.mark.parametrize("columns", [1, 2])
def test_decision_polygon_grid_legend_fits_one_or_two_columns(columns):
    """The legend (5 entries) used to be one row wider than the figure: a tight save (as notebooks show
    figures) came out wider than the figure, its panels thumbnails."""
    grid = decision_polygon_grid([_mlp(seed) for seed in range(columns)], normalize="centroid_diameter")
    figure = grid["figure"]
    figure.canvas.draw()
    (legend,) = figure.legends
    assert len(legend.get_texts()) == 5 and _inside(legend, figure) and _inside(figure._suptitle, figure)
    tight = figure.get_tightbbox()  # inches, what bbox_inches="tight" saves
    assert tight.width <= figure.get_figwidth() + 1e-6
    for ax in grid["axes"].flat:
        assert ax.get_window_extent().height >= 0.45 * figure.bbox.height
    plt.close(figure)


@pytest.mark.parametrize("normalize", ["none", "centroid_diameter", "centroid_volume"])
def test_decision_polygon_grid_labels_say_normalised_beside_the_axes(normalize):
    grid = decision_polygon_grid(
        [[_mlp(0), _mlp(1)], [_mlp(2), None]], normalize=normalize, row_labels=["a", "b"]
    )
    figure, axes = grid["figure"], grid["axes"]
    figure.canvas.draw()
    prefix = "" if normalize == "none" else "normalised "
    assert axes[1, 0].get_xlabel() == axes[0, 1].get_xlabel() == f"{prefix}exponent of $x_1$"
    assert [axes[r, 0].get_ylabel() for r in range(2)] == [
        f"{row}\n{prefix}exponent of $x_2$" for row in "ab"
    ]
    for r in range(2):  # each y label right beside its panel, not at the figure's edge
        label, box = axes[r, 0].yaxis.label.get_window_extent(), axes[r, 0].get_window_extent()
        assert 0 <= box.x0 - label.x1 <= 60
    single = decision_polygon(_mlp(0), normalize=normalize)["hull"].axes
    assert (single.get_xlabel(), single.get_ylabel()) == (
        f"{prefix}exponent of $x_1$",
        f"{prefix}exponent of $x_2$",
    )
    plt.close("all")


def test_classifier_geometry_title_mentions_data_only_when_given():
    model = _mlp(3)
    assert classifier_geometry(model)["axes"][0].get_title() == "exact decision boundary"
    X = np.random.default_rng(0).uniform(-2, 2, (20, 2))
    assert classifier_geometry(model, data=X)["axes"][0].get_title() == "data and exact decision boundary"
    plt.close("all")
