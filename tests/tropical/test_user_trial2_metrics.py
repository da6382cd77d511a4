"""Regression tests from the second user trial (issue 11, real input dimensions): the body metrics.

The oracle of the decision polytopes is the formula of docs/math.md (Alfarra et al., TPAMI 2022) written
here from the weights: with the biases dropped, the support function of ``Newt(H_i ⊙ Q_j ⊕ H_j ⊙ Q_i)``
in direction ``u`` is that polynomial evaluated at ``u`` (a tropical polynomial without coefficients is its
Newton polytope's support function).
"""

import numpy as np
import pytest
import torch
from conftest import FlatStridedConv
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import ConvexHull
from torch import nn

import tropical as tr


def _net(inputs, hidden, outputs, seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(inputs, hidden), nn.ReLU(), nn.Linear(hidden, outputs)).double()


def _pruned(net, keep):
    ticket = _net(net[0].in_features, net[0].out_features, net[2].out_features, 0)
    ticket.load_state_dict(net.state_dict())
    with torch.no_grad():
        weight = ticket[0].weight
        weight.mul_(weight.abs() >= weight.abs().flatten().quantile(1 - keep))
    return ticket


def _decision_support(net, classes, directions):
    """h(u) = max(H_i(u) + Q_j(u), H_j(u) + Q_i(u)) with every bias set to zero (docs/math.md)."""
    A, B = net[0].weight.detach().numpy(), net[2].weight.detach().numpy()
    a_plus, a_minus = np.maximum(A, 0), np.maximum(-A, 0)
    b_plus, b_minus = np.maximum(B, 0), np.maximum(-B, 0)
    units = np.maximum(directions @ a_plus.T, directions @ a_minus.T)
    linear = directions @ a_minus.T
    H = units @ b_plus.T + linear @ b_minus.T
    Q = units @ b_minus.T + linear @ b_plus.T
    i, j = classes
    return np.maximum(H[:, i] + Q[:, j], H[:, j] + Q[:, i])


def test_projected_metrics_of_polytopes_without_a_basis():
    # projected_hausdorff(P, Q) on two Polytopes raised "reference must be ... a Polytope ..., got _PointSet":
    # the default basis re-read a body that had already been read
    square = tr.Polytope([[0, 0], [1, 0], [1, 1], [0, 1]])
    wide = tr.Polytope([[0, 0], [2, 0], [2, 1], [0, 1]])
    # in 2-D the projection is a rotation: the exact values of the polygons themselves
    assert tr.metrics.projected_hausdorff(square, wide) == pytest.approx(1.0)
    assert tr.metrics.projected_iou(square, wide) == pytest.approx(0.5)
    assert tr.metrics.projected_hausdorff(wide, square) == pytest.approx(1.0)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), dimension=st.integers(3, 12))
def test_projected_polygons_of_point_sets_are_the_hulls_of_the_projected_points(seed, dimension):
    rng = np.random.default_rng(seed)
    clouds = [rng.standard_normal((30, dimension)), rng.standard_normal((20, dimension)) + 1.0]
    polygons = tr.metrics.projected_polygons(clouds)
    basis = polygons[0].basis
    np.testing.assert_allclose(basis @ basis.T, np.eye(2), atol=1e-12)
    for cloud, polygon in zip(clouds, polygons, strict=True):
        shadow = cloud @ basis.T
        hull = ConvexHull(shadow)
        assert polygon.polytope.volume == pytest.approx(hull.volume, rel=1e-9)
        np.testing.assert_allclose(
            np.sort(polygon.hull, axis=0), np.sort(shadow[hull.vertices], axis=0), atol=1e-12
        )


@pytest.mark.parametrize(
    ("inputs", "hidden", "outputs", "classes"),
    [(64, 60, 10, (3, 7)), (40, 50, 10, (0, 1)), (784, 30, 2, (0, 1))],
)
def test_support_distance_of_networks_in_high_dimension(inputs, hidden, outputs, classes):
    # support_distance enumerated the decision polytopes' vertices first and so refused every pair of
    # networks above a few inputs, although it only needs support functions, exact in any dimension
    dense = _net(inputs, hidden, outputs, seed=inputs)
    ticket = _pruned(dense, keep=0.2)
    rng = np.random.default_rng(0)
    U = rng.standard_normal((500, inputs))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    gaps = _decision_support(dense, classes, U) - _decision_support(ticket, classes, U)
    hulls = [tr.decision_hull(net, classes) for net in (dense, ticket)]
    assert tr.metrics.support_distance(*hulls, p=np.inf, directions=U) == pytest.approx(
        np.abs(gaps).max(), rel=1e-9
    )
    assert tr.metrics.support_distance(*hulls, directions=U) == pytest.approx(
        np.sqrt(np.mean(gaps**2)), rel=1e-9
    )
    if classes == (0, 1):  # models are read as the decision polytope of classes (0, 1)
        assert tr.metrics.support_distance(dense, ticket, p=np.inf, directions=U) == pytest.approx(
            np.abs(gaps).max(), rel=1e-9
        )
    # the bracket's certified upper bound holds above every sampled gap, and the L-inf distance never
    # exceeds the Hausdorff distance
    bracket = tr.metrics.hausdorff_bracket(dense, ticket, classes=classes)
    assert np.abs(gaps).max() <= bracket.upper * (1 + 1e-9)


