"""The torch.fx reader behind :func:`tropical.graph.piecewise_linear_graph` (rules in that module).

The model is traced symbolically, then the traced graph is run node by node on a random probe batch
(which gives every shape and checks the reading at the end). Every node that depends on the input is
lowered to affine, activation and max nodes; pure data movements (reshape, permute, slicing, padding,
``cat``...) are read by running them on tensors of indices, so that their exact gather map comes from torch
itself.
"""

from __future__ import annotations

import math
import operator
import sys

import numpy as np

from tropical.errors import UnsupportedLayerError
from tropical.graph import (
    Composed,
    Convolution,
    Dense,
    Gather,
    Graph,
    LinearOp,
    Node,
    Reshape,
    Scale,
    TorchLinear,
    Zero,
)

PROBE_BATCH = 2
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
NEEDS_EVAL = "call model.eval() first"


class _Bad:
    """A value that depends on the input through an unsupported operation (reported once)."""

    def __init__(self, reason: str | None = None):
        self.reason = reason


class _Var:
    """A tensor that depends on the input: the index of its node in the graph being built."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        self.index = index


def _is_variable(value) -> bool:
    if isinstance(value, _Var | _Bad):
        return True
    if isinstance(value, tuple | list):
        return any(_is_variable(v) for v in value)
    if isinstance(value, dict):
        return any(_is_variable(v) for v in value.values())
    return False


def _bads(value) -> list[_Bad]:
    if isinstance(value, _Bad):
        return [value]
    if isinstance(value, tuple | list):
        return [b for v in value for b in _bads(v)]
    if isinstance(value, dict):
        return [b for v in value.values() for b in _bads(v)]
    return []


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


def _as_tuple(value, n: int) -> tuple:
    return tuple(value) if isinstance(value, list | tuple) else (value,) * n


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


def read(model, input_shape) -> Graph:
    import torch
    from torch import nn

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    tensors = [*model.parameters(), *model.buffers()]
    if any(t.is_meta for t in tensors):
        raise ValueError(
            "the model is on the 'meta' device: its weights do not exist. Materialise it first "
            "(model.to_empty(device='cpu') and load a state dict)"
        )
    buffers = {name: buffer.detach().clone() for name, buffer in model.named_buffers()}
    # the probe runs the model: leave no trace in it (running statistics of a BatchNorm in training mode)
    # nor in the global random state (dropout)
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        try:
            reader = _Reader(model)
            reader.check_lazy_modules()
            reader.check_hooks()
            reader.refresh_reparametrised_weights()
            traced = reader.trace()
            shape = reader.input_shape(traced, input_shape)
            return reader.lower(traced, shape)
        finally:
            for name, buffer in model.named_buffers():
                if name in buffers and buffer.shape == buffers[name].shape:
                    buffer.copy_(buffers[name])


class _Reader:
    def __init__(self, model):
        self.model = model
        self.modules = dict(model.named_modules())
        self.nodes: list[Node] = []
        self.problems: list[str] = []
        self.hints: set[str] = set()

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
    def trace(self):
        import torch
        from torch import fx, nn
        from torch.nn.utils import parametrize

        containers = (nn.Sequential, nn.ModuleList, nn.ModuleDict)

        class Tracer(fx.Tracer):
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

        tracer = Tracer(autowrap_modules=())
        before = set(vars(self.model))
        try:
            graph = tracer.trace(self.model)
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
            self.constants = {k: v for k, v in vars(self.model).items() if k not in before}
            for key in self.constants:  # fx stores tensor constants on the model: undo it
                delattr(self.model, key)
        del torch
        return graph

    def fetch(self, target: str):
        if target in self.constants:
            return self.constants[target]
        value = self.model
        for part in target.split("."):
            value = getattr(value, part)
        return value

    def input_shape(self, graph, input_shape) -> tuple[int, ...]:
        from torch import nn

        if input_shape is not None:
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
                break
            if node.op == "call_function" and _name(node) == "linear":
                weight = self.fetch(node.args[1].target) if node.args[1].op == "get_attr" else None
                if weight is not None:
                    return (int(weight.shape[1]),)
        raise ValueError(
            "input_shape is needed: the model does not start with a Linear layer whose in_features give "
            "it. Pass input_shape=(channels, height, width) (per sample, without the batch dimension)"
        )

    # ---------------------------------------------------------------------------------------- lowering
    def lower(self, graph, input_shape) -> Graph:
        import torch
        from torch.fx.node import map_arg

        self.input_shape_ = input_shape
        self.nodes = [Node("input", (), input_shape, "input")]
        dtype, device = _dtype_device(self.model)
        generator = torch.Generator().manual_seed(0)
        probe_input = torch.randn((PROBE_BATCH, *input_shape), generator=generator, dtype=torch.float64)
        self.env, self.probe = {}, {}
        placeholders = 0
        self.order = {node: i for i, node in enumerate(graph.nodes)}
        output_value, output_node = None, None
        for node in graph.nodes:
            if node.op == "placeholder":
                placeholders += 1
                if placeholders == 1:
                    self.env[node], self.probe[node] = (
                        _Var(0),
                        probe_input.to(dtype=dtype, device=device, copy=True),
                    )
                elif node.args:
                    self.env[node] = self.probe[node] = node.args[0]
                else:
                    raise UnsupportedLayerError(
                        f"the model's forward takes a second input ('{node.name}'); tropical reads models of "
                        "one input tensor (wrap the model in a module that builds the other inputs)"
                    )
                continue
            if node.op == "get_attr":
                self.env[node] = self.probe[node] = self.fetch(node.target)
                continue
            if node.op == "output":
                output_node = node.args[0]
                output_value = map_arg(output_node, lambda n: self.env[n])
                continue
            args = map_arg(node.args, lambda n: self.probe[n])
            kwargs = map_arg(node.kwargs, lambda n: self.probe[n])
            inputs = map_arg((node.args, node.kwargs), lambda n: self.env[n])
            try:
                self.probe[node] = self.execute(node, args, kwargs)
            except Exception as error:
                raise ValueError(
                    f"running the model on inputs of shape (batch, {', '.join(map(str, input_shape))}) "
                    "failed "
                    f"at {self.place(node)}: {type(error).__name__}: {error}. Check input_shape="
                ) from error
            if (node.op != "call_module" and _name(node) in SHAPE_QUERIES) or (
                node.op == "call_function" and node.target is getattr and node.args[1] in ("shape", "ndim")
            ):
                self.env[node] = self.probe[node]
                continue
            if not _is_variable(inputs):
                self.env[node] = self.probe[node]
                continue
            selected = self.select(node)
            if selected is not None:
                self.env[node] = selected
                continue
            bads = _bads(inputs)
            if bads:
                for bad in bads:
                    if bad.reason:
                        self.problems.append(bad.reason)
                        bad.reason = None
                self.env[node] = _Bad()
                continue
            if self.overwrites_a_value_used_later(node):
                self.env[node] = self.refuse(
                    node,
                    "changes in place a value that is used again later, so that use sees the changed value",
                    "use the out-of-place form (inplace=False, relu instead of relu_, h = h + x for h += x)",
                )
                continue
            self.env[node] = self.lower_node(node)
        output = self.output(output_value, output_node)
        if self.problems:
            hints = "".join(f"\n  To fix: {hint}." for hint in sorted(self.hints))
            listing = "".join(f"\n  - {problem}" for problem in self.problems)
            raise UnsupportedLayerError(
                f"the model has {len(self.problems)} operation(s) without an exact piecewise-linear form:"
                f"{listing}{hints}"
            )
        graph_ = _prune(Graph(input_shape, tuple(self.nodes), output))
        self.verify(graph_, probe_input, output_node)
        return graph_

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
        scale = 1.0 + float(np.abs(expected).max(initial=0.0))
        error = float(np.abs(got.reshape(expected.shape) - expected).max(initial=0.0))
        if not error <= 30 * math.sqrt(eps) * scale:
            raise UnsupportedLayerError(
                f"tropical read this model as a different function (max difference {error:.3g} on random "
                "inputs): an operation it does not understand (an in-place change of a value used again, an "
                "operation that mixes the samples of a batch...). Please report the model"
            )

    dropped_softmax = None

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
        from torch import nn

        cls = _original_class(module)
        x = self.env[node.args[0]] if node.args else None
        if cls is nn.Linear:
            return self.linear(node, x, module.weight, module.bias)
        if cls in (
            nn.Conv1d,
            nn.Conv2d,
            nn.Conv3d,
            nn.ConvTranspose1d,
            nn.ConvTranspose2d,
            nn.ConvTranspose3d,
        ):
            return self.conv_module(node, module, x)
        if cls in (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d):
            if module.training:
                return self.refuse(
                    node, "is in training mode (it normalises by batch statistics)", NEEDS_EVAL
                )
            if module.running_mean is None:
                return self.refuse(
                    node,
                    "has no running statistics (track_running_stats=False): it always normalises "
                    "by batch statistics, which is not piecewise linear",
                )
            return self.batch_norm(
                node, x, module.running_mean, module.running_var, module.weight, module.bias, module.eps
            )
        if cls in (
            nn.Dropout,
            nn.Dropout1d,
            nn.Dropout2d,
            nn.Dropout3d,
            nn.AlphaDropout,
            nn.FeatureAlphaDropout,
        ):
            if module.training and module.p > 0:
                return self.refuse(node, "is in training mode (random masks)", NEEDS_EVAL)
            return x
        if cls is nn.Identity:
            return x
        if cls in (
            nn.AvgPool1d,
            nn.AvgPool2d,
            nn.AvgPool3d,
            nn.AdaptiveAvgPool1d,
            nn.AdaptiveAvgPool2d,
            nn.AdaptiveAvgPool3d,
            nn.UpsamplingBilinear2d,
        ):
            return self.nonnegative(node, x)
        if cls is nn.Upsample:
            if module.mode in ("nearest", "nearest-exact"):
                return self.data_movement(node)
            if module.mode == "bicubic":
                return self.refuse(node, "(bicubic) has negative coefficients; use bilinear")
            return self.nonnegative(node, x)
        if (
            cls.__name__
            in (
                "Flatten",
                "Unflatten",
                "PixelShuffle",
                "PixelUnshuffle",
                "ChannelShuffle",
                "UpsamplingNearest2d",
            )
            or cls.__name__.endswith("Pad1d")
            or cls.__name__.endswith(("Pad2d", "Pad3d"))
        ):
            return self.data_movement(node)
        if cls is nn.ReLU:
            return self.activation(node, x, 0.0)
        if cls is nn.LeakyReLU:
            return self.activation(node, x, float(module.negative_slope))
        if cls is nn.PReLU:
            return self.prelu(node, x, module.weight)
        if cls in (nn.ReLU6, nn.Hardtanh):
            return self.clamp(node, x, float(module.min_val), float(module.max_val))
        if cls is nn.Threshold:
            return self.threshold(node, x, module.threshold, module.value)
        if cls in (nn.MaxPool1d, nn.MaxPool2d):
            bound = dict(
                kernel_size=module.kernel_size,
                stride=module.stride,
                padding=module.padding,
                dilation=module.dilation,
                ceil_mode=module.ceil_mode,
                return_indices=module.return_indices,
            )
            return self.max_pool(node, x, 1 if cls is nn.MaxPool1d else 2, bound)
        if cls in (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d):
            if module.return_indices:
                return self.refuse(node, "returns argmax indices, which are not piecewise linear")
            return self.adaptive_max_pool(node, x, 1 if cls is nn.AdaptiveMaxPool1d else 2)
        if cls in (nn.Softmax, nn.LogSoftmax):
            return self.softmax(node, x)
        return self.unsupported(node, cls.__name__)

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
        args, kwargs = node.args, node.kwargs
        env = self.env
        x = env[args[0]] if args and isinstance(args[0], _fx_node()) else None
        if name in ("add", "sub", "rsub", "neg", "mul", "div"):
            return self.arithmetic(node, name)
        if name in ("matmul", "linear"):
            return self.matmul(node, name)
        if name in DATA_MOVEMENT:
            if name == "getitem" and _is_variable(map_env(args[1:], env)):
                return self.refuse(node, "indexes with a value that depends on the input")
            return self.data_movement(node)
        if name in DTYPE_CONVERSIONS:
            return x
        if name in NONNEGATIVE_LINEAR or name in ("interpolate", "upsample"):
            mode = _kwarg(node, "mode", 2, "nearest") if name in ("interpolate", "upsample") else None
            if mode in ("nearest", "nearest-exact"):
                return self.data_movement(node)
            if mode == "bicubic":
                return self.refuse(node, "(bicubic) has negative coefficients; use bilinear")
            return self.nonnegative(node, x)
        if name in ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"):
            bound = (CONV_TRANSPOSE if "transpose" in name else CONV)(self.constants_of(node), {})
            bound.update({k: self.probe_or_const(v) for k, v in node.kwargs.items()})
            if _is_variable([env.get(a) for a in node.all_input_nodes if a is not args[0]]):
                return self.refuse(node, "has weights that depend on the input")
            return self.conv(node, x, name, bound)
        if name == "batch_norm":
            bound = BATCH_NORM(
                self.constants_of(node), {k: self.probe_or_const(v) for k, v in kwargs.items()}
            )
            if bound["training"]:
                return self.refuse(node, "normalises by batch statistics (training=True)", NEEDS_EVAL)
            return self.batch_norm(
                node,
                x,
                bound["running_mean"],
                bound["running_var"],
                bound["weight"],
                bound["bias"],
                bound["eps"],
            )
        if name in (
            "dropout",
            "dropout1d",
            "dropout2d",
            "dropout3d",
            "alpha_dropout",
            "feature_alpha_dropout",
        ):
            p, training = _kwarg(node, "p", 1, 0.5), _kwarg(node, "training", 2, True)
            if training and p > 0:
                return self.refuse(
                    node,
                    "is active (training=True)",
                    "pass training=self.training to functional dropout and " + NEEDS_EVAL,
                )
            return x
        if name == "relu":
            return self.activation(node, x, 0.0)
        if name == "leaky_relu":
            return self.activation(node, x, float(_kwarg(node, "negative_slope", 1, 0.01)))
        if name == "prelu":
            return self.prelu(node, x, self.probe_or_const(_kwarg(node, "weight", 1, None)))
        if name == "abs":
            return self.activation(node, x, -1.0)
        if name == "relu6":
            return self.clamp(node, x, 0.0, 6.0)
        if name == "hardtanh":
            return self.clamp(
                node, x, float(_kwarg(node, "min_val", 1, -1.0)), float(_kwarg(node, "max_val", 2, 1.0))
            )
        if name == "threshold":
            return self.threshold(node, x, _kwarg(node, "threshold", 1, None), _kwarg(node, "value", 2, None))
        if name in ("clamp", "clamp_min", "clamp_max"):
            low = _kwarg(node, "min", 1, None) if name != "clamp_max" else None
            high = _kwarg(node, "max", 2 if name == "clamp" else 1, None) if name != "clamp_min" else None
            if _is_variable([env.get(v) for v in (low, high) if isinstance(v, _fx_node())]):
                return self.refuse(node, "clamps to bounds that depend on the input; use torch.maximum")
            return self.clamp(node, x, self.probe_or_const(low), self.probe_or_const(high))
        if name in ("maximum", "minimum", "max", "min", "amax", "amin"):
            return self.maximum(node, name)
        if name in ("max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices"):
            bound = MAX_POOL(self.constants_of(node), {k: self.probe_or_const(v) for k, v in kwargs.items()})
            return self.max_pool(node, x, 1 if "1d" in name else 2, bound)
        if name in ("adaptive_max_pool1d", "adaptive_max_pool2d"):
            if _kwarg(node, "return_indices", 2, False):
                return self.refuse(node, "returns argmax indices, which are not piecewise linear")
            return self.adaptive_max_pool(node, x, 1 if "1d" in name else 2)
        if name in ("softmax", "log_softmax"):
            return self.softmax(node, x)
        return self.unsupported(node, name)

    def constants_of(self, node) -> list:
        return [self.probe_or_const(a) for a in node.args]

    def probe_or_const(self, value):
        return self.probe[value] if isinstance(value, _fx_node()) else value

    # ---------------------------------------------------------------------------------------- affine
    def weight(self, node, tensor, what: str) -> np.ndarray:
        array = _numpy(tensor)
        if not np.all(np.isfinite(array)):
            bad = int(array.size - np.count_nonzero(np.isfinite(array)))
            raise ValueError(f"{self.place(node)}: {what} has {bad} NaN or infinite entries")
        return array

    def linear(self, node, x, weight, bias):
        if not isinstance(x, _Var):
            return self.refuse(node, "reads a value it cannot follow")
        W = self.weight(node, weight, "weight")
        op = Dense(W, self.shape(x))
        b = None if bias is None else self.weight(node, bias, "bias")
        return _Var(
            self.add(
                "affine",
                (x.index,),
                op.out_shape,
                node.target if node.op == "call_module" else node.name,
                ops=(op,),
                bias=b,
            )
        )

    def conv_module(self, node, module, x):
        transposed = "Transpose" in type(module).__mro__[0].__name__ or module.transposed
        dims = len(module.kernel_size)
        options = dict(stride=module.stride, dilation=module.dilation, groups=module.groups)
        padding = None
        if transposed:
            if len(node.args) > 1 or "output_size" in node.kwargs:
                return self.refuse(node, "is called with output_size=; set output_padding on the module")
            options.update(padding=module.padding, output_padding=module.output_padding)
        elif module.padding_mode != "zeros":
            padding = (
                module.padding_mode if module.padding_mode != "zeros" else "constant",
                module._reversed_padding_repeated_twice,
            )
            options["padding"] = 0
        else:
            options["padding"] = module.padding
        function = f"conv{'_transpose' if transposed else ''}{dims}d"
        bound = dict(options, weight=module.weight, bias=module.bias)
        return self.conv(node, x, function, bound, padding)

    def conv(self, node, x, function, bound, padding=None):
        weight = self.weight(node, bound.pop("weight"), "weight")
        bias = bound.pop("bias")
        bound.pop("input", None)
        options = {k: v for k, v in bound.items()}
        op = Convolution(weight, function, options, self.shape(x), self.out_shape(node), padding)
        b = None
        if bias is not None:
            b = self.weight(node, bias, "bias").reshape(-1, *([1] * (len(op.out_shape) - 1)))
        name = node.target if node.op == "call_module" else node.name
        return _Var(self.add("affine", (x.index,), op.out_shape, name, ops=(op,), bias=b))

    def batch_norm(self, node, x, mean, var, gamma, beta, eps):
        mean, var = self.weight(node, mean, "running_mean"), self.weight(node, var, "running_var")
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = 1.0 / np.sqrt(var + eps)
            if gamma is not None:
                scale = scale * self.weight(node, gamma, "weight")
            shift = -mean * scale + (0.0 if beta is None else self.weight(node, beta, "bias"))
        if not np.all(np.isfinite(scale)) or not np.all(np.isfinite(shift)):
            raise ValueError(
                f"{self.place(node)} divides by zero: running_var is 0 with eps={eps} for "
                f"{int(np.sum(~np.isfinite(scale)))} channel(s); set eps > 0 or fix the statistics"
            )
        shape = self.shape(x)
        trailing = (1,) * (len(shape) - 1)
        op = Scale(scale.reshape(-1, *trailing), shape)
        name = node.target if node.op == "call_module" else node.name
        return _Var(self.add("affine", (x.index,), shape, name, ops=(op,), bias=shift.reshape(-1, *trailing)))

    def nonnegative(self, node, x):
        """A linear op with nonnegative coefficients that torch computes (pooling, mean...)."""
        if not isinstance(x, _Var):
            return self.refuse(node, "reads a value it cannot follow")
        call = self.caller(node)
        op = TorchLinear(
            lambda t: call({node.args[0]: t}), self.shape(x), self.out_shape(node), self.place(node)
        )
        name = node.target if node.op == "call_module" else node.name
        return _Var(self.add("affine", (x.index,), op.out_shape, name, ops=(op,)))

    def caller(self, node):
        """Re-run the node with chosen tensors for some of its inputs (constants: float64, on the CPU)."""
        import torch
        from torch.fx.node import map_arg

        def constant(n):
            value = self.probe[n]
            if isinstance(value, torch.Tensor) and value.is_floating_point():
                return value.detach().cpu().double()
            return value

        def call(substitutions):
            args = map_arg(node.args, lambda n: substitutions[n] if n in substitutions else constant(n))
            kwargs = map_arg(node.kwargs, lambda n: substitutions[n] if n in substitutions else constant(n))
            return self.execute(node, args, kwargs)

        return call

    def data_movement(self, node, call=None, variables=None):
        """Read a pure data movement by running it on tensors of indices (K-shifted to find constants)."""
        import torch

        if variables is None:
            variables = [n for n in dict.fromkeys(node.all_input_nodes) if isinstance(self.env[n], _Var)]
        call = call or self.caller(node)
        bases, base = [], 0
        first, second = {}, {}
        for n in variables:
            shape = self.shape(self.env[n])
            size = math.prod(shape)
            index = torch.arange(base + 1, base + 1 + PROBE_BATCH * size, dtype=torch.float64)
            first[n] = index.reshape(PROBE_BATCH, *shape)
            bases.append((n, base, size, shape))
            base += PROBE_BATCH * size
        shift = float(base + 1)
        for n in variables:
            second[n] = first[n] + shift
        out1, out2 = call(first), call(second)
        single = isinstance(out1, torch.Tensor)
        results = []
        for o1, o2 in zip([out1] if single else out1, [out2] if single else out2, strict=True):
            o1, o2 = o1.detach().cpu().double().numpy(), o2.detach().cpu().double().numpy()
            if o1.ndim == 0 or o1.shape[0] != PROBE_BATCH:
                return self.refuse(node, "reshapes across the batch dimension")
            o1, o2 = o1.reshape(PROBE_BATCH, -1), o2.reshape(PROBE_BATCH, -1)
            moved = (o2 - o1) == shift
            constant = np.where(moved, 0.0, o1)
            if not np.array_equal(constant[0], constant[1]):
                return self.refuse(node, "mixes the samples of a batch")
            inputs, ops = [], []
            out_shape = tuple(out1.shape[1:] if single else o1.shape[1:])
            out_shape = tuple((out1 if single else out1[len(results)]).shape[1:])
            for n, start, size, shape in bases:
                belongs = moved & (o1 > start) & (o1 <= start + PROBE_BATCH * size)
                if not belongs.any():
                    continue
                local = o1 - start - 1 - np.arange(PROBE_BATCH)[:, None] * size
                index = np.where(belongs, local, -1).astype(np.int64)
                if not np.array_equal(index[0], index[1]) or np.any(
                    belongs & ((local < 0) | (local >= size))
                ):
                    return self.refuse(node, "mixes the samples of a batch")
                index = index[0]
                if len(index) == size and np.array_equal(index, np.arange(size)):
                    op: LinearOp = Reshape(shape, out_shape)
                else:
                    op = Gather(index, shape, out_shape)
                inputs.append(self.env[n].index)
                ops.append(op)
            if not ops:
                inputs, ops = [0], [Zero(self.input_shape_, out_shape)]
            name = node.target if node.op == "call_module" else node.name
            results.append(
                _Var(
                    self.add(
                        "affine", inputs, out_shape, name, ops=tuple(ops), bias=constant[0].reshape(out_shape)
                    )
                )
            )
        return results[0] if single else type(out1)(results) if isinstance(out1, list) else tuple(results)

    def arithmetic(self, node, name):
        """``+``, ``-``, unary ``-``, ``*`` and ``/`` by constants, with broadcasting."""
        import torch

        args = list(node.args)
        alpha = node.kwargs.get("alpha", 1)
        if name in ("add", "sub", "rsub") and "other" in node.kwargs:
            args.append(node.kwargs["other"])
        if name == "neg":
            terms = [(args[0], -1.0)]
        elif name == "add":
            terms = [(args[0], 1.0), (args[1], alpha)]
        elif name == "sub":
            terms = [(args[0], 1.0), (args[1], -alpha)]
        elif name == "rsub":
            terms = [(args[1], 1.0), (args[0], -alpha)]
        else:
            a, b = args[0], args[1] if len(args) > 1 else node.kwargs.get("other")
            if name == "div" and node.kwargs.get("rounding_mode") is not None:
                return self.refuse(node, "rounds (rounding_mode=): not piecewise linear")
            variable_a, variable_b = _is_variable(self.env.get(a)), _is_variable(self.env.get(b))
            if variable_a and variable_b:
                return self.refuse(
                    node,
                    f"{'multiplies' if name == 'mul' else 'divides'} two values that "
                    "depend on the input: not piecewise linear",
                )
            if name == "div" and variable_b:
                return self.refuse(node, "divides by a value that depends on the input: not piecewise linear")
            variable, factor = (a, b) if variable_a else (b, a)
            factor = self.probe_or_const(factor)
            if name == "div":
                factor = 1.0 / (factor.double() if isinstance(factor, torch.Tensor) else float(factor))
            terms = [(variable, factor)]
        out = self.probe[node]
        batched = tuple(out.shape)
        inputs, ops, bias = [], [], np.zeros(batched[1:])
        for term, factor in terms:
            factor = self.per_sample(self.probe_or_const(factor), batched)
            if factor is None:
                return self.refuse(node, "scales by a constant that differs between samples")
            if isinstance(term, _fx_node()) and isinstance(self.env[term], _Var):
                value = self.env[term]
                source = self.broadcast(value, batched[1:], node)
                op = source if isinstance(source, LinearOp) else None
                if op is None:
                    return source
                if not (np.ndim(factor) == 0 and factor == 1.0):
                    op = (
                        Composed((op, Scale(factor, batched[1:])))
                        if not isinstance(op, Reshape)
                        else Scale(factor, batched[1:])
                    )
                inputs.append(value.index)
                ops.append(op)
            else:
                constant = self.per_sample(self.probe_or_const(term), batched)
                if constant is None:
                    return self.refuse(node, "adds a constant that differs between samples")
                bias = bias + factor * constant
        if not np.all(np.isfinite(bias)) or any(
            isinstance(op, Scale) and not np.all(np.isfinite(op.factor)) for op in ops
        ):
            raise ValueError(f"{self.place(node)} gives NaN or infinite constants (a division by zero?)")
        return _Var(self.add("affine", inputs, batched[1:], node.name, ops=tuple(ops), bias=bias))

    def per_sample(self, value, batched):
        """A constant broadcast to the batched shape, as one per-sample array (None if it varies)."""
        import torch

        if not isinstance(value, torch.Tensor):
            return float(value)
        if value.ndim == 0:
            return float(value)
        full = torch.broadcast_to(value.detach().cpu().double(), batched).numpy()
        if not np.array_equal(full[0], full[1]):
            return None
        array = full[0]
        return float(array.reshape(-1)[0]) if np.all(array == array.reshape(-1)[0]) else array.copy()

    def broadcast(self, value, shape, node):
        """The op that broadcasts a variable to ``shape`` (identity when the shapes agree)."""
        import torch

        own = self.shape(value)
        if own == tuple(shape):
            return Reshape(own, own)
        batched = (PROBE_BATCH, *shape)
        index = torch.arange(PROBE_BATCH * math.prod(own), dtype=torch.float64).reshape(PROBE_BATCH, *own)
        full = torch.broadcast_to(index, batched).numpy().reshape(PROBE_BATCH, -1)
        local = full - np.arange(PROBE_BATCH)[:, None] * math.prod(own)
        if not np.array_equal(local[0], local[1]):
            return self.refuse(node, "broadcasts across the batch dimension")
        return Gather(local[0].astype(np.int64), own, tuple(shape))

    def matmul(self, node, name):
        args = node.args
        a, b = args[0], args[1] if len(args) > 1 else node.kwargs.get("weight", node.kwargs.get("other"))
        bias = args[2] if len(args) > 2 else node.kwargs.get("bias")
        variable_a, variable_b = _is_variable(self.env.get(a)), _is_variable(self.env.get(b))
        if (variable_a and variable_b) or _is_variable(self.env.get(bias)):
            return self.refuse(node, "multiplies two values that depend on the input: not piecewise linear")
        if name == "linear":
            return self.linear(node, self.env[a], self.probe_or_const(b), self.probe_or_const(bias))
        out_shape = self.out_shape(node)
        if variable_a:
            matrix = self.weight(node, self.probe_or_const(b), "matrix")
            x = self.env[a]
            if matrix.ndim == 1:
                op = Composed(
                    (Dense(matrix[None], self.shape(x)), Reshape((*self.shape(x)[:-1], 1), out_shape))
                )
            elif matrix.ndim == 2:
                op = Dense(matrix.T, self.shape(x))
            else:
                return self.refuse(node, "multiplies by a batched constant")
        else:
            matrix = self.weight(node, self.probe_or_const(a), "matrix")
            x = self.env[b]
            if matrix.ndim != 2 or len(self.shape(x)) < 2:
                return self.refuse(node, "multiplies a constant by a vector batch; use x @ W.T")
            op = Dense(matrix, self.shape(x), axis=len(self.shape(x)) - 2)
        return _Var(self.add("affine", (x.index,), out_shape, node.name, ops=(op,)))

    # ----------------------------------------------------------------------------------- nonlinear
    def activation(self, node, x, slope, name=None):
        if not isinstance(x, _Var):
            return self.refuse(node, "reads a value it cannot follow")
        name = name or (node.target if node.op == "call_module" else node.name)
        return _Var(self.add("activation", (x.index,), self.shape(x), name, slope=slope))

    def prelu(self, node, x, weight):
        slope = self.weight(node, weight, "weight").reshape(-1)
        shape = self.shape(x)
        if slope.size == 1:
            return self.activation(node, x, float(slope[0]))
        return self.activation(node, x, slope.reshape(-1, *([1] * (len(shape) - 1))))

    def threshold(self, node, x, threshold, value):
        threshold, value = float(threshold), float(value)
        if threshold != value:
            return self.refuse(
                node,
                f"(threshold={threshold}, value={value}) jumps at the threshold: not "
                "continuous; only Threshold(t, t) = max(x, t) is piecewise linear",
            )
        return self.clamp(node, x, threshold, None)

    def clamp(self, node, x, low, high):
        """``clamp(x, low, high) = low + relu(x - low) - relu(x - high)`` as affine, ReLU, affine."""
        if not isinstance(x, _Var):
            return self.refuse(node, "reads a value it cannot follow")
        shape = self.shape(x)
        batched = (PROBE_BATCH, *shape)
        low = None if low is None else self.per_sample(low, batched)
        high = None if high is None else self.per_sample(high, batched)
        name = node.target if node.op == "call_module" else node.name
        if low is None and high is None:
            return x
        if low is not None and high is not None and np.any(np.asarray(low) > np.asarray(high)):
            return self.refuse(node, "has a lower bound above its upper bound")
        if high is None:
            before = self.add(
                "affine", (x.index,), shape, f"{name}:in", ops=(Reshape(shape, shape),), bias=-np.asarray(low)
            )
            relu = self.add("activation", (before,), shape, name, slope=0.0)
            return _Var(
                self.add("affine", (relu,), shape, f"{name}:out", ops=(Reshape(shape, shape),), bias=low)
            )
        if low is None:
            before = self.add("affine", (x.index,), shape, f"{name}:in", ops=(Scale(-1.0, shape),), bias=high)
            relu = self.add("activation", (before,), shape, name, slope=0.0)
            return _Var(
                self.add("affine", (relu,), shape, f"{name}:out", ops=(Scale(-1.0, shape),), bias=high)
            )
        stacked = (2, *shape)
        spread = Composed((Reshape(shape, (1, *shape)), Dense(np.ones((2, 1)), (1, *shape), axis=0)))
        bias = np.stack([-np.broadcast_to(low, shape), -np.broadcast_to(high, shape)])
        before = self.add("affine", (x.index,), stacked, f"{name}:in", ops=(spread,), bias=bias)
        relu = self.add("activation", (before,), stacked, name, slope=0.0)
        combine = Composed((Dense(np.array([[1.0, -1.0]]), stacked, axis=0), Reshape((1, *shape), shape)))
        return _Var(self.add("affine", (relu,), shape, f"{name}:out", ops=(combine,), bias=low))

    def max_node(self, node, x, windows, shape, name=None):
        name = name or (node.target if node.op == "call_module" else node.name)
        return _Var(self.add("max", (x.index,), shape, name, windows=np.asarray(windows, dtype=np.int64)))

    def maximum(self, node, name):
        import torch

        args = node.args
        x = self.env[args[0]]
        other = args[1] if len(args) > 1 else node.kwargs.get("other", node.kwargs.get("dim"))
        minimum = name in ("minimum", "min", "amin")
        binary = name in ("maximum", "minimum") or (
            name in ("max", "min") and isinstance(self.probe_or_const(other), torch.Tensor)
        )
        out_shape = self.out_shape(node) if isinstance(self.probe[node], torch.Tensor) else None
        if binary:
            if not (_is_variable(self.env.get(other)) and isinstance(x, _Var)):
                variable, constant = (x, other) if isinstance(x, _Var) else (self.env[other], args[0])
                source = self.broadcast(variable, out_shape, node)
                if not isinstance(source, LinearOp):
                    return source
                if not isinstance(source, Reshape):
                    variable = _Var(
                        self.add(
                            "affine", (variable.index,), out_shape, f"{node.name}:broadcast", ops=(source,)
                        )
                    )
                constant = self.probe_or_const(constant)
                return self.clamp(
                    node, variable, None if minimum else constant, constant if minimum else None
                )
            y = self.env[other]

            def stack(substitutions):
                a, b = torch.broadcast_tensors(substitutions[args[0]], substitutions[other])
                return torch.stack([a, b], dim=1)

            pair = self.data_movement(node, stack, [args[0], other])
            if not isinstance(pair, _Var):
                return pair
            del y
            return self.max_over(node, pair, [0], out_shape, minimum, keepdim=False)
        # reductions: torch.max(x), torch.max(x, dim, keepdim), amax(x, dim, keepdim)
        if not isinstance(x, _Var):
            return self.refuse(node, "reads a value it cannot follow")
        shape = self.shape(x)
        dims = self.probe_or_const(other) if other is not None else ()
        keepdim = bool(_kwarg(node, "keepdim", 2, False))
        if name in ("max", "min") and other is None:
            dims = tuple(range(len(shape) + 1))[1:]
        dims = (dims,) if isinstance(dims, int) else tuple(dims) or tuple(range(1, len(shape) + 1))
        dims = sorted({d % (len(shape) + 1) for d in dims})
        if 0 in dims:
            return self.refuse(node, "takes the maximum over the batch dimension")
        value = self.probe[node]
        values_shape = tuple((value if isinstance(value, torch.Tensor) else value[0]).shape[1:])
        result = self.max_over(node, x, [d - 1 for d in dims], values_shape, minimum, keepdim)
        if isinstance(value, torch.Tensor):
            return result
        return (result, _Bad(f"{self.place(node)} returns argmax indices, which are not piecewise linear"))

    def max_over(self, node, x, dims, out_shape, minimum, keepdim):
        """Max (min: ``-max(-x)``) over per-sample dimensions ``dims`` of a variable."""
        shape = self.shape(x)
        kept = [d for d in range(len(shape)) if d not in dims]
        index = np.arange(math.prod(shape)).reshape(shape)
        windows = np.transpose(index, kept + list(dims)).reshape(-1, math.prod(shape[d] for d in dims))
        del keepdim  # the output shape (keepdim or not) comes from the probe
        return self.max_of(node, x, windows, out_shape, minimum)

    def max_of(self, node, x, windows, out_shape, minimum):
        if minimum:
            shape = self.shape(x)
            x = _Var(self.add("affine", (x.index,), shape, f"{node.name}:negate", ops=(Scale(-1.0, shape),)))
        result = self.max_node(node, x, windows, out_shape)
        if minimum:
            result = _Var(
                self.add(
                    "affine", (result.index,), out_shape, f"{node.name}:negate", ops=(Scale(-1.0, out_shape),)
                )
            )
        return result

    def max_pool(self, node, x, spatial, bound):
        import torch
        from torch.nn import functional

        if bound.get("return_indices"):
            return self.refuse(node, "returns argmax indices, which are not piecewise linear")
        if not isinstance(x, _Var):
            return self.refuse(node, "reads a value it cannot follow")
        shape, out_shape = self.shape(x), self.out_shape(node)
        kernel = _as_tuple(bound["kernel_size"], spatial)
        stride = _as_tuple(bound["stride"] or bound["kernel_size"], spatial)
        padding = _as_tuple(bound["padding"], spatial)
        dilation = _as_tuple(bound["dilation"], spatial)
        if spatial == 1:
            kernel, stride, padding, dilation = (1, *kernel), (1, *stride), (0, *padding), (1, *dilation)
        sizes = (1, shape[-1]) if spatial == 1 else shape[-2:]
        channels = math.prod(shape[: len(shape) - spatial])
        index = torch.arange(1, math.prod(shape) + 1, dtype=torch.float64).reshape(1, channels, *sizes)
        extra = [s if bound.get("ceil_mode") else 0 for s in stride]
        index = functional.pad(index, (0, extra[1], 0, extra[0]))
        unfolded = functional.unfold(index, kernel, dilation=dilation, padding=padding, stride=stride)
        grid = [
            (sizes[i] + 2 * padding[i] + extra[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
            for i in range(2)
        ]
        target = (1, out_shape[-1]) if spatial == 1 else out_shape[-2:]
        k = kernel[0] * kernel[1]
        unfolded = unfolded.reshape(channels, k, *grid)[:, :, : target[0], : target[1]]
        windows = unfolded.permute(0, 2, 3, 1).reshape(-1, k).numpy().astype(np.int64) - 1
        return self.max_node(node, x, windows, out_shape)

    def adaptive_max_pool(self, node, x, spatial):
        if not isinstance(x, _Var):
            return self.refuse(node, "reads a value it cannot follow")
        shape, out_shape = self.shape(x), self.out_shape(node)
        sizes, targets = shape[-spatial:], out_shape[-spatial:]
        per_dim = []
        for size, target in zip(sizes, targets, strict=True):
            starts = (np.arange(target) * size) // target
            ends = -((-(np.arange(target) + 1) * size) // target)
            width = int((ends - starts).max())
            offsets = starts[:, None] + np.arange(width)[None]
            per_dim.append(np.where(offsets < ends[:, None], offsets, -1))
        channels = math.prod(shape[: len(shape) - spatial])
        if spatial == 1:
            local = per_dim[0]  # (target, width)
        else:
            rows, cols = per_dim
            local = (rows[:, None, :, None] * sizes[1] + cols[None, :, None, :]).reshape(
                targets[0] * targets[1], -1
            )
            valid = (rows[:, None, :, None] >= 0) & (cols[None, :, None, :] >= 0)
            local = np.where(valid.reshape(local.shape), local, -1)
        plane = math.prod(sizes)
        windows = np.where(local[None] >= 0, local[None] + plane * np.arange(channels)[:, None, None], -1)
        return self.max_node(node, x, windows.reshape(-1, local.shape[1]), out_shape)

    def softmax(self, node, x):
        users = list(node.users)
        if len(users) == 1 and users[0].op == "output" and users[0].args[0] is node:
            self.dropped_softmax = node.args[0]
            return x
        return self.refuse(node, "is not piecewise linear (only a final Softmax/LogSoftmax is dropped)")


# ------------------------------------------------------------------------------------------ helpers
def _fx_node():
    from torch.fx import Node as FxNode

    return FxNode


def map_env(value, env):
    from torch.fx.node import map_arg

    return map_arg(value, lambda n: env[n])


def _kwarg(node, name, position, default):
    if name in node.kwargs:
        return node.kwargs[name]
    return node.args[position] if len(node.args) > position else default


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


def _numpy(value) -> np.ndarray:
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().cpu().double().numpy().copy()
    return np.asarray(value, dtype=np.float64)


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
