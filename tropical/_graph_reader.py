"""The torch.fx reader behind :func:`tropical.graph.piecewise_linear_graph` (rules in that module).

The model is traced symbolically, then the traced graph is run node by node on a random probe batch
(which gives every shape and checks the reading at the end). Every node that depends on the input is
lowered to affine, activation and max nodes; pure data movements (reshape, permute, slicing, padding,
``cat``...) are read by running them on tensors of indices, so that their exact gather map comes from torch
itself. The per-operation lowering rules are in :mod:`tropical._graph_lowering`.
"""

from __future__ import annotations

import functools
import math
import operator
import sys
import types
from contextlib import contextmanager

import numpy as np

from tropical._graph_lowering import (
    PROBE_BATCH,
    Lowering,
    _Bad,
    _bads,
    _fx_node,
    _is_variable,
    _kwarg,
    _Var,
    map_env,
)
from tropical._plain_sequential import plain_sequential
from tropical.errors import UnsupportedLayerError
from tropical.graph import (
    Graph,
    Node,
    Zero,
)

#: Non-piecewise-linear activations and normalisations, named in the refusal.
NOT_PIECEWISE_LINEAR = {
    "tanh", "sigmoid", "gelu", "silu", "elu", "selu", "celu", "softplus", "mish", "hardswish",
    "hardsigmoid", "logsigmoid", "tanhshrink", "softsign", "glu", "exp", "log", "sqrt", "rsqrt", "pow",
    "sin", "cos", "layer_norm", "group_norm", "instance_norm", "local_response_norm", "normalize",
    "erf", "square", "reciprocal", "sign", "round", "floor", "ceil", "softmin", "norm",
}  # fmt: skip
DATA_MOVEMENT = {
    "view", "reshape", "flatten", "unflatten", "permute", "transpose", "t", "squeeze", "unsqueeze",
    "contiguous", "expand", "expand_as", "repeat", "tile", "repeat_interleave", "getitem", "cat", "concat",
    "concatenate", "stack", "hstack", "vstack", "dstack", "narrow", "select", "flip", "fliplr", "flipud",
    "roll", "chunk", "split", "tensor_split", "unbind", "movedim", "moveaxis", "swapaxes", "swapdims", "pad",
    "clone", "detach", "view_as", "reshape_as", "ravel", "pixel_shuffle", "pixel_unshuffle",
    "channel_shuffle", "broadcast_to",
}  # fmt: skip
DTYPE_CONVERSIONS = {"to", "float", "double", "type", "type_as", "cpu", "cuda", "half", "bfloat16"}
NONNEGATIVE_LINEAR = {
    "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_avg_pool3d", "sum", "mean",
}  # fmt: skip
#: Results that depend on the input's shape only (the probe and every re-run use the same batch size).
SHAPE_QUERIES = {
    "size",
    "dim",
    "ndimension",
    "numel",
    "nelement",
    "zeros_like",
    "ones_like",
    "full_like",
    "new_zeros",
    "new_ones",
    "new_full",
}
#: Tensor attributes that read its shape only, evaluated while tracing when the input shape is known.
SHAPE_ATTRIBUTES = {"shape", "ndim", "size", "dim", "ndimension", "numel", "nelement"}
#: Functions that make a tensor of a given shape, whose first dimension may be the batch size.
CREATIONS = {"zeros", "ones", "full", "empty"}
NEEDS_EVAL = "call model.eval() first"


def _name(node) -> str:
    """Normalised operation name of an fx call_function / call_method node (``iadd`` -> ``add``...)."""
    target = node.target
    if node.op == "call_method":
        name = target
    else:
        name = getattr(target, "__name__", str(target))
        if getattr(target, "__module__", None) in ("_operator", "operator") and name.startswith("i"):
            name = {"iadd": "add", "isub": "sub", "imul": "mul", "itruediv": "truediv"}.get(name, name)
    name = name.strip("_") if name.startswith("__") else name.rstrip("_")
    return {
        "truediv": "div",
        "true_divide": "div",
        "divide": "div",
        "multiply": "mul",
        "subtract": "sub",
        "absolute": "abs",
        "clip": "clamp",
        "mm": "matmul",
        "negative": "neg",
        "fmax": "maximum",
        "fmin": "minimum",
    }.get(name, name)


def _caller_location() -> str:
    """``file:line`` of the innermost frame outside torch and this module (where the model calls an op)."""
    frame = sys._getframe(2)
    while frame is not None and (
        "/torch/" in frame.f_code.co_filename or frame.f_code.co_filename == __file__
    ):
        frame = frame.f_back
    if frame is None:
        return ""
    return f"{frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno}"


def _location(node) -> str:
    location = node.meta.get("tropical_location")
    return f" ({location})" if location else ""


def _signature(*names, **defaults):
    """A binder of (args, kwargs) to a dict by parameter names (torch builtins have no signature)."""

    def bind(args, kwargs):
        bound = dict(defaults)
        bound.update(zip(names, args, strict=False))
        bound.update(kwargs)
        return bound

    return bind


CONV = _signature(
    "input",
    "weight",
    "bias",
    "stride",
    "padding",
    "dilation",
    "groups",
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
)
CONV_TRANSPOSE = _signature(
    "input",
    "weight",
    "bias",
    "stride",
    "padding",
    "output_padding",
    "groups",
    "dilation",
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,
    groups=1,
    dilation=1,
)
MAX_POOL = _signature(
    "input",
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "ceil_mode",
    "return_indices",
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
)
BATCH_NORM = _signature(
    "input",
    "running_mean",
    "running_var",
    "weight",
    "bias",
    "training",
    "momentum",
    "eps",
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-5,
)


