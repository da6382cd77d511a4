import functools

import numpy as np
import pytest
import torch
from torch import nn

from lottery.data import load_dataset
from lottery.masks import Mask
from lottery.methods.early_bird_tickets import (
    EarlyBirdStopper,
    distance_matrix,
    early_bird,
    early_bird_index,
    mask_distance,
    unit_mask,
    unit_scores,
    weight_mask_from_units,
)
from lottery.models import mlp


def m(*layers):
    return Mask({f"{i}.weight": torch.tensor(layer, dtype=torch.bool) for i, layer in enumerate(layers)})


def test_distance_on_hand_made_masks():
    a = m([1, 1, 0, 0], [1, 0])
    b = m([1, 0, 0, 1], [1, 1])
    assert mask_distance(a, b) == pytest.approx(3 / 6)
    assert mask_distance(a, a) == 0.0
    c = m([0, 0, 1, 1], [0, 1])
    d = distance_matrix([a, b, c])
    expected = np.array([[0, 3 / 6, 1.0], [3 / 6, 0, 3 / 6], [1.0, 3 / 6, 0]])
    np.testing.assert_allclose(d, expected)


def flipped(base, positions):
    out = base.clone()
    out[list(positions)] = ~out[list(positions)]
    return Mask({"w": out})


def test_stopping_rule_fires_on_a_constructed_sequence_and_not_before():
    base = torch.zeros(20, dtype=torch.bool)
    base[:10] = True
    sequence = [
        flipped(base, range(0, 20, 2)),  # far from everything
        flipped(base, range(1, 20, 2)),
        flipped(base, range(0, 10)),
        flipped(base, []),  # from here on within 1/20 of each other
        flipped(base, []),
        flipped(base, [3]),
        flipped(base, []),
        flipped(base, [3]),  # distance 0.05 to m3, m4, m6; 0 to m5 -> fires here
        flipped(base, []),
    ]
    stopper = EarlyBirdStopper(epsilon=0.1, window=5)
    fired = [stopper.update(mask) for mask in sequence]
    assert fired[:7] == [False] * 7
    assert fired[7] is True
    assert early_bird_index(sequence, epsilon=0.1, window=5) == 7
    # the window must be full: five identical masks fire at index 4, not before
    same = [Mask({"w": base.clone()}) for _ in range(6)]
    assert early_bird_index(same, window=5) == 4
    # strictly within epsilon: distance exactly 0.1 does not count
    two_off = [flipped(base, []), flipped(base, [0, 1])] * 3
    assert early_bird_index(two_off, epsilon=0.1, window=2) is None
    assert early_bird_index(two_off, epsilon=0.1001, window=2) == 1


def test_unit_scores_weight_norm_and_batchnorm():
    net = mlp([2, 3, 2], seed=0)
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[3.0, 4.0], [0.0, 1.0], [1.0, 1.0]]))
    scores = unit_scores(net)
    np.testing.assert_allclose(scores["0.weight"].numpy(), [5.0, 1.0, np.sqrt(2)])
    bn = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        bn[1].weight.copy_(torch.tensor([0.5, -2.0, 0.1]))
    np.testing.assert_allclose(unit_scores(bn)["0.weight"].numpy(), [0.5, 2.0, 0.1])
    np.testing.assert_allclose(unit_scores(bn, source="auto")["0.weight"].numpy(), [0.5, 2.0, 0.1])
    with pytest.raises(ValueError, match="batchnorm"):
        unit_scores(net, source="batchnorm")
    with pytest.raises(ValueError, match="source"):
        unit_scores(net, source="gamma")


def test_pruned_units_lose_their_row_and_column():
    net = mlp([2, 3, 2], seed=0)
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[3.0, 4.0], [0.0, 1.0], [1.0, 1.0]]))
    units = unit_mask(net, sparsity=1 / 3)
    assert units["0.weight"].tolist() == [True, False, True]
    weights = weight_mask_from_units(net, units)
    assert weights["0.weight"].tolist() == [[True, True], [False, False], [True, True]]
    assert weights["2.weight"].tolist() == [[True, False, True], [True, False, True]]


def test_early_bird_ticket_end_to_end():
    data = load_dataset("moons", n_samples=200, seed=0)
    ticket = early_bird(
        functools.partial(mlp, [2, 24, 24, 2]), data, sparsity=0.5, epsilon=0.1, window=3,
        retrain_epochs=2, train=dict(epochs=8, batch_size=32, lr=0.05), seed=0,
    )  # fmt: skip
    p = ticket.provenance
    searched = p["searched_epochs"]
    assert np.array(p["distance_matrix"]).shape == (searched, searched)
    assert p["eb_epoch"] is None or p["eb_epoch"] == searched >= 3
    # half of the 48 hidden units pruned: their rows / columns are zero in the ticket
    units_kept = int(ticket.mask["0.weight"].any(dim=1).sum() + ticket.mask["2.weight"].any(dim=1).sum())
    assert units_kept == 24
    for name, keep in ticket.mask.items():
        assert torch.equal(ticket.start_state[name][~keep], torch.zeros(int((~keep).sum())))
        assert torch.equal(ticket.trained_state[name][~keep], torch.zeros(int((~keep).sum())))


def test_unstructured_early_bird_masks():
    data = load_dataset("moons", n_samples=200, seed=0)
    ticket = early_bird(
        functools.partial(mlp, [2, 16, 2]), data, sparsity=0.6, structure="unstructured", scope="layer",
        window=2, retrain_epochs=1, train=dict(epochs=4, batch_size=64), seed=1,
    )  # fmt: skip
    for keep in ticket.mask.values():
        assert int(keep.sum()) == round(0.4 * keep.numel())
