"""Regression tests from the user trial (issue 11): polytope metrics given two networks."""

import pytest
import torch
from torch import nn

import tropical as tr


def _net(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 2)).double()


def test_generator_distance_of_two_networks_says_how_to_get_it_and_that_way_works():
    # every other polytope metric takes two networks; this one said only "needs two Zonotope"
    a, b = _net(0), _net(1)
    with pytest.raises(TypeError, match=r"decision_metrics\(a, b\)\['generator_distance'\]"):
        tr.metrics.generator_distance(a, b)
    pairs = [
        tr.metrics.generator_distance(za, zb)
        for za, zb in zip(tr.decision_zonotopes(a), tr.decision_zonotopes(b), strict=True)
    ]
    row = tr.metrics.decision_metrics(a, b, bounds=(-2, 2, -2, 2))
    assert row["generator_distance"] == pytest.approx(max(pairs))
    # and it bounds the Hausdorff distance of the decision polytopes (Misiakos et al., Prop. 4)
    assert (
        tr.metrics.hausdorff(a, b) <= max(pairs) + 1e-9
    )  # H(conv(Z1 ∪ Z2), conv(Z1' ∪ Z2')) <= max_k H(Zk, Zk')
