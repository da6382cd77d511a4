"""Figures of decision polytopes: they draw what they say (artists, geometry), without showing anything."""

import warnings

import matplotlib
import numpy as np
import pytest
import torch
from torch import nn

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import tropical as tr
import tropical.decision
from tropical.plot import (
    classifier_geometry,
    curve,
    decision_polygon,
    decision_polygon_grid,
    lifted_polytope,
    tropical_curve,
)


def make_net(width=12, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, width), nn.ReLU(), nn.Linear(width, 2)).double()


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_decision_polygon_draws_hull_zonotopes_and_subdivision():
    model = make_net()
    artists = decision_polygon(model)
    hull = tr.decision_polytope(model)
    drawn = artists["hull"].get_xy()[:-1]
    assert tr.Polytope(drawn).same_as(hull)
    Z1, _ = tr.decision_zonotopes(model)
    np.testing.assert_allclose(artists["Z1"].get_xydata()[:-1], Z1.vertices)
    sub = tr.decision_subdivision(model)
    assert len(artists["subdivision"].get_segments()) + len(artists["mixed"].get_segments()) == len(
        sub.edges()
    )
    assert "raw" in artists["hull"].axes.get_title()


def test_normalised_polygon_has_unit_diameter():
    artists = decision_polygon(make_net(seed=1), normalize="centroid_diameter", subdivision=False)
    polygon = tr.Polytope(artists["hull"].get_xy()[:-1])
    assert polygon.diameter == pytest.approx(1.0)
    np.testing.assert_allclose(polygon.centroid, 0, atol=1e-12)
    assert "normalised" in artists["hull"].axes.get_title()


def test_classifier_geometry_boundary_is_exact():
    model = make_net(seed=2)
    X = np.random.default_rng(0).uniform(-2, 2, (100, 2))
    artists = classifier_geometry(model, data=X, labels=(X[:, 0] > 0).astype(int))
    segments = np.array(artists["boundary"].get_segments())
    assert len(segments) > 0
    middles = torch.tensor(segments.mean(axis=1))
    out = model(middles).detach().numpy()
    np.testing.assert_allclose(out[:, 0], out[:, 1], atol=1e-9)


def test_grid_and_lifted_view():
    models = [[make_net(seed=3), make_net(seed=4)], [make_net(seed=5), None]]
    drawn = decision_polygon_grid(models, row_labels=["a", "b"], column_labels=["0%", "50%"])
    figure, axes = drawn["figure"], drawn["axes"]
    assert axes.shape == (2, 2) and not axes[1, 1].axison
    assert "raw" in figure._suptitle.get_text()
    assert set(drawn["panels"]) == {(0, 0), (0, 1), (1, 0)}
    assert drawn["panels"][1, 0]["hull"].axes is axes[1, 0]
    artists = lifted_polytope(make_net(seed=6))
    assert len(artists["faces"].get_facecolor()) == len(tr.decision_subdivision(make_net(seed=6)))


@pytest.mark.parametrize("normalize", ["centroid_diameter", "centroid_volume"])
def test_normalised_picture_is_the_metrics_normalisation_of_its_hull(normalize):
    """The drawn hull is ``tropical.metrics.normalized`` of the decision polytope, and the zonotopes and the
    monomials move with it by the same map (their raw positions from tropical.decision)."""
    from tropical.metrics import normalized

    model = make_net(seed=7)
    artists = decision_polygon(model, normalize=normalize)
    hull = tr.decision_polytope(model)
    assert tr.Polytope(artists["hull"].get_xy()[:-1]).same_as(normalized(hull, normalize=normalize))
    size = hull.diameter if normalize == "centroid_diameter" else np.sqrt(hull.volume)
    Z1, _ = tr.decision_zonotopes(model)
    np.testing.assert_allclose(
        artists["Z1"].get_xydata()[:-1], (Z1.vertices - hull.centroid) / size, atol=1e-12
    )
    sub = artists["result"]
    np.testing.assert_allclose(
        artists["vertices"].get_offsets(), (sub.exponents - hull.centroid) / size, atol=1e-12
    )


