import numpy as np
import pytest
import torch

from lottery.data import DATASETS, load_dataset

EXPECTED = {
    "moons": (2, 2),
    "circles": (2, 2),
    "spirals": (2, 2),
    "xor": (2, 2),
    "blobs": (2, 3),
    "gaussian_quantiles": (2, 3),
    "digits": (64, 10),
}


def test_registry_lists_all_datasets():
    assert set(DATASETS) == {*EXPECTED, "mnist1d"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_splits_shapes_and_standardisation(name):
    data = load_dataset(name, seed=3)
    d, k = EXPECTED[name]
    assert data.n_features == d and data.n_classes == k
    assert data.x_train.dtype == torch.float32 and data.y_train.dtype == torch.int64
    n = len(data.y_train) + len(data.y_val) + len(data.y_test)
    assert len(data.y_test) == pytest.approx(0.15 * n, abs=k) and len(data.y_val) == pytest.approx(
        0.15 * n, abs=k
    )
    x = data.x_train.double().numpy()
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-5)
    std = x.std(axis=0)
    assert np.all((np.abs(std - 1.0) < 1e-4) | (std < 1e-6))  # digits has constant (all-zero) pixels
    raw = data.x_train.double().numpy() * data.std + data.mean  # the training statistics undo exactly
    np.testing.assert_allclose(raw.mean(axis=0), data.mean, atol=1e-4)


def test_digits_is_sklearn_digits_with_disjoint_splits():
    from sklearn.datasets import load_digits

    x, _ = load_digits(return_X_y=True)
    data = load_dataset("digits", seed=0)
    raw = np.concatenate(
        [(t.double().numpy() * data.std + data.mean) for t in (data.x_train, data.x_val, data.x_test)]
    )
    assert raw.shape == x.shape
    rows = {tuple(np.round(r).astype(int)) for r in raw}
    assert rows == {tuple(r.astype(int)) for r in x}
    assert np.abs(raw - np.round(raw)).max() < 1e-4


def test_seeds():
    a, b, c = load_dataset("moons", seed=1), load_dataset("moons", seed=1), load_dataset("moons", seed=2)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.x_train, c.x_train)


def test_mnist1d_offline_and_global_rng_restored():
    state = np.random.get_state()  # noqa: NPY002 - checking that the loader leaves it alone
    data = load_dataset("mnist1d", n_samples=500, seed=0)
    after = np.random.get_state()  # noqa: NPY002
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2] == state[2]
    assert data.n_features == 40 and data.n_classes == 10


def test_errors():
    with pytest.raises(ValueError, match=r"unknown dataset 'mnist'.*known: blobs, circles, digits"):
        load_dataset("mnist")
    with pytest.raises(ValueError, match="val_fraction"):
        load_dataset("moons", val_fraction=1.5)
    with pytest.raises(ValueError, match="n_samples"):
        load_dataset("digits", n_samples=5000)
    with pytest.raises(ValueError, match="noise"):
        load_dataset("digits", noise=0.1)
    with pytest.raises(TypeError, match="seed"):
        load_dataset("moons", seed=1.5)
