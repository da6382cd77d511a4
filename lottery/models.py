"""Plain ``nn.Sequential`` multilayer perceptrons with seeded, documented initialisations.

The networks are ``Linear, activation, Linear, activation, ..., Linear`` and nothing else, so that
``tropical`` reads every one of them exactly (``tropical.layers.affine_layers``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn

from lottery._validation import check_seed

__all__ = ["ACTIVATIONS", "INITS", "init_std", "mlp"]

ACTIVATIONS = ("relu", "leaky_relu")
INITS = ("kaiming", "xavier", "normal")
LEAKY_SLOPE = 0.01
NORMAL_STD = 0.1


def init_std(fan_in: int, fan_out: int, *, init: str = "kaiming", activation: str = "relu") -> float:
    """Standard deviation of the zero-mean normal distribution that ``mlp`` draws a layer's weights from.

    Parameters
    ----------
    fan_in, fan_out : int
        Layer input and output sizes.
    init : {"kaiming", "xavier", "normal"}
        ``kaiming``: ``gain / sqrt(fan_in)`` with ``gain = sqrt(2 / (1 + s^2))`` for slope ``s`` (He et al.
        2015); ``xavier``: ``sqrt(2 / (fan_in + fan_out))`` (Glorot & Bengio 2010); ``normal``: 0.1.
    activation : {"relu", "leaky_relu"}
    """
    _check_choice(init, INITS, "init")
    _check_choice(activation, ACTIVATIONS, "activation")
    if init == "kaiming":
        slope = 0.0 if activation == "relu" else LEAKY_SLOPE
        return math.sqrt(2.0 / (1.0 + slope**2)) / math.sqrt(fan_in)
    if init == "xavier":
        return math.sqrt(2.0 / (fan_in + fan_out))
    return NORMAL_STD


def _check_choice(value, choices, argument: str) -> None:
    if value not in choices:
        raise ValueError(f"{argument}={value!r} is not one of {', '.join(choices)}")


def mlp(
    widths: Sequence[int],
    *,
    activation: str = "relu",
    init: str = "kaiming",
    bias: bool = True,
    seed: int | None = None,
) -> nn.Sequential:
    """A fully connected ReLU network as a plain ``nn.Sequential``.

    Parameters
    ----------
    widths : sequence of int
        Layer sizes including input and output, e.g. ``[784, 300, 100, 10]`` for LeNet-300-100
        (Frankle & Carbin 2019). At least two entries.
    activation : {"relu", "leaky_relu"}
        Hidden activation (``LeakyReLU`` with slope 0.01). The output layer is linear.
    init : {"kaiming", "xavier", "normal"}
        Weights drawn from a normal distribution with standard deviation :func:`init_std`; biases zero.
    bias : bool
        Give every ``Linear`` a bias.
    seed : int, optional
        Seed of a private ``torch.Generator``; ``None`` means 0. The global RNG is never used.

    Returns
    -------
    torch.nn.Sequential
        Modules ``Linear, act, ..., Linear`` with state-dict keys ``"0.weight"``, ``"0.bias"``,
        ``"2.weight"``, ...; the weight of layer ``i`` has shape ``(widths[i + 1], widths[i])``, float32.

    Examples
    --------
    >>> net = mlp([2, 8, 2], seed=0)
    >>> [tuple(p.shape) for p in net.parameters()]
    [(8, 2), (8,), (2, 8), (2,)]
    """
    if isinstance(widths, str | bytes) or not isinstance(widths, Sequence):
        raise TypeError(f"widths must be a sequence of ints, got {type(widths).__name__}")
    if len(widths) < 2:
        raise ValueError(f"widths must have at least two entries (input and output), got {list(widths)}")
    for w in widths:
        if isinstance(w, bool) or not isinstance(w, int) or w < 1:
            raise ValueError(f"widths must be positive ints, got {list(widths)}")
    _check_choice(activation, ACTIVATIONS, "activation")
    _check_choice(init, INITS, "init")
    seed = check_seed(seed, allow_none=True)
    generator = torch.Generator().manual_seed(0 if seed is None else seed)
    modules: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
        linear = torch.nn.utils.skip_init(nn.Linear, n_in, n_out, bias=bias)  # no global-RNG init
        std = init_std(n_in, n_out, init=init, activation=activation)
        with torch.no_grad():
            linear.weight.copy_(torch.randn(n_out, n_in, generator=generator) * std)
            if bias:
                linear.bias.zero_()
        modules.append(linear)
        if i < len(widths) - 2:
            modules.append(nn.ReLU() if activation == "relu" else nn.LeakyReLU(LEAKY_SLOPE))
    return nn.Sequential(*modules)