def _unwrapped(model):
    """The module a training wrapper runs: ``torch.compile``'s ``_orig_mod``, ``DataParallel``'s ``module``.

    A TorchScript module has no Python ``forward`` to trace: it is refused with what to pass instead.
    """
    import torch
    from torch import nn

    if isinstance(model, torch.jit.ScriptModule):
        raise UnsupportedLayerError(
            f"the model is a TorchScript module ({type(model).__name__}): its forward is compiled "
            "TorchScript, "
            "which torch.fx cannot read. Pass the nn.Module it was scripted from (before torch.jit.script "
            "or torch.jit.trace)"
        )
    while True:
        if type(model).__name__ == "OptimizedModule" and isinstance(
            getattr(model, "_orig_mod", None), nn.Module
        ):
            model = model._orig_mod  # torch.compile
        elif isinstance(model, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
            model = model.module
        else:
            return model


def read(model, input_shape) -> Graph:
    import torch
    from torch import nn

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    model = _unwrapped(model)
    tensors = [*model.parameters(), *model.buffers()]
    if any(t.is_meta for t in tensors):
        raise ValueError(
            "the model is on the 'meta' device: its weights do not exist. Materialise it first "
            "(model.to_empty(device='cpu') and load a state dict)"
        )
    plain = plain_sequential(model, input_shape)
    if plain is not None:
        return plain
    buffers = {name: buffer.detach().clone() for name, buffer in model.named_buffers()}
    # the probe runs the model: leave no trace in it (running statistics of a BatchNorm in training mode)
    # nor in the global random state (dropout)
    with torch.no_grad(), torch.random.fork_rng(devices=[]), one_torch_thread(torch):
        try:
            reader = _Reader(model)
            reader.check_lazy_modules()
            reader.check_hooks()
            reader.refresh_reparametrised_weights()
            input_shape = _checked_input_shape(input_shape)
            traced = reader.trace(input_shape)
            if input_shape is None and any(_depends_on_shape_only(node) for node in traced.nodes):
                # x.size(0) traced symbolically: trace again knowing the shape, to check the batch size's uses
                input_shape = reader.input_shape(traced, None)
                traced = reader.trace(input_shape)
            shape = reader.input_shape(traced, input_shape)
            return reader.lower(traced, shape)
        except _ProbeFailed as error:  # the user sees a plain ValueError, not the reader's internal class
            raise ValueError(str(error)) from error.__cause__
        finally:
            for name, buffer in model.named_buffers():
                if name in buffers and buffer.shape == buffers[name].shape:
                    buffer.copy_(buffers[name])


@contextmanager
def one_torch_thread(torch):
    """torch's intra-op pool at one thread inside the block (restored on exit): the probe runs the model on a
    batch of two, where a pool of threads only waits on itself, and on a machine where other processes use
    the cores each tiny call then takes milliseconds instead of microseconds (issue 13). The graph sweep of
    :mod:`tropical.regions` runs its convolutions in it too."""
    previous = torch.get_num_threads()
    if previous > 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)


class _ProbeFailed(ValueError):
    """The model failed to run on a probe batch of the input shape it was given."""


def _checked_input_shape(input_shape) -> tuple[int, ...] | None:
    """``input_shape`` as a tuple of ints (an int ``n`` is ``(n,)``), or None."""
    if input_shape is None:
        return None
    if isinstance(input_shape, int | np.integer):
        input_shape = (input_shape,)
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = ()
    if not shape or not all(
        isinstance(s, int | np.integer) and not isinstance(s, bool) and s >= 1 for s in shape
    ):
        raise ValueError(
            "input_shape must be a tuple of positive ints without the batch dimension, e.g. (64,) "
            f"or (1, 28, 28); got {input_shape!r}"
        )
    return tuple(int(s) for s in shape)


def _probe_batch(input_shape, model=None, batch=PROBE_BATCH):
    """The probe: ``batch`` float64 normal samples of shape ``input_shape`` (seed 0), in the dtype and on the
    device of ``model`` when given."""
    import torch

    generator = torch.Generator().manual_seed(0)
    probe = torch.randn((batch, *input_shape), generator=generator, dtype=torch.float64)
    if model is None:
        return probe
    dtype, device = _dtype_device(model)
    return probe.to(dtype=dtype, device=device)


