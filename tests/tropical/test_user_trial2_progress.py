"""Regression tests from the second user trial (issue 11, real input dimensions): long comparisons on data
planes said nothing while they ran (a conv net on 28x28 images takes minutes per plane); they now report
progress over the planes on stderr, as ``from_torch`` does over its polynomials."""

import numpy as np
import pytest
import torch
from torch import nn

import tropical as tr


def _pair():
    torch.manual_seed(0)
    dense = nn.Sequential(nn.Linear(40, 12), nn.ReLU(), nn.Linear(12, 3)).double()
    ticket = nn.Sequential(nn.Linear(40, 12), nn.ReLU(), nn.Linear(12, 3)).double()
    return dense, ticket


def test_plane_progress_lines_without_a_terminal(capfd):
    dense, ticket = _pair()
    X = np.random.default_rng(0).random((30, 40))
    y = np.arange(30) % 3
    quiet = tr.metrics.plane_metrics(dense, ticket, X, y, planes=3, progress=False)
    assert capfd.readouterr().err == ""
    shown = tr.metrics.plane_metrics(dense, ticket, X, y, planes=3, progress=True)
    lines = capfd.readouterr().err.strip().splitlines()
    assert lines[0].startswith("plane_metrics: 1/3 planes, last plane 0, ")
    assert lines[-1].startswith("plane_metrics: 3/3 planes, last plane 2, ")
    # the same numbers either way, and a quick call is silent by default
    for key, values in quiet.per_plane.items():
        np.testing.assert_array_equal(values, shown.per_plane[key])
    row = tr.metrics.decision_metrics(dense, ticket, data=(X, y), planes=2, seed=0)
    assert capfd.readouterr().err == ""
    assert row == pytest.approx(
        tr.metrics.decision_metrics(dense, ticket, data=(X, y), planes=2, progress=True), nan_ok=True
    )
    assert "plane_metrics: 2/2 planes" in capfd.readouterr().err


@pytest.mark.parametrize("call", ["plane_metrics", "decision_metrics"])
def test_bad_progress_is_named(call):
    dense, ticket = _pair()
    X = np.random.default_rng(0).random((30, 40))
    with pytest.raises(ValueError, match="progress must be True, False or None"):
        if call == "plane_metrics":
            tr.metrics.plane_metrics(dense, ticket, X, np.arange(30) % 3, planes=1, progress="yes")
        else:
            tr.metrics.decision_metrics(dense, ticket, data=(X, np.arange(30) % 3), planes=1, progress="yes")
