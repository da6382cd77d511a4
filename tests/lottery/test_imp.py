import functools
import json

import pytest
import torch

from lottery.data import load_dataset
from lottery.imp import iterative_magnitude_pruning, retrain
from lottery.masks import Mask
from lottery.models import mlp
from lottery.ticket import Ticket

model_fn = functools.partial(mlp, [2, 24, 24, 2])
TRAIN = dict(epochs=2, batch_size=32, lr=0.1, momentum=0.9, weight_decay=1e-3)


@pytest.fixture(scope="module")
def data():
    return load_dataset("moons", n_samples=300, seed=0)


@pytest.fixture(scope="module")
def run(data):
    return iterative_magnitude_pruning(model_fn, data, 3, rate=0.5, rewind_step=4, train=TRAIN, seed=0)


def states_equal(a, b):
    return list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)


def test_rounds_prune_survivors_and_rewind_bit_for_bit(run):
    assert run.densities == pytest.approx([0.5, 0.25, 0.125], abs=0.01)
    assert len(run.histories) == 4 and all(h.test_accuracy is not None for h in run.histories)
    dense = run.dense
    assert dense.mask.density == 1.0 and dense.rewind_step == 4
    previous = dense.mask
    for ticket in run.tickets:
        for n, keep in ticket.mask.items():
            assert not (keep & ~previous[n]).any()
            # survivors start from θk of the dense run, bit for bit; pruned weights are exactly 0
            assert torch.equal(ticket.start_state[n][keep], dense.rewind_state[n][keep])
            assert bool((ticket.start_state[n][~keep] == 0).all())
            assert bool((ticket.trained_state[n][~keep] == 0).all())
        assert states_equal(ticket.rewind_state, dense.rewind_state)
        assert ticket.history.step[0] == 5  # training resumed at step k
        previous = ticket.mask
    first = run.tickets[0]
    for n, keep in first.mask.items():  # magnitude: pruned the smallest |w| of the trained dense net
        w = dense.trained_state[n].abs()
        assert float(w[~keep].max()) <= float(w[keep].min())
    assert first.provenance["criterion"] == "magnitude" and first.provenance["round"] == 1
    assert first.provenance["layer_sparsity"] == pytest.approx(first.mask.layer_sparsity())


def test_dense_theta_k_is_the_training_checkpoint(data, run):
    from lottery.training import train

    net = model_fn(seed=0)
    result = train(net, data, train={**TRAIN, "seed": 0}, checkpoint_steps=[4])
    assert states_equal(result.checkpoints[4], run.dense.rewind_state)
    assert states_equal(result.trained_state, run.dense.trained_state)


def test_same_seed_identical_different_seed_differs(data, run):
    again = iterative_magnitude_pruning(model_fn, data, 3, rate=0.5, rewind_step=4, train=TRAIN, seed=0)
    other = iterative_magnitude_pruning(model_fn, data, 1, rate=0.5, rewind_step=4, train=TRAIN, seed=1)
    for a, b in zip(run.tickets, again.tickets, strict=True):
        assert a.mask == b.mask and states_equal(a.trained_state, b.trained_state)
        assert a.history == b.history
    assert other.tickets[0].mask != run.tickets[0].mask
    assert other.tickets[0].history.loss != run.tickets[0].history.loss


def test_resume_from_directory(tmp_path, data, run):
    directory = tmp_path / "imp"
    partial = iterative_magnitude_pruning(
        model_fn, data, 2, rate=0.5, rewind_step=4, train=TRAIN, seed=0, directory=directory
    )
    assert sorted(p.name for p in directory.iterdir()) == [
        "config.json",
        "round_00.pt",
        "round_01.pt",
        "round_02.pt",
    ]
    # make round 1 on disk recognisable: resuming must read it, not recompute it
    marker = Ticket.load(directory / "round_01.pt")
    marker.provenance["marker"] = True
    marker.save(directory / "round_01.pt")
    full = iterative_magnitude_pruning(
        model_fn, data, 3, rate=0.5, rewind_step=4, train=TRAIN, seed=0, directory=directory
    )
    assert full.tickets[0].provenance.get("marker") is True
    assert partial.tickets[1].mask == full.tickets[1].mask
    assert full.tickets[2].mask == run.tickets[2].mask
    assert states_equal(full.tickets[2].trained_state, run.tickets[2].trained_state)
    assert json.loads((directory / "config.json").read_text())["rewind_step"] == 4
    with pytest.raises(ValueError, match=r"different configuration \(differs in \['rate'\]\)"):
        iterative_magnitude_pruning(
            model_fn, data, 3, rate=0.2, rewind_step=4, train=TRAIN, seed=0, directory=directory
        )