class _Reader(Lowering):
    def __init__(self, model):
        self.model = model
        self.modules = dict(model.named_modules())
        self.nodes: list[Node] = []
        self.problems: list[str] = []
        self.hints: set[str] = set()
        self.constants: dict = {}

    # ------------------------------------------------------------------------------------------ checks
    def check_lazy_modules(self):
        from torch.nn.modules.lazy import LazyModuleMixin

        for name, module in self.modules.items():
            if isinstance(module, LazyModuleMixin) and module.has_uninitialized_params():
                raise ValueError(
                    f"{type(module).__name__} at position {name or '(the model)'} has no weights yet: run "
                    "the model once on an input (model(torch.zeros(1, ...))) to initialise it"
                )

    def check_hooks(self):
        from torch.nn.modules import module as module_mod
        from torch.nn.utils import prune

        seen_through = (prune.BasePruningMethod, *self._weight_reparametrisations())
        for name, module in self.modules.items():
            where = f"position {name}" if name else "the model itself"
            kind = type(module).__name__
            for hook in module._forward_hooks.values():
                self._hook_problem(
                    f"a forward hook ({getattr(hook, '__name__', type(hook).__name__)}) on {kind} at {where}"
                )
            for hook in module._forward_pre_hooks.values():
                if not isinstance(hook, seen_through):
                    self._hook_problem(
                        f"a forward pre-hook ({getattr(hook, '__name__', type(hook).__name__)}) on {kind} "
                        f"at {where}"
                    )
        if module_mod._global_forward_hooks or module_mod._global_forward_pre_hooks:
            self._hook_problem("a global forward hook (torch.nn.modules.module.register_module_forward_hook)")

    def _hook_problem(self, text):
        self.problems.append(f"{text}: tropical reads the modules, not what a hook does to their values")
        self.hints.add("remove the hooks (handle.remove()) or fold what they do into the model's forward")

    @staticmethod
    def _weight_reparametrisations():
        from torch.nn.utils.spectral_norm import SpectralNorm
        from torch.nn.utils.weight_norm import WeightNorm

        return WeightNorm, SpectralNorm

    def refresh_reparametrised_weights(self):
        """Let the pruning / weight-norm pre-hooks set the weights as the next forward would."""
        from torch.nn.utils import prune

        kinds = (prune.BasePruningMethod, *self._weight_reparametrisations())
        for module in self.modules.values():
            for hook in list(module._forward_pre_hooks.values()):
                if isinstance(hook, kinds):
                    hook(module, None)

    # ----------------------------------------------------------------------------------------- tracing
    def trace(self, input_shape=None):
        """The model's fx graph. Python that reads the input's shape (``x.dim()``, ``len(h)``,
        ``range(h.dim())``) runs on the shape of a probe batch of ``input_shape`` (:meth:`concrete_value`).

        When it did, the model is traced a second time with another batch size: the two graphs must be the
        same but for the batch size in the shape arguments of data movements (``h.reshape(len(h), -1)``),
        whose per-sample reading the lowering checks. Anywhere else (``h / len(h)``, a loop over the
        batch) the model's function changes with the batch size and is refused."""
        graph, constants = self.trace_with_batch(input_shape, PROBE_BATCH)
        if self.probe:  # Python read a concrete value
            other, other_constants = self.trace_with_batch(input_shape, PROBE_BATCH + 1)
            node = _batch_dependent_node(graph, constants, other, other_constants)
            if node is not None:
                raise UnsupportedLayerError(
                    f"the model's forward reads the batch size at {_name(node)} ('{node.name}')"
                    f"{_location(node)}: its graph changes with the number of samples (a loop over the "
                    "samples, or len(x), x.size(0) or x.shape[0] used outside the batch dimension of a "
                    "reshape or view). tropical reads per-sample functions: use -1 or the feature sizes"
                )
        self.constants = constants
        return graph

    def trace_with_batch(self, input_shape, batch):
        """The fx graph and the tensor constants fx created, the Python that reads shapes seeing ``batch``."""
        tracer = _tracer_class()(autowrap_modules=())
        tracer.concrete, tracer.shapes_known = self.concrete_value, input_shape is not None
        self.trace_shape, self.trace_batch = input_shape, batch
        self.probe, self.value_dependent, self.magnitude = {}, {}, 0.0
        before = set(vars(self.model))
        try:
            graph = tracer.trace(self.model)
        except (UnsupportedLayerError, _ProbeFailed):
            raise
        except Exception as error:  # fx raises TraceError, TypeError, RuntimeError... for control flow
            raise UnsupportedLayerError(
                f"torch.fx cannot trace the model's forward ({type(error).__name__}: {error}). The usual "
                "cause "
                "is control flow that depends on the input's values (an `if` on a tensor, a loop over a "
                "tensor); such a model has no fixed piecewise-linear graph. Write the branch with tensor "
                "operations (torch.where of piecewise-linear pieces, torch.maximum) or trace the branch "
                "that applies"
            ) from error
        finally:
            constants = {k: v for k, v in vars(self.model).items() if k not in before}
            for key in constants:  # fx stores tensor constants on the model: undo it
                delattr(self.model, key)
        return graph, constants

    def concrete_value(self, proxy, use: str, *, shape_only: bool = False):
        """The value of ``proxy`` for Python that needs one (``use``: an ``if``, ``len()``, an int...) when it
        depends on the input's shape only: ``x.dim() == 2``, ``len(h)``, ``h.size(1)``. It is computed by
        running the operations traced so far on a probe batch of ``PROBE_BATCH`` samples, the batch every
        later run of the traced graph uses, so that ``h.reshape(len(h), -1)`` reads as a per-sample flatten
        (``PROBE_BATCH + 1`` in the second trace of :meth:`trace`).
        A value that depends on the input's values (``if x.sum() > 0``) raises fx's control-flow error; with
        ``shape_only``, only the shape of the value is used (``len(h)``, ``h.size(1)``), which depends on the
        input's shape only."""
        from torch import fx
        from torch.fx import _symbolic_trace

        node = proxy.node
        graph = list(node.graph.nodes)
        first = next((n for n in graph if n.op == "placeholder"), None)
        for n in graph[len(self.value_dependent) :]:
            self.value_dependent[n] = n is first or (
                not _depends_on_shape_only(n) and any(self.value_dependent[a] for a in n.all_input_nodes)
            )
        if self.value_dependent[node] and not shape_only:
            raise fx.proxy.TraceError(
                f"symbolically traced variables cannot be used as inputs to control flow ({use})"
            )
        if self.trace_shape is None:
            raise UnsupportedLayerError(
                f"the model's forward reads its input's shape ({use} at {_caller_location()}), which "
                "tropical can follow only when it knows that shape: pass input_shape= (per sample, without "
                "the batch dimension)"
            )
        self.input_shape_ = self.trace_shape
        revert_patches = getattr(_symbolic_trace, "_maybe_revert_all_patches", None)  # private: guarded
        if revert_patches is None:
            raise fx.proxy.TraceError(
                f"this torch version cannot run modules while tracing: {use} needs a concrete shape"
            )
        with revert_patches():  # run the modules, not fx's tracing of them
            self.run_on_probe_up_to(node, graph, first)
        return self.probe[node]

    def run_on_probe_up_to(self, node, graph, first) -> None:
        """``self.probe`` for the fx nodes of ``graph`` up to ``node`` (``first``: the input placeholder)."""
        for n in graph:
            if n in self.probe:
                continue
            if n.op == "placeholder":
                self.probe[n] = (
                    _probe_batch(self.trace_shape, self.model, self.trace_batch)
                    if n is first
                    else (n.args[0] if n.args else None)
                )
            elif n.op == "get_attr":
                self.probe[n] = self.fetch(n.target)
            else:
                self.run_on_probe(n)
            if n is node:
                break

    def fetch(self, target: str):
        if target in self.constants:
            return self.constants[target]
        value = self.model
        for part in target.split("."):
            value = getattr(value, part)
        return value

    def input_shape(self, graph, input_shape) -> tuple[int, ...]:
        """``input_shape`` (checked by :func:`_checked_input_shape`) or, when None, the ``in_features`` of a
        first Linear layer."""
        from torch import nn

        if input_shape is not None:
            return input_shape
        first = None
        for node in graph.nodes:
            module = self.modules.get(node.target) if node.op == "call_module" else None
            if module is not None and _original_class(module) is nn.Linear:
                if module.in_features < 1:
                    raise ValueError(
                        f"Linear at position {node.target} has in_features=0: the input is empty"
                    )
                return (int(module.in_features),)
            if module is not None and _original_class(module) not in (
                nn.Flatten,
                nn.Identity,
                nn.Dropout,
                nn.ReLU,
                nn.LeakyReLU,
                nn.PReLU,
                nn.BatchNorm1d,
                nn.Hardtanh,
                nn.ReLU6,
                nn.Threshold,
            ):
                first = module
                break
            if node.op == "call_function" and _name(node) == "linear":
                weight = self.fetch(node.args[1].target) if node.args[1].op == "get_attr" else None
                if weight is not None:
                    return (int(weight.shape[1]),)
        reshaped = _reshaped_sample(graph)
        hint = _shape_hint(first) if reshaped is None else f"({math.prod(reshaped)},)"
        why = "" if reshaped is None else f"; its forward reshapes each sample to {reshaped}"
        raise ValueError(
            "input_shape is needed: the model does not start with a Linear layer whose in_features give "
            f"it. Pass input_shape={hint} (per sample, without the batch dimension{why})"
        )

    # ---------------------------------------------------------------------------------------- lowering
    def lower(self, graph, input_shape) -> Graph:
        """The traced ``graph`` as a :class:`~tropical.graph.Graph` on inputs of shape ``input_shape``.

        Three phases, sharing the reader's state:

        - :meth:`start`: the graph's input node and the probe batch, shape ``(PROBE_BATCH, *input_shape)``
          (float64 normal samples, seed 0);
        - :meth:`read_node`, for every fx node in order: ``self.probe[fx node]`` is its value on the probe
          (a tensor of shape ``(PROBE_BATCH, ...)``, a constant, a tuple...) and ``self.env[fx node]`` what it
          is for the graph: a ``_Var`` (index of its graph node), a constant (it does not depend on the
          input) or a ``_Bad`` (it depends on the input through something refused);
        - :meth:`finish`: the output node, the refusal that lists every problem, the pruned graph and its
          check against the model on the probe.
        """
        probe_input = self.start(graph, input_shape)
        output_node = None
        for node in graph.nodes:
            if node.op == "output":
                output_node = node.args[0]
            else:
                self.read_node(node)
        return self.finish(output_node, probe_input)

    def start(self, graph, input_shape):
        """Reset the state for ``graph``; the probe batch, float64, shape ``(PROBE_BATCH, *input_shape)``."""
        self.input_shape_ = input_shape
        self.nodes = [Node("input", (), input_shape, "input")]
        self.env, self.probe = {}, {}
        self.magnitude = 0.0  # largest intermediate value: the scale of the model's own rounding errors
        self.placeholders = 0
        self.order = {node: i for i, node in enumerate(graph.nodes)}
        self.probe_input = _probe_batch(input_shape)
        return self.probe_input

    def read_node(self, node) -> None:
        """Set ``self.probe[node]`` and ``self.env[node]`` for one fx node (not the output)."""
        if node.op == "placeholder":
            self.read_placeholder(node)
        elif node.op == "get_attr":
            self.env[node] = self.probe[node] = self.fetch(node.target)
        else:
            self.run_on_probe(node)
            self.env[node] = self.read_call(node)

    def read_placeholder(self, node) -> None:
        """The first argument of ``forward`` is the input (the probe, in the model's dtype and device); later
        ones must have defaults, which are constants."""
        self.placeholders += 1
        if self.placeholders == 1:
            dtype, device = _dtype_device(self.model)
            self.env[node] = _Var(0)
            self.probe[node] = self.probe_input.to(dtype=dtype, device=device, copy=True)
        elif node.args:
            self.env[node] = self.probe[node] = node.args[0]
        else:
            raise UnsupportedLayerError(
                f"the model's forward takes a second input ('{node.name}'); tropical reads models of "
                "one input tensor (wrap the model in a module that builds the other inputs)"
            )

    def run_on_probe(self, node) -> None:
        """``self.probe[node]``: the operation run on the probe values of its arguments."""
        import torch
        from torch.fx.node import map_arg

        args = map_arg(node.args, lambda n: self.probe[n])
        kwargs = map_arg(node.kwargs, lambda n: self.probe[n])
        try:
            value = self.execute(node, args, kwargs)
        except Exception as error:
            shape = tuple(self.input_shape_)
            module = self.modules.get(node.target) if node.op == "call_module" else None
            reads_input = bool(node.args) and getattr(node.args[0], "op", None) == "placeholder"
            takes = f" ({self.place(node)} takes {_shape_hint(module)})" if module and reads_input else ""
            raise _ProbeFailed(
                f"running the model on inputs of shape (batch, {', '.join(map(str, shape))}) "
                f"failed at {self.place(node)}: {type(error).__name__}: {error}. Check input_shape= or the "
                f"shape of the points given (plane=, data=), where the per-sample shape {shape} came from: "
                f"give the points in the shape the model takes{takes}, or pass input_shape="
            ) from error
        self.probe[node] = value
        if isinstance(value, torch.Tensor) and value.is_floating_point() and value.numel():
            self.magnitude = max(self.magnitude, float(value.detach().abs().max()))

    def read_call(self, node):
        """What an operation is for the graph (its ``self.env`` entry), once it ran on the probe.

        A shape query or an operation of constants is its probe value; an element of a tuple is that
        element; an operation of a refused value is refused too (its problem was listed once); an in-place
        change of a value used later is refused; everything else is lowered by :meth:`lower_node`.
        """
        from torch.fx.node import map_arg

        if _depends_on_shape_only(node):
            return self.probe[node]
        inputs = map_arg((node.args, node.kwargs), lambda n: self.env[n])
        if not _is_variable(inputs):
            return self.probe[node]
        selected = self.select(node)
        if selected is not None:
            return selected
        bads = _bads(inputs)
        if bads:
            for bad in bads:
                if bad.reason:
                    self.problems.append(bad.reason)
                    bad.reason = None
            return _Bad()
        if self.overwrites_a_value_used_later(node):
            return self.refuse(
                node,
                "changes in place a value that is used again later, so that use sees the changed value",
                "use the out-of-place form (inplace=False, relu instead of relu_, h = h + x for h += x)",
            )
        return self.lower_node(node)

    def finish(self, output_node, probe_input) -> Graph:
        """The graph ending at ``output_node``, pruned and checked against the model on the probe; or the
        :class:`UnsupportedLayerError` that lists every problem found and how to fix it."""
        from torch.fx.node import map_arg

        output = self.output(map_arg(output_node, lambda n: self.env[n]), output_node)
        if self.problems:
            hints = "".join(f"\n  To fix: {hint}." for hint in sorted(self.hints))
            listing = "".join(f"\n  - {problem}" for problem in self.problems)
            raise UnsupportedLayerError(
                f"the model has {len(self.problems)} operation(s) without an exact piecewise-linear form:"
                f"{listing}{hints}"
            )
        graph = _prune(Graph(self.input_shape_, tuple(self.nodes), output))
        self.verify(graph, probe_input, output_node)
        return graph

    def output(self, value, fx_node):
        if isinstance(value, _Var):
            index = value.index
        elif _is_variable(value):
            if not _bads(value):
                self.problems.append(
                    f"the model returns a {type(value).__name__.removeprefix('immutable_')}; tropical reads "
                    "models with one output tensor (return the logits)"
                )
            return 0
        else:
            raise ValueError("the model's output does not depend on its input")
        if self.nodes[index].size == 0:
            raise ValueError(f"the model's output ('{self.nodes[index].name}') is empty (0 units)")
        return index

    def verify(self, graph, probe_input, fx_output):
        """The graph against the model on the probe, sample by sample (nothing mixes the batch)."""
        import torch

        expected = self.probe[fx_output].detach().cpu().double().numpy()
        if self.dropped_softmax is not None:
            expected = self.probe[self.dropped_softmax].detach().cpu().double().numpy()
        X = probe_input.numpy()
        got = np.concatenate([graph(X[i : i + 1]) for i in range(len(X))])
        eps = torch.finfo(self.probe[fx_output].dtype).eps
        scale = 1.0 + max(float(np.abs(expected).max(initial=0.0)), self.magnitude)
        error = float(np.abs(got.reshape(expected.shape) - expected).max(initial=0.0))
        if not error <= 30 * math.sqrt(eps) * scale:
            raise UnsupportedLayerError(
                f"tropical read this model as a different function (max difference {error:.3g} on random "
                "inputs): an operation it does not understand (an in-place change of a value used again, an "
                "operation that mixes the samples of a batch...). Please report the model"
            )

    def overwrites_a_value_used_later(self, node) -> bool:
        """An in-place operation (``relu_``, ``+=``, ``inplace=True``) on a value that a later node reads."""
        if node.op == "call_module":
            inplace = bool(getattr(self.modules[node.target], "inplace", False))
        elif node.op == "call_method":
            inplace = node.target.endswith("_") and not node.target.startswith("_")
        else:
            name = getattr(node.target, "__name__", "")
            inplace = getattr(node.target, "__module__", None) in ("_operator", "operator") and name in (
                "iadd", "isub", "imul", "itruediv"
            )  # fmt: skip
        inplace = inplace or node.kwargs.get("inplace", False) is True
        source = node.args[0] if node.args else None
        if not inplace or not isinstance(source, _fx_node()) or not isinstance(self.env.get(source), _Var):
            return False
        return any(self.order[user] > self.order[node] for user in source.users if user is not node)

    def select(self, node):
        """An element of a tuple value (``chunk(...)[1]``, ``torch.max(x, 1).values``), or None."""
        if node.op != "call_function" or node.target not in (operator.getitem, getattr):
            return None
        source = self.env.get(node.args[0]) if isinstance(node.args[0], _fx_node()) else None
        if not isinstance(source, tuple | list):
            return None
        key = node.args[1]
        if node.target is getattr:
            probe = self.probe[node.args[0]]
            fields = getattr(probe, "_fields", None) or getattr(
                probe, "__match_args__", ("values", "indices")
            )
            if key not in fields:
                return None
            key = fields.index(key)
        return source[key] if isinstance(key, int | slice) else None

    def execute(self, node, args, kwargs):
        if node.op == "call_module":
            return self.modules[node.target](*args, **kwargs)
        if node.op == "call_function":
            return node.target(*args, **kwargs)
        self_, *rest = args
        return getattr(self_, node.target)(*rest, **kwargs)

    def place(self, node) -> str:
        if node.op == "call_module":
            return f"{_original_class(self.modules[node.target]).__name__} at position {node.target}"
        stack = node.meta.get("nn_module_stack") or {}
        inside = ""
        if stack:
            path, kind = list(stack.values())[-1]
            kind = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
            inside = f" in {kind.rsplit('.', 1)[-1]} at position {path}" if path else ""
        return f"{_name(node)} ('{node.name}'){inside}{_location(node)}"

    def add(self, kind, inputs, shape, name, **fields) -> int:
        if kind == "affine" and fields.get("bias") is None:
            fields["bias"] = np.zeros(shape)
        elif kind == "affine":
            fields["bias"] = np.ascontiguousarray(np.broadcast_to(fields["bias"], shape), dtype=np.float64)
        self.nodes.append(Node(kind, tuple(inputs), tuple(shape), name, **fields))
        return len(self.nodes) - 1

    def shape(self, value) -> tuple[int, ...]:
        return self.nodes[value.index].shape

    def out_shape(self, node) -> tuple[int, ...] | None:
        value = self.probe[node]
        return tuple(value.shape[1:]) if hasattr(value, "shape") else None

    def refuse(self, node, why: str, hint: str | None = None):
        """Record a problem; reading goes on with a stand-in value so that every problem is listed."""
        import torch

        self.problems.append(f"{self.place(node)} {why}")
        if hint:
            self.hints.add(hint)
        value = self.probe.get(node)
        if isinstance(value, torch.Tensor) and value.ndim >= 1 and value.shape[0] == PROBE_BATCH:
            shape = tuple(value.shape[1:])
            stand_in = Zero(self.input_shape_, shape)
            return _Var(self.add("affine", (0,), shape, f"{node.name}:unsupported", ops=(stand_in,)))
        return _Bad()

    # ------------------------------------------------------------------------------------- dispatching
    def lower_node(self, node):
        import torch

        value = self.probe[node]
        if isinstance(value, torch.Tensor) and (value.ndim == 0 or value.shape[0] != PROBE_BATCH):
            return self.refuse(node, "reduces or reshapes across the batch dimension", None)
        if isinstance(value, torch.Tensor) and not value.is_floating_point():
            return self.refuse(node, f"gives a {value.dtype} tensor: not a piecewise-linear function")
        if isinstance(value, torch.Tensor) and value[0].numel() == 0:
            raise ValueError(f"{self.place(node)} gives an empty value (shape {tuple(value.shape)})")
        if node.op == "call_module":
            return self.lower_module(node, self.modules[node.target])
        return self.lower_function(node, _name(node))

    def lower_module(self, node, module):
        """A ``call_module`` node by the rule for its module's class (:func:`_module_rules`); refused when
        there is none. Every rule takes ``(node, module, x)`` with ``x`` the env value of the first argument
        and returns the node's env value."""
        cls = _original_class(module)
        x = self.env[node.args[0]] if node.args else None
        rule = _module_rules().get(cls)
        if rule is None and _moves_data(cls):
            rule = _Reader.module_data_movement
        if rule is None:
            return self.unsupported(node, cls.__name__)
        return rule(self, node, module, x)

    def module_linear(self, node, module, x):
        return self.linear(node, x, module.weight, module.bias)

    def module_conv(self, node, module, x):
        return self.conv_module(node, module, x)

    def module_batch_norm(self, node, module, x):
        if module.training:
            return self.refuse(node, "is in training mode (it normalises by batch statistics)", NEEDS_EVAL)
        if module.running_mean is None:
            return self.refuse(
                node,
                "has no running statistics (track_running_stats=False): it always normalises "
                "by batch statistics, which is not piecewise linear",
            )
        return self.batch_norm(
            node, x, module.running_mean, module.running_var, module.weight, module.bias, module.eps
        )

    def module_dropout(self, node, module, x):
        if module.training and module.p > 0:
            return self.refuse(node, "is in training mode (random masks)", NEEDS_EVAL)
        return x

    def module_identity(self, node, module, x):
        return x

    def module_average(self, node, module, x):
        return self.nonnegative(node, x)

    def module_upsample(self, node, module, x):
        if module.mode in ("nearest", "nearest-exact"):
            return self.data_movement(node)
        if module.mode == "bicubic":
            return self.refuse(node, "(bicubic) has negative coefficients; use bilinear")
        return self.nonnegative(node, x)

    def module_data_movement(self, node, module, x):
        return self.data_movement(node)

    def module_relu(self, node, module, x):
        return self.activation(node, x, 0.0)

    def module_leaky_relu(self, node, module, x):
        return self.activation(node, x, float(module.negative_slope))

    def module_prelu(self, node, module, x):
        return self.prelu(node, x, module.weight)

    def module_clamp(self, node, module, x):
        return self.clamp(node, x, float(module.min_val), float(module.max_val))

    def module_threshold(self, node, module, x):
        return self.threshold(node, x, module.threshold, module.value)

    def module_max_pool(self, node, module, x):
        bound = dict(
            kernel_size=module.kernel_size,
            stride=module.stride,
            padding=module.padding,
            dilation=module.dilation,
            ceil_mode=module.ceil_mode,
            return_indices=module.return_indices,
        )
        return self.max_pool(node, x, _spatial_dimensions(_original_class(module).__name__), bound)

    def module_adaptive_max_pool(self, node, module, x):
        if module.return_indices:
            return self.refuse(node, "returns argmax indices, which are not piecewise linear")
        return self.adaptive_max_pool(node, x, _spatial_dimensions(_original_class(module).__name__))

    def module_softmax(self, node, module, x):
        return self.softmax(node, x)

    def unsupported(self, node, name: str):
        lowered = name.lower().replace("_", "")
        if any(lowered.startswith(n.replace("_", "")) for n in NOT_PIECEWISE_LINEAR) or "norm" in lowered:
            self.hints.add(
                "replace smooth activations and normalisations by ReLU, LeakyReLU, PReLU, "
                "Hardtanh or ReLU6 (and BatchNorm in eval mode)"
            )
            return self.refuse(node, "is not piecewise linear")
        return self.refuse(node, "has no piecewise-linear reading in tropical")

    def lower_function(self, node, name):
        """A ``call_function`` / ``call_method`` node by the rule for its normalised name
        (:func:`_function_rules`); refused when there is none. Every rule takes ``(node, name, x)`` with ``x``
        the env value of the first argument (None if it is not a traced value)."""
        args = node.args
        x = self.env[args[0]] if args and isinstance(args[0], _fx_node()) else None
        rule = _function_rules().get(name)
        if rule is None:
            return self.unsupported(node, name)
        return rule(self, node, name, x)

    def function_arithmetic(self, node, name, x):
        return self.arithmetic(node, name)

    def function_matmul(self, node, name, x):
        return self.matmul(node, name)

    def function_data_movement(self, node, name, x):
        if name == "getitem" and _is_variable(map_env(node.args[1:], self.env)):
            return self.refuse(node, "indexes with a value that depends on the input")
        return self.data_movement(node)

    def function_dtype(self, node, name, x):
        return x

    def function_average(self, node, name, x):
        mode = _kwarg(node, "mode", 2, "nearest") if name in ("interpolate", "upsample") else None
        if mode in ("nearest", "nearest-exact"):
            return self.data_movement(node)
        if mode == "bicubic":
            return self.refuse(node, "(bicubic) has negative coefficients; use bilinear")
        return self.nonnegative(node, x)

    def function_conv(self, node, name, x):
        bound = (CONV_TRANSPOSE if "transpose" in name else CONV)(self.constants_of(node), {})
        bound.update({k: self.probe_or_const(v) for k, v in node.kwargs.items()})
        if _is_variable([self.env.get(a) for a in node.all_input_nodes if a is not node.args[0]]):
            return self.refuse(node, "has weights that depend on the input")
        return self.conv(node, x, name, bound)

    def function_batch_norm(self, node, name, x):
        kwargs = {k: self.probe_or_const(v) for k, v in node.kwargs.items()}
        bound = BATCH_NORM(self.constants_of(node), kwargs)
        if bound["training"]:
            return self.refuse(node, "normalises by batch statistics (training=True)", NEEDS_EVAL)
        statistics = (bound[key] for key in ("running_mean", "running_var", "weight", "bias", "eps"))
        return self.batch_norm(node, x, *statistics)

    def function_dropout(self, node, name, x):
        p, training = _kwarg(node, "p", 1, 0.5), _kwarg(node, "training", 2, True)
        if training and p > 0:
            return self.refuse(
                node,
                "is active (training=True)",
                "pass training=self.training to functional dropout and " + NEEDS_EVAL,
            )
        return x

    def function_activation(self, node, name, x):
        """``relu``, ``leaky_relu``, ``abs`` (slope -1) and ``prelu``."""
        if name == "prelu":
            return self.prelu(node, x, self.probe_or_const(_kwarg(node, "weight", 1, None)))
        slope = {"relu": 0.0, "abs": -1.0}.get(name)
        if slope is None:
            slope = float(_kwarg(node, "negative_slope", 1, 0.01))
        return self.activation(node, x, slope)

    def function_clamp(self, node, name, x):
        """``relu6``, ``hardtanh``, ``clamp``, ``clamp_min`` and ``clamp_max``."""
        if name == "relu6":
            return self.clamp(node, x, 0.0, 6.0)
        if name == "hardtanh":
            low, high = float(_kwarg(node, "min_val", 1, -1.0)), float(_kwarg(node, "max_val", 2, 1.0))
            return self.clamp(node, x, low, high)
        low = _kwarg(node, "min", 1, None) if name != "clamp_max" else None
        high = _kwarg(node, "max", 2 if name == "clamp" else 1, None) if name != "clamp_min" else None
        if _is_variable([self.env.get(v) for v in (low, high) if isinstance(v, _fx_node())]):
            return self.refuse(node, "clamps to bounds that depend on the input; use torch.maximum")
        return self.clamp(node, x, self.probe_or_const(low), self.probe_or_const(high))

    def function_threshold(self, node, name, x):
        return self.threshold(node, x, _kwarg(node, "threshold", 1, None), _kwarg(node, "value", 2, None))

    def function_maximum(self, node, name, x):
        return self.maximum(node, name)

    def function_max_pool(self, node, name, x):
        kwargs = {k: self.probe_or_const(v) for k, v in node.kwargs.items()}
        bound = MAX_POOL(self.constants_of(node), kwargs)
        return self.max_pool(node, x, _spatial_dimensions(name), bound)

    def function_adaptive_max_pool(self, node, name, x):
        if _kwarg(node, "return_indices", 2, False):
            return self.refuse(node, "returns argmax indices, which are not piecewise linear")
        return self.adaptive_max_pool(node, x, _spatial_dimensions(name))

    def function_softmax(self, node, name, x):
        return self.softmax(node, x)

    def constants_of(self, node) -> list:
        return [self.probe_or_const(a) for a in node.args]

    def probe_or_const(self, value):
        return self.probe[value] if isinstance(value, _fx_node()) else value


