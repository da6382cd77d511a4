"""lottery.experiments: the comparison runner, its cache, executors and result table.

Numbers are checked against independent computations: support functions of the zonotopes written from the
weights (docs/math.md §3-4), a dense grid for the agreement area, masks counted from the trained weights.
"""

import csv
import io
import json
import math
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
import torch

import lottery.experiments.runner as runner
from lottery.experiments import COLUMNS, INITIALIZATIONS, ComparisonConfig, compare_initializations
from lottery.experiments.runner import METHOD_COLUMNS

#: The data-plane columns (NaN for 2-D inputs, which are compared on their bounds box).
PLANE_COLUMNS = list(COLUMNS)[list(COLUMNS).index("planes") :]
POLYTOPE_COLUMNS = [c for c in COLUMNS if "polytope" in c and c != "polytope_method"] + ["generator_distance"]

TINY = dict(hidden=12, sparsities=(0.5, 0.75), inits=("lottery", "reshuffle", "xavier"), seeds=1, epochs=15,
            n_samples=300)  # fmt: skip


def same_rows(a, b):
    assert len(a) == len(b)
    for ra, rb in zip(a, b, strict=True):
        assert list(ra) == list(rb)
        for k in ra:
            va, vb = ra[k], rb[k]
            if isinstance(va, float) and math.isnan(va):
                assert isinstance(vb, float) and math.isnan(vb), k
            else:
                assert va == vb, (k, va, vb)


@pytest.fixture(scope="module")
def tiny():
    return compare_initializations(**TINY, cache=False)


def test_every_column_finite(tiny):
    assert len(tiny.rows) == 3 * 2 * 1
    assert [(r["init"], r["sparsity"]) for r in tiny.rows] == [
        (i, s) for i in TINY["inits"] for s in TINY["sparsities"]
    ]
    for row in tiny.rows:
        assert list(row) == list(COLUMNS)
        assert row["polytope_method"] == row["boundary_method"] == "exact"
        assert row["plane_method"] == "skipped: no data= given"  # 2-D inputs: the bounds box instead
        for k, v in row.items():
            if k not in ("init", *METHOD_COLUMNS, *PLANE_COLUMNS):
                assert np.isfinite(v), (k, row)


def test_same_table_for_the_same_seed(tiny):
    again = compare_initializations(**TINY, cache=False)
    same_rows(tiny.rows, again.rows)


def test_cache_is_used_on_the_second_run(tmp_path, monkeypatch):
    config = dict(TINY, inits=("lottery",), sparsities=(0.5, 0.75))
    first = compare_initializations(**config, cache_dir=tmp_path)
    assert first.cache_info["hits"] == 0 and first.cache_info["misses"] == 1 + 2
    assert len(list((tmp_path / "tickets").glob("*.pt"))) == 2

    def no_training(*args, **kwargs):
        raise AssertionError("a cached task was recomputed")

    monkeypatch.setattr(runner, "train_dense", no_training)
    monkeypatch.setattr(runner, "train_ticket", no_training)
    second = compare_initializations(**config, cache_dir=tmp_path)
    assert second.cache_info["hits"] == 3 and second.cache_info["misses"] == 0
    same_rows(first.rows, second.rows)
    for key, ticket in first.tickets.items():
        for name, value in ticket.trained_state.items():
            assert torch.equal(value, second.tickets[key].trained_state[name])


def test_a_larger_sweep_reuses_the_shared_tasks(tmp_path):
    compare_initializations(**dict(TINY, inits=("lottery",)), cache_dir=tmp_path)
    wider = compare_initializations(**dict(TINY, inits=("lottery", "reshuffle")), cache_dir=tmp_path)
    assert wider.cache_info["hits"] == 1 + 2 and wider.cache_info["misses"] == 2


def test_density_and_accuracy_from_the_weights(tiny):
    data = tiny.data
    for row in tiny.rows:
        model = tiny.model(row["init"], row["sparsity"], row["seed"])
        weights = [model[0].weight, model[2].weight]
        kept = sum(int((w != 0).sum()) for w in weights)
        assert row["density"] == pytest.approx(kept / sum(w.numel() for w in weights))
        hidden_kept = int((model[0].weight != 0).sum()) / model[0].weight.numel()
        assert hidden_kept == pytest.approx(1 - row["sparsity"], abs=1 / model[0].weight.numel())
        assert bool((model[2].weight != 0).all())  # the output layer is not pruned by default
        with torch.no_grad():
            predicted = model(data.x_test).argmax(dim=1)
        assert row["test_accuracy"] == pytest.approx(float((predicted == data.y_test).double().mean()))


