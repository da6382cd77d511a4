"""from_torch: the tropical map equals the network, both algorithms agree, bad networks are named."""

import itertools

import numpy as np
import pytest
import torch
from conftest import forward as outputs
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from tropical import ComputationTooLargeError, UnsupportedLayerError, from_torch
from tropical.budget import oracle_cost


def build_network(widths, activation, bias, zero_fraction, seed):
    generator = torch.Generator().manual_seed(seed)
    modules = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
        linear = nn.Linear(n_in, n_out, bias=bias).double()
        with torch.no_grad():
            linear.weight.copy_(torch.randn(n_out, n_in, generator=generator, dtype=torch.float64))
            linear.weight.mul_(
                torch.rand(n_out, n_in, generator=generator, dtype=torch.float64) >= zero_fraction
            )
            if bias:
                linear.bias.copy_(torch.randn(n_out, generator=generator, dtype=torch.float64))
        modules.append(linear)
        if i < len(widths) - 2:
            modules.append(nn.ReLU() if activation == "relu" else nn.LeakyReLU(0.2))
    return nn.Sequential(*modules)


def rationals(tropical_map, X):
    """``F_k(X) - G_k(X)`` for every output: the polynomials themselves, not the network's forward pass."""
    return np.column_stack([output(X) for output in tropical_map])


networks = st.fixed_dictionaries(
    {
        "d": st.integers(1, 4),
        "hidden": st.lists(st.integers(1, 8), min_size=0, max_size=2),
        "k": st.integers(1, 3),
        "activation": st.sampled_from(["relu", "leaky_relu"]),
        "bias": st.booleans(),
        "zero_fraction": st.sampled_from([0.0, 0.3]),
        "seed": st.integers(0, 10_000),
    }
)


@settings(max_examples=40, deadline=None)
@given(networks)
def test_tropical_map_equals_network(spec):
    """Depth 1 to 3, width 1 to 8, input dimension 1 to 4, with and without biases and exact zeros."""
    widths = [spec["d"], *spec["hidden"], spec["k"]]
    model = build_network(widths, spec["activation"], spec["bias"], spec["zero_fraction"], spec["seed"])
    tropical_map = from_torch(model)
    X = np.random.default_rng(spec["seed"]).normal(size=(300, spec["d"])) * 5
    expected = outputs(model, X)
    tolerance = {"rtol": 1e-9, "atol": 1e-9 * (1 + np.abs(expected).max())}
    np.testing.assert_allclose(rationals(tropical_map, X), expected, **tolerance)
    np.testing.assert_allclose(tropical_map(X), expected, **tolerance)


@settings(max_examples=15, deadline=None)
@given(networks.filter(lambda s: s["d"] <= 3 and sum(s["hidden"]) <= 10))
def test_oracle_and_recursion_give_identical_monomials(spec):
    widths = [spec["d"], *spec["hidden"], spec["k"]]
    model = build_network(widths, spec["activation"], spec["bias"], spec["zero_fraction"], spec["seed"])
    oracle, recursion = from_torch(model, method="oracle"), from_torch(model, method="recursion")
    for a, b in zip(oracle, recursion, strict=True):
        assert a.numerator.same_function(b.numerator, tolerance=1e-7)
        assert a.denominator.same_function(b.denominator, tolerance=1e-7)


def test_recursion_on_a_net_whose_lifted_points_qhull_cannot_merge():
    """Found by hypothesis: a 3-5-3-1 LeakyReLU net whose 600 product monomials make Qhull stop with a
    'wide merge' error; the exact fallback gives the oracle's monomials."""
    model = build_network([3, 5, 3, 1], "leaky_relu", True, 0.0, 329)
    oracle, recursion = from_torch(model, method="oracle"), from_torch(model, method="recursion")
    assert oracle[0].numerator.same_function(recursion[0].numerator, tolerance=1e-7)
    assert oracle[0].denominator.same_function(recursion[0].denominator, tolerance=1e-7)
    X = np.random.default_rng(0).normal(size=(300, 3)) * 5
    np.testing.assert_allclose(recursion(X), outputs(model, X), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("scale", [1.0, 1e-8, 1e-12, 1e6])
def test_regression_oracle_values_at_tiny_and_huge_weight_scales(scale):
    """Found by the stress campaign: with every weight of the first layer and every bias scaled by 1e-8 (the
    network scales by 1e-8), the oracle's violation tests had absolute floors (``1 + |value|``) and missed
    monomials: relative errors of 7e-4 against the network."""
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1)).double()
    parameters = [
        [[0.61, -0.74], [-1.43, 1.07], [-1.79, 1.3], [-0.51, -1.39]],
        [-0.51, -1.09, -0.3, -1.63],
        [[-2.12, 0.27, 0.27, -1.11], [-0.36, -0.88, -0.79, -0.66], [-0.4, -1.8, 1.75, -0.75]],
        [-1.6, -1.16, 0.69],
        [[-0.58, 0.03, 1.23]],
        [-1.01],
    ]
    with torch.no_grad():
        for i, (parameter, value) in enumerate(zip(model.parameters(), parameters, strict=True)):
            homogeneous = scale if i == 0 or parameter.ndim == 1 else 1.0
            parameter.copy_(torch.tensor(value, dtype=torch.float64) * homogeneous)
    X = np.random.default_rng(0).normal(size=(2000, 2)) * np.geomspace(0.01, 100, 2000)[:, None]
    expected = outputs(model, X)
    np.testing.assert_allclose(
        rationals(from_torch(model), X), expected, rtol=0, atol=1e-10 * np.abs(expected).max()
    )