@functools.cache
def _tracer_class():
    """The fx tracer of the reader (one class per process).

    - Leaves: the modules of ``torch.nn`` (and ``torch.ao.nn``) read by their class, except containers and
      subclasses (a subclass is traced through its own ``forward``; a parametrised module is a leaf, read by
      its base class).
    - Every node records where the model's code created it (``meta["tropical_location"]``), for messages.
    - Proxies are :class:`_Proxy`, which records ``torch.relu(x)``-like calls without the table of all
      overridable torch functions that fx builds on first use (issue 11: most of a first read's cost).
    """
    import torch
    from torch import fx, nn
    from torch.nn.utils import parametrize

    containers = (nn.Sequential, nn.ModuleList, nn.ModuleDict)

    class _Proxy(fx.Proxy):
        @classmethod
        def __torch_function__(cls, orig_method, types, args=None, kwargs=None):
            """``call_function`` for a function of the torch namespaces, as fx records it; anything else
            (Tensor methods and properties, ScriptMethods, higher-order operators) as fx does."""
            if _plain_torch_function(orig_method):
                args, kwargs = args or (), kwargs or {}
                tracers = set()
                fx.node.map_aggregate(
                    (args, kwargs), lambda a: tracers.add(a.tracer) if isinstance(a, fx.Proxy) else None
                )
                if len(tracers) == 1:
                    return tracers.pop().create_proxy("call_function", orig_method, args, kwargs)
            return super().__torch_function__(orig_method, types, args, kwargs)

        def __len__(self):
            return len(self.tracer.concrete(self, "len()", shape_only=True))

        def __index__(self):
            return operator.index(self.tracer.concrete(self, "an int"))

        def __getattr__(self, name):
            """``x.shape``, ``x.size``, ``x.dim``... as their values when the reader knows the input shape (so
            that the batch size they may give is seen by :func:`_batch_dependent_node`)."""
            if name in SHAPE_ATTRIBUTES and self.tracer.shapes_known:
                value = self.tracer.concrete(self, f".{name}", shape_only=True)
                if isinstance(value, torch.Tensor):
                    return getattr(value, name)
            return super().__getattr__(name)

    class Tracer(fx.Tracer):
        #: ``concrete(proxy, use)``: the value of a proxy that depends on the input's shape only (set by the
        #: reader); Python that reads it (``if``, ``range``, ``len``, a loop) then runs as it does eagerly.
        concrete = None
        shapes_known = False

        def to_bool(self, obj):
            return bool(self.concrete(obj, "an `if` or a bool"))

        def iter(self, obj):
            return iter(self.concrete(obj, "a loop or * unpacking"))

        def is_leaf_module(self, module, qualified_name):
            cls = _original_class(module)
            return (
                cls.__module__.startswith(("torch.nn.", "torch.ao.nn."))
                and not issubclass(cls, containers)
                and (type(module) is cls or parametrize.is_parametrized(module))
            )

        def create_node(self, *args, **kwargs):
            node = super().create_node(*args, **kwargs)
            node.meta["tropical_location"] = _caller_location()
            return node

        def proxy(self, node):
            return _Proxy(node, self)

    return Tracer