def test_normalising_a_flat_polygon_to_unit_area_is_an_error_not_a_raw_picture():
    """A single hidden neuron gives a segment as Newton polygon: no unit area exists (formerly drawn raw under
    a 'unit area' title)."""
    with pytest.raises(tr.DegenerateGeometryError, match="flat"):
        decision_polygon(make_net(width=1), normalize="centroid_volume")


def test_bad_normalize():
    with pytest.raises(ValueError, match="normalize"):
        decision_polygon(make_net(), normalize="unit")


# ------------------------------------------------------------------ computed objects: nothing twice
def _geometry(artist):
    """What an artist draws, as arrays (paths, segments, points), to compare two figures."""
    if artist is None:
        return None
    if isinstance(artist, dict):
        return {
            key: _geometry(value) for key, value in artist.items() if key not in ("result", "figure", "axes")
        }
    if hasattr(artist, "get_segments"):
        return [np.asarray(s) for s in artist.get_segments()]
    if hasattr(artist, "get_xy"):
        return np.asarray(artist.get_xy())
    if hasattr(artist, "get_xydata"):
        return np.asarray(artist.get_xydata())
    if hasattr(artist, "get_offsets"):
        return np.asarray(artist.get_offsets())
    if hasattr(artist, "get_paths"):
        return [np.asarray(path.vertices) for path in artist.get_paths()]
    raise AssertionError(f"no geometry for {artist!r}")