@pytest.mark.parametrize("failing", ["build", "insertion"])
def test_oracle_survives_qhull_failures(monkeypatch, failing):
    """When Qhull gives up on the found monomials (building the growing hull, or inserting the points of a
    later round), the oracle rebuilds the hull or takes the exact faces, and the monomials are the same."""
    import scipy.spatial
    from scipy.spatial._qhull import _Qhull

    import tropical.network

    model = build_network([3, 6, 4, 2], "relu", True, 0.0, 11)  # 3 inputs: rounds that insert points
    expected = from_torch(model)
    error = scipy.spatial.QhullError("QH6271 qhull topology error (simulated)")

    class FailingQhull:
        def __init__(self, *args, **kwargs):
            if failing == "build":
                raise error
            self.qhull = _Qhull(*args, **kwargs)
            self.get_hull_facets, self.close = self.qhull.get_hull_facets, self.qhull.close

        def add_points(self, points):
            raise error

    monkeypatch.setattr(tropical.network, "_Qhull", FailingQhull)
    for a, b in zip(from_torch(model), expected, strict=True):
        assert a.numerator.same_function(b.numerator, tolerance=1e-9)
        assert a.denominator.same_function(b.denominator, tolerance=1e-9)


def test_oracle_rebuilds_its_hull_for_far_points(monkeypatch):
    """Points far outside the growing hull's first box are not inserted (Qhull's precision follows the
    scaling): the hull is built anew from all points, with the same monomials."""
    import tropical.network

    model = build_network([3, 8, 8, 1], "relu", True, 0.0, 7)  # 3 inputs: rounds that insert points
    expected = from_torch(model)
    built = []
    original = tropical.network._GrowingHull.__init__

    def counting(self, lifted):
        built.append(len(lifted))
        original(self, lifted)

    monkeypatch.setattr(tropical.network._GrowingHull, "__init__", counting)
    monkeypatch.setattr(tropical.network, "_REBUILD_EXTENT", 0.5)  # every insertion is "far"
    result = from_torch(model)
    assert len(built) > 2  # more hulls than polynomials: rebuilt
    assert result[0].numerator.same_function(expected[0].numerator, tolerance=1e-9)
    assert result[0].denominator.same_function(expected[0].denominator, tolerance=1e-9)


def test_every_monomial_is_the_unique_max_somewhere(unique_max_oracle):
    """Reduced polynomials of the network have no redundant monomials (checked by linear programs)."""
    model = build_network([2, 6, 5, 1], "relu", True, 0.0, 3)
    for polynomial in (from_torch(model)[0].numerator, from_torch(model)[0].denominator):
        kept = unique_max_oracle(polynomial.exponents, polynomial.coefficients)
        assert kept == list(range(len(polynomial)))


def test_layers_are_exposed_and_consistent():
    model = build_network([2, 4, 3, 2], "relu", True, 0.0, 5)
    tropical_map = from_torch(model, layers=True)
    assert [len(layer) for layer in tropical_map.layers] == [4, 3, 2]
    X = np.random.default_rng(0).normal(size=(100, 2))
    with torch.no_grad():
        hidden = torch.relu(model[0](torch.as_tensor(X)))
    np.testing.assert_allclose(
        np.column_stack([r(X) for r in tropical_map.layers[0]]), hidden.numpy(), atol=1e-12
    )
    np.testing.assert_allclose(tropical_map(X), outputs(model, X), atol=1e-10)


def test_pruned_model_converts_as_it_computes():
    from torch.nn.utils import prune

    model = build_network([2, 8, 2], "relu", True, 0.0, 7)
    prune.l1_unstructured(model[0], "weight", amount=0.5)
    prune.random_unstructured(model[2], "weight", amount=0.5)
    X = np.random.default_rng(1).normal(size=(200, 2)) * 3
    np.testing.assert_allclose(from_torch(model)(X), outputs(model, X), atol=1e-10)


def test_untrained_all_zero_and_nested_networks():
    model = nn.Sequential(
        nn.Flatten(), nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5)), nn.ReLU(), nn.Identity()
    )
    model.append(nn.Linear(4, 2))
    model = model.double().eval()
    with torch.no_grad():
        model[1][0].weight.zero_()
    X = np.random.default_rng(2).normal(size=(50, 3))
    tropical_map = from_torch(model)
    np.testing.assert_allclose(tropical_map(X), outputs(model, X), atol=1e-12)
    assert tropical_map.monomial_counts().max() == 1  # a constant network has one monomial per polynomial