def test_one_shot_layerwise_default_rates_and_global(data):
    one = iterative_magnitude_pruning(model_fn, data, 1, train=dict(iterations=5), seed=0)
    assert one.tickets[0].mask.layer_sparsity() == pytest.approx(
        {"0.weight": 0.2, "2.weight": 0.2, "4.weight": 0.1}, abs=0.01
    )
    glob = iterative_magnitude_pruning(model_fn, data, 1, rate=0.6, scope="global", train=dict(iterations=5))
    assert glob.tickets[0].density == pytest.approx(0.4, abs=0.01)


def test_retrain_controls_keep_the_mask(data, run):
    ticket = run.tickets[1]
    control = retrain(ticket, model_fn, data, reinit="signed_constant", seed=3)
    assert control.mask == ticket.mask and control.provenance["reinit"] == "signed_constant"
    assert control.provenance["method"] == "retrain"
    for n, keep in ticket.mask.items():
        assert control.start_state[n][keep].abs().unique().numel() == 1
        assert bool((control.trained_state[n][~keep] == 0).all())
    frozen = retrain(ticket, model_fn, data, reinit="random_reinit", pruned="frozen", seed=3)
    for n, keep in ticket.mask.items():
        assert torch.equal(frozen.trained_state[n][~keep], ticket.init_state[n][~keep])


def test_errors(data):
    with pytest.raises(ValueError, match="rounds"):
        iterative_magnitude_pruning(model_fn, data, 0)
    with pytest.raises(ValueError, match="at most one of rate= and rates="):
        iterative_magnitude_pruning(model_fn, data, 1, rate=0.2, rates={"0.weight": 0.2})
    with pytest.raises(ValueError, match="unknown re-initialisation"):
        iterative_magnitude_pruning(model_fn, data, 1, reinit="nope")
    with pytest.raises(ValueError, match="unknown pruning criterion"):
        iterative_magnitude_pruning(model_fn, data, 1, criterion="nope")
    with pytest.raises(ValueError, match="rewind_step=10000"):
        iterative_magnitude_pruning(model_fn, data, 1, rewind_step=10_000, train=dict(iterations=5))
    with pytest.raises(TypeError, match="train must be"):
        iterative_magnitude_pruning(model_fn, data, 1, train=3)
    assert isinstance(Mask.ones(model_fn()), Mask)


@pytest.mark.slow
def test_digits_reproduction_script_end_to_end(tmp_path):
    """The benchmark script runs (tiny settings) and writes its plot, table and numbers."""
    import os
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[2]
    outputs = {"--figure": tmp_path / "f.png", "--table": tmp_path / "t.md", "--json": tmp_path / "r.json"}
    script = root / "benchmarks" / "reproduce_imp_digits.py"
    command = [sys.executable, str(script), "--seeds", "2", "--epochs", "1", "--rounds", "3"]
    for flag, path in outputs.items():
        command += [flag, str(path)]
    subprocess.run(
        command, check=True, capture_output=True, env={**os.environ, "MPLBACKEND": "Agg"}, timeout=120
    )
    records = json.loads(outputs["--json"].read_text())["records"]
    assert {r["variant"] for r in records} == {"dense", "ticket", "random_reinit", "signed_constant"}
    assert {r["seed"] for r in records} == {0, 1}
    assert (
        outputs["--figure"].stat().st_size > 10_000
        and "| weights remaining |" in outputs["--table"].read_text()
    )