def _plain_torch_function(function) -> bool:
    """Whether ``function`` is a function of ``torch`` or ``torch.nn.functional`` under its own name and no
    attribute of ``torch.Tensor``: fx records it as ``call_function``, named after it, for it is no Tensor
    method (tests/tropical/test_graph.py checks this against ``torch.overrides``' own table)."""
    import torch
    from torch.nn import functional

    name = getattr(function, "__name__", None)
    if not isinstance(function, types.FunctionType | types.BuiltinFunctionType) or not isinstance(name, str):
        return False
    if name.startswith("__") or getattr(torch.Tensor, name, None) is function:
        return False
    return getattr(torch, name, None) is function or getattr(functional, name, None) is function


def _depends_on_shape_only(node) -> bool:
    """A shape query (``x.size()``, ``x.shape``, ``zeros_like(x)``...): its probe value is its value, since
    every later run of the traced operations uses the probe's batch size."""
    if node.op != "call_module" and _name(node) in SHAPE_QUERIES:
        return True
    return node.op == "call_function" and node.target is getattr and node.args[1] in ("shape", "ndim")


def _batch_dependent_node(graph, constants, other, other_constants):
    """The first node of the fx ``graph`` whose operation or arguments differ in ``other``, the same forward
    traced with a batch of ``PROBE_BATCH + 1`` samples instead of ``PROBE_BATCH``; a batch size in the
    arguments of a data movement is no difference. None when the graphs are the same."""
    from torch.fx.node import map_arg

    nodes, other_nodes = list(graph.nodes), list(other.nodes)
    position = {n: i for i, n in enumerate(nodes)} | {n: i for i, n in enumerate(other_nodes)}
    for node, twin in zip(nodes, other_nodes, strict=False):
        if (node.op, node.target) != (twin.op, twin.target):
            return node
        if node.op == "get_attr" and node.target in constants:
            if not _same_per_sample(constants[node.target], other_constants.get(twin.target)):
                return next(iter(node.users), node)
            continue
        first, second = (
            _leaves(map_arg((n.args, n.kwargs), lambda a: ("node", position[a]))) for n in (node, twin)
        )
        moves_data = node.op != "call_module" and _name(node) in DATA_MOVEMENT | SHAPE_QUERIES | CREATIONS
        if len(first) != len(second) or any(
            a != b and not (moves_data and (a, b) == (PROBE_BATCH, PROBE_BATCH + 1))
            for a, b in zip(first, second, strict=True)
        ):
            return node
    if len(nodes) != len(other_nodes):
        return nodes[min(len(nodes), len(other_nodes)) - 1]
    return None


