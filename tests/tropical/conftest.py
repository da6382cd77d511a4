"""Shared independent oracles for the tropical tests."""

import itertools

import numpy as np
import pytest
import torch
from scipy.optimize import linprog
from torch import nn


def max_margins(exponents, coefficients):
    """Brute force by linear programming: by how much each monomial can beat all the others somewhere.

    For monomial i, maximise t subject to c_j + <a_j, x> + t <= c_i + <a_i, x> for all j != i and t <= 1.
    The optimum is positive iff monomial i is the unique maximum on an open set, zero when it only ties
    (it lies on a face of the upper hull), and negative when it lies strictly below the upper hull.
    """
    exponents, coefficients = np.asarray(exponents, float), np.asarray(coefficients, float)
    m, d = exponents.shape
    margins = np.ones(m)
    for i in range(m):
        others = [j for j in range(m) if j != i]
        if not others:
            continue
        a_ub = np.hstack([exponents[others] - exponents[i], np.ones((len(others), 1))])
        b_ub = coefficients[i] - coefficients[others]
        c = np.zeros(d + 1)
        c[-1] = -1
        result = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=[(None, None)] * d + [(None, 1)], method="highs")
        margins[i] = -result.fun if result.status == 0 else -np.inf
    return margins


def unique_max_somewhere(exponents, coefficients, margin=1e-7):
    """Indices of the monomials that beat all the others by more than `margin` somewhere."""
    return [int(i) for i in np.flatnonzero(max_margins(exponents, coefficients) > margin)]


@pytest.fixture
def unique_max_oracle():
    return unique_max_somewhere


def mlp(widths, *, seed=0):
    """A float64 ReLU MLP of the given widths with torch's default initialisation under ``seed``."""
    torch.manual_seed(seed)
    modules = []
    for n_in, n_out in itertools.pairwise(widths):
        modules += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*modules[:-1]).double()


class FlatStridedConv(nn.Module):
    """Flat 8x8 digits in (64 values, reshaped in ``forward``), one strided conv hidden layer, 10 logits."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, kernel_size=3, stride=2)
        self.fc = nn.Linear(27, 10)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x.view(-1, 1, 8, 8))).flatten(1))


def forward(model, points):
    """The network's own float64 forward pass: the oracle of most tests."""
    with torch.no_grad():
        return model(torch.as_tensor(np.asarray(points), dtype=torch.float64)).numpy()


def randomise(model, seed, zero_fraction=0.0):
    """Random float64 weights (with exact zeros), random BatchNorm statistics, PReLU slopes of any sign."""
    generator = torch.Generator().manual_seed(seed)
    model = model.double().eval()
    with torch.no_grad():
        for tensor in model.parameters():
            tensor.copy_(torch.randn(tensor.shape, generator=generator, dtype=torch.float64))
            tensor.mul_(torch.rand(tensor.shape, generator=generator, dtype=torch.float64) >= zero_fraction)
        for name, tensor in model.named_buffers():
            if name.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=generator, dtype=torch.float64) + 0.1)
            elif name.endswith("running_mean"):
                tensor.copy_(torch.randn(tensor.shape, generator=generator, dtype=torch.float64))
    return model


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny convolutions are many times faster on one thread on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def interior_points(regions, per_region: int, seed: int):
    """Random strictly interior points of every region (Dirichlet mixtures of its vertices), shape
    (n_regions * per_region, 2), and the region each lies in, shape (n_regions * per_region,)."""
    rng = np.random.default_rng(seed)
    points, owners = [], []
    for index, polygon in enumerate(regions.polygons):
        points.append(rng.dirichlet(np.ones(len(polygon)), size=per_region) @ polygon)
        owners.append(np.full(per_region, index))
    return np.concatenate(points), np.concatenate(owners)
