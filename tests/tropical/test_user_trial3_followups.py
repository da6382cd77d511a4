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


import numpy as np
import pytest
import torch
from torch import nn

import tropical as tr


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