@pytest.mark.parametrize(
    ("model", "error", "message"),
    [
        (
            nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)),
            UnsupportedLayerError,
            "Tanh at position 1",
        ),
        (nn.Sequential(nn.Conv2d(1, 1, 3)), ValueError, "input_shape is needed"),
        (
            nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Softmax(1), nn.ReLU())),
            UnsupportedLayerError,
            "Softmax at position 1.0",
        ),
        (nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1)), ValueError, "failed at Linear at position 1"),
        (nn.Sequential(nn.ReLU()), ValueError, "input_shape is needed"),
    ],
)
def test_unsupported_networks_are_named(model, error, message):
    with pytest.raises(error, match=message):
        from_torch(model)


def test_custom_module_is_named():
    class Square(nn.Module):
        def forward(self, x):
            return x * x

    with pytest.raises(UnsupportedLayerError, match="in Square at position 1"):
        from_torch(nn.Sequential(nn.Linear(2, 2), Square()))


def test_nan_weights_raise():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    with torch.no_grad():
        model[2].weight[0, 1] = float("nan")
    with pytest.raises(ValueError, match="position 2: weight has 1 NaN"):
        from_torch(model)


def test_too_large_raises_with_estimate_and_knob():
    model = build_network([2, 32, 32, 1], "relu", True, 0.0, 0)
    with pytest.raises(ComputationTooLargeError, match="max_monomials") as info:
        from_torch(model, max_monomials=50)
    assert info.value.estimate > 50
    wide = build_network([20, 300, 1], "relu", True, 0.0, 0)
    with pytest.raises(ComputationTooLargeError, match=r"up to .* monomials") as info:
        from_torch(wide)
    assert info.value.estimate > 1e20


def test_float32_network_is_read_in_float64():
    model = build_network([2, 5, 2], "relu", True, 0.0, 11).float()
    X = np.random.default_rng(3).normal(size=(100, 2))
    with torch.no_grad():
        expected = model.double()(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(from_torch(model.float())(X), expected, atol=1e-5)


# ------------------------------------------------------------------------------------- any graph
class ConvNet(nn.Module):
    """Conv1d on a short signal, an activation, optional max-pooling and a residual connection."""

    def __init__(self, channels, kernel, stride, padding, pool, residual, slope):
        super().__init__()
        self.conv = nn.Conv1d(1, channels, kernel, stride=stride, padding=padding)
        self.act = nn.LeakyReLU(slope) if slope != "prelu" else nn.PReLU(channels)
        self.pool = nn.MaxPool1d(2, stride=1) if pool else nn.Identity()
        self.residual = residual
        self.out = nn.LazyLinear(2)

    def forward(self, x):
        h = self.pool(self.act(self.conv(x))).flatten(1)
        if self.residual:
            h = torch.cat([h, x.flatten(1).abs()], dim=1)
        return self.out(h)


@settings(max_examples=8, deadline=None)
@given(
    channels=st.integers(1, 2),
    kernel=st.integers(1, 2),
    stride=st.integers(1, 2),
    padding=st.integers(0, 1),
    pool=st.booleans(),
    residual=st.booleans(),
    slope=st.sampled_from([0.0, 0.3, -0.5, 2.0, "prelu"]),
    seed=st.integers(0, 10_000),
)
def test_conv_graphs_on_small_inputs(channels, kernel, stride, padding, pool, residual, slope, seed):
    """from_torch on graphs (conv, max-pooling, cat, abs, any slope): F - G and m(X) equal the network."""
    model = ConvNet(channels, kernel, stride, padding, pool, residual, slope)
    if pool and (3 + 2 * padding - kernel) // stride + 1 < 2:
        model.pool = nn.Identity()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        model(torch.zeros(1, 1, 3))  # materialise the lazy layer
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator))
    model = model.double().eval()
    tropical_map = from_torch(model, input_shape=(1, 3))
    X = np.random.default_rng(seed).normal(size=(200, 3)) * 3
    expected = outputs(model, X[:, None, :])
    tolerance = {"rtol": 1e-9, "atol": 1e-9 * (1 + np.abs(expected).max())}
    np.testing.assert_allclose(rationals(tropical_map, X), expected, **tolerance)
    np.testing.assert_allclose(tropical_map(X), expected, **tolerance)


class ResidualMLP(nn.Module):
    def __init__(self, d, width, kind):
        super().__init__()
        self.inner, self.outer, self.last = nn.Linear(d, width), nn.Linear(width, d), nn.Linear(d, 2)
        self.kind = kind

    def forward(self, x):
        h = self.outer(torch.relu(self.inner(x)))
        if self.kind == "add":
            h = x + h
        elif self.kind == "maximum":
            h = torch.maximum(x, h) - torch.clamp(h, -0.5, 0.5)
        else:
            h = torch.max(torch.stack([x, h, -x], dim=1), dim=1).values
        return self.last(h)