def _assert_same(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _assert_same(a[key], b[key])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _assert_same(x, y)
    elif a is None:
        assert b is None
    else:
        np.testing.assert_array_equal(a, b)


@pytest.fixture
def sweeps(monkeypatch):
    """Counts the arrangement sweeps (the expensive part of a decision subdivision)."""
    calls = []
    original = tropical.decision._arrangement_subdivision

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(tropical.decision, "_arrangement_subdivision", counted)
    return calls


def test_classifier_geometry_sweeps_once(sweeps):
    artists = classifier_geometry(make_net(seed=7), bounds=(-3, 3, -3, 3))
    assert len(sweeps) == 1
    assert isinstance(artists["result"], tr.decision.DecisionSubdivision)


def test_precomputed_subdivision_draws_the_same_figure_without_a_sweep(sweeps):
    model = make_net(seed=8)
    sub, zonotopes = tr.decision_subdivision(model), tr.decision_zonotopes(model)
    from_model = classifier_geometry(model, bounds=(-3, 3, -3, 3))
    sweeps.clear()
    from_sub = decision_polygon(sub, zonotopes=zonotopes)
    lifted = lifted_polytope(sub)
    boundary = curve(sub, bounds=(-3, 3, -3, 3))
    assert sweeps == []
    _assert_same(_geometry(from_sub), _geometry(from_model["polygon"]))
    _assert_same(_geometry(lifted), _geometry(lifted_polytope(model)))
    _assert_same(_geometry(boundary["curve"]), _geometry(from_model["boundary"]))
    np.testing.assert_array_equal(from_model["result"].tie_points, sub.tie_points)


def test_classifier_geometry_of_a_subdivision_draws_the_model_boundary(sweeps):
    model = make_net(seed=9)
    sub = tr.decision_subdivision(model)
    sweeps.clear()
    drawn = classifier_geometry(sub, bounds=(-3, 3, -3, 3))
    assert sweeps == []
    assert drawn["polygon"]["Z1"] is None and drawn["polygon"]["Z2"] is None  # not in a subdivision
    middles = np.array(drawn["boundary"].get_segments()).mean(axis=1)
    out = model(torch.tensor(middles)).detach().numpy()
    np.testing.assert_allclose(out[:, 0], out[:, 1], atol=1e-9)
    # the polygon is the hull of the subdivision's monomials: the Newton polygon conv(Z1 ∪ Z2)
    assert tr.Polytope(drawn["polygon"]["hull"].get_xy()[:-1]).same_as(tr.decision_polytope(model))


def test_grid_of_subdivisions_equals_grid_of_models(sweeps):
    models = [make_net(seed=10), make_net(seed=11)]
    subs = [tr.decision_subdivision(m) for m in models]
    sweeps.clear()
    a = decision_polygon_grid(subs, subdivision=True)
    assert sweeps == []
    b = decision_polygon_grid(models, subdivision=True)
    for key in a["panels"]:
        for part in ("subdivision", "mixed"):
            _assert_same(_geometry(a["panels"][key][part]), _geometry(b["panels"][key][part]))
        # the hull of the subdivision's monomials is the hull of the zonotopes' vertices (up to rounding)
        hull_a, hull_b = (tr.Polytope(d["panels"][key]["hull"].get_xy()[:-1]) for d in (a, b))
        assert hull_a.same_as(hull_b, tolerance=1e-12)


def test_deprecated_spellings_still_draw_the_same():
    model = make_net(seed=12)
    X = np.random.default_rng(3).uniform(-2, 2, (30, 2))
    y = (X[:, 1] > 0).astype(int)
    new = classifier_geometry(model, data=X, labels=y)
    with pytest.warns(DeprecationWarning, match="data=X"):
        old = classifier_geometry(model, X, y)
    _assert_same(_geometry(old), _geometry(new))
    _, axes = plt.subplots(1, 2)
    with pytest.warns(DeprecationWarning):
        mixed = classifier_geometry(model, X, y, axes=axes)  # the gallery's former call
    assert mixed["axes"][0] is axes[0]
    _assert_same(_geometry(mixed), _geometry(new))
    _, axes = plt.subplots(1, 2)
    assert classifier_geometry(model, axes, data=X)["axes"][1] is axes[1]
    with pytest.raises(TypeError, match="axes twice"):
        classifier_geometry(model, axes, axes=axes)
    grid = decision_polygon_grid([model])
    with pytest.warns(DeprecationWarning, match="dict"):
        figure, axes = grid
    assert figure is grid["figure"] and axes is grid["axes"]
    assert sorted(grid.keys()) == ["axes", "figure", "panels"] and len(dict(grid)) == 3
    p = tr.TropicalPolynomial([[0, 0], [1, 0], [0, 1], [1, 1]], [0.0, 1.0, 1.0, 0.5])
    with pytest.warns(DeprecationWarning, match="plot.curve"):
        lines = tropical_curve(p, (-3, 3, -3, 3))
    _assert_same(_geometry(lines), _geometry(curve(p, bounds=(-3, 3, -3, 3))["curve"]))


def test_curve_of_a_computed_curve_and_its_errors():
    p = tr.TropicalPolynomial([[0, 0], [1, 0], [0, 1], [2, 1]], [0.0, 0.3, -0.2, -1.0])
    computed = p.hypersurface(bounds=(-4, 4, -4, 4))
    drawn = curve(computed)
    assert drawn["result"] is computed
    np.testing.assert_array_equal(np.array(drawn["curve"].get_segments()), computed.segments)
    with pytest.raises(ValueError, match="clipped to"):
        curve(computed, bounds=(-1, 1, -1, 1))
    with pytest.raises(ValueError, match="bounds="):
        curve(p)
    with pytest.raises(TypeError, match="TropicalCurve"):
        curve(np.zeros((3, 2)), bounds=(-1, 1, -1, 1))


def test_no_plot_function_shows_or_warns():
    import tropical.plot as tplot

    model = make_net(seed=13)
    with warnings.catch_warnings():
        # no deprecated spelling inside the plot functions themselves
        warnings.filterwarnings("error", category=DeprecationWarning, module=r"tropical\.plot")
        tplot.classifier_geometry(model)
        tplot.decision_polygon_grid([model])
        tplot.lifted_polytope(model)
    assert plt.get_fignums()  # drawn, never shown or closed
