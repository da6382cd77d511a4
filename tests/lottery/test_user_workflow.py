"""Regression tests from the user trial of a researcher's workflow (issue 11): a conv ticket end to end.

The model is written the way researchers write one: a class without a ``seed`` parameter whose layers draw
from torch's global generator, ``F.relu`` in ``forward``, BatchNorm2d and max-pooling. Oracles: the ticket's
own tensors compared bit for bit, torch's global RNG state before and after.
"""

import dataclasses

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lottery as lt
from lottery.methods import METHODS

TRAIN = {"optimizer": "adam", "lr": 0.01, "epochs": 1}


class ConvNet(nn.Module):
    """Conv2d + BatchNorm2d + ReLU + MaxPool2d + two Linear layers on flattened 8x8 digits; no seed."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(2)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(2 * 4 * 4, 8)
        self.fc2 = nn.Linear(8, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x.view(-1, 1, 8, 8)))))
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


@pytest.fixture(scope="module")
def digits():
    data = lt.load_dataset("digits", seed=0)
    return dataclasses.replace(data, x_train=data.x_train[:300], y_train=data.y_train[:300])


def _same(a, b):
    return list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)


def test_same_seed_same_ticket_for_a_model_class_without_a_seed_parameter(digits):
    # θ0 used to come from torch's global generator: the same seed gave a different ticket on every call
    # and in every process
    tickets = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)  # what else the user's script did before: must not matter
        imp = lt.iterative_magnitude_pruning(ConvNet, digits, rounds=1, rate=0.5, train=TRAIN, seed=3)
        tickets.append(imp.tickets[-1])
    a, b = tickets
    assert _same(a.init_state, b.init_state)
    assert _same(a.trained_state, b.trained_state)
    assert _same(dict(a.mask.items()), dict(b.mask.items()))
    other = lt.iterative_magnitude_pruning(ConvNet, digits, rounds=1, rate=0.5, train=TRAIN, seed=4)
    assert not _same(a.init_state, other.dense.init_state)


@pytest.mark.parametrize("method", ["snip", "random", "scratch_e"])
def test_same_seed_same_method_ticket_for_a_model_class_without_a_seed_parameter(digits, method):
    tickets = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        tickets.append(METHODS[method](ConvNet, digits, sparsity=0.5, train=TRAIN, seed=0))
    assert _same(tickets[0].trained_state, tickets[1].trained_state)


def test_building_a_seedless_model_leaves_the_global_rng_alone(digits):
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    lt.iterative_magnitude_pruning(ConvNet, digits, rounds=1, rate=0.5, train=TRAIN, seed=0)
    assert torch.equal(torch.rand(3), expected)


def test_a_conv_ticket_keeps_pruned_weights_zero_and_batchnorm_and_biases_dense(digits):
    imp = lt.iterative_magnitude_pruning(
        ConvNet, digits, rounds=2, rate=0.5, rewind_step=3, train=TRAIN, seed=0
    )
    ticket = imp.tickets[-1]
    assert list(ticket.mask) == ["conv1.weight", "fc1.weight", "fc2.weight"]
    for name, keep in ticket.mask.items():
        assert int(keep.sum()) == round(0.25 * keep.numel())  # two rounds of 50 % per layer
        assert bool((ticket.trained_state[name][~keep] == 0).all())
        assert bool((ticket.trained_state[name][keep] != 0).all())
    for name in ("conv1.bias", "bn1.weight", "bn1.bias", "fc1.bias"):  # trained, never masked
        assert not torch.equal(ticket.trained_state[name], ticket.start_state[name])