@settings(max_examples=15, deadline=None)
@given(
    d=st.integers(1, 3),
    width=st.integers(1, 4),
    kind=st.sampled_from(["add", "maximum", "max"]),
    seed=st.integers(0, 10_000),
    zero=st.booleans(),
)
def test_residual_and_max_graphs(d, width, kind, seed, zero):
    torch.manual_seed(seed)
    model = ResidualMLP(d, width, kind).double().eval()
    if zero:
        with torch.no_grad():
            model.inner.weight[0].zero_()
    tropical_map = from_torch(model)
    X = np.random.default_rng(seed).normal(size=(200, d)) * 3
    expected = outputs(model, X)
    tolerance = {"rtol": 1e-9, "atol": 1e-9 * (1 + np.abs(expected).max())}
    np.testing.assert_allclose(rationals(tropical_map, X), expected, **tolerance)
    np.testing.assert_allclose(tropical_map(X), expected, **tolerance)


@pytest.mark.parametrize("slope", [-1.0, -0.5, 2.5])
def test_slopes_outside_unit_interval_both_methods(slope):
    model = nn.Sequential(
        nn.Linear(2, 3), nn.LeakyReLU(slope), nn.Linear(3, 2), nn.LeakyReLU(0.2), nn.Linear(2, 1)
    )
    torch.manual_seed(1)
    model = model.double()
    X = np.random.default_rng(0).normal(size=(300, 2)) * 3
    oracle, recursion = from_torch(model, method="oracle"), from_torch(model, method="recursion")
    for tropical_map in (oracle, recursion):
        np.testing.assert_allclose(rationals(tropical_map, X), outputs(model, X), rtol=1e-9, atol=1e-9)
    assert oracle[0].numerator.same_function(recursion[0].numerator, tolerance=1e-7)
    assert oracle[0].denominator.same_function(recursion[0].denominator, tolerance=1e-7)


def test_graph_layers_and_recursion_refusal():
    torch.manual_seed(0)
    model = ResidualMLP(2, 3, "maximum").double().eval()
    tropical_map = from_torch(model, layers=True)
    X = np.random.default_rng(0).normal(size=(50, 2))
    np.testing.assert_allclose(rationals(tropical_map, X), outputs(model, X), atol=1e-9)
    assert tropical_map.layers[-1] == tropical_map.outputs
    with pytest.raises(UnsupportedLayerError, match="method='oracle'"):
        from_torch(model, method="recursion")


def test_final_softmax_is_dropped():
    torch.manual_seed(0)
    logits = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3)).double()
    tropical_map = from_torch(nn.Sequential(logits, nn.LogSoftmax(dim=1)))
    X = np.random.default_rng(0).normal(size=(50, 2))
    np.testing.assert_allclose(rationals(tropical_map, X), outputs(logits, X), atol=1e-9)


def test_regression_shared_module_instance():
    """repros/shared_module_instance.py: a ReLU instance used twice was read once (off by 0.5)."""
    torch.manual_seed(0)
    relu = nn.ReLU()
    model = nn.Sequential(nn.Linear(2, 4), relu, nn.Linear(4, 4), relu, nn.Linear(4, 2)).double()
    X = np.random.default_rng(0).normal(size=(1000, 2))
    tropical_map = from_torch(model)
    np.testing.assert_allclose(rationals(tropical_map, X), outputs(model, X), atol=1e-9)
    np.testing.assert_allclose(tropical_map(X), outputs(model, X), atol=1e-12)


EVAL_CANCELLATION_WEIGHTS = [
    (
        [
            [-1326.610267965831, -537.400379096277, 679.3235980154799, -517.2029937509742],
            [541.0177406474977, -1351.3213891463693, 370.00168768964727, -814.4484977397185],
            [234.45488232893416, 613.0453024197797, 580.8264393988233, -2208.168935355859],
            [1613.1053709231821, -1444.3120015620468, 911.6524871032101, 898.867133134825],
            [-1697.206996456077, 758.20404358653, 272.61864284541224, 853.1545649437562],
        ],
        [629.7592161344164, 23.780987293428264, 1678.0617276095516, -361.0827214002791, -938.5180870344976],
    ),
    ([[1322.069692108819, 1320.8020295190433, -154.33449905548665, -2466.97885196328, -888.2878890180027]],
     [178.00122265958655]),
    ([[908.4935152601524]], [1080.1595383883525]),
    ([[-1343.0554940440147]], [197.21587210165868]),
    ([[-1197.180011380753], [1636.294713022858]], [-117.79943415357222, -464.71144118252903]),
]  # fmt: skip


