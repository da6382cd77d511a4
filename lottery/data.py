"""Seeded, offline classification datasets with train / validation / test splits.

Every dataset is generated or shipped locally (no download). Features are standardised with the mean and
standard deviation of the training split only. The 2-D datasets can be drawn in every figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from lottery._validation import check_fraction, check_seed
from lottery.registry import Registry

__all__ = ["DATASETS", "Dataset", "load_dataset"]

DATASETS: Registry[Callable] = Registry("dataset", "name")


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train / validation / test splits of a classification dataset, as torch tensors.

    Attributes
    ----------
    name : str
    x_train, x_val, x_test : torch.Tensor, shape (n, d), float32
        Standardised features.
    y_train, y_val, y_test : torch.Tensor, shape (n,), int64
        Class labels in ``0 .. n_classes - 1``.
    mean, std : numpy.ndarray, shape (d,)
        The standardisation, fitted on the raw training features (``std`` of constant features is 1).
    seed : int
    """

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    mean: np.ndarray
    std: np.ndarray
    seed: int

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_val.max(), self.y_test.max())) + 1

    @property
    def train(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x_train, self.y_train

    @property
    def val(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x_val, self.y_val

    @property
    def test(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x_test, self.y_test

    def transform(self, x) -> torch.Tensor:
        """Standardise raw features ``x`` (shape (n, d)) with the training statistics."""
        x = np.asarray(x, dtype=np.float64)
        return torch.as_tensor((x - self.mean) / self.std, dtype=torch.float32)

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, d={self.n_features}, classes={self.n_classes}, "
            f"train={len(self.y_train)}, val={len(self.y_val)}, test={len(self.y_test)}, seed={self.seed})"
        )


def _sklearn_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


@DATASETS.register("moons")
def _moons(n_samples: int, noise: float | None, rng: np.random.Generator):
    from sklearn.datasets import make_moons

    return make_moons(n_samples, noise=0.1 if noise is None else noise, random_state=_sklearn_seed(rng))


@DATASETS.register("circles")
def _circles(n_samples: int, noise: float | None, rng: np.random.Generator):
    from sklearn.datasets import make_circles

    return make_circles(
        n_samples, noise=0.05 if noise is None else noise, factor=0.5, random_state=_sklearn_seed(rng)
    )


@DATASETS.register("spirals")
def _spirals(n_samples: int, noise: float | None, rng: np.random.Generator):
    """Two interleaved Archimedean spirals, 1.5 turns each."""
    noise = 0.05 if noise is None else noise
    labels = np.arange(n_samples) % 2
    t = np.sqrt(rng.uniform(0.0, 1.0, n_samples)) * 3.0 * np.pi
    angle = t + np.pi * labels
    radius = t / (3.0 * np.pi)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return x + noise * rng.standard_normal(x.shape), labels


@DATASETS.register("xor")
def _xor(n_samples: int, noise: float | None, rng: np.random.Generator):
    """Uniform points in [-1, 1]^2, label 1 where the two coordinates have different signs."""
    noise = 0.05 if noise is None else noise
    x = rng.uniform(-1.0, 1.0, (n_samples, 2))
    labels = (x[:, 0] * x[:, 1] < 0).astype(np.int64)
    return x + noise * rng.standard_normal(x.shape), labels


@DATASETS.register("blobs")
def _blobs(n_samples: int, noise: float | None, rng: np.random.Generator):
    from sklearn.datasets import make_blobs

    return make_blobs(
        n_samples, n_features=2, centers=3, cluster_std=1.0 if noise is None else noise,
        random_state=_sklearn_seed(rng),
    )  # fmt: skip


@DATASETS.register("gaussian_quantiles")
def _gaussian_quantiles(n_samples: int, noise: float | None, rng: np.random.Generator):
    from sklearn.datasets import make_gaussian_quantiles

    if noise is not None:
        raise ValueError("noise: gaussian_quantiles has no noise parameter")
    return make_gaussian_quantiles(
        n_samples=n_samples, n_features=2, n_classes=3, random_state=_sklearn_seed(rng)
    )


@DATASETS.register("digits")
def _digits(n_samples: int | None, noise: float | None, rng: np.random.Generator):
    """scikit-learn's 8x8 digits (1,797 images, shipped with scikit-learn), 64 features, 10 classes."""
    from sklearn.datasets import load_digits

    if noise is not None:
        raise ValueError("noise: digits is a fixed dataset and has no noise parameter")
    x, y = load_digits(return_X_y=True)
    if n_samples is not None:
        if n_samples > len(y):
            raise ValueError(f"n_samples: digits has only {len(y)} samples, asked for {n_samples}")
        keep = rng.permutation(len(y))[:n_samples]
        x, y = x[keep], y[keep]
    return x, y


@DATASETS.register("mnist1d")
def _mnist1d(n_samples: int | None, noise: float | None, rng: np.random.Generator):
    """MNIST-1D (Greydanus & Kobak 2024), 40 features, 10 classes, generated locally with default arguments.

    The generator seeds NumPy's global RNG itself; its state is saved and restored around the call.
    """
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ValueError("dataset 'mnist1d' needs the mnist1d package (pip install mnist1d)") from error
    if noise is not None:
        raise ValueError("noise: mnist1d is generated with its default arguments and has no noise parameter")
    args = get_dataset_args()
    if n_samples is not None:
        args.num_samples = int(n_samples)
    import random

    numpy_state, python_state = np.random.get_state(), random.getstate()  # noqa: NPY002 (restored below)
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(numpy_state)  # noqa: NPY002 (mnist1d seeds the global RNG)
        random.setstate(python_state)
    x = np.concatenate([data["x"], data["x_test"]])
    y = np.concatenate([data["y"], data["y_test"]])
    return x, y


def _split_indices(labels: np.ndarray, val_fraction: float, test_fraction: float, rng: np.random.Generator):
    """Stratified random split into train / validation / test index arrays."""
    train, val, test = [], [], []
    for label in np.unique(labels):
        index = rng.permutation(np.flatnonzero(labels == label))
        n_test = round(test_fraction * len(index))
        n_val = round(val_fraction * len(index))
        test.append(index[:n_test])
        val.append(index[n_test : n_test + n_val])
        train.append(index[n_test + n_val :])
    return tuple(rng.permutation(np.concatenate(part)) for part in (train, val, test))


def load_dataset(
    name: str,
    *,
    n_samples: int | None = None,
    noise: float | None = None,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
) -> Dataset:
    """Generate or load a dataset by name and split it, seeded and offline.

    Parameters
    ----------
    name : str
        One of ``DATASETS``: ``moons``, ``circles``, ``spirals``, ``xor``, ``blobs`` (3 classes),
        ``gaussian_quantiles`` (3 classes) -- all 2-D -- ``digits`` (64-D, 10 classes) and ``mnist1d``
        (40-D, 10 classes).
    n_samples : int, optional
        Number of samples before splitting; default 1,000 for the 2-D datasets, everything for digits
        (1,797) and 5,000 for mnist1d.
    noise : float, optional
        Noise level of the synthetic 2-D datasets (their own default if ``None``).
    val_fraction, test_fraction : float
        Fractions of every class put into the validation and test splits (stratified).
    seed : int
        Seeds the sample generation (for the synthetic sets) and the split, through
        ``numpy.random.default_rng``; the global RNGs are not used.

    Returns
    -------
    Dataset

    Examples
    --------
    >>> data = load_dataset("moons", n_samples=200, seed=1)
    >>> data.x_train.shape[1], data.n_classes
    (2, 2)
    """
    generate = DATASETS[name]
    seed = check_seed(seed)
    val_fraction = check_fraction(val_fraction, "val_fraction", open_high=True)
    test_fraction = check_fraction(test_fraction, "test_fraction", open_high=True)
    if val_fraction + test_fraction >= 1.0:
        raise ValueError(f"val_fraction + test_fraction must be < 1, got {val_fraction + test_fraction}")
    if n_samples is not None and (
        isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 10
    ):
        raise ValueError(f"n_samples must be an int >= 10 or None, got {n_samples!r}")
    if n_samples is None and name not in ("digits", "mnist1d"):
        n_samples = 1000
    rng = np.random.default_rng(seed)
    x, y = generate(n_samples, noise, rng)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    train, val, test = _split_indices(y, val_fraction, test_fraction, rng)
    mean = x[train].mean(axis=0)
    std = x[train].std(axis=0)
    std = np.where(std > 0, std, 1.0)

    def features(index):
        return torch.as_tensor((x[index] - mean) / std, dtype=torch.float32)

    def labels(index):
        return torch.as_tensor(y[index], dtype=torch.int64)

    return Dataset(
        name, features(train), labels(train), features(val), labels(val), features(test), labels(test),
        mean, std, int(seed),
    )  # fmt: skip
