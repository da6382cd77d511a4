"""Masks, criteria, training, IMP tickets and the reinitialisations on a custom convolutional module.

A researcher's own ``nn.Module`` (Conv2d + ReLU + MaxPool2d + Linear on 8x8 digits, with and without
BatchNorm2d): convolution weights are prunable, biases and BatchNorm parameters are not by default. The
oracles are written here from the weights themselves (numpy sorting, the module's own forward pass).
"""

import numpy as np
import pytest
import torch
from torch import nn

import lottery as lt
from lottery.ticket import Ticket


class DigitConv(nn.Module):
    """Conv2d(1->4, 3x3, padding 1) + ReLU + MaxPool2d(2) + Linear(64 -> 10) on flattened 8x8 images."""

    def __init__(self, seed: int = 0, batchnorm: bool = False):
        super().__init__()
        with torch.random.fork_rng():  # initialised as users do, without touching the global RNG state
            torch.manual_seed(seed)
            self.conv = nn.Conv2d(1, 4, 3, padding=1)
            self.norm = nn.BatchNorm2d(4) if batchnorm else nn.Identity()
            self.pool = nn.MaxPool2d(2)
            self.fc = nn.Linear(4 * 4 * 4, 10)

    def forward(self, x):
        h = self.pool(torch.relu(self.norm(self.conv(x.view(-1, 1, 8, 8)))))
        return self.fc(h.flatten(1))


@pytest.fixture(scope="module")
def digits():
    return lt.load_dataset("digits", seed=0)


def test_conv_weights_are_prunable_biases_and_batchnorm_are_not():
    assert lt.prunable_names(DigitConv()) == ["conv.weight", "fc.weight"]
    assert lt.prunable_names(DigitConv(batchnorm=True)) == ["conv.weight", "fc.weight"]
    assert list(lt.Mask.ones(DigitConv(batchnorm=True), include_bias=True)) == [
        "conv.weight", "conv.bias", "fc.weight", "fc.bias",
    ]  # fmt: skip


@pytest.mark.parametrize("scope", ["layer", "global"])
def test_magnitude_pruning_of_a_conv_net_against_sorted_weights(scope):
    net = DigitConv(seed=1)
    mask = lt.prune(net, criterion="magnitude", sparsity=0.75, scope=scope)
    weights = {n: p.detach().double().numpy() for n, p in net.named_parameters() if n in mask}
    if scope == "layer":
        for name, w in weights.items():
            k = round(0.25 * w.size)
            threshold = np.sort(np.abs(w).ravel())[::-1][k - 1]
            assert mask[name].shape == w.shape and int(mask[name].sum()) == k
            assert bool((np.abs(w)[mask[name].numpy()] >= threshold).all())
    else:
        everything = np.concatenate([np.abs(w).ravel() for w in weights.values()])
        k = round(0.25 * everything.size)
        threshold = np.sort(everything)[::-1][k - 1]
        assert sum(int(m.sum()) for m in mask.values()) == k
        for name, w in weights.items():
            assert bool((np.abs(w)[mask[name].numpy()] >= threshold).all())
            assert bool((np.abs(w)[~mask[name].numpy()] <= threshold).all())


def test_snip_scores_a_conv_net_with_its_own_gradients(digits):
    net = DigitConv(seed=2)
    x, y = digits.x_train[:128], digits.y_train[:128]
    scores = lt.snip_scores(net, [(x, y)])
    loss = nn.functional.cross_entropy(net(x), y)
    grads = torch.autograd.grad(loss, [net.conv.weight, net.fc.weight])
    for (name, p), g in zip(
        [("conv.weight", net.conv.weight), ("fc.weight", net.fc.weight)], grads, strict=True
    ):
        expected = (p.detach() * g).abs().double()
        assert torch.allclose(scores[name] / scores[name].sum(), expected / expected.sum(), rtol=1e-5)


def test_training_keeps_pruned_conv_weights_at_zero(digits):
    net = DigitConv(seed=3)
    mask = lt.prune(net, criterion="random", sparsity=0.5, seed=0)
    result = lt.train(net, digits, mask=mask, epochs=1, batch_size=128, lr=0.05, checkpoint_steps=[1, 5])
    for state in [*result.checkpoints.values(), result.trained_state]:
        for name, keep in mask.items():
            assert bool((state[name][~keep] == 0).all())
    assert result.history.test_accuracy > 0.3  # 10 classes: it learned from the sparse convolution


@pytest.mark.parametrize("batchnorm", [False, True])
def test_an_imp_ticket_of_a_conv_net_round_trips_and_rebuilds(digits, tmp_path, batchnorm):
    result = lt.iterative_magnitude_pruning(
        lambda seed: DigitConv(seed=seed, batchnorm=batchnorm), digits, rounds=1, rate=0.5,
        train={"epochs": 1, "batch_size": 128}, seed=4,
    )  # fmt: skip
    ticket = result.tickets[-1]
    assert list(ticket.mask) == ["conv.weight", "fc.weight"]
    assert ticket.mask.layer_sparsity() == pytest.approx({"conv.weight": 0.5, "fc.weight": 0.5}, abs=0.02)
    ticket.save(tmp_path / "conv.pt")
    loaded = Ticket.load(tmp_path / "conv.pt")
    net = loaded.build(lambda: DigitConv(batchnorm=batchnorm), state="trained").eval()
    reference = DigitConv(batchnorm=batchnorm)
    reference.load_state_dict(ticket.trained_state)
    reference.eval()
    with torch.no_grad():
        assert torch.equal(net(digits.x_test), reference(digits.x_test))
    assert bool((net.conv.weight[~loaded.mask["conv.weight"]] == 0).all())
    if batchnorm:  # BatchNorm parameters and statistics are carried, never pruned
        assert "norm.running_mean" in loaded.trained_state and "norm.weight" not in loaded.mask


@pytest.mark.parametrize("method", ["reshuffle", "signed_constant", "random_reinit"])
def test_reinitialisations_of_a_conv_ticket(method):
    net = DigitConv(seed=5)
    mask = lt.prune(net, criterion="magnitude", sparsity=0.5)
    init = {k: v.clone() for k, v in net.state_dict().items()}
    options = {"init_fn": lambda s: DigitConv(seed=s).state_dict()} if method == "random_reinit" else {}
    state = lt.reinit(method, mask, init, seed=0, **options)
    for name, keep in mask.items():
        assert state[name].shape == init[name].shape and bool((state[name][~keep] == 0).all())
    if method == "reshuffle":  # the kept values of each layer, permuted
        for name, keep in mask.items():
            assert torch.equal(state[name][keep].sort().values, init[name][keep].sort().values)
