"""The graph of a plain ``nn.Sequential`` MLP, read layer by layer without torch.fx.

:func:`tropical.graph.piecewise_linear_graph` tries this first, so that the common MLP neither imports nor
runs the general reader (:mod:`tropical._graph_reader` and :mod:`tropical._graph_lowering`, ~1 ms to import:
a first answer on a small network takes a few milliseconds, issue 13).
"""

from __future__ import annotations

import numpy as np

from tropical.graph import Dense, Graph, Node


def plain_sequential(model, input_shape) -> Graph | None:
    """The graph of a plain MLP read without torch.fx, or None when the model is anything else.

    An ``nn.Sequential`` (exactly, not a subclass) of ``Linear``, ``ReLU``, ``LeakyReLU``, ``Identity`` and
    evaluation-time ``Dropout``, with no hooks and no re-parametrised weights, is the common case: reading it
    layer by layer gives the same graph as tracing and probing it, in microseconds instead of milliseconds
    (regions of small nets take about a millisecond, so the reader's cost would dominate). Everything else,
    including every case that needs an error message, goes through the general reader.
    """
    from torch import nn
    from torch.nn.modules import module as module_mod

    if type(model) is not nn.Sequential or model._forward_hooks or model._forward_pre_hooks:
        return None
    if module_mod._global_forward_hooks or module_mod._global_forward_pre_hooks:
        return None
    allowed = (nn.Linear, nn.ReLU, nn.LeakyReLU, nn.Identity, nn.Dropout)
    children = list(model._modules.items())  # named_children() would skip a module used twice
    if not children or type(children[0][1]) is not nn.Linear:
        return None
    shape = (children[0][1].in_features,)
    if input_shape is not None and tuple(np.atleast_1d(input_shape).tolist()) != shape:
        return None
    nodes = [Node("input", (), shape, "input")]
    for name, module in children:
        if type(module) not in allowed or module._forward_hooks or module._forward_pre_hooks:
            return None
        if type(module) is nn.Linear:
            if module.weight.is_meta or (module.bias is not None and module.bias.is_meta):
                return None  # the general reader says what to do
            weight = _float64(module.weight)
            bias = np.zeros(module.out_features) if module.bias is None else _float64(module.bias)
            if weight.size == 0 or weight.shape[1] != nodes[-1].shape[0]:
                return None
            if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
                return None
            nodes.append(
                Node(
                    "affine",
                    (len(nodes) - 1,),
                    (weight.shape[0],),
                    name,
                    (Dense(weight, nodes[-1].shape),),
                    bias,
                )
            )
        elif type(module) is nn.ReLU:
            nodes.append(Node("activation", (len(nodes) - 1,), nodes[-1].shape, name, slope=0.0))
        elif type(module) is nn.LeakyReLU:
            slope = float(module.negative_slope)
            nodes.append(Node("activation", (len(nodes) - 1,), nodes[-1].shape, name, slope=slope))
        elif type(module) is nn.Dropout and module.training and module.p > 0:
            return None
    return Graph(shape, tuple(nodes), len(nodes) - 1)


def _float64(tensor) -> np.ndarray:
    """A float64 copy of a parameter (numpy converts float32 and float64 faster than ``Tensor.double``)."""
    import torch

    tensor = tensor.detach().cpu()
    if tensor.dtype in (torch.float32, torch.float64):
        return np.array(tensor.numpy(), dtype=np.float64)
    return tensor.double().numpy().copy()  # float16, bfloat16...
