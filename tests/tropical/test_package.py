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


def test_graph_records_are_read_only_and_pickle_to_the_same_model():
    import copy
    import pickle

    import numpy as np
    import pytest
    import torch
    from torch import nn

    from tropical.graph import Composed, Dense, Scale, Zero, piecewise_linear_graph

    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv1d(1, 2, 2), nn.LeakyReLU(0.1), nn.MaxPool1d(2), nn.Flatten(), nn.Linear(8, 3)
    ).double()
    graph = piecewise_linear_graph(model, input_shape=(1, 9))
    X = np.random.default_rng(1).normal(size=(10, 1, 9))
    with torch.no_grad():
        expected = model(torch.from_numpy(X)).numpy()
    for copied in (pickle.loads(pickle.dumps(graph)), copy.deepcopy(graph)):
        assert copied is not graph
        assert [node.kind for node in copied.nodes] == [node.kind for node in graph.nodes]
        np.testing.assert_allclose(copied(X), expected, rtol=1e-12, atol=1e-12)
    node, op = graph.nodes[1], graph.nodes[1].ops[0]
    for record, field in ((graph, "output"), (node, "bias"), (op, "weight")):
        with pytest.raises(AttributeError, match="read-only"):
            setattr(record, field, None)
    # identity equality and hashing, as the dataclasses with eq=False had them
    assert graph == graph and graph != copy.deepcopy(graph)
    assert len({graph, node, op, graph}) == 3
    assert repr(Dense(np.eye(2), (2,))) == f"Dense(weight={np.eye(2)!r}, in_shape=(2,), axis=-1)"
    assert repr(node).startswith("Node(kind='affine', inputs=(0,), shape=(2, 8), name=")
    with pytest.raises(ValueError, match="at most one op with negative entries"):
        Composed((Scale(-1.0, (2,)), Zero((2,), (2,)), Scale(-2.0, (2,))))