def _same_per_sample(constant, other) -> bool:
    """Whether two tensor constants of the two traces of :func:`_batch_dependent_node` are the same, or are
    the same row repeated ``PROBE_BATCH`` and ``PROBE_BATCH + 1`` times (``torch.zeros(len(x), 3)``)."""
    import torch

    if not isinstance(constant, torch.Tensor) or not isinstance(other, torch.Tensor):
        return constant is other or (type(constant) is type(other) and constant == other)
    if constant.shape == other.shape:
        return bool(torch.equal(constant, other))
    return (
        constant.shape[1:] == other.shape[1:]
        and (len(constant), len(other)) == (PROBE_BATCH, PROBE_BATCH + 1)
        and bool((other == other[:1]).all())
        and torch.equal(constant, other[:PROBE_BATCH])
    )


def _leaves(value) -> list:
    """The scalars in nested tuples, lists (``torch.Size`` included), dicts and slices, in order."""
    if isinstance(value, tuple | list):
        return [leaf for item in value for leaf in _leaves(item)]
    if isinstance(value, dict):
        return _leaves([*value.keys(), *value.values()])
    if isinstance(value, slice):
        return _leaves((value.start, value.stop, value.step))
    return [value]


def _reshaped_sample(graph) -> tuple[int, ...] | None:
    """The per-sample shape of a first ``x.view(-1, 1, 8, 8)``, ``x.reshape`` or ``torch.reshape`` with
    constant sizes, if the model's input goes only there (a model that takes flat inputs)."""
    import torch

    inputs = [node for node in graph.nodes if node.op == "placeholder"]
    if len(inputs) != 1 or len(inputs[0].users) != 1:
        return None
    (user,) = inputs[0].users
    is_method = user.op == "call_method" and user.target in ("view", "reshape")
    if not (is_method or (user.op == "call_function" and user.target is torch.reshape)):
        return None
    sizes = user.args[1:] if len(user.args) > 2 or is_method else user.args[1]
    if len(sizes) == 1 and isinstance(sizes[0], tuple | list):
        sizes = sizes[0]
    if len(sizes) < 2 or not all(type(size) is int for size in sizes) or not all(n > 0 for n in sizes[1:]):
        return None
    return tuple(sizes[1:])


