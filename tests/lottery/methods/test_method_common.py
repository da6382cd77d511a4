import pytest
import torch

from lottery.data import load_dataset
from lottery.methods._common import masked_training
from lottery.models import mlp
from lottery.train import TrainConfig, make_optimizer


@pytest.mark.parametrize(
    ("options", "kind", "expected"),
    [
        (dict(optimizer="sgd", lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4), torch.optim.SGD,
         dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)),
        (dict(optimizer="sgd", lr=0.05, momentum=0.0, nesterov=True), torch.optim.SGD,
         dict(momentum=0.0, nesterov=False)),  # Nesterov needs momentum
        (dict(optimizer="adam", lr=3e-3, weight_decay=1e-5), torch.optim.Adam,
         dict(lr=3e-3, weight_decay=1e-5)),
        (dict(optimizer="adamw", lr=2e-3, weight_decay=0.01), torch.optim.AdamW,
         dict(lr=2e-3, weight_decay=0.01)),
    ],
)  # fmt: skip
def test_the_masked_loop_uses_the_core_optimizer(options, kind, expected):
    net = mlp([2, 4, 2], seed=0)
    config = TrainConfig(epochs=1, batch_size=50, schedule="constant", **options)
    built = make_optimizer(config, net.parameters())
    assert type(built) is kind
    for key, value in expected.items():
        assert built.param_groups[0][key] == value
    data = load_dataset("moons", n_samples=100, seed=0)
    _, used = masked_training(net, data, config, progress=False)
    assert type(used) is kind
    assert {k: used.param_groups[0][k] for k in expected} == expected
    assert used.param_groups[0]["params"] == list(net.parameters())
