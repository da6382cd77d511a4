"""Time to first answer (issue 13): what a script that computes the regions of a plain MLP imports, and the
MLP reader that spares it the general (torch.fx) reader."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from tropical._plain_sequential import plain_sequential
from tropical.graph import piecewise_linear_graph


def test_regions_of_plain_mlps_import_neither_the_general_reader_nor_heavy_modules():
    # 2-64-64-2's second layer maps are a 25M multiply-add product (one-thread blocks, no threadpoolctl);
    # adjacency and edges deduplicate without np.unique (whose first call imports numpy.ma)
    unwanted = [
        "tropical._graph_reader", "tropical._graph_lowering", "torch.fx", "numpy.ma", "threadpoolctl",
        "numba", "scipy", "shapely",
    ]  # fmt: skip
    code = (
        "import sys, torch, tropical\n"
        "from torch import nn\n"
        "before = set(sys.modules)\n"
        "for seed, widths in [(0, (2, 24, 24, 2)), (1, (2, 64, 64, 2))]:\n"
        "    torch.manual_seed(seed)\n"
        "    layers = [nn.Linear(widths[0], widths[1])]\n"
        "    for n_in, n_out in zip(widths[1:], widths[2:]):\n"
        "        layers += [nn.ReLU(), nn.Linear(n_in, n_out)]\n"
        "    regions = tropical.linear_regions(nn.Sequential(*layers), bounds=(-10, 10, -10, 10))\n"
        "    print(len(regions), len(regions.adjacency), len(regions.edges()))\n"
        f"print(' '.join(m for m in {unwanted!r} if m in sys.modules and m not in before) or 'none')\n"
    )
    *counts, loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert [int(count.split()[0]) > 500 for count in counts] == [True, True]
    assert loaded == "none"


class _Subclass(nn.Sequential):
    """Not exactly ``nn.Sequential``: read by the general reader (torch.fx), the oracle below."""


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    widths=st.lists(st.integers(1, 6), min_size=2, max_size=5),
    activation=st.sampled_from(["relu", "leaky", "identity", "dropout"]),
    bias=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_plain_reader_gives_the_general_readers_graph(widths, activation, bias, seed):
    torch.manual_seed(seed)
    make = {
        "relu": nn.ReLU,
        "leaky": lambda: nn.LeakyReLU(0.2),
        "identity": nn.Identity,
        "dropout": lambda: nn.Dropout(0.5),
    }[activation]
    layers = []
    for n_in, n_out in itertools.pairwise(widths):
        layers += [nn.Linear(n_in, n_out, bias=bias), make()]
    layers = layers[:-1]
    model = nn.Sequential(*layers).eval()
    plain = plain_sequential(model, None)
    assert plain is not None
    assert piecewise_linear_graph(model) is not plain  # a fresh read each call; the same reading:
    general = piecewise_linear_graph(_Subclass(*layers).eval())
    points = np.random.default_rng(seed).normal(size=(7, widths[0])) * 3
    expected = model.double()(torch.from_numpy(points)).detach().numpy()
    np.testing.assert_allclose(plain(points), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(general(points), expected, rtol=1e-12, atol=1e-12)
    for mine, theirs in zip(plain.chain(), general.chain(), strict=True):
        np.testing.assert_array_equal(mine.weight, theirs.weight)
        np.testing.assert_array_equal(mine.bias, theirs.bias)
        assert mine.slope == theirs.slope


def test_plain_reader_leaves_every_other_model_to_the_general_reader():
    mlp = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert plain_sequential(mlp, None) is not None
    assert plain_sequential(mlp, (3,)) is None  # a wrong input shape: the general reader's error
    assert plain_sequential(_Subclass(nn.Linear(2, 3)), None) is None
    assert plain_sequential(nn.Sequential(nn.Linear(2, 3), nn.Tanh()), None) is None
    assert plain_sequential(nn.Sequential(nn.Linear(2, 3)).to("meta"), None) is None
    assert plain_sequential(nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5)).train(), None) is None
    hooked = nn.Sequential(nn.Linear(2, 3))
    hooked[0].register_forward_hook(lambda module, inputs, output: output * 2)
    assert plain_sequential(hooked, None) is None
