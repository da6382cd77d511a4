import functools

import pytest
import torch

from lottery.data import load_dataset
from lottery.methods.from_scratch import scratch, scratch_config
from lottery.models import mlp
from lottery.training import TrainConfig


def test_scratch_budgets():
    config = TrainConfig(epochs=10)
    assert scratch_config(config, 0.25, budget="epochs")[0].epochs == 10
    assert scratch_config(config, 0.25, budget="compute", max_factor=8) == (TrainConfig(epochs=40), 4.0)
    assert scratch_config(config, 0.1, budget="compute") == (TrainConfig(epochs=20), 2.0)  # capped at 2
    assert scratch_config(TrainConfig(iterations=30), 0.5, budget="compute")[0].iterations == 60
    with pytest.raises(ValueError, match="budget"):
        scratch_config(config, 0.5, budget="flops")
    with pytest.raises(ValueError, match="max_factor"):
        scratch_config(config, 0.5, budget="compute", max_factor=0.5)


def test_scratch_trains_the_mask_from_a_fresh_init():
    data = load_dataset("moons", n_samples=200, seed=0)
    model_fn = functools.partial(mlp, [2, 12, 2])
    e = scratch(model_fn, data, sparsity=0.5, train=dict(epochs=2, batch_size=32), seed=0)
    b = scratch(model_fn, data, ticket=e, budget="compute", train=dict(epochs=2, batch_size=32), seed=0)
    assert b.mask == e.mask
    assert e.provenance["factor"] == 1.0 and b.provenance["factor"] == 2.0
    assert b.history.stopped_step == 2 * e.history.stopped_step
    for name, keep in e.mask.items():
        assert int(keep.sum()) == round(0.5 * keep.numel())
        assert not torch.equal(e.start_state[name][keep], e.init_state[name][keep])  # fresh values
        assert torch.equal(e.start_state[name][~keep], torch.zeros(int((~keep).sum())))
    with pytest.raises(ValueError, match="sparsity= or ticket="):
        scratch(model_fn, data)
