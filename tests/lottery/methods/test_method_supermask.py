import functools

import pytest
import torch

from lottery.data import load_dataset
from lottery.methods.supermasks import supermask, supermask_training, top_k_mask
from lottery.models import mlp
from lottery.training import TrainConfig


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", n_samples=200, seed=0)


def test_top_k_mask_hand_made():
    scores = torch.tensor([[0.3, -1.0, 2.0], [0.5, 0.1, -0.2]])
    assert top_k_mask(scores, 2).tolist() == [[False, False, True], [True, False, False]]
    assert int(top_k_mask(scores, 0).sum()) == 0 and bool(top_k_mask(scores, 6).all())
    with pytest.raises(ValueError, match="k must"):
        top_k_mask(scores, 7)


@pytest.mark.parametrize("variant", ["bernoulli", "top_k"])
def test_training_never_changes_a_weight(moons, variant):
    net = mlp([2, 16, 2], seed=3)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    result = supermask_training(
        net, moons, variant=variant, sparsity=0.5, train=TrainConfig(epochs=3, batch_size=32, lr=1.0), seed=0
    )
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k])
        assert torch.equal(result.weights[k], before[k])
    # but the scores did learn something
    assert any(float(s.abs().sum()) > 0 for s in result.scores.values())
    assert result.history.stopped_step == 3 * 5


@pytest.mark.parametrize("weights", ["init", "signed_constant"])
def test_ticket_holds_untrained_weights(moons, weights):
    ticket = supermask(
        functools.partial(mlp, [2, 16, 2]), moons, sparsity=0.5, variant="bernoulli", weights=weights,
        train=dict(epochs=2, batch_size=32), seed=1,
    )  # fmt: skip
    assert ticket.trained_state is not None
    for name, value in ticket.trained_state.items():
        assert torch.equal(value, ticket.start_state[name])
    for name, keep in ticket.mask.items():
        w0 = ticket.init_state[name]
        if weights == "init":
            expected = torch.where(keep, w0, torch.zeros_like(w0))
        else:
            std = float(w0.double().std(correction=0))
            expected = torch.where(keep, torch.where(w0 < 0, -std, std), torch.zeros_like(w0)).to(w0.dtype)
        assert torch.equal(ticket.start_state[name], expected)
    assert ticket.provenance["method"] == "supermask_bernoulli"


def test_deterministic_variant_keeps_exactly_k_per_layer(moons):
    ticket = supermask(
        functools.partial(mlp, [2, 10, 7, 2]), moons, sparsity=0.7, variant="top_k",
        train=dict(epochs=2, batch_size=32), seed=0,
    )  # fmt: skip
    for keep in ticket.mask.values():
        assert int(keep.sum()) == round(0.3 * keep.numel())


def test_argument_errors(moons):
    with pytest.raises(ValueError, match="variant"):
        supermask(functools.partial(mlp, [2, 4, 2]), moons, variant="gumbel")
    with pytest.raises(ValueError, match="weights"):
        supermask(functools.partial(mlp, [2, 4, 2]), moons, weights="zeros")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "widths", "chance"), [("moons", [2, 100, 2], 0.5), ("digits", [64, 300, 100, 10], 0.1)]
)
@pytest.mark.parametrize("variant", ["bernoulli", "top_k"])
def test_untrained_net_with_learned_supermask_beats_chance(name, widths, chance, variant):
    data = load_dataset(name, seed=0)
    ticket = supermask(
        functools.partial(mlp, widths), data, sparsity=0.5, variant=variant,
        train=dict(epochs=15, batch_size=60, **({"lr": 100.0} if variant == "bernoulli" else {})), seed=0,
    )  # fmt: skip
    assert ticket.provenance["test_accuracy"] > chance + 0.3


def test_the_old_config_keyword_still_works_with_a_warning(moons):
    options = dict(variant="top_k", sparsity=0.5, seed=0)
    config = TrainConfig(epochs=1, batch_size=32)
    new = supermask_training(mlp([2, 8, 2], seed=0), moons, train=config, **options)
    with pytest.warns(DeprecationWarning, match="use train="):
        old = supermask_training(mlp([2, 8, 2], seed=0), moons, config=config, **options)
    assert old.mask == new.mask and old.history.loss == new.history.loss
