"""Lowering of one traced operation to graph nodes (affine, activation, max): a mixin of the reader
in :mod:`tropical._graph_reader`, which provides ``add``, ``shape``, ``out_shape``, ``refuse``, ``place``,
``execute``, ``probe_or_const`` and the ``env`` / ``probe`` dictionaries of the traced nodes.
"""

from __future__ import annotations

import math

import numpy as np

from tropical.graph import Composed, Convolution, Dense, Gather, LinearOp, Reshape, Scale, TorchLinear, Zero

PROBE_BATCH = 2


class _Bad:
    """A value that depends on the input through an unsupported operation (reported once)."""

    def __init__(self, reason: str | None = None):
        self.reason = reason


class _Slot:
    """Where a variable input goes when a traced operation is re-run."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


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


def _as_tuple(value, n: int) -> tuple:
    return tuple(value) if isinstance(value, list | tuple) else (value,) * n


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


def _numpy(value) -> np.ndarray:
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().cpu().double().numpy().copy()
    return np.asarray(value, dtype=np.float64)


class Lowering:
    """Affine and nonlinear lowering rules (see :mod:`tropical.graph`)."""

    dropped_softmax = None

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
        """Re-run the node with chosen tensors for its variable inputs (``{fx node: tensor}``); constants are
        taken from the probe (float64, on the CPU). The function keeps no reference to the reader."""
        import torch
        from torch.fx.node import map_aggregate, map_arg

        def template(n):
            if isinstance(self.env.get(n), _Var):
                return _Slot(n.name)
            value = self.probe[n]
            if isinstance(value, torch.Tensor) and value.is_floating_point():
                return value.detach().cpu().double()
            return value

        args, kwargs = map_arg(node.args, template), map_arg(node.kwargs, template)
        kind, target = node.op, self.modules[node.target] if node.op == "call_module" else node.target

        def call(substitutions):
            by_name = {n.name: tensor for n, tensor in substitutions.items()}

            def fill(value):
                return by_name[value.name] if isinstance(value, _Slot) else value

            filled_args, filled_kwargs = map_aggregate(args, fill), map_aggregate(kwargs, fill)
            if kind == "call_method":
                self_, *rest = filled_args
                return getattr(self_, target)(*rest, **filled_kwargs)
            return target(*filled_args, **filled_kwargs)

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