def _shape_hint(module) -> str:
    """The input shape ``module``, the model's first layer, takes, as a hint: ``(3, length)`` for a Conv1d
    with 3 input channels, ``(784,)`` for an Unflatten of dim 1 to (1, 28, 28)..."""
    from torch import nn

    if isinstance(module, nn.Linear):
        return f"({module.in_features},)"
    spatial = {1: "length", 2: "height, width", 3: "depth, height, width"}
    if isinstance(module, nn.modules.conv._ConvNd):
        return f"({module.in_channels}, {spatial[len(module.kernel_size)]})"
    if isinstance(module, nn.modules.batchnorm._BatchNorm) and type(module).__name__[-2:] in ("2d", "3d"):
        return f"({module.num_features}, {spatial[int(type(module).__name__[-2])]})"
    if isinstance(module, nn.Unflatten) and module.dim in (1, -1):
        return f"({math.prod(module.unflattened_size)},)"
    return "(n_features,) for flat inputs, (channels, height, width) for images,"


def _spatial_dimensions(name: str) -> int:
    """1 for the 1-D pooling modules and functions (``MaxPool1d``, ``max_pool1d``...), else 2."""
    return 1 if "1d" in name.lower() else 2


def _moves_data(cls) -> bool:
    """Modules read as data movements by their class name (flatten, shuffles, padding, nearest upsampling)."""
    name = cls.__name__
    return name in (
        "Flatten", "Unflatten", "PixelShuffle", "PixelUnshuffle", "ChannelShuffle", "UpsamplingNearest2d"
    ) or name.endswith(("Pad1d", "Pad2d", "Pad3d"))  # fmt: skip


