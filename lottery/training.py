"""Seeded, deterministic training that keeps pruned weights exactly at their pruned values.

After every optimizer step the pruned entries are exactly ``0.0`` (or their frozen values), whatever the
momentum and weight decay: the gradients are masked before the step, the optimizer's per-parameter buffers
(momentum, Adam moments) are zeroed at pruned positions, and the mask is re-applied to the weights after
the step. The mask is a stored :class:`~lottery.masks.Mask`; no forward hook or re-parametrisation is
involved, so state-dict keys stay those of the plain model.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np
import torch
from torch import nn

from lottery._compat import renamed
from lottery._validation import check_data, check_positive_int, check_seed
from lottery.masks import Mask

__all__ = [
    "History",
    "Loop",
    "TrainConfig",
    "TrainResult",
    "evaluate",
    "make_optimizer",
    "minibatches",
    "train",
]

State = dict[str, torch.Tensor]


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of :func:`train` (a frozen, JSON-serialisable record).

    Attributes
    ----------
    optimizer : {"sgd", "adam", "adamw"}
    lr : float
    momentum : float
        SGD momentum.
    weight_decay : float
        L2 penalty (``adamw``: decoupled decay).
    nesterov : bool
    schedule : {"constant", "step", "cosine"}
        ``step``: multiply by ``gamma`` every ``step_size`` steps; ``cosine``: ``lr/2 (1 + cos(pi t/T))``.
    step_size : int, optional
        Steps between decays of the step schedule (default: a third of the run).
    gamma : float
    epochs, iterations : int, optional
        Length of training; give at most one (default 10 epochs). An epoch is ``ceil(n_train /
        batch_size)`` steps.
    batch_size : int
    eval_every : int, optional
        Steps between validation evaluations (default once per epoch; also at the last step).
    patience : int, optional
        Stop after this many evaluations without a better validation accuracy (early stopping).
    restore_best : bool
        Return the weights of the best validation evaluation instead of the last ones.
    seed : int
        Seeds the order of the mini-batches (a permutation per epoch from ``numpy.random.SeedSequence``).
    """

    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 0.0
    nesterov: bool = False
    schedule: str = "constant"
    step_size: int | None = None
    gamma: float = 0.1
    epochs: int | None = None
    iterations: int | None = None
    batch_size: int = 64
    eval_every: int | None = None
    patience: int | None = None
    restore_best: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        if self.optimizer not in ("sgd", "adam", "adamw"):
            raise ValueError(f"optimizer must be 'sgd', 'adam' or 'adamw', got {self.optimizer!r}")
        if self.schedule not in ("constant", "step", "cosine"):
            raise ValueError(f"schedule must be 'constant', 'step' or 'cosine', got {self.schedule!r}")
        for name in ("lr", "momentum", "weight_decay", "gamma"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or value < 0
                or not math.isfinite(value)
            ):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if self.epochs is not None and self.iterations is not None:
            raise ValueError("give at most one of epochs= and iterations=")
        for name in ("epochs", "iterations", "batch_size", "eval_every", "patience", "step_size"):
            if getattr(self, name) is not None:
                check_positive_int(getattr(self, name), name)
        if isinstance(self.seed, np.integer):  # JSON-serialisable: a plain int
            object.__setattr__(self, "seed", int(self.seed))
        check_seed(self.seed)

    def steps_per_epoch(self, n_train: int) -> int:
        return math.ceil(n_train / self.batch_size)

    def total_steps(self, n_train: int) -> int:
        """Number of optimizer steps of the whole run."""
        if self.iterations is not None:
            return self.iterations
        return (self.epochs if self.epochs is not None else 10) * self.steps_per_epoch(n_train)

    def learning_rate(self, step: int, total: int) -> float:
        """Learning rate used for the update at 0-based ``step`` of a ``total``-step run."""
        if self.schedule == "constant":
            return self.lr
        if self.schedule == "step":
            size = self.step_size or max(1, total // 3)
            return self.lr * self.gamma ** (step // size)
        return 0.5 * self.lr * (1.0 + math.cos(math.pi * step / max(total, 1)))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise TypeError(f"unknown training options {unknown}; known: {sorted(known)}")
        return cls(**values)


@dataclass
class History:
    """Training curves: one entry per optimizer step, and one per validation evaluation.

    Attributes
    ----------
    step, loss, accuracy, lr : list
        Step index (1-based count of updates done), mini-batch loss and accuracy, learning rate used.
    eval_step, val_loss, val_accuracy : list
        Validation after ``eval_step`` updates.
    test_loss, test_accuracy : float or None
        Of the returned weights, at the end.
    best_step : int or None
        ``eval_step`` of the best validation accuracy (the early-stopping iteration).
    stopped_step : int
        Number of updates done when training ended.
    """

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    test_loss: float | None = None
    test_accuracy: float | None = None
    best_step: int | None = None
    stopped_step: int = 0

    def record_step(
        self, step: int, loss: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor, lr: float
    ):
        """Append one optimizer step: its mini-batch loss and accuracy and the learning rate."""
        self.step.append(step)
        self.loss.append(float(loss.detach()))
        self.accuracy.append(float((logits.detach().argmax(dim=1) == labels).double().mean()))
        self.lr.append(lr)

    def record_evaluation(self, step: int, loss: float, accuracy: float) -> None:
        """Append one validation evaluation after ``step`` updates."""
        self.eval_step.append(step)
        self.val_loss.append(loss)
        self.val_accuracy.append(accuracy)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping) -> History:
        return cls(**{f.name: values[f.name] for f in fields(cls) if f.name in values})


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    model : torch.nn.Module
        The trained model (the same object that was passed in).
    history : History
    checkpoints : dict of int to state dict
        Copies of the state after ``k`` updates for every requested ``k`` (for rewinding).
    trained_state : state dict
        Copy of the returned weights (``final_state`` is its deprecated name).
    optimizer : torch.optim.Optimizer
        The optimizer at the end (its buffers are zero at pruned positions).
    mask : Mask or None
        The mask at the end (the one passed in, or the last one a callback set).
    """

    model: nn.Module
    history: History
    checkpoints: dict[int, State]
    trained_state: State
    optimizer: torch.optim.Optimizer | None = None
    mask: Mask | None = None

    @property
    def final_state(self) -> State:
        """Deprecated name of :attr:`trained_state`."""
        warnings.warn(
            "TrainResult.final_state is deprecated; use TrainResult.trained_state",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.trained_state


def check_dtype(model: nn.Module, x: torch.Tensor) -> None:
    """Raise ``ValueError`` when ``model``'s floating parameters do not have the dtype of the inputs ``x``
    (a ``.double()`` model on the float32 datasets failed with torch's "mat1 and mat2 must have the same
    dtype", or was blamed on the input shape)."""
    dtypes = {p.dtype for p in model.parameters() if p.is_floating_point()}
    if x.is_floating_point() and dtypes and x.dtype not in dtypes:
        raise ValueError(
            f"the model's parameters are {', '.join(sorted(str(d) for d in dtypes))} but the data are "
            f"{x.dtype}: lottery trains and evaluates in the dataset's dtype. Build the model in {x.dtype} "
            "(drop .double()); tropical reads float32 models in float64 exactly, so nothing is lost for "
            "the geometry"
        )


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``x`` (n, d) with labels ``y`` (n,), in eval mode.

    Raises ``ValueError`` when the model's parameters and ``x`` differ in dtype."""
    check_dtype(model, x)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = model(x)
        loss = float(nn.functional.cross_entropy(out, y))
        accuracy = float((out.argmax(dim=1) == y).double().mean())
    model.train(was_training)
    return loss, accuracy


def _epoch_order(seed: int, epoch: int, n: int) -> torch.Tensor:
    state = np.random.SeedSequence([seed, epoch]).generate_state(2, dtype=np.uint32)
    generator = torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))
    return torch.randperm(n, generator=generator)