def test_regression_eval_cancellation():
    """repros/eval_cancellation.py: F and G reach ~5e18 and F - G in float64 was wrong by hundreds; m(X)
    evaluates the network itself, m[k].numerator/denominator stay the polynomials."""
    modules = []
    for k, (weight, bias) in enumerate(EVAL_CANCELLATION_WEIGHTS):
        linear = nn.Linear(len(weight[0]), len(weight)).double()
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(weight, dtype=torch.float64))
            linear.bias.copy_(torch.tensor(bias, dtype=torch.float64))
        modules += [linear] + ([nn.ReLU()] if k < len(EVAL_CANCELLATION_WEIGHTS) - 1 else [])
    model = nn.Sequential(*modules)
    tropical_map = from_torch(model)
    x = np.array([[348.0305467400046, -114.95264361414898, 6.244750745586263, 91.93224873963523]])
    np.testing.assert_allclose(tropical_map(x), outputs(model, x), rtol=1e-12)
    X = np.random.default_rng(0).standard_normal((1000, 4)) * 100
    expected = outputs(model, X)
    np.testing.assert_allclose(tropical_map(X), expected, rtol=0, atol=1e-9 * np.abs(expected).max())
    # F - G loses precision as documented (TropicalMap): by about float64's epsilon times |F| and |G|
    F = np.column_stack([output.numerator(X) for output in tropical_map])
    G = np.column_stack([output.denominator(X) for output in tropical_map])
    assert np.abs(F).max() > 1e15
    assert np.all(np.abs(rationals(tropical_map, X) - expected) <= 1e-13 * np.maximum(np.abs(F), np.abs(G)))


def test_bad_arguments_are_named():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    for samples in (0, -1, 2.5):
        with pytest.raises(ValueError, match="samples must be a positive int"):
            from_torch(model, samples=samples)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        from_torch(model)(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="meta"):
        from_torch(nn.Sequential(nn.Linear(2, 3)).to("meta"))


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_thread_limits_hold_inside_and_are_restored(monkeypatch):
    """The oracle runs with one BLAS and torch thread; the caller's settings are back afterwards."""
    from threadpoolctl import threadpool_limits

    import tropical.network as network

    seen = []
    original = network._oracle_hull

    def spy(*args, **kwargs):
        seen.append((torch.get_num_threads(), _blas_threads()))
        return original(*args, **kwargs)

    monkeypatch.setattr(network, "_oracle_hull", spy)
    model = build_network((2, 4, 1), "relu", True, 0.0, seed=0)
    with threadpool_limits(limits=2, user_api="blas"):
        torch.set_num_threads(2)
        before = (torch.get_num_threads(), _blas_threads())
        result = from_torch(model)
        after = (torch.get_num_threads(), _blas_threads())
        from_torch(model, threads=None)
        unlimited = seen[-1]
    torch.set_num_threads(1)
    X = np.random.default_rng(0).normal(size=(50, 2))
    np.testing.assert_allclose(rationals(result, X), outputs(model, X), atol=1e-9)
    assert after == before
    assert all(threads == 1 and all(b == 1 for b in blas) for threads, blas in seen[:-2])
    assert unlimited == before


def test_progress_lines_without_a_terminal(capsys):
    """Without a TTY, progress=True writes plain lines to stderr; auto and False are quiet on quick calls."""
    model = build_network((2, 3, 2), "relu", True, 0.0, seed=1)
    from_torch(model, progress=True)
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines and lines[-1].startswith("from_torch: 4/4 polynomials")
    for progress in (None, False):
        from_torch(model, progress=progress)
        assert capsys.readouterr().err == ""
    from_torch(model, method="recursion", progress=True)
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("from_torch: 2/2 layers")


@pytest.mark.parametrize("bad", [{"threads": 0}, {"threads": 1.5}, {"progress": "yes"}])
def test_bad_threads_and_progress_are_named(bad):
    model = build_network((2, 3, 1), "relu", True, 0.0, seed=0)
    with pytest.raises(ValueError, match=next(iter(bad))):
        from_torch(model, **bad)


def _vertices_by_margin(lifted):
    """Brute force: a point is an upper hull vertex when it beats all others somewhere (LP margin > 0)."""
    from scipy.optimize import linprog

    n, d = lifted.shape[0], lifted.shape[1] - 1
    keep = []
    for i in range(n):
        others = np.arange(n) != i
        a_ub = np.hstack([lifted[others, :-1] - lifted[i, :-1], np.ones((n - 1, 1))])
        b_ub = lifted[i, -1] - lifted[others, -1]
        bounds = [(None, None)] * d + [(None, 1.0)]
        result = linprog(np.r_[np.zeros(d), -1.0], A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
        if result.status == 0 and -result.fun > 1e-7:
            keep.append(i)
    return np.array(keep, dtype=int)


@settings(max_examples=25, deadline=None)
@given(d=st.integers(2, 3), pieces=st.integers(1, 5), seed=st.integers(0, 10_000))
def test_final_reduction_matches_brute_force_on_coplanar_points(d, pieces, seed):
    """Lattice exponents under a concave piecewise-linear height: most points lie inside faces or edges."""
    from tropical.network import _final_vertices

    rng = np.random.default_rng(seed)
    exponents = np.array(list(itertools.product(range(4), repeat=d)), dtype=float)
    slopes, offsets = rng.integers(-3, 4, size=(pieces, d)), rng.integers(-3, 4, size=pieces)
    heights = (exponents @ slopes.T + offsets).min(axis=1)
    lifted = np.column_stack([exponents, heights])
    np.testing.assert_array_equal(np.sort(_final_vertices(lifted)), _vertices_by_margin(lifted))


def _repro_qhull_crash_6d():
    """The 6-8-8-2 ReLU net of ``shared/repros/qhull_crash_6d.py`` (weights and biases standard normal)."""
    rng = np.random.default_rng(0)
    sizes = [6, 8, 8, 2]
    modules = []
    for k in range(3):
        linear = nn.Linear(sizes[k], sizes[k + 1]).double()
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(rng.standard_normal((sizes[k + 1], sizes[k]))))
            linear.bias.copy_(torch.tensor(rng.standard_normal(sizes[k + 1])))
        modules += [linear] + ([nn.ReLU()] if k < 2 else [])
    return nn.Sequential(*modules)


