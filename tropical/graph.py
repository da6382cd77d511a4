"""Any piecewise-linear PyTorch model as one small graph of affine, activation and max nodes.

:func:`piecewise_linear_graph` traces a model with ``torch.fx`` (custom ``nn.Module`` classes, residual
connections, convolutions, pooling...) into a :class:`Graph`, the one intermediate form that every exact
computation of this package consumes (:func:`tropical.from_torch`, :func:`tropical.linear_regions`, the
decision-boundary functions). A node is one of

``"input"``
    ``nodes[0]``: the model's input, shape ``input_shape`` (per sample, without the batch dimension).
``"affine"``
    ``value = sum_i ops[i].apply(value of inputs[i]) + bias``. The ``ops`` are :class:`LinearOp` s that
    never densify (a convolution stays a convolution); ``op.split()`` gives its positive and negative parts.
``"activation"``
    One input of the same shape: ``value = where(x >= 0, x, slope * x)`` with any real ``slope``, a scalar
    or an array broadcastable to the shape (``0``: ReLU, ``0 < s < 1``: LeakyReLU, ``-1``: ``abs``,
    per channel: PReLU).
``"max"``
    One input: ``value.reshape(-1)[k] = max_j x.reshape(-1)[windows[k, j]]`` over the ``j`` with
    ``windows[k, j] >= 0`` (``-1`` pads windows of different sizes).

How modules are lowered (the reader does it, so that consumers only see the node kinds above):

- affine: ``Linear``, ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d`` (stride, padding incl. ``'same'`` and
  padding modes, dilation, groups, bias), ``AvgPool``, ``AdaptiveAvgPool``, linear ``Upsample``,
  ``BatchNorm`` in eval mode (folded), ``Flatten``/``Unflatten``/``view``/``reshape``/``permute``/indexing/
  padding and every other pure data movement, ``Dropout`` in eval mode, ``Identity``, ``+``, ``-``, ``*`` and
  ``/`` by constants, ``@`` with a constant, ``sum``/``mean``, ``torch.cat``/``stack``;
- activation: ``ReLU``, ``LeakyReLU`` (any slope), ``PReLU``, ``abs``; ``ReLU6``, ``Hardtanh``,
  ``clamp`` and the continuous ``Threshold`` become differences of ReLUs
  (``hardtanh(x; a, b) = a + relu(x - a) - relu(x - b)``);
- max: ``MaxPool1d/2d``, ``AdaptiveMaxPool1d/2d``, ``torch.max``/``amax`` over dimensions,
  ``torch.maximum`` (and ``min``/``minimum`` as ``-max(-x)``);
- dropped: a ``Softmax``/``LogSoftmax`` whose result is the model's output. It changes neither the
  argmax nor the decision boundaries; the graph's output is the logits.

A module is read as it computes: the effective weights of ``torch.nn.utils.prune`` and of parametrizations
(new-style ``weight_norm``), old-style ``weight_norm``; a subclass with its own ``forward`` is traced through
that ``forward``; a module instance used twice is read twice. Everything else is refused with one
:class:`~tropical.errors.UnsupportedLayerError` naming every unsupported operation and its place: other
activations (Tanh, GELU, Sigmoid...), BatchNorm or Dropout in training mode, forward hooks, control flow
that depends on the input. As a last safety net the graph is evaluated on random inputs and compared with
the model itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from tropical._record import Record
from tropical._validation import float_array
from tropical.errors import ComputationTooLargeError, UnsupportedLayerError

__all__ = [
    "Composed",
    "Convolution",
    "Dense",
    "Gather",
    "Graph",
    "LinearOp",
    "Node",
    "Reshape",
    "Scale",
    "Signed",
    "TorchLinear",
    "Zero",
    "piecewise_linear_graph",
]

#: Largest dense matrix (entries) :meth:`Graph.chain` builds by default (256 MiB of float64).
DEFAULT_MAX_DENSE_ENTRIES = 2**25

_set = object.__setattr__  # sets a field of a read-only Record once, in __init__


def _torch():
    import torch

    return torch


# ------------------------------------------------------------------------------------------ linear ops
class LinearOp:
    """A linear map between per-sample shapes, applied to batches; never densified unless asked.

    Subclasses implement :meth:`apply`; ``nonnegative`` ops (all entries of the matrix >= 0) get
    :meth:`split` for free.
    """

    __slots__ = ()

    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    nonnegative: bool = False

    @property
    def n_in(self) -> int:
        return math.prod(self.in_shape)

    @property
    def n_out(self) -> int:
        return math.prod(self.out_shape)

    def apply(self, x: np.ndarray) -> np.ndarray:
        """``(batch, *in_shape)`` float64 -> ``(batch, *out_shape)`` float64."""
        raise NotImplementedError

    def split(self) -> tuple[LinearOp, LinearOp]:
        """``(positive, negative)`` with ``self = positive - negative``, both entrywise >= 0."""
        if self.nonnegative:
            return self, Zero(self.in_shape, self.out_shape)
        raise NotImplementedError

    def matrix(self) -> np.ndarray:
        """Dense matrix, shape ``(n_out, n_in)``, acting on flattened (C-order) values."""
        eye = np.eye(self.n_in).reshape(self.n_in, *self.in_shape)
        return self.apply(eye).reshape(self.n_in, self.n_out).T

    def _batch(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return x.reshape(x.shape[0], *self.in_shape)


class Zero(LinearOp, Record):
    """The zero map."""

    _fields = ("in_shape", "out_shape")  # constructor order
    __slots__ = _fields
    nonnegative = True

    def __init__(self, in_shape: tuple[int, ...], out_shape: tuple[int, ...]):
        _set(self, "in_shape", in_shape)
        _set(self, "out_shape", out_shape)

    def apply(self, x):
        return np.zeros((np.shape(x)[0], *self.out_shape))


class Reshape(LinearOp, Record):
    """The identity on the values (C order), possibly with another shape."""

    _fields = ("in_shape", "out_shape")  # constructor order
    __slots__ = _fields
    nonnegative = True

    def __init__(self, in_shape: tuple[int, ...], out_shape: tuple[int, ...]):
        _set(self, "in_shape", in_shape)
        _set(self, "out_shape", out_shape)

    def apply(self, x):
        return self._batch(x).reshape(-1, *self.out_shape)


class Gather(LinearOp, Record):
    """``out.reshape(-1)[k] = x.reshape(-1)[index[k]]``, and 0 where ``index[k] == -1``.

    Every pure data movement (permute, slicing, padding, repeat, the slot of one input of ``cat``...).
    """

    _fields = ("index", "in_shape", "out_shape")  # constructor order
    __slots__ = _fields
    nonnegative = True

    def __init__(self, index: np.ndarray, in_shape: tuple[int, ...], out_shape: tuple[int, ...]):
        _set(self, "index", index)
        _set(self, "in_shape", in_shape)
        _set(self, "out_shape", out_shape)

    def apply(self, x):
        flat = self._batch(x).reshape(np.shape(x)[0], -1)
        out = flat[:, np.maximum(self.index, 0)]
        out[:, self.index < 0] = 0.0
        return out.reshape(-1, *self.out_shape)


class Scale(LinearOp, Record):
    """Entrywise product with ``factor`` (a scalar or an array broadcastable to the shape)."""

    _fields = ("factor", "in_shape")  # constructor order
    __slots__ = _fields

    def __init__(self, factor: np.ndarray | float, in_shape: tuple[int, ...]):
        _set(self, "factor", factor)
        _set(self, "in_shape", in_shape)

    @property
    def out_shape(self):
        return self.in_shape

    def apply(self, x):
        return self._batch(x) * self.factor

    def split(self):
        factor = np.asarray(self.factor, dtype=np.float64)
        return Scale(np.maximum(factor, 0), self.in_shape), Scale(np.maximum(-factor, 0), self.in_shape)


class Dense(LinearOp, Record):
    """A matrix acting on one axis of the value (``Linear`` acts on the last one): shape ``(out, in)``."""

    _fields = ("weight", "in_shape", "axis")  # constructor order
    __slots__ = _fields

    def __init__(self, weight: np.ndarray, in_shape: tuple[int, ...], axis: int = -1):
        _set(self, "weight", weight)
        _set(self, "in_shape", in_shape)
        _set(self, "axis", axis)

    @property
    def out_shape(self):
        shape = list(self.in_shape)
        shape[self.axis] = self.weight.shape[0]
        return tuple(shape)

    def apply(self, x):
        x = np.moveaxis(self._batch(x), self.axis if self.axis < 0 else self.axis + 1, -1)
        out = x @ self.weight.T
        return np.moveaxis(out, -1, self.axis if self.axis < 0 else self.axis + 1)

    def split(self):
        return (
            Dense(np.maximum(self.weight, 0), self.in_shape, self.axis),
            Dense(np.maximum(-self.weight, 0), self.in_shape, self.axis),
        )


class Convolution(LinearOp, Record):
    """``torch.nn.functional.<function>(pad(x), weight, **options)`` in float64 (no bias).

    ``function`` is ``conv1d/2d/3d`` or ``conv_transpose1d/2d/3d``; ``padding`` is the non-zero padding mode
    (``(mode, amounts)`` for ``torch.nn.functional.pad``) or None.
    """

    _fields = ("weight", "function", "options", "in_shape", "out_shape", "padding")  # constructor order
    __slots__ = _fields

    def __init__(
        self,
        weight: np.ndarray,
        function: str,
        options: dict,
        in_shape: tuple[int, ...],
        out_shape: tuple[int, ...],
        padding: tuple | None = None,
    ):
        _set(self, "weight", weight)
        _set(self, "function", function)
        _set(self, "options", options)
        _set(self, "in_shape", in_shape)
        _set(self, "out_shape", out_shape)
        _set(self, "padding", padding)

    def apply(self, x):
        torch = _torch()
        from torch.nn import functional

        with torch.no_grad():
            t = torch.from_numpy(np.require(self._batch(x), requirements=["C", "W"]))
            if self.padding is not None:
                t = functional.pad(t, self.padding[1], mode=self.padding[0])
            out = getattr(functional, self.function)(t, torch.from_numpy(self.weight), **self.options)
        return out.numpy()

    def split(self):
        return (
            Convolution(np.maximum(self.weight, 0), self.function, self.options, *self._shapes()),
            Convolution(np.maximum(-self.weight, 0), self.function, self.options, *self._shapes()),
        )

    def _shapes(self):
        return self.in_shape, self.out_shape, self.padding


class TorchLinear(LinearOp, Record):
    """A linear torch function with nonnegative coefficients (average pooling, ``mean``, linear upsampling),
    called on float64 batches."""

    _fields = ("function", "in_shape", "out_shape", "description")  # constructor order
    __slots__ = _fields
    nonnegative = True

    def __init__(
        self, function: Callable, in_shape: tuple[int, ...], out_shape: tuple[int, ...], description: str = ""
    ):
        _set(self, "function", function)
        _set(self, "in_shape", in_shape)
        _set(self, "out_shape", out_shape)
        _set(self, "description", description)

    def apply(self, x):
        torch = _torch()
        with torch.no_grad():
            out = self.function(torch.from_numpy(np.require(self._batch(x), requirements=["C", "W"])))
        return out.numpy().reshape(-1, *self.out_shape)


class Signed(LinearOp, Record):
    """``positive - negative`` of two nonnegative ops of the same shapes."""

    _fields = ("positive", "negative")  # constructor order
    __slots__ = _fields

    def __init__(self, positive: LinearOp, negative: LinearOp):
        _set(self, "positive", positive)
        _set(self, "negative", negative)

    @property
    def in_shape(self):
        return self.positive.in_shape

    @property
    def out_shape(self):
        return self.positive.out_shape

    def apply(self, x):
        return self.positive.apply(x) - self.negative.apply(x)

    def split(self):
        return self.positive, self.negative


class Composed(LinearOp, Record):
    """``ops[-1] ∘ ... ∘ ops[0]``; at most one of the ops may have negative entries."""

    _fields = ("ops",)  # constructor order
    __slots__ = _fields

    def __init__(self, ops: tuple[LinearOp, ...]):
        if sum(not op.nonnegative for op in ops) > 1:
            raise ValueError("Composed takes at most one op with negative entries")
        _set(self, "ops", ops)

    @property
    def in_shape(self):
        return self.ops[0].in_shape

    @property
    def out_shape(self):
        return self.ops[-1].out_shape

    @property
    def nonnegative(self):
        return all(op.nonnegative for op in self.ops)

    def apply(self, x):
        for op in self.ops:
            x = op.apply(x)
        return x

    def split(self):
        if self.nonnegative:
            return self, Zero(self.in_shape, self.out_shape)
        k = next(i for i, op in enumerate(self.ops) if not op.nonnegative)
        positive, negative = self.ops[k].split()
        before, after = self.ops[:k], self.ops[k + 1 :]
        return Composed((*before, positive, *after)), Composed((*before, negative, *after))


# ----------------------------------------------------------------------------------------------- graph
class Node(Record):
    """One node of a :class:`Graph` (see the module docstring for the semantics of each kind).

    Attributes
    ----------
    kind : {"input", "affine", "activation", "max"}
    inputs : tuple of int
        Indices of earlier nodes.
    shape : tuple of int
        Value shape without the batch dimension.
    name : str
        Where the node comes from (module path or fx node name), for messages.
    ops : tuple of LinearOp
        ``"affine"`` only: one per input.
    bias : ndarray or None
        ``"affine"`` only: float64 of shape ``shape``.
    slope : float or ndarray
        ``"activation"`` only: any real, or an array broadcastable to ``shape``.
    windows : ndarray or None
        ``"max"`` only: int64 of shape ``(prod(shape), k)``, ``-1`` for padding.
    """

    _fields = ("kind", "inputs", "shape", "name", "ops", "bias", "slope", "windows")  # constructor order
    __slots__ = _fields

    def __init__(
        self,
        kind: str,
        inputs: tuple[int, ...],
        shape: tuple[int, ...],
        name: str,
        ops: tuple[LinearOp, ...] = (),
        bias: np.ndarray | None = None,
        slope: np.ndarray | float = 0.0,
        windows: np.ndarray | None = None,
    ):
        _set(self, "kind", kind)
        _set(self, "inputs", inputs)
        _set(self, "shape", shape)
        _set(self, "name", name)
        _set(self, "ops", ops)
        _set(self, "bias", bias)
        _set(self, "slope", slope)
        _set(self, "windows", windows)

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class Graph(Record):
    """A piecewise-linear model: nodes in topological order, ``nodes[0]`` the input.

    Attributes
    ----------
    input_shape : tuple of int
        Per-sample input shape.
    nodes : tuple of Node
    output : int
        Index of the output node (the logits: a final Softmax/LogSoftmax is dropped).
    """

    _fields = ("input_shape", "nodes", "output")  # constructor order
    __slots__ = _fields

    def __init__(self, input_shape: tuple[int, ...], nodes: tuple[Node, ...], output: int):
        _set(self, "input_shape", input_shape)
        _set(self, "nodes", nodes)
        _set(self, "output", output)

    @property
    def n_in(self) -> int:
        """Number of input coordinates, ``prod(input_shape)``."""
        return math.prod(self.input_shape)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.nodes[self.output].shape

    def _inputs(self, X) -> np.ndarray:
        X = float_array(X, "X")
        if X.ndim >= 1 and X.shape[1:] == self.input_shape:
            return X
        if X.ndim == 2 and X.shape[1] == self.n_in:
            return X.reshape(len(X), *self.input_shape)
        raise ValueError(
            f"X must have shape (n, {', '.join(map(str, self.input_shape))}) or (n, {self.n_in}), "
            f"got {X.shape}"
        )

    def values(self, X, *, keep: bool = False) -> list[np.ndarray | None]:
        """Value of every node at the points ``X`` (n, *input_shape), each of shape ``(n, *node.shape)``.

        Unless ``keep``, values no later node needs (other than the output's) are dropped (None) as soon as
        possible, to save memory."""
        X = self._inputs(X)
        last_use = {}
        for index, node in enumerate(self.nodes):
            for i in node.inputs:
                last_use[i] = index
        values: list[np.ndarray | None] = [None] * len(self.nodes)
        for index, node in enumerate(self.nodes):
            values[index] = _evaluate(node, [values[i] for i in node.inputs], X)
            for i in set(node.inputs):
                if last_use[i] == index and i != self.output and not keep:
                    values[i] = None
        return values

    def __call__(self, X) -> np.ndarray:
        """The model's output (logits) at ``X``: ``(n, *input_shape)`` or ``(n, n_in)`` -> ``(n,
        *output_shape)``, float64."""
        return self.values(X)[self.output]

    @property
    def is_chain(self) -> bool:
        """Input -> affine/activation -> ... with every node reading the one before it, no max node."""
        return self.output == len(self.nodes) - 1 and all(
            node.inputs == (index - 1,) and node.kind in ("affine", "activation")
            for index, node in enumerate(self.nodes[1:], start=1)
        )

    def chain(self, *, max_entries: int = DEFAULT_MAX_DENSE_ENTRIES) -> list:
        """The graph as a list of :class:`tropical.layers.AffineLayer` (dense weights) when it is a chain.

        Consecutive affine nodes are composed into one matrix; an activation that does not follow an
        affine node gets an identity in front of it.

        Raises
        ------
        UnsupportedLayerError
            When the graph is not a chain (names the first node that is not).
        ComputationTooLargeError
            When a dense weight would exceed ``max_entries`` entries.

        Examples
        --------
        >>> from torch import nn
        >>> model = nn.Sequential(nn.Conv1d(1, 2, 2), nn.ReLU(), nn.Flatten(), nn.Linear(4, 1))
        >>> layers = piecewise_linear_graph(model, input_shape=(1, 3)).chain()
        >>> [(layer.weight.shape, layer.slope) for layer in layers]
        [((4, 3), 0.0), ((1, 4), None)]
        """
        from tropical.layers import AffineLayer

        if not self.is_chain:
            node = self._first_non_chain()
            raise UnsupportedLayerError(
                f"the model is not a chain of affine maps and activations: node {node.name!r} "
                f"({node.kind}, inputs {[self.nodes[i].name for i in node.inputs]}) breaks it"
            )
        layers, group, previous = [], [], 0

        def close(slope):
            nonlocal group
            before = self.nodes[previous]
            n_in = before.size
            estimate = n_in * max([n_in, *(self.nodes[i].size for i in group)])
            if estimate > max_entries:
                raise ComputationTooLargeError(
                    f"a dense weight of the layers {[self.nodes[i].name for i in group]} would have "
                    f"{estimate:,} entries, above max_entries={max_entries:,}; use the graph itself "
                    "(tropical.graph.piecewise_linear_graph), which never densifies",
                    estimate=estimate,
                    limit=max_entries,
                )
            if group and all(_is_matrix(self.nodes[i].ops[0]) for i in group):  # compose the matrices
                weight, bias = None, np.zeros(n_in)
                for i in group:
                    node, matrix = self.nodes[i], self.nodes[i].ops[0].weight
                    weight = matrix.astype(np.float64) if weight is None else matrix @ weight
                    bias = matrix @ bias + (0.0 if node.bias is None else node.bias.reshape(-1))
            else:
                weight = np.eye(n_in).reshape(n_in, *before.shape)
                bias = np.zeros((1, *before.shape))
                for i in group:
                    node = self.nodes[i]
                    weight = node.ops[0].apply(weight)
                    bias = node.ops[0].apply(bias) + (0.0 if node.bias is None else node.bias)
                weight, bias = weight.reshape(n_in, -1).T.copy(), bias.reshape(-1).copy()
            source = ", ".join(self.nodes[i].name for i in group) or "identity"
            layers.append(AffineLayer(weight, bias, slope, source))
            group = []

        for index, node in enumerate(self.nodes[1:], start=1):
            if node.kind == "affine":
                group.append(index)
                continue
            slope = np.broadcast_to(np.asarray(node.slope, dtype=np.float64), node.shape).reshape(-1)
            uniform = slope.size == 0 or bool(np.all(slope == slope[0]))
            close((float(slope[0]) if slope.size else 0.0) if uniform else slope.copy())
            previous = index
        if group:
            close(None)
        return layers

    def _first_non_chain(self) -> Node:
        if self.output != len(self.nodes) - 1:
            return self.nodes[self.output]
        for index, node in enumerate(self.nodes[1:], start=1):
            if node.inputs != (index - 1,) or node.kind not in ("affine", "activation"):
                return node
        return self.nodes[-1]

    def __repr__(self) -> str:
        kinds = {
            kind: sum(node.kind == kind for node in self.nodes) for kind in ("affine", "activation", "max")
        }
        return (
            f"Graph(input_shape={self.input_shape}, output_shape={self.output_shape}, "
            f"nodes: {kinds['affine']} affine, {kinds['activation']} activation, {kinds['max']} max)"
        )


def _evaluate(node: Node, inputs: list[np.ndarray], X: np.ndarray) -> np.ndarray:
    if node.kind == "input":
        return X
    if node.kind == "affine":
        value = node.bias[None].copy() if node.bias is not None else 0.0
        for op, x in zip(node.ops, inputs, strict=True):
            value = value + op.apply(x)
        return np.broadcast_to(value, (len(X), *node.shape)).copy() if np.ndim(value) else value
    x = inputs[0]
    if node.kind == "activation":
        return np.where(x >= 0, x, node.slope * x)
    if node.kind == "max":
        flat = x.reshape(len(x), -1)
        gathered = flat[:, np.maximum(node.windows, 0)]
        gathered[:, node.windows < 0] = -np.inf
        return gathered.max(axis=2).reshape(len(x), *node.shape)
    raise ValueError(f"unknown node kind {node.kind!r}")


def piecewise_linear_graph(model, *, input_shape=None) -> Graph:
    """Read any piecewise-linear PyTorch model into a :class:`Graph` (see the module docstring).

    Parameters
    ----------
    model : torch.nn.Module
        Any module whose ``forward`` is traceable by ``torch.fx`` (``nn.Sequential``, custom classes,
        residual blocks...), in eval mode.
    input_shape : int or tuple of int, optional
        Per-sample input shape without the batch dimension, e.g. ``(64,)`` or ``(1, 28, 28)``. When None it
        is the ``in_features`` of the first ``Linear``; models that start with a convolution need it.

    Returns
    -------
    Graph
        ``graph(X)`` equals ``model(X)`` (the logits, when the model ends with a Softmax) in float64.

    Raises
    ------
    UnsupportedLayerError
        Listing every operation that has no piecewise-linear form, with its place in the model.
    ValueError
        Bad ``input_shape``, NaN or infinite weights, empty layers, a model on the meta device.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> class Residual(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1, self.fc2 = nn.Linear(2, 2), nn.Linear(2, 3)
    ...     def forward(self, x):
    ...         return self.fc2(x + torch.relu(self.fc1(x)))
    >>> graph = piecewise_linear_graph(Residual())
    >>> [node.kind for node in graph.nodes]
    ['input', 'affine', 'activation', 'affine', 'affine']
    >>> graph(np.zeros((5, 2))).shape
    (5, 3)
    """
    from tropical._plain_sequential import plain_sequential

    plain = plain_sequential(model, input_shape)  # an MLP: no torch.fx, no import of the general reader
    if plain is not None:
        return plain
    from tropical._graph_reader import read

    return read(model, input_shape)


def _is_matrix(op) -> bool:
    """Whether ``op`` is a plain matrix on a flat vector (its ``weight`` is the dense layer's weight)."""
    return isinstance(op, Dense) and len(op.in_shape) == 1
