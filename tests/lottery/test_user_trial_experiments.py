"""Regression tests from the user trial (issue 11): comparisons of custom models that read flat inputs."""

import numpy as np
import pytest
import torch

from lottery.experiments import compare_initializations

FLAT_CONV = """
from torch import nn

def flat_conv():  # flat 64-D digits in, reshaped by the model itself: affine (conv) -> ReLU -> affine
    return nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 1, 3, stride=2, padding=1), nn.ReLU(),
                         nn.Flatten(), nn.Linear(16, 10))
"""


@pytest.mark.slow
def test_projected_polygons_of_a_model_that_unflattens_its_input(tmp_path, monkeypatch):
    """`tropical-lottery compare --model` crashed after writing the table: the figure read the model
    without its (flat) input shape ("input_shape is needed ... (1, height, width)")."""
    import matplotlib.pyplot as plt

    (tmp_path / "trial_flat_conv.py").write_text(FLAT_CONV)
    monkeypatch.syspath_prepend(str(tmp_path))
    result = compare_initializations("digits", model="trial_flat_conv:flat_conv", sparsities=(0.5,),
                                     inits=("lottery",), seeds=1, epochs=1, planes=1, cache=False,
                                     progress=False)  # fmt: skip
    figure, axes = result.plot_projected_polygons()
    dense = result.dense_model(0)
    # the conv layer's generators from the network's own forward pass on the 64 unit images (bias removed)
    with torch.no_grad():
        conv = dense[1]
        A = (conv(torch.eye(64).reshape(64, 1, 8, 8)) - conv.bias.reshape(1, -1, 1, 1)).reshape(64, 16).T
    A, B = A.double().numpy(), dense[4].weight.detach().double().numpy()
    w1 = np.maximum(B[0], 0) + np.maximum(-B[1], 0)
    w2 = np.maximum(B[1], 0) + np.maximum(-B[0], 0)
    offset = (np.abs(B[0]) + np.abs(B[1])) @ np.maximum(-A, 0)
    plane = np.linalg.svd(np.vstack([w1[:, None] * A, w2[:, None] * A]))[2][:2]  # principal generator plane
    angles = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    V = np.column_stack([np.cos(angles), np.sin(angles)])
    drawn = (axes[0, 0].patches[0].get_xy() @ V.T).max(axis=0)

    def support(U):  # of conv(Z1 ∪ Z2), Alfarra et al.'s zonotopes written from the weights
        return np.maximum(*[U @ offset + np.maximum(U @ (w[:, None] * A).T, 0).sum(axis=1) for w in (w1, w2)])

    best = min(
        np.abs(drawn - support(V @ (np.array(s)[:, None] * plane))).max()
        for s in ([1, 1], [1, -1], [-1, 1], [-1, -1])
    )  # fmt: skip  (axis orientation is a convention)
    assert best < 1e-5 * (1 + np.abs(drawn).max())
    plt.close(figure)