def test_regression_qhull_crash_6d_answers_or_refuses_promptly():
    """Issue 15: from_torch on a 6-8-8-2 net ran > 15 min (a raw QhullError after 3 min before that). The
    cost (7-D hulls of thousands of monomials) is estimated from the starting points, before any hull is
    built: refused with the estimate, the limit and alternatives that work for 6 inputs, in bounded memory
    (tracemalloc's peak, which sees numpy; a refusal comes before Qhull's own allocations)."""
    import tracemalloc

    model = _repro_qhull_crash_6d()
    tracemalloc.start()
    try:
        with pytest.raises(ComputationTooLargeError, match=r"max_seconds=60") as info:
            from_torch(model)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.estimate > info.value.limit == 60
    assert "tropical.linear_regions(model, plane=" in str(info.value)
    assert peak < 300e6


def test_budget_is_checked_before_the_hulls_and_after_every_round(monkeypatch):
    """The same net is refused under a small max_seconds (before any hull: the hull class is never built),
    answered under the default, and a round that finds more monomials than estimated is re-checked."""
    import tropical.network as network

    model = build_network([3, 8, 8, 1], "relu", True, 0.0, 0)
    built = []
    original = network._GrowingHull.of
    monkeypatch.setattr(network._GrowingHull, "of", lambda lifted: built.append(1) or original(lifted))
    with pytest.raises(ComputationTooLargeError, match=r"max_seconds=0\.001") as info:
        from_torch(model, max_seconds=1e-3)
    assert info.value.limit == 1e-3 and info.value.estimate > 1e-3 and not built
    expected = from_torch(model)
    assert built
    # estimates far too small: the check before a round sees the monomials found and refuses
    monkeypatch.setattr(network, "_monomial_estimate", lambda lifted: 1.0)
    limit = 2 * oracle_cost(1.0, 3).seconds
    with pytest.raises(ComputationTooLargeError, match=r"monomials found so far") as info:
        from_torch(model, max_seconds=limit)
    assert info.value.estimate > limit
    X = np.random.default_rng(0).normal(size=(200, 3)) * 5
    np.testing.assert_allclose(rationals(expected, X), outputs(model, X), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("bad", [{"max_seconds": 0}, {"max_seconds": -1.0}, {"max_bytes": "2GB"}])
def test_bad_budgets_are_named(bad):
    model = build_network((2, 3, 1), "relu", True, 0.0, seed=0)
    with pytest.raises(ValueError, match=next(iter(bad))):
        from_torch(model, **bad)


def test_recursion_on_many_inputs_is_refused_before_its_long_products():
    """An 8-16-1 net (method "auto" is the recursion above 6 inputs) ran 270 s: its last product of 4,096
    lifted points is reduced by one LP per point in 9-D. The summed estimate of the products refuses it
    before that product is formed, naming the limit and a 2-D slice."""
    generator = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1)).double()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.tensor(generator.standard_normal(tuple(parameter.shape))))
    with pytest.raises(
        ComputationTooLargeError, match=r"method='auto' uses the pairwise recursion.*max_seconds=60"
    ) as info:
        from_torch(model)
    assert info.value.estimate > info.value.limit == 60
    assert "tropical.linear_regions(model, plane=" in str(info.value)
    with pytest.raises(ComputationTooLargeError, match=r"max_seconds=0\.01"):
        from_torch(build_network([2, 8, 8, 1], "relu", True, 0.0, 0), method="recursion", max_seconds=0.01)


def test_a_pooled_conv_net_on_digits_is_refused_with_advice_that_works_for_64_inputs():
    # the refusal used to send users to method='oracle', which needs at most 6 inputs
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32, 3)
    )
    with pytest.raises(UnsupportedLayerError, match="linear_regions") as refusal:
        from_torch(model, input_shape=(1, 8, 8))
    assert "method='oracle'" not in str(refusal.value) and "has 64" in str(refusal.value)


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.integers(2, 6), min_size=2, max_size=3),
    st.sampled_from(["relu", "leaky_relu"]),
    st.sampled_from([0.0, 0.3]),
    st.integers(0, 10_000),
)
def test_two_input_oracle_started_from_the_linear_regions_equals_the_recursion(
    hidden, activation, zeros, seed
):
    """On 2-input networks the oracle starts from one point per linear region on a box and tests only the
    faces whose tie points lie outside it (the regions of deeper layers reach beyond the box of the first
    layer's crossings): the same monomials as the pairwise recursion."""
    model = build_network([2, *hidden, 1], activation, True, zeros, seed)
    oracle, recursion = from_torch(model, method="oracle"), from_torch(model, method="recursion")
    for a, b in (
        (oracle[0].numerator, recursion[0].numerator),
        (oracle[0].denominator, recursion[0].denominator),
    ):
        assert len(a) == len(b)
        assert a.same_function(b, tolerance=1e-9)


