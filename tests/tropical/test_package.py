"""The package namespace: every public name resolves, and ``import tropical`` stays light (issue 13)."""

import subprocess
import sys

import tropical


def test_every_public_name_resolves_to_its_module_object():
    import importlib

    for name in tropical.__all__:
        value = getattr(tropical, name)
        if name in ("metrics", "plot"):
            assert value is importlib.import_module(f"tropical.{name}")
        else:
            assert value is getattr(importlib.import_module(tropical._WHERE[name]), name)
    assert set(tropical.__all__) == set(tropical._WHERE) | {"metrics", "plot"}


def test_unknown_attribute_raises_attribute_error():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        tropical.nonexistent  # noqa: B018


def test_import_loads_no_heavy_dependency():
    heavy = ["scipy.optimize", "shapely", "sympy", "matplotlib", "numba", "scipy.spatial"]
    code = f"import sys, tropical; print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == ""


def test_regions_of_a_small_mlp_load_no_heavy_dependency():
    # time to first answer (issue 13): a small network's regions run on numpy alone, with no torch.fx trace
    heavy = ["numba", "scipy", "shapely", "torch.fx", "threadpoolctl"]
    code = (
        "import sys, torch, tropical\n"
        "torch.manual_seed(0)\n"
        "net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))\n"
        "before = set(sys.modules)\n"
        "regions = tropical.linear_regions(net, bounds=(-5, 5, -5, 5))\n"
        f"print(len(regions), ' '.join(m for m in {heavy!r} if m in sys.modules and m not in before))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    count, *loaded = output.split()
    assert int(count) > 1
    assert loaded == []
