"""Regression tests from the user trial (issue 11): plot functions given a network instead of a polynomial."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

import tropical as tr
from tropical.plot import newton_polygon


def test_newton_polygon_of_a_network_names_the_functions_that_draw_one():
    # it used to fail with "AttributeError: 'Sequential' object has no attribute 'dimension'"
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
    with pytest.raises(
        TypeError, match=r"got Sequential; for a network use tropical\.plot\.decision_polygon"
    ):
        newton_polygon(net)


def test_the_polynomial_the_message_suggests_draws_its_newton_polygon():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2)).double()
    numerator = tr.from_torch(net)[0].numerator
    figure, ax = plt.subplots()
    artists = newton_polygon(numerator, ax)
    # the drawn polygon is the convex hull of the exponents (an independent hull: scipy's)
    from scipy.spatial import ConvexHull

    exponents = np.asarray(numerator.exponents, dtype=float)
    hull = ConvexHull(exponents)
    drawn = artists["polygon"].get_xy()
    x, y = drawn[:, 0], drawn[:, 1]
    area = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
    assert area == pytest.approx(hull.volume, rel=1e-9)
    plt.close(figure)


def test_regions_figures_label_their_axes_with_the_domain_coordinates():
    # the panels had a title and no axis labels: x_1/x_2 or plane coordinates could not be told apart
    from tropical.plot import regions, regions_comparison

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 3)).double()
    figure, ax = plt.subplots()
    drawn = regions(net, ax, bounds=(-2, 2, -2, 2))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("$x_1$", "$x_2$")
    assert drawn["boundary"].get_label() == "exact decision boundary"
    plane = np.random.default_rng(0).normal(size=(3, 2))
    compared = regions_comparison(net, net, plane=plane)
    for panel in compared["axes"]:
        assert (
            panel.get_xlabel() == "$u$ (plane coordinate)" and panel.get_ylabel() == "$v$ (plane coordinate)"
        )
    assert "black lines: exact decision boundaries" in compared["figure"].get_suptitle()
    assert compared["agreement"] == 1.0  # a network against itself
    figure2, ax2 = plt.subplots()
    ax2.set_xlabel("mine")
    regions(net, ax2, bounds=(-2, 2, -2, 2))
    assert ax2.get_xlabel() == "mine"  # the caller's labels stay
    for f in (figure, compared["figure"], figure2):
        plt.close(f)