def minibatches(config: TrainConfig, n: int, *, start_step: int = 0):
    """The mini-batch schedule of :func:`train`: ``(step, indices, learning rate)`` for every update.

    Every epoch visits the ``n`` training examples in a permutation seeded by ``(config.seed, epoch)``
    (``numpy.random.SeedSequence``; no global RNG), in batches of ``config.batch_size``; the learning rate
    follows ``config``'s schedule. Starting at ``start_step`` continues a run exactly where it was.

    Yields
    ------
    step : int
        0-based index of the update.
    indices : torch.Tensor of int64, shape (batch,)
    lr : float
    """
    total, per_epoch = config.total_steps(n), config.steps_per_epoch(n)
    order, order_epoch = None, -1
    for step in range(start_step, total):
        epoch, position = divmod(step, per_epoch)
        if epoch != order_epoch:
            order, order_epoch = _epoch_order(config.seed, epoch, n), epoch
        yield (
            step,
            order[position * config.batch_size : (position + 1) * config.batch_size],
            config.learning_rate(step, total),
        )


def snapshot(model: nn.Module) -> State:
    """A detached CPU copy of ``model.state_dict()``."""
    return {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}


def make_optimizer(config: TrainConfig, parameters) -> torch.optim.Optimizer:
    """The optimizer named by ``config`` (SGD with momentum / Nesterov, Adam or AdamW) over ``parameters``."""
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            parameters, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay,
            nesterov=config.nesterov and config.momentum > 0,
        )  # fmt: skip
    if config.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)


