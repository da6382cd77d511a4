"""Reading a PyTorch ReLU network as a list of affine maps and activations.

Every exact computation of this package (tropical polynomials, linear regions, zonotopes) starts here, so
that the supported layers, the error messages and the handling of pruned weights are the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tropical.errors import UnsupportedLayerError

__all__ = ["AffineLayer", "affine_layers"]


@dataclass(frozen=True)
class AffineLayer:
    """One step ``x -> activation(weight @ x + bias)`` of a network, in float64.

    Attributes
    ----------
    weight : ndarray, shape (n_out, n_in)
        Effective weight (masks of pruned models already applied).
    bias : ndarray, shape (n_out,)
        Bias (zeros for layers without bias).
    slope : float or None
        Activation after the affine map: ``None`` for none (a linear layer), ``0.0`` for ReLU, ``s`` in
        (0, 1) for ``LeakyReLU(negative_slope=s)``.
    source : str
        Positions of the PyTorch modules this layer was built from, e.g. ``"0, 1"``; used in messages.
    """

    weight: np.ndarray
    bias: np.ndarray
    slope: float | None
    source: str

    @property
    def n_in(self) -> int:
        return self.weight.shape[1]

    @property
    def n_out(self) -> int:
        return self.weight.shape[0]


def _effective_weight(module, name: str):
    """Weight as the module computes it, also for ``torch.nn.utils.prune`` re-parametrised modules."""
    original, mask = getattr(module, name + "_orig", None), getattr(module, name + "_mask", None)
    if original is not None and mask is not None:
        return original.detach() * mask.detach()
    return getattr(module, name).detach()


def _as_float64(tensor, what: str, position: str) -> np.ndarray:
    array = tensor.detach().cpu().double().numpy().copy()
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"layer at position {position}: {what} has {bad} NaN or infinite entries")
    return array


def _flatten_modules(model, prefix: str = ""):
    """Yield (position, module) for the leaves of nested ``nn.Sequential`` containers."""
    from torch import nn

    if isinstance(model, nn.Sequential):
        for name, child in model.named_children():
            yield from _flatten_modules(child, f"{prefix}{name}" if not prefix else f"{prefix}.{name}")
    else:
        yield (prefix or "0"), model


SUPPORTED = "Linear, ReLU, LeakyReLU, Identity, Flatten, Dropout, BatchNorm1d (eval)"


def affine_layers(model, *, allow_batchnorm: bool = True) -> list[AffineLayer]:
    """Read a feed-forward ReLU network into affine layers with piecewise-linear activations.

    Consecutive affine modules (``Linear``, ``BatchNorm1d`` in eval mode) are composed into one affine
    map; ``Identity``, ``Flatten`` and ``Dropout`` (read as at evaluation time) are skipped. An activation
    that does not follow an affine map gets an identity map in front of it.

    Parameters
    ----------
    model : torch.nn.Module
        An ``nn.Sequential`` (nested containers are fine) or a single ``nn.Linear``.
    allow_batchnorm : bool
        Fold ``BatchNorm1d`` with running statistics into the preceding affine map.

    Returns
    -------
    list of AffineLayer
        In forward order. The last layer has ``slope=None`` unless the network ends with an activation.

    Raises
    ------
    UnsupportedLayerError
        For any other module, naming its class and position (e.g. ``Tanh at position 1.2``).
    ValueError
        For NaN or infinite weights, or layers whose sizes do not chain.
    """
    from torch import nn

    layers: list[AffineLayer] = []
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    sources: list[str] = []

    def close(slope: float | None) -> None:
        nonlocal weight, bias, sources
        if weight is None:  # activation without an affine map in front of it
            if not layers:
                raise ValueError(
                    "the network starts with an activation; its input size is unknown. "
                    "Put a Linear layer first (nn.Identity cannot carry a size)."
                )
            size = layers[-1].n_out
            weight, bias = np.eye(size), np.zeros(size)
        layers.append(AffineLayer(weight, bias, slope, ", ".join(sources)))
        weight, bias, sources = None, None, []

    def compose(w: np.ndarray, b: np.ndarray, position: str, kind: str) -> None:
        nonlocal weight, bias
        if weight is None:
            expected = layers[-1].n_out if layers else None
            if expected is not None and w.shape[1] != expected:
                raise ValueError(
                    f"{kind} at position {position} expects {w.shape[1]} inputs but the previous "
                    f"layer has {expected} outputs"
                )
            weight, bias = w, b
        else:
            if w.shape[1] != weight.shape[0]:
                raise ValueError(
                    f"{kind} at position {position} expects {w.shape[1]} inputs but the previous "
                    f"layer has {weight.shape[0]} outputs"
                )
            weight, bias = w @ weight, w @ bias + b
        sources.append(position)

    for position, module in _flatten_modules(model):
        if isinstance(module, nn.Linear):
            w = _as_float64(_effective_weight(module, "weight"), "weight", position)
            if module.bias is not None:
                b = _as_float64(_effective_weight(module, "bias"), "bias", position)
            else:
                b = np.zeros(w.shape[0])
            compose(w, b, position, "Linear")
        elif isinstance(module, nn.BatchNorm1d) and allow_batchnorm:
            if module.running_mean is None or module.running_var is None:
                raise UnsupportedLayerError(
                    f"BatchNorm1d at position {position} has no running statistics "
                    "(track_running_stats=False); it is not an affine map"
                )
            mean = _as_float64(module.running_mean, "running_mean", position)
            var = _as_float64(module.running_var, "running_var", position)
            scale = 1.0 / np.sqrt(var + module.eps)
            gamma = np.ones_like(mean)
            beta = np.zeros_like(mean)
            if module.affine:
                gamma = _as_float64(module.weight, "weight", position)
                beta = _as_float64(module.bias, "bias", position)
            compose(np.diag(gamma * scale), beta - gamma * scale * mean, position, "BatchNorm1d")
        elif isinstance(module, nn.ReLU):
            close(0.0)
        elif isinstance(module, nn.LeakyReLU):
            slope = float(module.negative_slope)
            if not 0.0 <= slope < 1.0:
                raise UnsupportedLayerError(
                    f"LeakyReLU at position {position} has negative_slope={slope}; "
                    "only slopes in [0, 1) are convex max-plus maps"
                )
            close(slope)
        elif isinstance(module, nn.Identity | nn.Flatten | nn.Dropout):
            continue
        else:
            raise UnsupportedLayerError(
                f"{type(module).__name__} at position {position} is not supported; "
                f"supported layers: {SUPPORTED}"
            )
    if weight is not None:
        close(None)
    if not layers:
        raise ValueError("the network has no Linear layer")
    return layers