def _rule_table(families) -> dict:
    """``{key: rule}`` from ``(keys, rule)`` pairs; a key in two families is a programming error."""
    table = {}
    for keys, rule in families:
        for key in keys:
            if key in table:
                raise AssertionError(f"{key!r} has two lowering rules")
            table[key] = rule
    return table


@functools.cache
def _module_rules() -> dict:
    """The lowering rule of every supported leaf module class (exact class; parametrised: by their base)."""
    from torch import nn

    R = _Reader
    convolutions = (
        nn.Conv1d,
        nn.Conv2d,
        nn.Conv3d,
        nn.ConvTranspose1d,
        nn.ConvTranspose2d,
        nn.ConvTranspose3d,
    )
    dropouts = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.FeatureAlphaDropout)
    averages = (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d,
                nn.AdaptiveAvgPool3d, nn.UpsamplingBilinear2d)  # fmt: skip
    return _rule_table(
        [
            ((nn.Linear,), R.module_linear),
            (convolutions, R.module_conv),
            ((nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d), R.module_batch_norm),
            (dropouts, R.module_dropout),
            ((nn.Identity,), R.module_identity),
            (averages, R.module_average),
            ((nn.Upsample,), R.module_upsample),
            ((nn.ReLU,), R.module_relu),
            ((nn.LeakyReLU,), R.module_leaky_relu),
            ((nn.PReLU,), R.module_prelu),
            ((nn.ReLU6, nn.Hardtanh), R.module_clamp),
            ((nn.Threshold,), R.module_threshold),
            ((nn.MaxPool1d, nn.MaxPool2d), R.module_max_pool),
            ((nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d), R.module_adaptive_max_pool),
            ((nn.Softmax, nn.LogSoftmax), R.module_softmax),
        ]
    )


@functools.cache
def _function_rules() -> dict:
    """The lowering rule of every supported function or method, by normalised name (:func:`_name`)."""
    R = _Reader
    return _rule_table(
        [
            (("add", "sub", "rsub", "neg", "mul", "div"), R.function_arithmetic),
            (("matmul", "linear"), R.function_matmul),
            (DATA_MOVEMENT, R.function_data_movement),
            (DTYPE_CONVERSIONS, R.function_dtype),
            ((*NONNEGATIVE_LINEAR, "interpolate", "upsample"), R.function_average),
            (
                ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"),
                R.function_conv,
            ),
            (("batch_norm",), R.function_batch_norm),
            (
                ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"),
                R.function_dropout,
            ),
            (("relu", "leaky_relu", "abs", "prelu"), R.function_activation),
            (("relu6", "hardtanh", "clamp", "clamp_min", "clamp_max"), R.function_clamp),
            (("threshold",), R.function_threshold),
            (("maximum", "minimum", "max", "min", "amax", "amin"), R.function_maximum),
            (
                ("max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices"),
                R.function_max_pool,
            ),
            (("adaptive_max_pool1d", "adaptive_max_pool2d"), R.function_adaptive_max_pool),
            (("softmax", "log_softmax"), R.function_softmax),
        ]
    )


def _original_class(module):
    from torch.nn.utils import parametrize

    cls = type(module)
    return cls.__bases__[0] if parametrize.is_parametrized(module) else cls


def _dtype_device(model):
    import torch

    for tensor in [*model.parameters(), *model.buffers()]:
        if tensor.is_floating_point():
            return tensor.dtype, tensor.device
    return torch.float32, torch.device("cpu")


def _prune(graph: Graph) -> Graph:
    """Drop the nodes the output does not depend on, renumbering the rest."""
    needed = {graph.output, 0}
    for index in range(len(graph.nodes) - 1, -1, -1):
        if index in needed:
            needed.update(graph.nodes[index].inputs)
    order = sorted(needed)
    new = {old: i for i, old in enumerate(order)}
    nodes = []
    for old in order:
        node = graph.nodes[old]
        nodes.append(
            Node(
                node.kind,
                tuple(new[i] for i in node.inputs),
                node.shape,
                node.name,
                node.ops,
                node.bias,
                node.slope,
                node.windows,
            )
        )
    return Graph(graph.input_shape, tuple(nodes), new[graph.output])
