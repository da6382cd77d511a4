import math

import pytest
import torch

from lottery.data import load_dataset
from lottery.masks import Mask
from lottery.models import mlp
from lottery.training import TrainConfig, evaluate, train


@pytest.fixture(scope="module")
def data():
    return load_dataset("moons", n_samples=300, seed=0)


def sparse_setup(seed=0):
    net = mlp([2, 32, 32, 2], seed=seed)
    g = torch.Generator().manual_seed(7)
    mask = Mask(
        {n: torch.rand(p.shape, generator=g) < 0.3 for n, p in net.named_parameters() if "weight" in n}
    )
    return net, mask


@pytest.mark.parametrize(
    "options",
    [
        dict(optimizer="sgd", momentum=0.9, weight_decay=1e-2, nesterov=True, lr=0.1),
        dict(optimizer="adam", weight_decay=1e-2, lr=0.01),
        dict(optimizer="adamw", weight_decay=0.1, lr=0.01),
    ],
)
def test_masked_weights_exactly_zero_after_every_step(data, options):
    net, mask = sparse_setup()
    result = train(net, data, mask=mask, epochs=3, batch_size=32, checkpoint_steps=range(1, 21), **options)
    assert len(result.checkpoints) == 20
    for state in [*result.checkpoints.values(), dict(net.named_parameters())]:
        for n, keep in mask.items():
            pruned = state[n].detach()[~keep]
            assert pruned.numel() > 0 and bool((pruned == 0.0).all())
    # the kept weights did train
    assert not torch.equal(
        result.checkpoints[20]["0.weight"][mask["0.weight"]],
        result.checkpoints[1]["0.weight"][mask["0.weight"]],
    )


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_optimizer_buffers_zero_at_pruned_positions(data, optimizer):
    net, mask = sparse_setup()
    # frozen non-zero pruned values with weight decay would feed the buffers if they were not zeroed
    frozen = {n: torch.full(mask[n].shape, 0.25) for n in mask}
    result = train(
        net, data, mask=mask, frozen=frozen, epochs=2, optimizer=optimizer, weight_decay=0.1, lr=0.01
    )
    parameters = dict(net.named_parameters())
    checked = 0
    for n, keep in mask.items():
        for value in result.optimizer.state[parameters[n]].values():
            if isinstance(value, torch.Tensor) and value.shape == keep.shape:
                assert bool((value[~keep] == 0).all()) and bool((value[keep] != 0).any())
                checked += 1
    assert checked == (3 if optimizer == "sgd" else 6)  # momentum; exp_avg and exp_avg_sq


def test_frozen_pruned_values_held_exactly(data):
    net, mask = sparse_setup()
    start = {k: v.clone() for k, v in net.state_dict().items()}
    frozen = {n: torch.full(mask[n].shape, 0.25) for n in mask}
    train(net, data, mask=mask, frozen=frozen, epochs=2, momentum=0.9, weight_decay=0.1)
    for n, keep in mask.items():
        assert bool((net.state_dict()[n][~keep] == 0.25).all())
        assert not torch.equal(net.state_dict()[n][keep], start[n][keep])


def test_same_seed_identical_different_seed_differs(data):
    runs = []
    for seed in (0, 0, 1):
        net, mask = sparse_setup()
        result = train(net, data, mask=mask, epochs=2, seed=seed, momentum=0.9)
        runs.append(result)
    a, b, c = runs
    assert a.history.loss == b.history.loss and a.history.val_accuracy == b.history.val_accuracy
    assert all(torch.equal(a.trained_state[k], b.trained_state[k]) for k in a.trained_state)
    assert a.history.loss != c.history.loss


def test_resume_from_step_k_continues_the_same_run(data):
    """With plain SGD (no optimizer state), training k steps then resuming at k equals one run."""
    config = TrainConfig(momentum=0.0, epochs=3, batch_size=50, schedule="cosine", lr=0.2)
    net, mask = sparse_setup()
    full = train(net, data, mask=mask, train=config, checkpoint_steps=[7])
    resumed_net, _ = sparse_setup()
    resumed_net.load_state_dict(full.checkpoints[7])
    resumed = train(resumed_net, data, mask=mask, train=config, start_step=7)
    assert all(torch.equal(full.trained_state[k], resumed.trained_state[k]) for k in full.trained_state)
    assert resumed.history.step[0] == 8 and resumed.history.lr == full.history.lr[7:]


def test_checkpoint_zero_is_the_initial_state(data):
    net = mlp([2, 8, 2], seed=0)
    start = {k: v.clone() for k, v in net.state_dict().items()}
    result = train(net, data, epochs=1, checkpoint_steps=[0, 3])
    assert all(torch.equal(result.checkpoints[0][k], start[k]) for k in start)
    assert not torch.equal(result.checkpoints[3]["0.weight"], start["0.weight"])


def test_learning_rate_schedules(data):
    n_steps = math.ceil(len(data.y_train) / 64) * 2
    cosine = train(mlp([2, 8, 2], seed=0), data, epochs=2, schedule="cosine", lr=0.1).history
    assert cosine.lr == pytest.approx([0.05 * (1 + math.cos(math.pi * t / n_steps)) for t in range(n_steps)])
    step = train(mlp([2, 8, 2], seed=0), data, iterations=10, schedule="step", step_size=4, gamma=0.5, lr=0.1)
    assert step.history.lr == pytest.approx([0.1] * 4 + [0.05] * 4 + [0.025] * 2)
    assert step.history.step == list(range(1, 11)) and step.history.stopped_step == 10