def test_lottery_ticket_starts_from_theta0(tiny):
    for (init, _, seed), ticket in tiny.tickets.items():
        if init != "lottery":
            continue
        theta0 = tiny.dense[seed].init_state
        for name, keep in ticket.mask.items():
            assert torch.equal(ticket.start_state[name], torch.where(keep, theta0[name], 0.0))


def support(model, directions):
    """Support function of Alfarra's conv(Z1 ∪ Z2) written from the weights (docs/math.md §3, §4)."""
    A = model[0].weight.detach().double().numpy()
    B = model[2].weight.detach().double().numpy()
    return support_of(A, B, directions)


def support_of(A, B, directions):
    """The same from the hidden weights ``A`` (p, d) and the output map ``B`` (k, p) of classes 0 and 1."""
    w1 = np.maximum(B[0], 0) + np.maximum(-B[1], 0)
    w2 = np.maximum(B[1], 0) + np.maximum(-B[0], 0)
    o = (np.abs(B[0]) + np.abs(B[1])) @ np.maximum(-A, 0)
    h = [directions @ o + np.maximum(directions @ (w[:, None] * A).T, 0).sum(axis=1) for w in (w1, w2)]
    return np.maximum(*h)


def test_polytope_hausdorff_against_support_functions(tiny):
    angles = np.linspace(0, 2 * np.pi, 20000, endpoint=False)
    U = np.column_stack([np.cos(angles), np.sin(angles)])
    dense = tiny.dense_model(0)
    for row in tiny.rows:
        model = tiny.model(row["init"], row["sparsity"], row["seed"])
        sampled = np.abs(support(model, U) - support(dense, U)).max()
        assert row["polytope_hausdorff"] == pytest.approx(sampled, rel=1e-3)
        assert row["polytope_hausdorff"] <= row["generator_distance"] + 1e-9  # Misiakos et al.'s bound


def test_boundary_agreement_against_a_grid(tiny):
    xmin, xmax, ymin, ymax = tiny.domain["bounds"]
    n = 400
    gx, gy = np.meshgrid(np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n))
    grid = torch.tensor(np.column_stack([gx.ravel(), gy.ravel()]), dtype=torch.float32)
    with torch.no_grad():
        dense = tiny.dense_model(0)(grid).argmax(dim=1)
        for row in tiny.rows:
            model = tiny.model(row["init"], row["sparsity"], row["seed"])
            same = float((model(grid).argmax(dim=1) == dense).double().mean())
            assert row["boundary_agreement"] == pytest.approx(same, abs=0.01)


def test_deep_nets_are_measured_by_their_first_hidden_layer_and_say_so():
    result = compare_initializations(hidden=(8, 8), sparsities=(0.5,), inits=("lottery",), seeds=1, epochs=10,
                                     n_samples=300, cache=False)  # fmt: skip
    (row,) = result.rows
    assert "first layer, rest linear" in row["polytope_method"]
    assert row["polytope_hausdorff_lower"] <= row["polytope_hausdorff_upper"] <= row["generator_distance"]
    assert 0 <= row["boundary_agreement"] <= 1 and row["linear_regions"] >= 1
    assert result.widths == [2, 8, 8, 2]


