"""Region figures: the artists carry exactly the geometry of the regions (checked against the computation)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

import tropical.plot as tplot
from tropical.metrics import region_agreement
from tropical.regions import linear_regions


def net(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 10), nn.ReLU(), nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 2))


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_regions_figure_draws_every_region_and_the_boundary():
    model = net(2)
    result = linear_regions(model, bounds=(-3, 3, -3, 3))
    data = np.random.default_rng(0).uniform(-3, 3, size=(20, 2))
    fig, ax = plt.subplots()
    artists = tplot.regions(model, ax, bounds=(-3, 3, -3, 3), data=data, labels=np.arange(20) % 2)
    assert len(artists["regions"].get_paths()) == len(result)
    assert len(artists["boundary"].get_segments()) == len(result.decision_boundary())
    assert artists["data"].get_offsets().shape == (20, 2)
    assert ax.get_xlim() == (-3, 3)
    # the same activation pattern gets the same colour
    colors = artists["regions"].get_facecolors()
    patterns = result.activation_patterns
    same = np.flatnonzero((patterns == patterns[0]).all(axis=1))
    assert np.all(colors[same] == colors[0])
    fig.canvas.draw()


def test_regions_figure_accepts_regions_and_rejects_a_second_domain():
    result = linear_regions(net(1), bounds=(-1, 1, -1, 1))
    artists = tplot.regions(result, boundary=False)
    assert artists["boundary"] is None and artists["result"] is result
    with pytest.raises(ValueError, match="Regions object already"):
        tplot.regions(result, bounds=(-1, 1, -1, 1))
    with pytest.raises(ValueError, match="data"):
        tplot.regions(result, data=np.zeros(4))


def test_comparison_shades_the_disagreement():
    a, b = net(2), net(4)
    box = (-3, 3, -3, 3)
    data = np.random.default_rng(1).uniform(-3, 3, size=(30, 2))
    out = tplot.regions_comparison(
        a, b, bounds=box, data=data, labels=np.arange(30) % 2, titles=("init", "trained")
    )
    assert len(out["axes"]) == 2
    assert out["agreement"] == pytest.approx(region_agreement(a, b, bounds=box), abs=1e-9)
    assert out["disagreement"][0] is not None
    assert "init" in out["axes"][0].get_title()
    out["figure"].canvas.draw()
    # identical models: nothing to shade
    same = tplot.regions_comparison(a, a, bounds=box)
    assert same["agreement"] == pytest.approx(1.0)
    assert same["disagreement"] == [None, None]


def test_regions_of_precomputed_regions_draws_the_same_figure(monkeypatch):
    import tropical.regions

    model = net(3)
    box = (-2, 2, -2, 2)
    result = linear_regions(model, bounds=box)
    calls = []
    original = tropical.regions.linear_regions
    monkeypatch.setattr(
        tropical.regions, "linear_regions", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    from_result = tplot.regions(result)
    assert calls == []  # nothing computed again
    from_model = tplot.regions(model, bounds=box)
    assert calls == [1]
    for a, b in zip(from_result["regions"].get_paths(), from_model["regions"].get_paths(), strict=True):
        np.testing.assert_array_equal(a.vertices, b.vertices)
    np.testing.assert_array_equal(
        from_result["regions"].get_facecolors(), from_model["regions"].get_facecolors()
    )
    for a, b in zip(
        from_result["boundary"].get_segments(), from_model["boundary"].get_segments(), strict=True
    ):
        np.testing.assert_array_equal(a, b)


def test_the_module_is_not_named_like_its_function():
    import importlib
    import types

    import tropical.plot.linear_regions as module

    assert isinstance(module, types.ModuleType) and module.regions is tplot.regions
    assert callable(tplot.regions) and not isinstance(tplot.regions, types.ModuleType)
    with pytest.warns(DeprecationWarning, match="tropical.plot.linear_regions"):
        from tropical.plot.regions import regions  # the former module path, for one release
    assert regions is tplot.regions
    assert importlib.import_module("tropical.plot").regions is tplot.regions  # not clobbered by the alias
