"""The tropical-lottery command line: outputs, documented columns, one-line errors and exit codes."""

import csv
import json
import subprocess
import sys
from math import comb
from pathlib import Path

import pytest
import torch

import lottery as lt
from lottery.cli import main
from lottery.experiments import COLUMNS

TINY = ["--hidden", "10", "--sparsities", "0.5", "0.75", "--inits", "lottery", "reshuffle", "--seeds", "1",
        "--epochs", "8", "--n-samples", "300", "--no-cache"]  # fmt: skip


def one_line_error(capsys, argv, *expected):
    capsys.readouterr()  # what earlier commands printed is not this command's error
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tropical-lottery: error: "), err
    for text in expected:
        assert text in err
    return err


def test_console_script_help():
    done = subprocess.run([sys.executable, "-m", "lottery.cli", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    for command in ("figures", "compare", "polytope", "regions"):
        assert command in done.stdout


def test_compare_writes_csv_json_and_figures(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["compare", "--out", str(out), *TINY]) == 0
    captured = capsys.readouterr()  # stderr is not a terminal here: one line per finished task
    printed = captured.out
    assert_stage_lines(captured.err, [(init, s) for init in ("lottery", "reshuffle") for s in (50, 75)])
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert len(rows) == 2 * 2 and list(rows[0]) == list(COLUMNS)
    assert {r["init"] for r in rows} == {"lottery", "reshuffle"}
    payload = json.loads((out / "results.json").read_text())
    assert payload["columns"] == list(COLUMNS) and payload["config"]["hidden"] == [10]
    assert payload["column_descriptions"] == COLUMNS
    for name in ("metrics", "newton_polygons", "boundaries"):
        for suffix in (".png", ".svg"):
            assert (out / f"{name}{suffix}").stat().st_size > 0
            assert f"{name}{suffix}" in printed


def test_compare_reads_a_toml_config_and_flags_override(tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text(
        '[compare]\nhidden = [10]\nsparsities = [0.5]\ninits = ["lottery"]\nseeds = 2\nepochs = 5\n'
        "n_samples = 300\n"
    )
    out = tmp_path / "run"
    assert main(["compare", "--config", str(config), "--out", str(out), "--seeds", "1", "--no-cache"]) == 0
    payload = json.loads((out / "results.json").read_text())
    assert payload["config"]["seeds"] == [0] and payload["config"]["sparsities"] == [0.5]
    assert len(payload["rows"]) == 1


def test_compare_bad_arguments(tmp_path, capsys):
    out = str(tmp_path / "x")
    err = one_line_error(capsys, ["compare", "--out", out, "--inits", "lottery", "banana"], "banana")
    assert "known: lottery" in err and "signed_constant" in err
    one_line_error(
        capsys, ["compare", "--out", out, "--config", str(tmp_path / "missing.toml")], "no config file"
    )
    bad = tmp_path / "bad.toml"
    bad.write_text("hidden = [10\n")
    one_line_error(capsys, ["compare", "--out", out, "--config", str(bad)], "not valid TOML")
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("widths = [2, 10, 2]\n")
    one_line_error(capsys, ["compare", "--out", out, "--config", str(unknown)], "unknown option", "widths")
    one_line_error(capsys, ["compare", "--out", out, "--sparsities", "1.5"], "sparsities")
    one_line_error(capsys, ["compare", "--out", out, "--dataset", "mnist9"], "mnist9")
    one_line_error(capsys, ["compare"], "--out")
    one_line_error(capsys, ["frobnicate"], "invalid choice")
    one_line_error(capsys, [], "COMMAND")
    one_line_error(capsys, ["figures", "--only", "nothing_like_this"], "unknown figure")


def test_polytope_and_regions_of_a_state_dict(tmp_path, capsys):
    net = lt.mlp([2, 5, 2], seed=3)
    with torch.no_grad():  # mlp starts with zero biases: lines through the origin; move them apart
        net[0].bias.copy_(torch.randn(5, generator=torch.Generator().manual_seed(1)))
    path = tmp_path / "net.pt"
    torch.save(net.state_dict(), path)
    assert (
        main(["regions", str(path), "--out", str(tmp_path), "--bounds", "-10000", "10000", "-10000", "10000"])
        == 0
    )
    metrics = json.loads((tmp_path / "net_regions.json").read_text())
    assert metrics["linear_regions"] == 1 + 5 + comb(
        5, 2
    )  # 5 lines in general position, all crossings inside
    assert (tmp_path / "net_regions.png").exists() and (tmp_path / "net_regions.svg").exists()
    assert main(["polytope", str(path), "--out", str(tmp_path)]) == 0
    metrics = json.loads((tmp_path / "net_polytope.json").read_text())
    # zonotopes of 5 generators in general position have 2 * 5 vertices (fewer if some weight is zero)
    nonzero = metrics["nonzero_generators"]
    assert metrics["zonotope_vertices"] == [2 * nonzero[0], 2 * nonzero[1]]
    assert (tmp_path / "net_polytope.png").exists()
    assert "wrote" in capsys.readouterr().out


def test_regions_reports_its_stages_on_stderr_also_when_it_is_not_a_terminal(tmp_path, capsys):
    # a conv net on a digit plane used to run for 20 s with nothing printed until the end
    path = tmp_path / "net.pt"
    torch.save(lt.mlp([2, 5, 2], seed=3).state_dict(), path)
    assert main(["regions", str(path), "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err.splitlines()  # capsys: stderr is not a terminal
    assert [line.split(":")[0].split(" ")[0] for line in err] == ["[regions]"] * 3
    assert "exact linear regions on the box [-3.0, 3.0, -3.0, 3.0]" in err[0]
    regions = json.loads((tmp_path / "net_regions.json").read_text())["linear_regions"]
    assert err[1].startswith(f"[regions] {regions:,} regions; measuring and drawing them")
    assert err[2].startswith("[regions] done (")


def test_polytope_of_a_ticket(tmp_path):
    result = lt.iterative_magnitude_pruning(
        lambda seed: lt.mlp([2, 6, 2], seed=seed), lt.load_dataset("moons", n_samples=200), rounds=1,
        rate=0.5, train={"epochs": 2},
    )  # fmt: skip
    path = tmp_path / "ticket.pt"
    result.tickets[0].save(path)
    assert main(["polytope", str(path), "--out", str(tmp_path)]) == 0
    metrics = json.loads((tmp_path / "ticket_polytope.json").read_text())
    assert metrics["model"].startswith("2-6-2 ReLU net from a Ticket")


def test_saved_model_errors(tmp_path, capsys):
    one_line_error(capsys, ["regions", str(tmp_path / "none.pt")], "no model file")
    pickled = tmp_path / "pickled.pt"
    torch.save(lt.mlp([2, 4, 2]), pickled)
    one_line_error(capsys, ["regions", str(pickled)], "weights_only", "state_dict()")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a torch file")
    one_line_error(capsys, ["polytope", str(junk)], "cannot be read")
    other = tmp_path / "other.pt"
    torch.save({"encoder.weight": torch.zeros(3, 2)}, other)
    one_line_error(capsys, ["regions", str(other)], "plain MLP")
    deep = tmp_path / "deep.pt"
    torch.save(lt.mlp([2, 4, 4, 2]).state_dict(), deep)
    one_line_error(capsys, ["polytope", str(deep)], "one-hidden-layer", "regions")
    one_line_error(capsys, ["regions", str(deep), "--bounds", "1", "0", "0", "1"], "--bounds")
    wide = tmp_path / "wide.pt"
    torch.save(lt.mlp([3, 4, 2]).state_dict(), wide)
    one_line_error(capsys, ["regions", str(wide)], "2 inputs")


@pytest.mark.slow
def test_figures_quick_writes_every_listed_figure(tmp_path, capsys):
    from lottery.gallery import figure_makers

    assert main(["figures", "--quick", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    readme = (Path(__file__).resolve().parents[1] / "figures" / "README.md").read_text()
    for name in figure_makers():
        for suffix in (".png", ".svg"):
            assert (tmp_path / f"{name}{suffix}").stat().st_size > 0, name
        assert f"## {name}" in readme, f"figures/README.md has no caption for {name}"
        assert f"{name}.png" in printed


def test_compare_flags_are_the_config_fields_with_their_defaults():
    from dataclasses import fields

    from lottery.cli import build_parser
    from lottery.experiments import ComparisonConfig

    parser = build_parser()
    compare = next(
        a for a in parser._subparsers._group_actions[0].choices.values() if a.prog.endswith("compare")
    )
    flags = {a.dest: a for a in compare._actions}
    for f in fields(ComparisonConfig):
        assert f.name in flags, f.name
        assert flags[f.name].help.startswith(f.metadata["help"])
    args = parser.parse_args(
        ["compare", "--out", "x", "--classes", "2", "3", "--bounds", "-1", "1", "-2", "2", "--noise", "0.2",
         "--prune-output", "--seeds", "2"]
    )  # fmt: skip
    assert args.classes == [2, 3] and args.bounds == [-1.0, 1.0, -2.0, 2.0] and args.noise == 0.2
    assert args.prune_output is True and args.seeds == 2 and args.hidden is None


def test_workers_default_to_one_per_core_and_at_most_one_per_ticket(monkeypatch, capsys):
    import lottery.cli as cli

    args = cli.build_parser().parse_args(["compare", "--out", "x"])
    assert args.workers == "auto"
    for cores, tickets, expected in ((2, 24, 2), (8, 3, 3), (8, 1, 1), (1, 24, 1)):
        monkeypatch.setattr(cli, "_available_cores", lambda cores=cores: cores)
        assert cli._worker_count("auto", tickets) == expected
    assert cli._worker_count(4, 1) == 4  # a number given is used as it is
    assert cli.build_parser().parse_args(["compare", "--out", "x", "--workers", "3"]).workers == 3
    for bad in ("0", "-2", "many"):
        one_line_error(
            capsys, ["compare", "--out", "x", "--workers", bad], "--workers", "'auto' or an int >= 1"
        )


def test_dask_runs_the_tasks_on_the_client_executor_and_closes_it(tmp_path, monkeypatch, capsys):
    import types
    from concurrent.futures import ThreadPoolExecutor

    events = []

    class Client:  # the part of distributed.Client the command uses
        def __init__(self, address):
            events.append(("connect", address))
            self.pool = Recording(max_workers=1)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.pool.shutdown()
            events.append(("close",))

        def get_executor(self):
            return self.pool

    class Recording(ThreadPoolExecutor):
        def submit(self, *args, **kwargs):
            events.append(("submit",))
            return super().submit(*args, **kwargs)

    monkeypatch.setitem(sys.modules, "distributed", types.SimpleNamespace(Client=Client))
    argv = ["compare", "--out", str(tmp_path), "--hidden", "6", "--sparsities", "0.5", "--inits", "lottery",
            "--seeds", "1", "--epochs", "2", "--n-samples", "200", "--no-cache",
            "--dask", "tcp://h:1"]  # fmt: skip
    assert main(argv) == 0
    assert "on Dask at tcp://h:1" in capsys.readouterr().out
    assert events == [("connect", "tcp://h:1"), ("submit",), ("submit",), ("close",)]  # one dense, one ticket
    assert len(list(csv.DictReader((tmp_path / "results.csv").open()))) == 1


@pytest.mark.slow
def test_the_table_is_the_same_for_any_number_of_workers(tmp_path, capsys):
    tables = {}
    for workers in ("1", "2"):
        assert main(["compare", "--out", str(tmp_path / workers), *TINY, "--workers", workers]) == 0
        assert f"on {workers} worker process" in capsys.readouterr().out
        tables[workers] = (tmp_path / workers / "results.csv").read_text()
    assert tables["1"] == tables["2"]


# ----------------------------------------------------------------------------- what users save, loaded
def _net_with_biases():
    net = lt.mlp([2, 5, 2], seed=3)
    with torch.no_grad():
        net[0].bias.copy_(torch.randn(5, generator=torch.Generator().manual_seed(1)))
    return net


def _outputs_equal(loaded, reference, n_inputs=2):
    x = torch.randn(64, n_inputs, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        return torch.allclose(loaded(x), reference(x), atol=1e-6)


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("tropical-lottery ")


def test_a_nested_checkpoint_and_a_data_parallel_state_dict(tmp_path, capsys):
    from lottery.checkpoints import load_model

    net = _net_with_biases()
    nested = tmp_path / "checkpoint.pt"
    torch.save({"epoch": 7, "model": net.state_dict(), "optimizer": {"lr": 0.1}}, nested)
    loaded, what = load_model(nested)
    assert _outputs_equal(loaded, net) and "checkpoint['model']" in what
    parallel = tmp_path / "parallel.pt"
    torch.save({f"module.{k}": v for k, v in net.state_dict().items()}, parallel)
    assert _outputs_equal(load_model(parallel)[0], net)
    bounds = ["--bounds", "-10000", "10000", "-10000", "10000"]
    assert main(["regions", str(nested), "--out", str(tmp_path), *bounds]) == 0
    metrics = json.loads((tmp_path / "checkpoint_regions.json").read_text())
    assert metrics["linear_regions"] == 1 + 5 + comb(5, 2)  # 5 lines in general position
    nothing = tmp_path / "nothing.pt"
    torch.save({"epoch": 7, "optimizer": {"lr": 0.1}}, nothing)
    one_line_error(capsys, ["regions", str(nothing)], "none of which", "(model, state_dict")


def test_a_torch_prune_state_dict_is_read_with_its_masks(tmp_path):
    from torch.nn.utils import prune

    from lottery.checkpoints import load_model

    net = _net_with_biases()
    prune.l1_unstructured(net[0], "weight", amount=0.4)
    prune.random_unstructured(net[2], "weight", amount=0.5)
    assert "0.weight_orig" in net.state_dict() and "0.weight_mask" in net.state_dict()
    path = tmp_path / "pruned.pt"
    torch.save(net.state_dict(), path)
    loaded, what = load_model(path)
    assert "2 torch.nn.utils.prune mask(s)" in what
    assert torch.equal(loaded[0].weight, net[0].weight) and int((loaded[0].weight == 0).sum()) == 4
    assert _outputs_equal(loaded, net)


def test_a_batchnorm_state_dict_is_rebuilt_in_eval_mode(tmp_path):
    from lottery.checkpoints import load_model

    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(), torch.nn.Linear(5, 2)
    )
    net.train()
    with torch.no_grad():
        for _ in range(5):  # running statistics that differ from the defaults
            net(torch.randn(32, 2) * 3 + 1)
    net.eval()
    path = tmp_path / "bn.pt"
    torch.save(net.state_dict(), path)
    loaded, what = load_model(path)
    assert [type(m).__name__ for m in loaded] == ["Linear", "BatchNorm1d", "ReLU", "Linear"]
    assert not loaded.training and "BatchNorm" in what
    assert _outputs_equal(loaded, net)
    assert main(["regions", str(path), "--out", str(tmp_path)]) == 0


def test_any_keys_with_a_model_factory(tmp_path, monkeypatch, capsys):
    from lottery.checkpoints import load_model

    (tmp_path / "my_nets.py").write_text(
        "from collections import OrderedDict\n"
        "import torch\n"
        "def named():\n"
        "    return torch.nn.Sequential(OrderedDict(fc1=torch.nn.Linear(2, 5), act=torch.nn.ReLU(),\n"
        "                                           fc2=torch.nn.Linear(5, 2)))\n"
        "class Net(torch.nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc1, self.fc2 = torch.nn.Linear(2, 5), torch.nn.Linear(5, 2)\n"
        "    def forward(self, x):\n"
        "        return self.fc2(torch.relu(self.fc1(x)))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    reference = _net_with_biases()
    state = {k.replace("0.", "fc1.").replace("2.", "fc2."): v for k, v in reference.state_dict().items()}
    path = tmp_path / "named.pt"
    torch.save(state, path)
    one_line_error(capsys, ["regions", str(path)], "plain MLP", "--model")
    bounds = ["--bounds", "-10000", "10000", "-10000", "10000"]
    assert main(["regions", str(path), "--model", "my_nets:named", "--out", str(tmp_path), *bounds]) == 0
    metrics = json.loads((tmp_path / "named_regions.json").read_text())
    assert metrics["linear_regions"] == 1 + 5 + comb(5, 2)
    loaded, _ = load_model(path, model="my_nets:Net")
    assert type(loaded).__name__ == "Net" and _outputs_equal(loaded, reference)
    one_line_error(capsys, ["regions", str(path), "--model", "my_nets:missing"], "no attribute 'missing'")
    one_line_error(capsys, ["regions", str(path), "--model", "no_such_package:f"], "cannot import")
    wrong = tmp_path / "wrong.pt"
    torch.save({"fc1.weight": torch.zeros(3, 2)}, wrong)
    one_line_error(capsys, ["regions", str(wrong), "--model", "my_nets:named"], "fc1.bias", "fc2.weight")


def test_the_old_load_model_name_still_works_with_a_warning(tmp_path):
    from lottery.cli import load_model

    net = _net_with_biases()
    torch.save(net.state_dict(), tmp_path / "n.pt")
    with pytest.warns(DeprecationWarning, match="lottery.checkpoints.load_model"):
        loaded, _ = load_model(tmp_path / "n.pt")
    assert _outputs_equal(loaded, net)


# ------------------------------------------------------------------------------- progress without a terminal
def _piped(*argv, env=None):
    """Run the command line in a subprocess with stdin, stdout and stderr not terminals (as under CI)."""
    import os

    root = Path(__file__).resolve().parents[1]
    paths = [str(root), *(env or {}).get("PYTHONPATH", "").split(os.pathsep)]
    environment = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    return subprocess.run([sys.executable, "-m", "lottery.cli", *argv], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, env=environment, timeout=600)  # fmt: skip


def assert_stage_lines(err: str, jobs) -> None:
    """One ``[compare]`` line per finished dense net and ticket (``jobs``: (init, percent) of seed 0), with
    its training and geometry seconds and the elapsed time, then the summary; no progress bar."""
    assert "\r" not in err  # no bar drawn into a log
    lines = [line for line in err.splitlines() if line.startswith("[compare] ")]
    assert any(line.startswith("[compare] dense 1/1 (seed 0): training ") for line in lines), lines
    tickets = [line for line in lines if line.startswith("[compare] ticket ")]
    assert {line.split(": ")[0].split(" ", 3)[3] for line in tickets} == {
        f"({init}, {percent}%, seed 0)" for init, percent in jobs
    }
    assert [line.split()[2] for line in tickets] == [f"{k}/{len(jobs)}" for k in range(1, len(jobs) + 1)]
    for line in tickets:
        assert "training " in line and "geometry " in line and "CPU " in line and "elapsed " in line
    assert lines[-1].startswith("[compare] done in ") and "geometry" in lines[-1]


@pytest.mark.slow
def test_compare_reports_one_line_per_finished_stage_through_pipes(tmp_path):
    small = ["--hidden", "6", "--sparsities", "0.5", "0.75", "--inits", "lottery", "reshuffle",
             "--seeds", "1", "--epochs", "2", "--n-samples", "200", "--no-cache"]  # fmt: skip
    done = _piped("compare", "--out", str(tmp_path), *small)
    assert done.returncode == 0, done.stderr
    assert_stage_lines(done.stderr, [(init, s) for init in ("lottery", "reshuffle") for s in (50, 75)])
    assert "metrics.png (" in done.stdout and "training" in done.stdout


@pytest.mark.slow
def test_figures_report_each_figure_with_its_time_without_a_terminal(tmp_path):
    done = _piped("figures", "--quick", "--only", "tropical_core_moons", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "[figures] tropical_core_moons (1/1) ..." in done.stdout
    assert "[figures] tropical_core_moons done in " in done.stdout
    assert (tmp_path / "tropical_core_moons.png").stat().st_size > 0


# ------------------------------------------------------------------------------- a custom conv model
CONV_MODULE = """
from torch import nn

def pooled():  # conv, max pooling: no decision polytope (not affine -> ReLU -> affine)
    return nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(16, 10))

def flat_only():
    return nn.Linear(10, 10)
"""


@pytest.mark.slow
def test_compare_a_custom_conv_model_on_digits(tmp_path, monkeypatch, capsys):
    (tmp_path / "h6_digit_convs.py").write_text(CONV_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    out, cache = tmp_path / "run", tmp_path / "cache"
    argv = ["compare", "--dataset", "digits", "--model", "h6_digit_convs:pooled", "--sparsities", "0.5",
            "--inits", "lottery", "--seeds", "1", "--epochs", "2", "--planes", "1",
            "--out", str(out)]  # fmt: skip
    assert main([*argv, "--cache", str(cache)]) == 0
    printed = capsys.readouterr()
    assert "reads inputs of shape [1, 8, 8]" in printed.out  # inferred: the flat features are refused
    assert "[compare] ticket 1/1 (lottery, 50%, seed 0)" in printed.err
    (row,) = csv.DictReader((out / "results.csv").open())
    assert row["polytope_method"].startswith("skipped: UnsupportedLayerError")
    assert "max" in row["polytope_method"] and "node '2'" in row["polytope_method"]  # the MaxPool2d
    assert all(row[c] == "nan" for c in COLUMNS if "polytope" in c and c != "polytope_method")
    assert row["boundary_method"] == row["plane_method"] == "exact"
    assert 0 <= float(row["boundary_agreement"]) <= 1 and float(row["linear_regions"]) >= 1
    assert (out / "boundaries.png").exists()  # on the plane through three test digits (used to be 2-D only)
    # the ticket in the cache, rebuilt from the factory and run on image-shaped digits by its own forward
    (path,) = (cache / "tickets").glob("*.pt")
    ticket = lt.Ticket.load(path)
    from h6_digit_convs import pooled

    model = ticket.build(pooled, state="trained").eval()
    data = lt.load_dataset("digits")
    with torch.no_grad():
        predicted = model(data.x_test.reshape(-1, 1, 8, 8)).argmax(dim=1)
    assert float(row["test_accuracy"]) == pytest.approx((predicted == data.y_test).float().mean().item())
    assert int((model[0].weight == 0).sum()) >= 4  # half of the 9 conv weights pruned (rounding either way)
    one_line_error(capsys, [*argv, "--no-cache", "--input-shape", "1", "7", "7"], "input_shape", "64")
    one_line_error(capsys, [*argv, "--no-cache", "--model", "h6_digit_convs:flat_only"],
                   "takes none of the input shapes", "--input-shape")  # fmt: skip


@pytest.mark.slow
def test_regions_on_the_plane_through_three_test_digits_of_a_conv_model(tmp_path, monkeypatch, capsys):
    import numpy as np

    (tmp_path / "h6_plane_convs.py").write_text(CONV_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    from h6_plane_convs import pooled

    torch.manual_seed(0)
    net = pooled().eval()
    torch.save(net.state_dict(), tmp_path / "conv.pt")
    argv = ["regions", str(tmp_path / "conv.pt"), "--model", "h6_plane_convs:pooled", "--out", str(tmp_path)]
    assert main([*argv, "--plane", "0", "1", "2", "--dataset", "digits"]) == 0
    metrics = json.loads((tmp_path / "conv_regions.json").read_text())
    assert metrics["input_shape"] == [1, 8, 8] and (tmp_path / "conv_regions.png").stat().st_size > 0
    # a lower bound from the network itself: distinct activation patterns (ReLU signs, max-pool winners) on
    # a grid over the triangle's bounding box, inside the plane's padded box
    points = lt.load_dataset("digits").x_test[:3].double().reshape(3, -1)
    d1, d2 = points[1] - points[0], points[2] - points[0]
    e1 = d1 / d1.norm()
    e2 = d2 - (d2 @ e1) * e1
    e2 = e2 / e2.norm()
    corners = torch.stack([torch.zeros(2, dtype=torch.float64), torch.stack([d1 @ e1, d1 @ e2]),
                           torch.stack([d2 @ e1, d2 @ e2])])  # fmt: skip
    corners = corners.numpy()
    u, v = np.meshgrid(*(np.linspace(corners[:, k].min(), corners[:, k].max(), 200) for k in (0, 1)))
    grid = points[0] + torch.as_tensor(u.ravel())[:, None] * e1 + torch.as_tensor(v.ravel())[:, None] * e2
    with torch.no_grad():
        pre = net[0].double()(grid.reshape(-1, 1, 8, 8))
        _, winners = torch.nn.functional.max_pool2d(pre.relu(), 2, return_indices=True)
    patterns = torch.cat([(pre > 0).flatten(1), winners.flatten(1)], dim=1).numpy()
    assert len(np.unique(patterns, axis=0)) <= metrics["linear_regions"]
    # the same plane from a file of the three points, in the shape the model takes
    np.save(tmp_path / "three.npy", points.reshape(3, 1, 8, 8).numpy())
    (tmp_path / "conv_regions.json").unlink()
    assert main([*argv, "--plane", str(tmp_path / "three.npy")]) == 0
    from_file = json.loads((tmp_path / "conv_regions.json").read_text())
    assert from_file["linear_regions"] == metrics["linear_regions"]
    one_line_error(capsys, [*argv, "--plane", "0", "1", "2"], "--dataset")
    one_line_error(capsys, [*argv, "--plane", "0", "1", "99999", "--dataset", "digits"], "indices below")
    one_line_error(capsys, [*argv, "--plane", "0", "1", "2", "--dataset", "digits", "--bounds", "0", "1", "0",
                            "1"], "at most one")  # fmt: skip