def test_csv_json_pandas(tiny, tmp_path):
    text = tiny.to_csv(tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text() == text
    records = list(csv.DictReader(io.StringIO(text)))
    assert list(records[0]) == list(COLUMNS) and len(records) == len(tiny.rows)
    assert float(records[0]["polytope_hausdorff"]) == tiny.rows[0]["polytope_hausdorff"]
    payload = json.loads(tiny.to_json(tmp_path / "t.json"), parse_constant=pytest.fail)
    assert payload["columns"] == list(COLUMNS) and len(payload["rows"]) == len(tiny.rows)
    assert payload["config"]["inits"] == list(TINY["inits"])
    frame = tiny.to_pandas()
    assert list(frame.columns) == list(COLUMNS) and len(frame) == len(tiny.rows)
    summary = tiny.summary()
    assert len(summary) == 3 * 2
    first = [r["test_accuracy"] for r in tiny.rows if (r["init"], r["sparsity"]) == ("lottery", 0.5)]
    assert summary[0]["test_accuracy_mean"] == pytest.approx(np.mean(first))


def test_plots(tiny):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for figure, axes in (tiny.plot_metrics(), tiny.plot_polygons(), tiny.plot_boundaries()):
        assert axes.size >= 1 and figure.get_suptitle()
        plt.close(figure)


@pytest.fixture(scope="module")
def deep_mnist1d():
    return compare_initializations(
        "mnist1d", hidden=(8, 8), sparsities=(0.5,), inits=("lottery",), seeds=1, epochs=1, planes=2,
        n_samples=600, cache=False,
    )  # fmt: skip


def test_a_deep_net_on_mnist1d_is_compared_on_data_planes(deep_mnist1d):
    """LeNet-like depth (two hidden layers): the decision polytope measured by the first hidden layer (and
    said so), and the exact data-plane comparison fills the table. (Runs before
    the tracemalloc test below, so that numba's compilation, if the cache is cold, is not traced.)"""
    result = deep_mnist1d
    (row,) = result.rows
    assert list(row) == list(COLUMNS) and result.widths == [40, 8, 8, 10]
    assert "first layer, rest linear" in row["polytope_method"]
    assert row["polytope_hausdorff_lower"] <= row["polytope_hausdorff_upper"]
    assert row["plane_method"] == "exact" and row["planes"] == 2
    for key in ("triangle_agreement_mean", "box_agreement_mean", "boundary_agreement"):
        assert 0 <= row[key] <= 1, key
    assert (
        row["triangle_regions_mean"] >= 1 and row["box_regions_mean"] >= row["triangle_regions_mean"] - 1e-9
    )


def drawn_supports(patch, directions):
    return (patch.get_xy() @ directions.T).max(axis=0)


def test_a_deep_net_draws_its_first_layer_polytopes_projected_and_says_so(deep_mnist1d):
    """The panel's polygons are the projections of the first-layer polytopes written from the weights (the
    later layers multiplied out: rest linear) onto the dense net's two leading generator directions."""
    import matplotlib.pyplot as plt

    figure, axes = deep_mnist1d.plot_projected_polygons()
    assert axes.shape == (1, 1) and "first hidden layer" in figure.get_suptitle()
    assert "first layer, rest linear" in figure.get_suptitle()
    assert all("first layer, rest linear" in t.get_text() for t in axes[0, 0].get_legend().get_texts())
    angles = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    V = np.column_stack([np.cos(angles), np.sin(angles)])
    dense, ticket = deep_mnist1d.dense_model(0), deep_mnist1d.model("lottery", 0.5)

    def weights(model):
        W = [layer.weight.detach().double().numpy() for layer in model if isinstance(layer, torch.nn.Linear)]
        return W[0], W[2] @ W[1]

    A, B = weights(dense)
    w1 = np.maximum(B[0], 0) + np.maximum(-B[1], 0)
    w2 = np.maximum(B[1], 0) + np.maximum(-B[0], 0)
    P = np.linalg.svd(np.vstack([w1[:, None] * A, w2[:, None] * A]))[2][:2]  # principal generator plane
    drawn = [drawn_supports(patch, V) for patch in axes[0, 0].patches[:2]]
    best = np.inf
    for signs in ([1, 1], [1, -1], [-1, 1], [-1, -1]):  # the orientation of the axes is a convention
        basis = np.array(signs)[:, None] * P
        expected = [support_of(*weights(model), V @ basis) for model in (dense, ticket)]
        best = min(best, max(np.abs(d - e).max() for d, e in zip(drawn, expected, strict=True)))
    assert best < 1e-6 * (1 + np.abs(drawn[0]).max())
    plt.close(figure)


CONV_FIGURES = """
from torch import nn

def conv():  # affine (conv) -> ReLU -> affine: has decision zonotopes
    return nn.Sequential(nn.Conv2d(1, 1, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(16, 10))

def pooled():  # max-pooling right after the first layer: no decision polytope
    return nn.Sequential(nn.Conv2d(1, 1, 3, stride=2, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4, 10))
"""


def test_conv_models_draw_projected_polytopes_or_say_on_the_axes_why_not(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    (tmp_path / "wtf_conv_figures.py").write_text(CONV_FIGURES)
    monkeypatch.syspath_prepend(str(tmp_path))
    options = dict(sparsities=(0.5,), inits=("lottery",), seeds=1, epochs=1, planes=1, cache=False,
                   progress=False)  # fmt: skip
    conv = compare_initializations("digits", model="wtf_conv_figures:conv", **options)
    figure, axes = conv.plot_projected_polygons()
    assert axes.shape == (1, 1) and "first hidden layer" not in figure.get_suptitle()
    # the conv layer's generators are the rows of its 16 x 64 matrix: the dense net's forward pass on the
    # 64 unit images (the conv's bias removed) gives them, independently of tropical's reading of it
    dense = conv.dense_model(0)
    with torch.no_grad():
        basis_images = torch.eye(64, dtype=torch.float32).reshape(64, 1, 8, 8)
        A = (dense[0](basis_images) - dense[0].bias.reshape(1, -1, 1, 1)).reshape(64, 16).T.double().numpy()
    B = dense[3].weight.detach().double().numpy()
    w1 = np.maximum(B[0], 0) + np.maximum(-B[1], 0)
    w2 = np.maximum(B[1], 0) + np.maximum(-B[0], 0)
    P = np.linalg.svd(np.vstack([w1[:, None] * A, w2[:, None] * A]))[2][:2]
    angles = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    V = np.column_stack([np.cos(angles), np.sin(angles)])
    drawn = drawn_supports(axes[0, 0].patches[0], V)
    best = min(np.abs(drawn - support_of(A, B, V @ (np.array(s)[:, None] * P))).max()
               for s in ([1, 1], [1, -1], [-1, 1], [-1, -1]))  # fmt: skip
    assert best < 1e-5 * (1 + np.abs(drawn).max())
    plt.close(figure)
    pooled = compare_initializations("digits", model="wtf_conv_figures:pooled", **options)
    assert pooled.rows[0]["polytope_method"].startswith("skipped")
    figure, axes = pooled.plot_projected_polygons()
    (text,) = axes.flat[0].texts
    assert "No decision polytope" in text.get_text() and "max" in text.get_text()
    assert not axes.flat[0].patches
    plt.close(figure)


def test_a_64_input_net_on_digits_brackets_the_polytope_with_bounded_memory():
    """Digits (64 inputs): the exact polytope would need ~C(generators, 63) vertices (23 GiB were asked for
    once); the sweep returns the certified Hausdorff bracket instead (NaN for the keys that need vertices),
    the boundary metrics on the data plane and the data-plane metrics, and its peak Python/numpy allocation
    stays small (tracemalloc, not wall time)."""
    import tracemalloc

    tracemalloc.start()
    try:
        result = compare_initializations(
            "digits",
            hidden=(16,),
            sparsities=(0.9,),
            inits=("lottery", "xavier"),
            seeds=1,
            epochs=2,
            cache=False,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 200e6
    assert result.widths == [64, 16, 10] and len(result.rows) == 2
    for row in result.rows:
        assert list(row) == list(COLUMNS)  # the same table as on moons
        assert row["polytope_method"] == "bracket"
        assert 0 <= row["polytope_hausdorff_lower"] <= row["polytope_hausdorff_upper"]
        assert row["polytope_hausdorff_upper"] <= row["generator_distance"] + 1e-9
        assert all(math.isnan(row[c]) for c in ("polytope_iou", "polytope_volume_ratio", "polytope_vertices"))
        assert row["boundary_method"] == "exact" and 0 <= row["boundary_agreement"] <= 1
        assert row["plane_method"] == "exact" and row["planes"] == 3
        assert 0 <= row["triangle_agreement_mean"] <= 1 and 0 <= row["box_agreement_mean"] <= 1
        assert np.isfinite(row["test_accuracy"])
    assert math.isnan(result.summary()[0]["polytope_iou_mean"])
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = result.plot_projected_polygons()  # 64-D polytopes, drawn projected: inits x sparsities
    assert axes.shape == (2, 1) and figure.get_suptitle()
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["lottery", "xavier"]
    plt.close(figure)


@pytest.mark.parametrize(
    "error", ["ComputationTooLargeError", "DegenerateGeometryError", "UnsupportedLayerError"]
)
def test_a_geometry_error_becomes_nan_with_its_reason_and_the_sweep_goes_on(monkeypatch, error):
    """An unsupported layer skips the polytope section only (the tropical function's rule); any other geometry
    error escaping it makes that ticket's geometric columns NaN with the reason (the runner's guard)."""
    import tropical.decision
    import tropical.errors

    kind = getattr(tropical.errors, error)
    failure = (
        kind("too big", estimate=1e30, limit=1e6) if error == "ComputationTooLargeError" else kind("no way")
    )
    calls = []

    def decision_zonotopes(model, classes, **options):
        calls.append(1)
        if len(calls) == 3:  # the second ticket only
            raise failure
        return original(model, classes, **options)

    original = tropical.decision.decision_zonotopes
    monkeypatch.setattr(tropical.decision, "decision_zonotopes", decision_zonotopes)
    monkeypatch.setattr(runner, "_REFERENCES", OrderedDict())  # calls: the dense net, ticket 1, ticket 2
    result = compare_initializations(**dict(TINY, inits=("lottery",)), cache=False)
    first, second = result.rows
    assert first["polytope_method"] == "exact" and np.isfinite(first["polytope_hausdorff"])
    assert second["polytope_method"].startswith(f"skipped: {error}: {str(failure).split('.')[0]}")
    assert all(math.isnan(second[c]) for c in POLYTOPE_COLUMNS)
    if error == "UnsupportedLayerError":
        assert second["boundary_method"] == "exact" and np.isfinite(second["boundary_agreement"])
    else:
        assert second["boundary_method"] == second["polytope_method"]
        assert math.isnan(second["boundary_agreement"])
    assert np.isfinite(second["test_accuracy"])


def test_the_dense_geometry_is_computed_once_per_seed_and_the_rows_are_unchanged(monkeypatch, tiny):
    import tropical.regions

    calls = []
    original = tropical.regions.linear_regions

    def linear_regions(model, **options):
        calls.append(model)
        return original(model, **options)

    monkeypatch.setattr(tropical.regions, "linear_regions", linear_regions)
    monkeypatch.setattr(runner, "_REFERENCES", OrderedDict())
    result = compare_initializations(**TINY, cache=False)
    same_rows(result.rows, tiny.rows)  # the fixture's sweep may or may not have shared its dense geometry
    (reference,) = runner._REFERENCES.values()  # one seed: one dense net
    assert len(calls) == 1 + len(result.rows)  # the dense regions once, then each ticket's
    assert sum(model is reference.model for model in calls) == 1
    assert runner._reference(result.dense_model(0)) is reference  # the same weights: the same geometry
    other = result.dense_model(0)
    with torch.no_grad():  # other weights get their own geometry, never the stored one
        other[0].weight.mul_(2.0)
    assert runner._reference(other) is not reference


def test_tickets_run_seed_by_seed_so_each_dense_net_is_measured_once_and_rows_keep_their_order(monkeypatch):
    import tropical.regions

    calls = []
    original = tropical.regions.linear_regions

    def linear_regions(model, **options):
        calls.append(model)
        return original(model, **options)

    monkeypatch.setattr(tropical.regions, "linear_regions", linear_regions)
    monkeypatch.setattr(runner, "_REFERENCES", OrderedDict())
    monkeypatch.setattr(runner, "_MAX_REFERENCES", 1)  # interleaved seeds would recompute every dense net
    options = dict(TINY, inits=("lottery",), seeds=2, epochs=2)
    result = compare_initializations(**options, cache=False)
    assert [(r["sparsity"], r["seed"]) for r in result.rows] == [(0.5, 0), (0.5, 1), (0.75, 0), (0.75, 1)]
    assert len(calls) == 2 + len(result.rows)  # each seed's dense regions once, then each ticket's


def test_a_failing_task_keeps_the_finished_ones_in_the_cache(tmp_path, monkeypatch):
    config = dict(TINY, inits=("lottery",), sparsities=(0.5, 0.75))
    original, calls = runner.train_ticket, []

    def fails_second(*args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed")
        return original(*args)

    monkeypatch.setattr(runner, "train_ticket", fails_second)
    with pytest.raises(RuntimeError, match="killed"):
        compare_initializations(**config, cache_dir=tmp_path)
    assert len(list((tmp_path / "tickets").glob("*.pt"))) == 1
    monkeypatch.setattr(runner, "train_ticket", original)
    again = compare_initializations(**config, cache_dir=tmp_path)
    assert again.cache_info["hits"] == 1 + 1 and again.cache_info["misses"] == 1
    assert len(again.rows) == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(inits=("lottery", "banana")), "known: lottery"),
        (dict(sparsities=(0.5, 1.0)), "sparsities"),
        (dict(seeds=0), "seeds"),
        (dict(hidden=0), "hidden"),
        (dict(epochs=-1), "epochs"),
        (dict(learning_rate=0.1), "unknown option"),
        (dict(scope="everywhere"), "scope"),
        (dict(classes=(1, 1)), "classes"),
    ],
)
def test_bad_arguments(options, message):
    with pytest.raises(ValueError, match=message):
        compare_initializations(**options, cache=False)


def test_config_round_trip():
    config = ComparisonConfig(hidden=(4, 4), seeds=2, inits="lottery")
    assert config.seeds == (0, 1) and config.inits == ("lottery",)
    assert ComparisonConfig.from_dict(config.to_dict()) == config
    assert ComparisonConfig.from_dict(config.to_dict()).key == config.key
    assert ComparisonConfig(seeds=3).key != config.key
    assert set(INITIALIZATIONS) >= {
        "lottery",
        "random_reinit",
        "signed_constant",
        "reshuffle",
        "xavier",
        "gaussian",
    }


@pytest.mark.slow
def test_process_pool_gives_the_serial_table(tiny):
    with ProcessPoolExecutor(max_workers=2) as pool:
        parallel = compare_initializations(**TINY, cache=False, executor=pool)
    same_rows(tiny.rows, parallel.rows)


@pytest.mark.slow
def test_local_dask_cluster_gives_the_serial_table(tiny):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with ProcessPoolExecutor(max_workers=2) as pool:
            pooled = compare_initializations(**TINY, cache=False, executor=pool)
        on_dask = compare_initializations(**TINY, cache=False, executor=client.get_executor())
    same_rows(tiny.rows, pooled.rows)
    same_rows(tiny.rows, on_dask.rows)


def test_keywords_and_defaults_come_from_the_config_fields():
    import inspect
    from dataclasses import fields

    parameters = inspect.signature(compare_initializations).parameters
    for f in fields(ComparisonConfig):
        assert parameters[f.name].default == f.default, f.name
        assert f.metadata["help"] and f.name in compare_initializations.__doc__
    assert ComparisonConfig.from_dict({}) == ComparisonConfig()


def test_result_and_runner_do_not_import_each_other():
    import ast
    from pathlib import Path

    import lottery.experiments.result as result_module

    tree = ast.parse(Path(result_module.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    assert "lottery.experiments.runner" not in imported


def test_cache_false_and_the_deprecated_cache_dir_false(tmp_path, monkeypatch):
    monkeypatch.setenv("TROPICAL_LOTTERY_CACHE", str(tmp_path / "default"))
    config = dict(TINY, inits=("lottery",), sparsities=(0.5,), epochs=2)
    result = compare_initializations(**config, cache=False)
    assert result.cache_info["directory"] is None and not (tmp_path / "default").exists()
    with pytest.warns(DeprecationWarning, match="use cache=False"):
        old = compare_initializations(**config, cache_dir=False)
    assert old.cache_info["directory"] is None and not (tmp_path / "default").exists()
    same_rows(result.rows, old.rows)
    cached = compare_initializations(**config)  # cache_dir=None: the default location
    assert cached.cache_info["directory"] == str(tmp_path / "default")
    with pytest.raises(TypeError, match="cache must be True or False"):
        compare_initializations(**config, cache="no")


# ------------------------------------------------------------------------------- progress and timing
def test_progress_lines_and_the_time_split(tmp_path, capsys):
    options = dict(hidden=6, sparsities=(0.5,), inits=("lottery", "xavier"), seeds=1, epochs=2, n_samples=200)
    result = compare_initializations(**options, cache_dir=tmp_path)
    err = capsys.readouterr().err  # not a terminal: one line per finished task
    assert "[compare] dense 1/1 (seed 0): training" in err
    assert "[compare] ticket 1/2 (lottery, 50%, seed 0): training" in err
    assert "[compare] ticket 2/2 (xavier, 50%, seed 0): training" in err
    timing = result.timing
    tasks = [result.dense[0], *result.tickets.values()]
    assert timing["tasks_computed"] == 3 and timing["tasks_cached"] == 0
    for key in ("train_s", "train_cpu_s", "geometry_s", "geometry_cpu_s"):  # the totals are the tasks' sums
        assert timing[key] == pytest.approx(
            sum(t.provenance["seconds"].get(key, 0.0) for t in tasks), abs=0.01
        )
        assert timing[key] >= 0
    assert "geometry_s" not in result.dense[0].provenance["seconds"]
    assert json.loads(result.to_json())["timing"] == timing
    again = compare_initializations(**options, cache_dir=tmp_path, progress=False)
    assert capsys.readouterr().err == ""  # silent
    assert again.timing["tasks_computed"] == 0 and again.timing["tasks_cached"] == 3
    assert again.timing["geometry_s"] == 0 and again.tickets[("lottery", 0.5, 0)].provenance["seconds"]


# ------------------------------------------------------------------------------- a custom conv model
CONV_MODULE = """
from torch import nn

def conv():  # affine (conv) -> ReLU -> affine: has decision zonotopes
    return nn.Sequential(nn.Conv2d(1, 1, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(16, 10))
"""


@pytest.mark.slow
def test_a_conv_factory_is_compared_end_to_end_on_digits(tmp_path, monkeypatch):
    (tmp_path / "h6_conv_factory.py").write_text(CONV_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    from h6_conv_factory import conv

    result = compare_initializations(
        "digits", model="h6_conv_factory:conv", sparsities=(0.5,), inits=("lottery", "gaussian"), seeds=1,
        epochs=2, planes=1, cache=False, progress=False,
    )  # fmt: skip
    data = __import__("lottery").load_dataset("digits")
    images = data.x_test.reshape(-1, 1, 8, 8)
    for row in result.rows:
        model = result.model(row["init"], 0.5)
        assert isinstance(model[0], torch.nn.Conv2d)
        with torch.no_grad():  # the model's own forward pass on image-shaped digits
            accuracy = (model(images).argmax(dim=1) == data.y_test).float().mean().item()
        assert row["test_accuracy"] == pytest.approx(accuracy)
        assert row["polytope_method"] == "bracket"  # a conv first layer has zonotopes
        assert row["polytope_hausdorff_lower"] <= row["polytope_hausdorff_upper"]
        assert row["boundary_method"] == row["plane_method"] == "exact"
    assert result.dense[0].provenance["input_shape"] == [1, 8, 8]
    # the gaussian ticket starts from fresh N(0, 0.1^2) weights on the kept positions, biases zero
    ticket = result.tickets[("gaussian", 0.5, 0)]
    kept = ticket.start_state["0.weight"][ticket.mask["0.weight"]]
    assert not torch.equal(kept, result.dense[0].init_state["0.weight"][ticket.mask["0.weight"]])
    assert float(ticket.start_state["0.bias"].abs().max()) == 0.0
    assert type(result.dense_model()) is type(conv())


def test_a_model_that_cannot_read_the_data_fails_before_training(tmp_path, monkeypatch):
    (tmp_path / "h6_linear_factory.py").write_text(
        "from torch import nn\n\ndef ten():\n    return nn.Linear(10, 10)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match=r"takes none of the input shapes.*\(64,\).*\(1, 8, 8\)"):
        compare_initializations("digits", model="h6_linear_factory:ten", cache=False)
    with pytest.raises(ValueError, match="holds 49 values but digits has 64"):
        compare_initializations("digits", model="h6_linear_factory:ten", input_shape=(1, 7, 7), cache=False)
    with pytest.raises(ValueError, match="no attribute 'missing'"):
        ComparisonConfig(model="h6_linear_factory:missing")
    with pytest.raises(ValueError, match="input_shape must be"):
        ComparisonConfig(input_shape=(1, 0))


def test_progress_draws_a_bar_on_a_terminal_and_lines_elsewhere():
    from lottery.experiments.progress import Progress

    class Stream(io.StringIO):
        def __init__(self, tty: bool):
            super().__init__()
            self.tty = tty

        def isatty(self):
            return self.tty

    for tty in (True, False):
        stream = Stream(tty)
        report = Progress(None, prefix="[x]", stream=stream)
        report.group(2, "tickets")
        report.finished("ticket 1/2 (a)")
        report.finished("ticket 2/2 (b)")
        report.close()
        report.line("done")
        text = stream.getvalue()
        assert ("\r" in text) is tty  # tqdm redraws its bar with carriage returns; a log gets none
        assert ("[x] ticket 1/2 (a); elapsed " in text) is not tty
        assert text.endswith("[x] done\n")
    silent = Stream(False)
    report = Progress(False, stream=silent)
    report.group(1, "x")
    report.finished("a")
    report.line("b")
    assert silent.getvalue() == ""
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        Progress("yes")