class _MaskEnforcer:
    """Masks gradients, optimizer buffers and weights of the masked parameters with batched ops."""

    def __init__(self, model: nn.Module, mask: Mask, frozen: Mapping[str, torch.Tensor] | None) -> None:
        mask.check(model)
        parameters = dict(model.named_parameters())
        self.params = [parameters[n] for n in mask]
        self.keep = [
            mask[n].to(device=p.device, dtype=p.dtype) for n, p in zip(mask, self.params, strict=True)
        ]
        self.values = None
        if frozen is not None:
            missing = [n for n in mask if n not in frozen]
            if missing:
                raise ValueError(f"frozen: no values for masked parameters {missing}")
            self.values = [
                torch.where(mask[n], 0.0, frozen[n].detach().to("cpu", torch.float64)).to(p.device, p.dtype)
                for n, p in zip(mask, self.params, strict=True)
            ]
        self.buffers: list[torch.Tensor] = []
        self.buffer_keep: list[torch.Tensor] = []

    def weights(self) -> None:
        with torch.no_grad():
            torch._foreach_mul_(self.params, self.keep)
            if self.values is not None:
                torch._foreach_add_(self.params, self.values)

    def gradients(self) -> None:
        pairs = [(p.grad, k) for p, k in zip(self.params, self.keep, strict=True) if p.grad is not None]
        if pairs:
            torch._foreach_mul_([g for g, _ in pairs], [k for _, k in pairs])

    def collect_buffers(self, optimizer: torch.optim.Optimizer) -> None:
        self.buffers, self.buffer_keep = [], []
        for p, k in zip(self.params, self.keep, strict=True):
            for value in optimizer.state.get(p, {}).values():
                if isinstance(value, torch.Tensor) and value.shape == p.shape:
                    self.buffers.append(value)
                    self.buffer_keep.append(k)

    def optimizer_buffers(self, optimizer: torch.optim.Optimizer) -> None:
        """Zero the per-parameter buffers at pruned positions (collected once they exist)."""
        if not self.buffers:
            self.collect_buffers(optimizer)
        if self.buffers:
            torch._foreach_mul_(self.buffers, self.buffer_keep)


