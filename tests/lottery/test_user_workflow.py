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


def _conv_sweep_table(model):
    """The table a sweep of a user's max-pooling conv net fills: no decision polytope, data planes exact."""
    from types import SimpleNamespace

    from lottery.experiments import ComparisonResult
    from lottery.experiments.config import COLUMNS, ComparisonConfig

    config = ComparisonConfig(
        dataset="digits", model=model, sparsities=(0.5, 0.8), inits=("lottery",), seeds=(0,), epochs=1
    )
    skipped = "skipped: UnsupportedLayerError: node 'pool' (max) breaks it"
    rows = []
    for s, value in ((0.5, 0.9), (0.8, 0.7)):
        row = {c: value for c in COLUMNS}
        row.update(init="lottery", sparsity=s, boundary_method="exact", plane_method="exact")
        row.update({c: float("nan") for c in COLUMNS if c.startswith(("polytope_", "projected_"))})
        row.update(
            generator_distance=float("nan"), dense_polytope_vertices=float("nan"), polytope_method=skipped
        )
        rows.append(row)
    dense = {0: SimpleNamespace(provenance={"test_accuracy": 0.95})}
    return ComparisonResult(config=config, rows=rows, dense=dense, tickets={}), skipped


@pytest.fixture
def conv_sweep(tmp_path, monkeypatch):
    """The table of a sweep of a max-pooling conv net on digits, its factory importable by name."""
    (tmp_path / "trial_conv_nets.py").write_text(
        "from torch import nn\n\n\ndef net():\n    return nn.Sequential(nn.Unflatten(1, (1, 8, 8)), "
        "nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(18, 10))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return _conv_sweep_table("trial_conv_nets:net")


def test_metric_panels_without_a_value_say_why_instead_of_drawing_empty_axes(conv_sweep):
    # a conv sweep's metrics.png used to show two empty panels with ticks -0.04 .. 0.04
    import matplotlib.pyplot as plt

    result, skipped = conv_sweep
    metrics = ("test_accuracy", "polytope_hausdorff_upper", "triangle_agreement_mean")
    figure, axes = result.plot_metrics(metrics)
    try:
        texts = [" ".join(t.get_text() for t in ax.texts) for ax in axes.flat]
        assert "not computed" not in texts[0] and "not computed" not in texts[2]
        assert texts[1].replace("\n", " ").startswith(f"not computed: {skipped}"[:40])
        assert "UnsupportedLayerError" in texts[1].replace("\n", " ")
        assert list(axes.flat[1].get_yticks()) == []
        low, high = axes.flat[1].get_xlim()  # the sparsities asked, not matplotlib's -0.05 .. 0.05
        assert low < 50 and high > 80
        assert "weights before the output layer" in axes.flat[0].get_xlabel()
        assert figure._suptitle.get_text().endswith("(mean ± std over 1 seed)")
    finally:
        plt.close(figure)


def test_imp_reports_every_round_on_stderr_also_when_it_is_not_a_terminal(digits, capsys, tmp_path):
    # a long IMP run piped to a log file used to print nothing until it returned
    imp = lt.iterative_magnitude_pruning(ConvNet, digits, rounds=2, rate=0.5, train=TRAIN, directory=tmp_path)
    lines = capsys.readouterr().err.splitlines()  # capsys: stderr is not a terminal
    assert len(lines) == 3
    for index, (line, ticket) in enumerate(zip(lines, [imp.dense, *imp.tickets], strict=True)):
        assert line.startswith(f"[imp] round {index}/2 trained: {ticket.mask.density:.1%} of the prunable")
        assert f"test accuracy {ticket.history.test_accuracy:.3f}" in line
    lt.iterative_magnitude_pruning(ConvNet, digits, rounds=2, rate=0.5, train=TRAIN, directory=tmp_path)
    assert [line.split(":")[0] for line in capsys.readouterr().err.splitlines()] == [
        "[imp] round 0/2 loaded", "[imp] round 1/2 loaded", "[imp] round 2/2 loaded",
    ]  # fmt: skip
    lt.iterative_magnitude_pruning(ConvNet, digits, rounds=1, rate=0.5, train=TRAIN, progress=False)
    assert capsys.readouterr().err == ""


def test_the_sweep_cache_does_not_reuse_tasks_of_a_model_whose_code_was_edited(tmp_path, monkeypatch):
    # the cache knew a --model factory by its name only: after editing the class, a rerun silently
    # returned the old architecture's results
    from lottery.experiments.config import ComparisonConfig
    from lottery.experiments.runner import _dense_key, _ticket_key

    source = tmp_path / "trial_edited_nets.py"
    layers = "nn.Linear(64, 8), nn.ReLU(), nn.Linear(8, 10)"
    source.write_text(f"from torch import nn\n\n\ndef net():\n    return nn.Sequential({layers})\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    config = ComparisonConfig(dataset="digits", model="trial_edited_nets:net")
    before = _dense_key(config, 0), _ticket_key(config, 0, 0.5, "lottery")
    assert (_dense_key(config, 0), _ticket_key(config, 0, 0.5, "lottery")) == before  # same code, same keys
    source.write_text(source.read_text().replace("nn.ReLU()", "nn.LeakyReLU(0.1)"))
    after = _dense_key(config, 0), _ticket_key(config, 0, 0.5, "lottery")
    assert after[0] != before[0] and after[1] != before[1]


def test_a_model_factory_with_a_seed_parameter_is_called_with_the_seed(tmp_path, monkeypatch):
    # compare --model pkg:net with def net(seed) failed inside the run with "net() missing 1 required
    # positional argument: 'seed'", although seed= is lottery's own model_fn convention
    from lottery.checkpoints import load_model
    from lottery.errors import ModelFileError
    from lottery.experiments.config import ComparisonConfig, network_fn

    source = "from torch import nn\n\n\ndef net(seed):\n    return {}\n"
    body = "nn.Sequential(nn.Linear(64, 4 + seed), nn.ReLU(), nn.Linear(4 + seed, 10))"
    (tmp_path / "trial_seeded_nets.py").write_text(source.format(body))
    (tmp_path / "trial_width_nets.py").write_text(source.format(body).replace("(seed)", "(width)"))
    monkeypatch.syspath_prepend(str(tmp_path))
    build = network_fn(ComparisonConfig(dataset="digits", model="trial_seeded_nets:net"))
    assert build(seed=3)[0].out_features == 7  # the factory saw seed=3
    path = tmp_path / "weights.pt"
    torch.save(build(seed=0).state_dict(), path)
    model, _ = load_model(path, model="trial_seeded_nets:net")
    assert model[0].out_features == 4
    with pytest.raises(ModelFileError, match=r"'trial_width_nets:net'.*'width'.*functools\.partial"):
        load_model(path, model="trial_width_nets:net")


def test_plots_a_conv_sweep_cannot_draw_name_the_ones_that_it_can(conv_sweep):
    # plot_polygons said "use plot_boundaries", which then said only "plot_boundaries needs 2-D inputs"
    result, _ = conv_sweep
    assert repr(result).startswith("ComparisonResult(digits, model='trial_conv_nets:net', inits=['lottery']")
    with pytest.raises(
        ValueError, match=r"not of this trial_conv_nets:net net on digits; use plot_projected_po"
    ):
        result.plot_polygons()  # and plot_boundaries(), which now draws the plane: the test below


def test_plot_boundaries_of_a_digits_sweep_draws_the_plane_its_table_measured():
    # plot_boundaries used to refuse every sweep above 2 inputs ("plot_boundaries needs 2-D inputs")
    import matplotlib.pyplot as plt
    import numpy as np

    import tropical as tr
    from lottery.experiments import compare_initializations

    result = compare_initializations(
        "digits", hidden=(4,), sparsities=(0.5,), inits=("lottery",), seeds=1, epochs=1, planes=1,
        cache=False, progress=False,
    )  # fmt: skip
    figure, axes = result.plot_boundaries()
    try:
        ax = axes[0, 0]
        texts = [t.get_text() for t in ax.texts]
        assert f"agree {100 * result.rows[0]['boundary_agreement']:.1f}%" in " ".join(texts)
        assert sorted(t for t in texts if t.startswith("class ")) == sorted(
            f"class {c}" for c in result.data.y_test[:3].tolist()
        )
        stars = np.asarray(ax.collections[0].get_offsets())
        regions = tr.linear_regions(result.dense_model(), plane=result.domain["plane"])
        back = regions.origin + stars @ regions.frame  # plane coordinates -> the three test points again
        assert np.allclose(back, result.data.x_test[:3].double().numpy(), atol=1e-6)
        assert ax.get_xlabel() == "$u$ (plane coordinate)"
    finally:
        plt.close(figure)