def test_early_stopping_and_restore_best(data):
    # lr = 0: validation accuracy never improves after the first evaluation
    result = train(mlp([2, 8, 2], seed=0), data, epochs=20, lr=0.0, patience=2, eval_every=3)
    assert result.history.eval_step == [3, 6, 9] and result.history.stopped_step == 9
    assert result.history.best_step == 3
    best = train(mlp([2, 16, 2], seed=0), data, epochs=5, lr=0.5, eval_every=2, restore_best=True)
    h = best.history
    assert max(h.val_accuracy) == pytest.approx(evaluate(best.model, data.x_val, data.y_val)[1])


def test_quiet_progress_bar_when_not_a_terminal(data, capsys):
    train(mlp([2, 8, 2], seed=0), data, iterations=5)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_bad_arguments(data):
    net = mlp([2, 8, 2], seed=0)
    with pytest.raises(TypeError, match=r"unknown training options \['learning_rate'\]"):
        train(net, data, learning_rate=0.1)
    with pytest.raises(ValueError, match="optimizer must be"):
        train(net, data, optimizer="lbfgs")
    with pytest.raises(ValueError, match="at most one of epochs= and iterations="):
        TrainConfig(epochs=1, iterations=3)
    with pytest.raises(ValueError, match="lr must be"):
        TrainConfig(lr=-1.0)
    with pytest.raises(ValueError, match="start_step"):
        train(net, data, iterations=3, start_step=5)
    with pytest.raises(TypeError, match="data must provide"):
        train(net, (data.x_train, data.y_train))
    with pytest.raises(ValueError, match="frozen= needs mask="):
        train(net, data, frozen={})


def test_a_mask_set_by_on_step_prunes_weights_gradients_and_buffers_from_then_on(data):
    """A callback swaps the mask mid-run: from that step on the new pruned entries stay exactly zero,
    and so do their momentum buffers; entries regrown keep training."""
    net, first = sparse_setup()
    second = Mask({n: ~keep for n, keep in first.items()})  # the complement: everything pruned is regrown
    seen = []

    def swap(loop):
        seen.append((loop.step, loop.mask))
        if loop.step == 5:
            loop.mask = second

    result = train(
        net,
        data,
        mask=first,
        on_step=swap,
        iterations=12,
        batch_size=32,
        momentum=0.9,
        checkpoint_steps=range(1, 13),
    )
    assert [s for s, _ in seen] == list(range(len(seen))) and seen[5][1] is first and seen[6][1] is second
    assert result.mask is second
    parameters = dict(net.named_parameters())
    for step, state in result.checkpoints.items():
        mask = first if step <= 5 else second
        for n, keep in mask.items():
            assert bool((state[n][~keep] == 0).all())
    for n, keep in second.items():
        momentum = result.optimizer.state[parameters[n]]["momentum_buffer"]
        assert bool((momentum[~keep] == 0).all()) and bool((momentum[keep] != 0).any())
        assert bool((result.checkpoints[12][n][keep] != 0).any())


def test_skip_update_leaves_the_weights_and_stop_ends_the_run(data):
    net = mlp([2, 8, 2], seed=0)

    def callback(loop):
        loop.skip_update = loop.step % 2 == 1
        loop.stop = loop.step == 6

    result = train(net, data, on_step=callback, iterations=20, checkpoint_steps=range(8))
    states = result.checkpoints
    for step in (2, 4, 6):  # updates 1, 3, 5 (0-based) were skipped
        assert all(torch.equal(states[step][k], states[step - 1][k]) for k in states[step])
    assert not torch.equal(states[1]["0.weight"], states[0]["0.weight"])
    assert result.history.stopped_step == 7 and result.history.step == list(range(1, 8))


def test_on_epoch_sees_every_completed_epoch_and_can_stop(data):
    epochs = []

    def callback(loop):
        epochs.append((loop.epoch, loop.step, len(loop.history.eval_step)))
        loop.stop = loop.epoch == 3

    result = train(mlp([2, 8, 2], seed=0), data, on_epoch=callback, epochs=10, batch_size=50)
    per_epoch = math.ceil(len(data.y_train) / 50)
    assert epochs == [(e, e * per_epoch, e) for e in (1, 2, 3)]  # after that epoch's validation
    assert result.history.stopped_step == 3 * per_epoch


def test_parameters_restricts_what_the_optimizer_updates(data):
    net = mlp([2, 8, 2], seed=0)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    train(net, data, parameters=[net[2].weight], iterations=5)
    after = net.state_dict()
    assert all(torch.equal(after[k], before[k]) for k in ("0.weight", "0.bias", "2.bias"))
    assert not torch.equal(after["2.weight"], before["2.weight"])


def test_a_new_mask_must_cover_the_same_parameters(data):
    net, mask = sparse_setup()

    def shrink(loop):
        loop.mask = Mask({"0.weight": mask["0.weight"]})

    with pytest.raises(ValueError, match="same parameters"):
        train(net, data, mask=mask, on_step=shrink, iterations=2)
