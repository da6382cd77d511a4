"""A piecewise-linear PyTorch model as a list of dense affine maps and activations, when it is a chain.

The front door of the code that works layer by layer (Zhang et al.'s recursion, Alfarra et al.'s
zonotopes): :func:`affine_layers` reads the model with :func:`tropical.graph.piecewise_linear_graph` (the
one reader of every model, see there for what is supported) and returns :meth:`Graph.chain
<tropical.graph.Graph.chain>`. Models with residual connections or max-pooling are not chains; the
functions that take them are named in the error.
"""

from __future__ import annotations

import numpy as np

from tropical._record import Record
from tropical.errors import UnsupportedLayerError

__all__ = ["AffineLayer", "affine_layers"]


class AffineLayer(Record):
    """One step ``x -> activation(weight @ x + bias)`` of a network, in float64.

    Attributes
    ----------
    weight : ndarray, shape (n_out, n_in)
        Effective weight (masks of pruned models already applied).
    bias : ndarray, shape (n_out,)
        Bias (zeros for layers without bias).
    slope : float, ndarray of shape (n_out,), or None
        Activation ``where(x >= 0, x, slope * x)`` after the affine map: ``None`` for none (a linear layer),
        ``0.0`` for ReLU, any real ``s`` for ``LeakyReLU(negative_slope=s)`` (``-1`` is ``abs``), an array
        for a per-unit ``PReLU``.
    source : str
        Positions of the PyTorch modules this layer was built from, e.g. ``"0, 1"``; used in messages.
    """

    _fields = ("weight", "bias", "slope", "source")  # constructor order
    __slots__ = _fields

    def __init__(self, weight: np.ndarray, bias: np.ndarray, slope: float | np.ndarray | None, source: str):
        object.__setattr__(self, "weight", weight)
        object.__setattr__(self, "bias", bias)
        object.__setattr__(self, "slope", slope)
        object.__setattr__(self, "source", source)

    def __eq__(self, other):
        """Field by field, as the frozen dataclass this replaces (arrays compare as in a tuple)."""
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self):
        return hash(self._values())

    @property
    def n_in(self) -> int:
        return self.weight.shape[1]

    @property
    def n_out(self) -> int:
        return self.weight.shape[0]


def affine_layers(model, *, allow_batchnorm: bool = True, input_shape=None) -> list[AffineLayer]:
    """Read a feed-forward piecewise-linear network into dense affine layers with activations.

    Consecutive affine operations (``Linear``, convolutions, pooling by averages, ``BatchNorm`` in eval
    mode, reshapes...) are composed into one affine map; an activation that does not follow an affine map
    gets an identity map in front of it. ``Hardtanh``/``ReLU6`` become two ReLU units each.

    Parameters
    ----------
    model : torch.nn.Module
        Any model :func:`tropical.graph.piecewise_linear_graph` reads whose graph is a chain (no residual
        connection, no max-pooling): ``nn.Sequential``, a custom module, a convolution first layer...
    allow_batchnorm : bool
        Fold ``BatchNorm`` layers with running statistics into the neighbouring affine map; when False they
        are refused.
    input_shape : tuple of int, optional
        Per-sample input shape, needed when the model does not start with a ``Linear`` layer.

    Returns
    -------
    list of AffineLayer
        In forward order; weights act on the flattened input. The last layer has ``slope=None`` unless the
        network ends with an activation.

    Raises
    ------
    UnsupportedLayerError
        For modules without a piecewise-linear form (all of them named), and for models that are not a
        chain (naming the node and the function that handles them).
    ComputationTooLargeError
        When a dense weight (e.g. of a convolution on a large input) would be too large.
    ValueError
        For NaN or infinite weights, or inputs and layers whose sizes do not chain.

    Examples
    --------
    >>> from torch import nn
    >>> model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Hardtanh(), nn.Linear(3, 1)).eval()
    >>> [(layer.n_in, layer.n_out, layer.slope) for layer in affine_layers(model)]
    [(2, 6, 0.0), (6, 1, None)]
    """
    from torch import nn

    from tropical.graph import piecewise_linear_graph

    if not allow_batchnorm:
        for name, module in model.named_modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                raise UnsupportedLayerError(
                    f"{type(module).__name__} at position {name} is not allowed (allow_batchnorm=False)"
                )
    graph = piecewise_linear_graph(model, input_shape=input_shape)
    if not graph.is_chain:
        try:
            graph.chain()
        except UnsupportedLayerError as error:
            raise UnsupportedLayerError(
                f"{error}. This function reads chains of affine maps and activations only; "
                "tropical.from_torch (input dimension <= 6) and tropical.linear_regions (a 2-D domain or a "
                "plane) read any piecewise-linear graph"
            ) from None
    return graph.chain()