def test_regression_face_keys_follow_each_face_not_the_largest_tie():
    """A nearly vertical face (tie point 1e12) made the step of the keys of every face 10, so the faces of
    later rounds with small tie points looked tested and a 2-8-8-8-8-1 net lost 10 of its 305 monomials.
    Distinct faces get distinct keys, and a face recomputed with rounding noise keeps its key."""
    from tropical.network import _face_keys

    rng = np.random.default_rng(0)
    ties = np.vstack([rng.normal(size=(200, 2)), [[1e12, -3e11]]])
    values = np.append(rng.normal(size=200), 5e12)
    keys = _face_keys(ties, values)
    assert len(np.unique(keys)) == len(keys)
    noisy = _face_keys(ties * (1 + 1e-15), values * (1 - 1e-15))
    assert np.mean(noisy == keys) > 0.9  # a key may flip where rounding crosses a grid line: a retest


@pytest.mark.parametrize("box", [0.05, 1.0])
def test_two_input_oracle_on_a_small_box_finds_the_rest_in_its_rounds(monkeypatch, box):
    """With the regions' box shrunk to a fraction of the first layer's distance from the origin, most
    faces lie outside it and the rounds find their monomials: still the recursion's monomials."""
    import tropical.network as network

    model = build_network([2, 6, 5, 1], "relu", True, 0.0, 5)
    monkeypatch.setattr(network, "_SEED_BOX", box)
    oracle, recursion = from_torch(model), from_torch(model, method="recursion")
    for a, b in (
        (oracle[0].numerator, recursion[0].numerator),
        (oracle[0].denominator, recursion[0].denominator),
    ):
        assert len(a) == len(b) and a.same_function(b, tolerance=1e-9)


@pytest.mark.parametrize("kind", ["add", "maximum", "max"])
def test_two_input_graphs_started_from_regions_equal_the_oracle_without_them(monkeypatch, kind):
    """Residual and max graphs of 2 inputs: the start from the linear regions (of the graph sweep) gives the
    monomials that the oracle's rounds alone find (regions above the limit: random starts only)."""
    import tropical.network as network

    torch.manual_seed(3)
    model = ResidualMLP(2, 4, kind).double().eval()
    seeded = from_torch(model)
    monkeypatch.setattr(network, "MAX_SEED_REGIONS", 1)
    alone = from_torch(model)
    for a, b in zip(seeded, alone, strict=True):
        for p, q in ((a.numerator, b.numerator), (a.denominator, b.denominator)):
            assert len(p) == len(q) and p.same_function(q, tolerance=1e-9)


@pytest.mark.parametrize("enabled", [True, False])
def test_garbage_collector_is_paused_while_facets_are_read_and_restored(monkeypatch, enabled):
    """Qhull's facets are read with the cyclic collector paused (their tens of thousands of lists would
    trigger full collections of the whole process); the caller's setting is restored, also on an error,
    and the conversion is unchanged."""
    import gc

    import tropical.network

    seen = []

    class Reader:
        def __init__(self, fail):
            self.fail = fail

        def get_hull_facets(self):
            seen.append(gc.isenabled())
            if self.fail:
                raise RuntimeError("qhull went away")
            return [[0, 1]], np.zeros((1, 3))

    model = build_network([3, 6, 1], "relu", True, 0.0, 3)
    expected = from_torch(model)
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        assert tropical.network._facets(Reader(fail=False))[0] == [[0, 1]]
        with pytest.raises(RuntimeError, match="went away"):
            tropical.network._facets(Reader(fail=True))
        assert gc.isenabled() == enabled
        result = from_torch(model)
        assert gc.isenabled() == enabled
    finally:
        gc.enable() if was else gc.disable()
    assert seen == [False, False]
    assert result[0].numerator.same_function(expected[0].numerator, tolerance=1e-9)
    assert result[0].denominator.same_function(expected[0].denominator, tolerance=1e-9)


def _matched_rows(found, expected, tolerance=1e-7):
    """Whether every row of ``expected`` has exactly one row of ``found`` within ``tolerance`` (relative to
    the row's size), and there are as many rows: the same rows up to rounding, in any order."""
    found, expected = np.atleast_2d(found), np.atleast_2d(expected)
    if found.shape != expected.shape:
        return False
    size = 1 + np.abs(expected).max(axis=1, keepdims=True)
    close = np.all(np.abs(found[None] - expected[:, None]) <= tolerance * size[:, :, None], axis=2)
    return bool(np.all(close.sum(axis=1) == 1) and np.all(close.sum(axis=0) == 1))