class Loop:
    """The running training loop as the callbacks of :func:`train` see it (the open_lth callback pattern).

    Attributes
    ----------
    model : torch.nn.Module
    optimizer : torch.optim.Optimizer
    config : TrainConfig
    history : History
        Filled so far.
    step : int
        In ``on_step``: the 0-based index of the update being made (= updates done before it); in
        ``on_epoch``: the number of updates done.
    epoch : int
        In ``on_epoch``: the number of completed epochs (1-based); in ``on_step``: the 0-based epoch.
    skip_update : bool
        Set by ``on_step`` to skip this step's optimizer update (e.g. RigL's mask-update iterations).
    stop : bool
        Set by a callback to end training after the current step (the validation and test bookkeeping
        still run).
    """

    def __init__(self, model, optimizer, config, history, mask, frozen) -> None:
        self.model, self.optimizer, self.config, self.history = model, optimizer, config, history
        self.step, self.epoch, self.skip_update, self.stop = 0, 0, False, False
        self._frozen = frozen
        self._mask: Mask | None = None
        self._enforcer: _MaskEnforcer | None = None
        if mask is not None:
            self.mask = mask

    @property
    def mask(self) -> Mask | None:
        """The current mask; assigning a new :class:`Mask` (same names) prunes with it from now on.

        The weights and optimizer buffers at positions the new mask prunes are set to their pruned values
        at once; positions it regrows keep their current values (zero, if they were pruned).
        """
        return self._mask

    @mask.setter
    def mask(self, mask: Mask) -> None:
        if not isinstance(mask, Mask):
            raise TypeError(f"mask must be a lottery.Mask, got {type(mask).__name__}")
        if self._mask is not None and list(mask) != list(self._mask):
            raise ValueError(
                f"a new mask must cover the same parameters {list(self._mask)}, got {list(mask)}"
            )
        self._mask = mask
        self._enforcer = _MaskEnforcer(self.model, mask, self._frozen)
        self._enforcer.weights()
        self._enforcer.optimizer_buffers(self.optimizer)


def _is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def progress_bar(total: int, progress: bool | None, desc: str):
    """A tqdm bar, shown only when ``progress`` is true or (``None``) stderr is a terminal."""
    from tqdm.auto import tqdm

    show = _is_tty() if progress is None else bool(progress)
    return tqdm(total=total, disable=not show, leave=False, desc=desc)


class Validation:
    """Validation bookkeeping shared by the training loops: evaluate, record, keep the best state, stop.

    Parameters
    ----------
    config : TrainConfig
        ``patience`` (evaluations without improvement before stopping) and ``restore_best``.
    data : lottery.data.Dataset
        ``x_val``/``y_val`` are evaluated; ``x_test``/``y_test``, when present, once at the end.
    history : History
        Receives every evaluation, ``best_step``, ``stopped_step`` and the test metrics.
    best_after : int
        Evaluations before this step are recorded but neither become the best state nor count towards the
        patience (methods whose architecture still changes, e.g. RigL or gradual pruning).
    """

    def __init__(self, config: TrainConfig, data, history: History, *, best_after: int = 0):
        self.config, self.data, self.history, self.best_after = config, data, history, best_after
        self.best_accuracy, self.best_state, self.stale = -math.inf, None, 0

    def evaluate(self, step: int, model: nn.Module) -> bool:
        """Evaluate ``model`` on the validation split at ``step``; True when the patience has run out."""
        val_loss, val_accuracy = evaluate(model, self.data.x_val, self.data.y_val)
        self.history.record_evaluation(step, val_loss, val_accuracy)
        if step < self.best_after:
            return False
        if val_accuracy > self.best_accuracy:
            self.best_accuracy, self.stale, self.history.best_step = val_accuracy, 0, step
            if self.config.restore_best:
                self.best_state = snapshot(model)
            return False
        self.stale += 1
        return self.config.patience is not None and self.stale >= self.config.patience

    def finish(self, step: int, model: nn.Module) -> None:
        """Record where training stopped, restore the best state if asked, and evaluate on the test split."""
        self.history.stopped_step = step
        if self.config.restore_best and self.best_state is not None:
            model.load_state_dict(self.best_state)
        if hasattr(self.data, "x_test") and hasattr(self.data, "y_test"):
            self.history.test_loss, self.history.test_accuracy = evaluate(
                model, self.data.x_test, self.data.y_test
            )


def _resolve_config(train, options: Mapping) -> TrainConfig:
    """``train=`` (a TrainConfig, a mapping of its fields or None) as a TrainConfig, ``options`` applied."""
    if train is None:
        config = TrainConfig()
    elif isinstance(train, Mapping):
        config = TrainConfig.from_dict(train)
    elif isinstance(train, TrainConfig):
        config = train
    else:
        raise TypeError(f"train must be a TrainConfig or a dict, got {type(train).__name__}")
    if options:
        known = {f.name for f in fields(TrainConfig)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"unknown training options {unknown}; known: {sorted(known)}")
        config = replace(config, **options)
    return config