def test_support_distance_of_zonotopes_and_points_matches_the_formula():
    rng = np.random.default_rng(3)
    G1, G2 = rng.standard_normal((50, 40)), rng.standard_normal((45, 40))
    U = rng.standard_normal((300, 40))
    U /= np.linalg.norm(U, axis=1, keepdims=True)

    def support(G):  # base 0 + Z(G): sum_j max(0, <u, g_j>)  (docs/math.md, section 4)
        return np.maximum(U @ G.T, 0).sum(axis=1)

    expected = np.abs(support(G1) - support(G2)).max()
    assert tr.metrics.support_distance(
        tr.Zonotope(G1), tr.Zonotope(G2), p="inf", directions=U
    ) == pytest.approx(expected, rel=1e-12)
    points = rng.standard_normal((1000, 40))  # 1000 points in R^40: no hull is needed for a support function
    expected = np.abs((U @ points.T).max(axis=1) - support(G1)).max()
    assert tr.metrics.support_distance(points, tr.Zonotope(G1), p=np.inf, directions=U) == pytest.approx(
        expected
    )


def test_support_distance_with_a_normalisation_still_refuses_high_dimensions():
    dense = _net(64, 40, 10, seed=1)
    with pytest.raises(tr.ComputationTooLargeError, match="hausdorff_bracket"):
        tr.metrics.support_distance(dense, _pruned(dense, 0.5), normalize="centroid_diameter")
    with pytest.raises(ValueError, match="different dimensions"):
        tr.metrics.support_distance(tr.Zonotope(np.eye(3)), tr.Zonotope(np.eye(4)))


class _Maxout(nn.Module):  # a max over pairs of hidden units after the first layer (like max-pooling)
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(40, 16)
        self.out = nn.Linear(8, 3)

    def forward(self, x):
        h = torch.relu(self.hidden(x))
        return self.out(torch.maximum(h[:, :8], h[:, 8:]))


def test_body_metrics_of_a_conv_net_say_how_to_give_its_input_shape():
    # "Pass input_shape=(64,)": but hausdorff_bracket, support_distance and the projections take no
    # input_shape=; the message now says to pass the decision hull instead, and that works
    torch.manual_seed(0)
    dense, ticket = FlatStridedConv().double().eval(), FlatStridedConv().double().eval()
    for metric in (tr.metrics.hausdorff_bracket, tr.metrics.support_distance, tr.metrics.projected_iou):
        with pytest.raises(ValueError, match=r"decision_hull\(model, classes, input_shape=\.\.\.\) in place"):
            metric(dense, ticket)
    hulls = [tr.decision_hull(net, (0, 1), input_shape=(64,)) for net in (dense, ticket)]
    # oracle: the conv layer's dense matrix, by applying the network's own conv to the unit vectors
    U = np.random.default_rng(0).standard_normal((300, 64))
    for net, hull in zip((dense, ticket), hulls, strict=True):
        with torch.no_grad():
            basis = torch.eye(64, dtype=torch.float64).view(64, 1, 8, 8)
            A = (
                (net.conv(basis) - net.conv(torch.zeros(1, 1, 8, 8, dtype=torch.float64)))
                .flatten(1)
                .T.numpy()
            )
        B = net.fc.weight.detach().numpy()
        shim = nn.Sequential(nn.Linear(64, 27), nn.ReLU(), nn.Linear(27, 10)).double()
        with torch.no_grad():
            shim[0].weight.copy_(torch.from_numpy(A))
            shim[2].weight.copy_(torch.from_numpy(B))
        np.testing.assert_allclose(
            hull.support(U), _decision_support(shim, (0, 1), U), rtol=1e-10, atol=1e-10
        )
    bracket = tr.metrics.hausdorff_bracket(*hulls)
    assert bracket.lower <= bracket.upper


def test_rest_linear_is_advised_only_where_it_works():
    torch.manual_seed(0)
    maxout = _Maxout().double()
    with pytest.raises(tr.UnsupportedLayerError) as refusal:
        tr.metrics.hausdorff_bracket(maxout, maxout)
    assert "Here, pass" not in str(refusal.value)
    with pytest.raises(tr.UnsupportedLayerError):  # as the message no longer suggests, rest= does not help
        tr.decision_hull(maxout, rest="linear")
    deep = nn.Sequential(nn.Linear(40, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3)).double()
    with pytest.raises(
        tr.UnsupportedLayerError, match=r"Here, pass tropical\.decision_hull\(model, classes, rest='linear'\)"
    ):
        tr.metrics.hausdorff_bracket(deep, deep)
    same = tr.metrics.hausdorff_bracket(*[tr.decision_hull(deep, rest="linear")] * 2)
    assert same.upper == pytest.approx(0, abs=1e-12)