@settings(max_examples=25, deadline=None)
@given(
    d=st.integers(2, 4),
    n=st.integers(8, 60),
    lattice=st.booleans(),
    inserted=st.integers(0, 20),
    seed=st.integers(0, 10_000),
)
def test_growing_hull_gives_the_upper_faces_and_the_newton_polytope(d, n, lattice, inserted, seed):
    """One hull through the point at infinity below: its upper faces' tie points are those of
    tropical.hull.upper_faces (Qhull of the lifted points, merged), and its vertical facets are the Newton
    polytope's facets (scipy's ConvexHull of the exponents), also after points are inserted; lattice
    exponents with integer coefficients give coplanar points and exact ties."""
    import scipy.spatial

    import tropical.network
    from tropical.hull import upper_faces

    rng = np.random.default_rng(seed)
    if lattice:
        exponents = rng.integers(-2, 3, size=(n + inserted, d)).astype(float)
        coefficients = rng.integers(-3, 4, size=n + inserted).astype(float)
    else:
        exponents = rng.normal(size=(n + inserted, d))
        coefficients = rng.normal(size=n + inserted)
    lifted = tropical.network._distinct(np.column_stack([exponents, coefficients]))
    lifted = lifted[np.lexsort(lifted[:, :-1].T)]  # keep the best coefficient of a repeated exponent
    lifted = lifted[np.r_[np.any(np.diff(lifted[:, :-1], axis=0) != 0, axis=1), True]]
    lifted = lifted[rng.permutation(len(lifted))]
    first = max(len(lifted) - inserted, 1)
    hull = tropical.network._GrowingHull.of(lifted[:first])
    if hull is None or not hull.add(lifted[first:]):
        hull = tropical.network._GrowingHull.of(lifted)
    if hull is None:  # flat or degenerate: the oracle uses the exact paths then
        assert not tropical.network._spans(lifted) or len(lifted) <= d + 1
        return
    (members, owner, ties, rim), newton = hull.faces(lifted)
    hull.close()
    expected = upper_faces(lifted)
    assert _matched_rows(ties, np.array([face.normal for face in expected]))
    for face in expected:  # the same points on every face
        tie = face.normal
        match = np.flatnonzero(np.all(np.abs(ties - tie) <= 1e-7 * (1 + np.abs(tie).max()), axis=1))
        assert set(face.vertices) <= set(members[owner == match[0]])
    reference = scipy.spatial.ConvexHull(lifted[:, :-1])
    normals = reference.equations[:, :-1]
    offsets = reference.equations[:, -1]
    rows = np.column_stack([normals, offsets])  # one row per triangle of Qhull's facets: merged here
    close = np.all(np.abs(rows[:, None] - rows[None]) <= 1e-7 * (1 + np.abs(rows).max()), axis=2)
    facets = rows[~np.any(np.tril(close, k=-1), axis=1)]
    assert _matched_rows(newton.equations, facets)
    assert set(reference.vertices) <= set(rim)
    np.testing.assert_allclose(
        (newton.directions @ newton.vertices.T).max(axis=1),
        (newton.directions @ lifted[:, :-1].T).max(axis=1),
        atol=1e-9,
    )


@settings(max_examples=12, deadline=None)
@given(
    d=st.integers(2, 4),
    hidden=st.lists(st.integers(1, 4), min_size=1, max_size=2),
    slope=st.sampled_from([0.0, 0.5]),
    seed=st.integers(0, 10_000),
)
def test_oracle_equals_the_recursion_on_integer_weights_with_exact_ties(d, hidden, slope, seed):
    """Small integer weights and biases (zeros included): many monomials tie exactly and many lifted points
    are coplanar, also in 4 variables (5-D hulls through the point at infinity below). The oracle's
    monomials are the pairwise recursion's (products reduced by full hulls), and the map is the network."""
    rng = np.random.default_rng(seed)
    widths = [d, *hidden, 2]
    modules = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
        linear = nn.Linear(n_in, n_out).double()
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(rng.integers(-2, 3, size=(n_out, n_in)), dtype=torch.float64))
            linear.bias.copy_(torch.tensor(rng.integers(-2, 3, size=n_out), dtype=torch.float64))
        modules += [linear] + ([nn.LeakyReLU(slope)] if i < len(widths) - 2 else [])
    model = nn.Sequential(*modules)
    oracle, recursion = from_torch(model, method="oracle"), from_torch(model, method="recursion")
    np.testing.assert_array_equal(oracle.monomial_counts(), recursion.monomial_counts())
    for a, b in zip(oracle, recursion, strict=True):
        assert a.numerator.same_function(b.numerator, tolerance=1e-9)
        assert a.denominator.same_function(b.denominator, tolerance=1e-9)
    X = rng.normal(size=(200, d)) * 4
    expected = outputs(model, X)
    np.testing.assert_allclose(
        rationals(oracle, X), expected, rtol=1e-9, atol=1e-9 * (1 + np.abs(expected).max())
    )


def test_default_method_on_many_inputs_is_named_as_the_users_call():
    """Regression (user trial): with no ``method`` given, a 784-input net was refused as "method='recursion'
    ...", a keyword the user never passed."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, 3)).double()
    with pytest.raises(ComputationTooLargeError) as error:
        from_torch(net, max_seconds=1.0)
    message = str(error.value)
    assert "method='auto'" in message and "method='recursion'" not in message
    assert "linear_regions(model, plane=" in message