def _check_inputs(model, data, mask, frozen, callbacks: Mapping[str, Callable | None]) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    check_data(data)
    if mask is not None and not isinstance(mask, Mask):
        raise TypeError(f"mask must be a lottery.Mask, got {type(mask).__name__}")
    if frozen is not None and mask is None:
        raise ValueError("frozen= needs mask=")
    for name, callback in callbacks.items():
        if callback is not None and not callable(callback):
            raise TypeError(f"{name} must be callable, got {type(callback).__name__}")


def _check_model_fits(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> None:
    """One forward pass on two training samples (eval mode, no gradient), so that a model that cannot take
    the dataset's inputs, or gives fewer logits than there are classes, is named before training starts
    instead of failing deep inside it."""
    check_dtype(model, x)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(x[:2])
    except Exception as error:
        raise ValueError(
            f"the model cannot be applied to the training inputs: model(x) on data.x_train[:2] of shape "
            f"{tuple(x[:2].shape)} raised {type(error).__name__}: {error}. lottery gives every model the "
            "dataset's features as they are; a model that takes images reshapes them in its forward "
            "(e.g. x = x.view(-1, 1, 8, 8) for the 8x8 digits)"
        ) from error
    finally:
        model.train(was_training)
    n_classes = int(y.max()) + 1
    if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[1] < n_classes:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(
            f"the model must map a batch of inputs to logits of shape (batch, classes) with at least "
            f"{n_classes} classes (the labels go up to {n_classes - 1}); model(data.x_train[:2]) gave "
            f"{shape}"
        )


def _checkpoint_steps(checkpoint_steps: Iterable[int], start_step, total: int) -> set[int]:
    """The requested checkpoint steps, each in ``[start_step, total]`` (``start_step`` checked first)."""
    if isinstance(start_step, bool) or not isinstance(start_step, int) or not 0 <= start_step <= total:
        raise ValueError(f"start_step must be an int in [0, {total}], got {start_step!r}")
    wanted = set()
    for k in checkpoint_steps:
        if isinstance(k, bool) or not isinstance(k, int) or not start_step <= k <= total:
            raise ValueError(f"checkpoint_steps: {k!r} is not an int in [{start_step}, {total}]")
        wanted.add(k)
    return wanted


def _update(
    loop: Loop, x: torch.Tensor, y: torch.Tensor, lr: float, on_step
) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimizer step on the batch ``x`` (b, ...), ``y`` (b,): forward, backward, ``on_step(loop)``, then
    the masked update (gradients masked, step, optimizer buffers and weights masked). Returns the batch loss
    (a scalar tensor) and the logits (b, classes)."""
    optimizer = loop.optimizer
    for group in optimizer.param_groups:
        group["lr"] = lr
    optimizer.zero_grad(set_to_none=True)
    out = loop.model(x)
    loss = nn.functional.cross_entropy(out, y)
    loss.backward()
    if on_step is not None:
        on_step(loop)
    enforcer = loop._enforcer
    if not loop.skip_update:
        if enforcer is not None:
            enforcer.gradients()
        optimizer.step()
    if enforcer is not None:
        enforcer.optimizer_buffers(optimizer)
        enforcer.weights()
    return loss, out


def train(
    model: nn.Module,
    data,
    *,
    mask: Mask | None = None,
    frozen: Mapping[str, torch.Tensor] | None = None,
    train: TrainConfig | Mapping | None = None,
    start_step: int = 0,
    checkpoint_steps: Iterable[int] = (),
    parameters: Iterable[torch.Tensor] | None = None,
    on_step: Callable[[Loop], None] | None = None,
    on_epoch: Callable[[Loop], None] | None = None,
    best_after: int = 0,
    progress: bool | None = None,
    desc: str = "train",
    config: TrainConfig | Mapping | None = None,
    **options,
) -> TrainResult:
    """Train a classifier with mini-batch SGD or Adam, keeping the pruned weights fixed.

    Implements the training loop of the lottery-ticket experiments (Frankle & Carbin 2019) including
    resuming a rewound network from step k (Frankle et al. 2020): with ``start_step=k`` the mini-batch
    order and learning-rate schedule continue exactly where the original run was at step k. It is the
    only training loop of :mod:`lottery`: methods whose mask changes while training (RigL, gradual magnitude
    pruning, Early-Bird) change it from a callback, and supermasks train scores registered on the model as
    a parametrisation (``parameters=`` the scores).

    Parameters
    ----------
    model : torch.nn.Module
        Trained in place. Maps (n, d) float32 inputs to (n, classes) logits.
    data : lottery.data.Dataset
        Anything with ``x_train, y_train, x_val, y_val, x_test, y_test`` tensors.
    mask : Mask, optional
        Pruned entries (``False``) are set to their pruned values before training and after every step.
        A callback may replace it (``loop.mask = new_mask``).
    frozen : mapping of str to torch.Tensor, optional
        Values of the pruned entries (full-shape tensors; only pruned positions are read); default 0.
    train : TrainConfig or mapping, optional
        Hyper-parameters, under the name every method of :mod:`lottery` gives them (``config=`` is its
        deprecated name); ``**options`` override single fields (``train(net, data, epochs=5, lr=0.05)``).
    start_step : int
        Number of updates already done (for resuming from a rewind checkpoint).
    checkpoint_steps : iterable of int
        Save a copy of the state after this many updates (``0`` = the starting weights if
        ``start_step == 0``).
    parameters : iterable of torch.Tensor, optional
        What the optimizer updates; default all of ``model.parameters()``.
    on_step : callable, optional
        ``on_step(loop)`` with the :class:`Loop` after the backward pass of every step, before the
        optimizer update: the gradients are the dense ones, not yet masked. It may set ``loop.mask``,
        ``loop.skip_update`` or ``loop.stop``.
    on_epoch : callable, optional
        ``on_epoch(loop)`` after every completed epoch (and its validation); it may set ``loop.mask`` or
        ``loop.stop``.
    best_after : int
        Validation evaluations before this many updates are recorded but neither become the best state nor
        count towards the patience (methods whose architecture still changes, e.g. RigL, gradual pruning).
    progress : bool, optional
        Show a tqdm bar; default only when stderr is a terminal.
    desc : str
        Label of the progress bar.

    Returns
    -------
    TrainResult

    Notes
    -----
    Deterministic on CPU for a given ``config.seed``: the global RNGs are not used (models with dropout
    would use them; the MLPs of :mod:`lottery.models` have none).
    """
    _check_inputs(model, data, mask, frozen, {"on_step": on_step, "on_epoch": on_epoch})
    config = _resolve_config(renamed("train", "config", config, "train", train), options)
    x_train, y_train = data.x_train, data.y_train
    n = len(y_train)
    total, per_epoch = config.total_steps(n), config.steps_per_epoch(n)
    eval_every = config.eval_every or per_epoch
    wanted = _checkpoint_steps(checkpoint_steps, start_step, total)

    optimizer = make_optimizer(config, model.parameters() if parameters is None else list(parameters))
    history = History()
    loop = Loop(model, optimizer, config, history, mask, frozen)
    checkpoints: dict[int, State] = {start_step: snapshot(model)} if start_step in wanted else {}
    validation = Validation(config, data, history, best_after=best_after)
    _check_model_fits(model, x_train, y_train)
    bar = progress_bar(total - start_step, progress, desc)
    model.train()
    step = start_step
    try:
        for current, index, lr in minibatches(config, n, start_step=start_step):
            loop.step, loop.epoch, loop.skip_update = current, current // per_epoch, False
            loss, out = _update(loop, x_train[index], y_train[index], lr, on_step)
            step = current + 1
            history.record_step(step, loss, out, y_train[index], lr)
            bar.update(1)
            if step in wanted:
                checkpoints[step] = snapshot(model)
            if (step % eval_every == 0 or step == total) and validation.evaluate(step, model):
                break
            if on_epoch is not None and step % per_epoch == 0:
                loop.step, loop.epoch = step, step // per_epoch
                on_epoch(loop)
            if loop.stop:
                break
    finally:
        bar.close()
    validation.finish(step, model)
    return TrainResult(model, history, checkpoints, snapshot(model), optimizer, loop.mask)
