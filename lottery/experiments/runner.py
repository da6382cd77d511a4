"""Train dense, prune, re-initialise, retrain, compare: the tasks of a sweep, their cache and their executor.

A sweep is two stages of independent, self-seeded tasks: one dense network per seed, then one retrained
ticket per (initialisation, sparsity, seed). Every task is a pure module-level function of plain values, so
any :class:`concurrent.futures.Executor` (a process pool, Dask's ``client.get_executor()``, Ray's) can run it
and the results are bit-for-bit those of the serial run. Each task pins torch to one thread while it runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import os
from collections import OrderedDict
from concurrent.futures import Executor, as_completed
from dataclasses import fields
from pathlib import Path

import torch

from lottery.errors import geometry_errors
from lottery.experiments.config import (
    COLUMNS,
    METHOD_COLUMNS,
    ComparisonConfig,
    digest,
    domain,
    input_shape,
    load_data,
    model_widths,
    network_fn,
    shaped,
)
from lottery.experiments.progress import Progress, cpu_clock
from lottery.experiments.result import ComparisonResult
from tropical.metrics import DECISION_METRICS, Reference

__all__ = [
    "CACHE_VERSION",
    "COLUMNS",
    "METHOD_COLUMNS",
    "compare_initializations",
    "decision_metrics",
    "default_cache_dir",
    "model_widths",
    "network_input_shape",
    "run_comparison",
    "ticket_metrics",
]

#: Bump when a task's output changes meaning: old cache entries are then ignored.
CACHE_VERSION = 3


# ----------------------------------------------------------------------------------------------- helpers
def default_cache_dir() -> Path:
    """``$TROPICAL_LOTTERY_CACHE``, else ``~/.cache/tropical-lottery``."""
    env = os.environ.get("TROPICAL_LOTTERY_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "tropical-lottery"


@contextlib.contextmanager
def _one_thread():
    """Run torch and BLAS on one thread (deterministic reductions, no oversubscription of the cores when
    several tasks run at once), then restore both."""
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(previous)


def _seconds(start: tuple[float, float], what: str) -> dict:
    """``{what + "_s": wall, what + "_cpu_s": cpu}`` since ``start`` (a :func:`cpu_clock` reading)."""
    wall, cpu = cpu_clock()
    return {f"{what}_s": round(wall - start[0], 3), f"{what}_cpu_s": round(cpu - start[1], 3)}


def _train_config(config: ComparisonConfig, seed: int):
    from lottery import TrainConfig

    return TrainConfig(
        optimizer=config.optimizer,
        lr=config.lr,
        epochs=config.epochs,
        batch_size=config.batch_size,
        seed=seed,
    )


def _dense_key(config: ComparisonConfig, seed: int) -> str:
    fields = (
        "dataset",
        "hidden",
        "optimizer",
        "lr",
        "epochs",
        "batch_size",
        "n_samples",
        "noise",
        "data_seed",
    )
    values = config.to_dict()
    custom = {k: values[k] for k in ("model", "input_shape") if values[k] is not None}  # old keys stay valid
    if config.model is not None:
        custom["model_source"] = _source_digest(config.model)
    return digest({"version": CACHE_VERSION, "kind": "dense", "seed": seed, **{k: values[k] for k in fields},
                   **custom})  # fmt: skip


def _source_digest(spec: str) -> str | None:
    """SHA-256 (16 hex digits) of the file defining the model factory ``spec``: a cached task of a model
    whose code was edited since is not reused (it used to be, silently, under the factory's unchanged name).
    ``None`` when the factory has no source file."""
    from lottery.checkpoints import model_factory

    try:
        path = inspect.getsourcefile(model_factory(spec))
    except TypeError:  # a builtin or C extension
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16] if path and os.path.exists(path) else None


def _ticket_key(config: ComparisonConfig, seed: int, sparsity: float, init: str) -> str:
    values = config.to_dict()
    return digest({
        "version": CACHE_VERSION, "kind": "ticket", "dense": _dense_key(config, seed), "sparsity": sparsity,
        "init": init,
        **{k: values[k] for k in ("criterion", "scope", "prune_output", "classes", "bounds", "planes")},
    })  # fmt: skip


def _derived_seed(*parts) -> int:
    """A reproducible 31-bit seed from any JSON-able parts (independent streams per init and sparsity)."""
    return int(digest(list(parts))[:8], 16) & 0x7FFFFFFF


# ----------------------------------------------------------------------------------------------- metrics
#: The dense nets' geometry computed in this process, by :func:`_weights_key`: the tickets of one seed are
#: compared with one dense net, whose regions, decision regions and zonotopes are then computed once.
_REFERENCES: OrderedDict[str, Reference] = OrderedDict()
_MAX_REFERENCES = 2  # tickets run seed by seed; one Reference holds ~180 MB (LeNet-300-100, 4 planes)


def _weights_key(model) -> str:
    """A hash of a network's architecture and of every weight's bytes (not of the object: weights change)."""
    h = hashlib.sha256(repr(model).encode())
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(str(tensor.dtype).encode())
        h.update(str(tuple(tensor.shape)).encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def _reference(dense) -> Reference:
    """The :class:`tropical.metrics.Reference` of a dense network, shared by the tickets of its seed that
    run in this process (the least recently used of more than ``_MAX_REFERENCES`` is dropped)."""
    key = _weights_key(dense)
    reference = _REFERENCES.pop(key, None) or Reference(dense)
    _REFERENCES[key] = reference  # the most recently used last
    while len(_REFERENCES) > _MAX_REFERENCES:
        _REFERENCES.popitem(last=False)
    return reference


_GEOMETRY = [column for column in COLUMNS if column in DECISION_METRICS]


def _skipped(error: Exception) -> str:
    """``"skipped: <ErrorClass>: <first sentence of its message>"`` for a method column."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = text.split(". ")[0].rstrip(".")
    if len(text) > 160:
        text = text[:157] + "..."
    return f"skipped: {type(error).__name__}: {text}"


def ticket_metrics(dense, model, config: ComparisonConfig, data, *, input_shape=None) -> dict:
    """The geometric columns of one ticket: :func:`tropical.metrics.decision_metrics` (dense first).

    ``dense`` is the dense network or its :class:`tropical.metrics.Reference` (the sweep passes one per
    dense net, so that the dense geometry is computed once for all its tickets; the row is the same).
    ``input_shape``: the shape one input has for the networks (conv nets), when it is not flat; ``data``
    stays flat.

    Inputs above 2-D are also compared on ``config.planes`` planes through triplets of test points. A
    geometry error that escapes the tropical function (which turns most of them into NaN + reason itself)
    makes every geometric column NaN with the reason in the ``*_method`` columns, so a sweep goes on.
    """
    from tropical.metrics import decision_metrics as compare

    options = dict(domain(config, data), classes=config.classes, seed=0, input_shape=input_shape)
    if data.n_features > 2:
        options.update(data=(data.x_test.double().numpy(), data.y_test.numpy()), planes=config.planes)
    try:
        return compare(dense, model, **options)
    except geometry_errors() as error:
        row = dict.fromkeys(_GEOMETRY, float("nan"))
        row.update(dict.fromkeys(METHOD_COLUMNS, _skipped(error)))
        return row


def decision_metrics(model, dense, **options) -> dict:
    """Deprecated: :func:`tropical.metrics.decision_metrics` with the reference (``dense``) first.

    ``decision_metrics(model, dense, **options)`` is ``tropical.metrics.decision_metrics(dense, model,
    **options)``; ``max_polytope_dimension=`` is ignored (the tropical function chooses between exact,
    bracketed and projected polytope metrics itself).
    """
    import warnings

    from tropical.metrics import decision_metrics as compare

    warnings.warn(
        "lottery.experiments.decision_metrics(model, dense) is deprecated; use "
        "tropical.metrics.decision_metrics(dense, model) (reference first)",
        DeprecationWarning,
        stacklevel=2,
    )
    options.pop("max_polytope_dimension", None)
    return compare(dense, model, **options)


# ------------------------------------------------------------------------------------------------- tasks
def train_dense(config: dict, seed: int):
    """Task: the dense network of one seed, trained; returns a :class:`lottery.Ticket` (mask keeps all)."""
    from lottery import Mask, Ticket, evaluate, train

    config = ComparisonConfig.from_dict(config)
    with _one_thread():
        start = cpu_clock()
        data = load_data(config)
        model = network_fn(config, data)(seed=seed)
        shape = input_shape(config, data, model)
        data = shaped(data, shape)
        init = {k: v.detach().clone() for k, v in model.state_dict().items()}
        result = train(model, data, train=_train_config(config, seed), progress=False)
        _, accuracy = evaluate(model, data.x_test, data.y_test)
        seconds = _seconds(start, "train")
    return Ticket(
        mask=Mask.ones(model), init_state=init, start_state=init, trained_state=result.trained_state,
        history=result.history,
        provenance={"method": "dense", "seed": seed, "dataset": config.dataset, "test_accuracy": accuracy,
                    "train": _train_config(config, seed).to_dict(), "input_shape": list(shape),
                    "seconds": seconds},
    )  # fmt: skip


def _start_state(init: str, mask, dense, config: ComparisonConfig, data, seed: int):
    from lottery import reinit

    if init == "lottery":
        return reinit("rewind", mask, dense.init_state)
    fresh = {"random_reinit": "kaiming", "xavier": "xavier", "gaussian": "normal"}
    if init in fresh:
        build = network_fn(config, data, init=fresh[init])
        return reinit("random_reinit", mask, dense.init_state, seed=seed,
                      init_fn=lambda s: build(seed=s).state_dict())  # fmt: skip
    return reinit(init, mask, dense.init_state, seed=seed)


def train_ticket(config: dict, seed: int, sparsity: float, init: str, dense):
    """Task: prune the dense net, re-initialise the kept weights, retrain, compare with the dense net.

    Returns
    -------
    lottery.Ticket
        With ``provenance["row"]`` holding the table row (:data:`COLUMNS`).
    """
    from lottery import Mask, Ticket, evaluate, prune, train

    config = ComparisonConfig.from_dict(config)
    with _one_thread():
        start = cpu_clock()
        flat = load_data(config)
        build = network_fn(config, flat)
        dense_model = dense.build(build, state="trained").eval()
        shape = input_shape(config, flat, dense_model)
        data = shaped(flat, shape)
        everything = Mask.ones(dense_model)
        pruned = dict(everything) if config.prune_output else {n: k for n, k in everything.items()
                                                                 if n != list(everything)[-1]}  # fmt: skip
        mask = prune(
            dense_model, criterion=config.criterion, sparsity=sparsity, scope=config.scope, mask=Mask(pruned),
            init_state=dense.init_state, batches=[data.train], seed=_derived_seed("mask", seed, sparsity),
        )  # fmt: skip
        mask = Mask({n: mask[n] if n in mask else keep for n, keep in everything.items()})
        state = _start_state(init, mask, dense, config, flat, _derived_seed("init", init, seed, sparsity))
        model = build(seed=0)
        model.load_state_dict(state)
        result = train(model, data, mask=mask, train=_train_config(config, seed), progress=False)
        model.eval()
        _, accuracy = evaluate(model, data.x_test, data.y_test)
        row = {
            "init": init, "sparsity": sparsity, "seed": seed, "density": float(mask.density),
            "test_accuracy": accuracy, "dense_test_accuracy": float(dense.provenance["test_accuracy"]),
        }  # fmt: skip
        seconds = _seconds(start, "train")
        start = cpu_clock()
        shaped_input = {"input_shape": shape} if len(shape) > 1 else {}
        row.update(ticket_metrics(_reference(dense_model), model, config, flat, **shaped_input))
        seconds.update(_seconds(start, "geometry"))
    row = {column: row[column] for column in COLUMNS}
    return Ticket(
        mask=mask, init_state=dense.init_state, start_state=state, trained_state=result.trained_state,
        history=result.history,
        provenance={"method": "compare_initializations", "init": init, "sparsity": sparsity, "seed": seed,
                    "dataset": config.dataset, "criterion": config.criterion, "test_accuracy": accuracy,
                    "train": _train_config(config, seed).to_dict(), "input_shape": list(shape), "row": row,
                    "seconds": seconds},
    )  # fmt: skip


# ------------------------------------------------------------------------------------------------- cache
class _Cache:
    """One ticket file per task, named by the hash of everything the task depends on."""

    def __init__(self, directory) -> None:
        self.directory = None if directory is None else Path(directory)
        self.hits = 0
        self.misses = 0

    def path(self, kind: str, key: str) -> Path | None:
        return None if self.directory is None else self.directory / kind / f"{key}.pt"

    def load(self, kind: str, key: str):
        from lottery import Ticket

        path = self.path(kind, key)
        if path is not None and path.exists():
            try:
                ticket = Ticket.load(path)
            except ValueError:  # unreadable entry: recompute and overwrite it
                ticket = None
            if ticket is not None:
                self.hits += 1
                return ticket
        self.misses += 1
        return None

    def save(self, kind: str, key: str, ticket) -> None:
        path = self.path(kind, key)
        if path is not None:
            ticket.save(path)


def _map(executor: Executor | None, function, arguments: dict, finished):
    """``finished(i, function(*arguments[i]))`` for every ``i``, through ``executor`` if given.

    ``finished`` runs as each task completes, so a failing task never loses the others: serially the error
    propagates at once (the finished tasks were handed over already); with an executor the tasks still
    running are awaited and handed over before the first error is raised.
    """
    if executor is None:
        for i, a in arguments.items():
            finished(i, function(*a))
        return
    futures = {executor.submit(function, *a): i for i, a in arguments.items()}
    first_error = None
    for future in as_completed(futures):
        try:
            finished(futures[future], future.result())
        except Exception as error:
            first_error = first_error or error
    if first_error is not None:
        raise first_error


def _stage(kind, label, keys, function, arguments, cache: _Cache, executor, report: Progress, describe,
           order=None):  # fmt: skip
    """The results of one stage: cached ones loaded, the others computed and cached as each finishes.

    ``describe(i, ticket)`` is the text of task ``i`` in the progress report (one line per finished task
    without a terminal). ``order``: the task indices in the order to start them (default as given); the
    results stay in the order of ``keys``.
    """
    results = [cache.load(kind, key) for key in keys]
    order = range(len(keys)) if order is None else order
    missing = {i: arguments[i] for i in order if results[i] is None}
    done = 0

    def finished(i: int, ticket) -> None:
        nonlocal done
        cache.save(kind, keys[i], ticket)
        results[i] = ticket
        done += 1
        report.finished(f"{label} {done}/{len(missing)} {describe(i, ticket)}")

    report.group(len(missing), label)
    try:
        _map(executor, function, missing, finished)
    finally:
        report.close()
    return results, sorted(missing)


def _timing(computed: list, report: Progress) -> dict:
    """Wall and CPU seconds of training and geometry summed over the tasks computed in this run."""
    keys = ("train_s", "train_cpu_s", "geometry_s", "geometry_cpu_s")
    totals = dict.fromkeys(keys, 0.0)
    for ticket in computed:
        for key, value in ticket.provenance.get("seconds", {}).items():
            totals[key] = totals.get(key, 0.0) + value
    return {"wall_s": round(report.elapsed, 3), **{k: round(v, 3) for k, v in totals.items()},
            "tasks_computed": len(computed)}  # fmt: skip


def _split(seconds: dict) -> str:
    """``"training 1.1 s, geometry 10.4 s (CPU 1.0 + 10.2 s)"`` of a task's recorded seconds."""
    if "geometry_s" not in seconds:
        return f"training {seconds['train_s']:.1f} s (CPU {seconds['train_cpu_s']:.1f} s)"
    return (
        f"training {seconds['train_s']:.1f} s, geometry {seconds['geometry_s']:.1f} s "
        f"(CPU {seconds['train_cpu_s']:.1f} + {seconds['geometry_cpu_s']:.1f} s)"
    )


# ---------------------------------------------------------------------------------------------- front door
def _cache_options(cache, cache_dir) -> tuple[bool, Path | None]:
    """``(cache, directory)``; the old ``cache_dir=False`` means ``cache=False`` (with a warning)."""
    if cache_dir is False:
        import warnings

        warnings.warn(
            "cache_dir=False is deprecated; use cache=False (cache_dir is a path, or None for the default)",
            DeprecationWarning,
            stacklevel=4,
        )
        return False, None
    if not isinstance(cache, bool):
        raise TypeError(f"cache must be True or False, got {cache!r}")
    if cache_dir is not None and not isinstance(cache_dir, str | os.PathLike):
        raise TypeError(f"cache_dir must be a path or None (the default location), got {cache_dir!r}")
    return cache, Path(cache_dir) if cache_dir is not None else default_cache_dir()


def network_input_shape(config: ComparisonConfig) -> tuple[int, ...]:
    """The per-sample input shape of the comparison's network (seed 0), checked before any training.

    Raises
    ------
    ValueError
        A custom ``config.model`` that takes neither the given ``input_shape`` nor the inferred one, with
        the model's own error and what to pass instead.
    """
    data = load_data(config)
    return input_shape(config, data, network_fn(config, data)(seed=0))


def run_comparison(config: ComparisonConfig, *, executor: Executor | None = None, cache: bool = True,
                   cache_dir=None, progress: bool | None = None):  # fmt: skip
    """Run a :class:`ComparisonConfig`; see :func:`compare_initializations` for the arguments."""
    if not isinstance(config, ComparisonConfig):
        raise TypeError(f"config must be a ComparisonConfig, got {type(config).__name__}")
    if config.model is not None:
        network_input_shape(config)  # a model that cannot read the data fails here, not in every task
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(f"executor must be a concurrent.futures.Executor, got {type(executor).__name__}")
    cache, cache_dir = _cache_options(cache, cache_dir)
    report = Progress(progress, prefix="[compare]")
    cache = _Cache(cache_dir if cache else None)
    values = config.to_dict()
    seeds = list(config.seeds)
    jobs = [(i, s, seed) for i in config.inits for s in config.sparsities for seed in seeds]
    report.line(f"{config.dataset}: {len(seeds)} dense net(s) and {len(jobs)} ticket(s) (config "
                f"{config.key}, cache {'off' if cache.directory is None else cache.directory})")  # fmt: skip
    dense, new_dense = _stage(
        "dense", "dense", [_dense_key(config, s) for s in seeds], train_dense, [(values, s) for s in seeds],
        cache, executor, report,
        lambda i, t: f"(seed {seeds[i]}): {_split(t.provenance['seconds'])}, "
        f"test accuracy {t.provenance['test_accuracy']:.3f}",
    )  # fmt: skip
    dense_of = dict(zip(seeds, dense, strict=True))
    tickets, new_tickets = _stage(
        "tickets", "ticket", [_ticket_key(config, seed, s, i) for i, s, seed in jobs], train_ticket,
        [(values, seed, s, i, dense_of[seed]) for i, s, seed in jobs], cache, executor, report,
        lambda k, t: f"({jobs[k][0]}, {100 * jobs[k][1]:g}%, seed {jobs[k][2]}): "
        f"{_split(t.provenance['seconds'])}",
        order=sorted(range(len(jobs)), key=lambda k: seeds.index(jobs[k][2])),  # a seed's dense geometry once
    )  # fmt: skip
    timing = _timing([dense[i] for i in new_dense] + [tickets[k] for k in new_tickets], report)
    timing["tasks_cached"] = cache.hits
    report.line(
        f"done in {timing['wall_s']:.0f} s: {timing['tasks_computed']} tasks computed, {cache.hits} from the "
        f"cache; task time training {timing['train_s']:.0f} s, geometry {timing['geometry_s']:.0f} s "
        f"(CPU {timing['train_cpu_s']:.0f} + {timing['geometry_cpu_s']:.0f} s)"
    )
    return ComparisonResult(
        config=config,
        rows=[{column: t.provenance["row"][column] for column in COLUMNS} for t in tickets],
        dense=dense_of,
        tickets={job: t for job, t in zip(jobs, tickets, strict=True)},
        cache_info={"hits": cache.hits, "misses": cache.misses,
                    "directory": None if cache.directory is None else str(cache.directory)},
        timing=timing,
    )  # fmt: skip


def compare_initializations(
    dataset: str = ComparisonConfig.dataset,
    *,
    executor: Executor | None = None,
    cache: bool = True,
    cache_dir=None,
    progress: bool | None = None,
    **options,
):
    """Compare the initialisations a pruned network is retrained from, by accuracy and by exact geometry.

    For every seed a dense network is trained; for every (initialisation, sparsity, seed) it is pruned
    one-shot by ``criterion``, its kept weights are re-initialised (:data:`INITIALIZATIONS`), and it is
    retrained with the dense net's data order. Each ticket is compared with its dense net: test accuracy,
    the decision polytope (Alfarra et al. 2022: raw and normalised Hausdorff distance, IoU, area ratio,
    vertex counts, generator distance; of the first hidden layer for deeper nets, as ``polytope_method``
    says) and the exact decision boundary on a 2-D domain
    (any depth: class-area agreement, boundary Hausdorff distance, linear-region counts). Geometry that
    cannot be computed is NaN with the reason in ``polytope_method`` / ``boundary_method``; the sweep goes on.

    Parameters
    ----------
    dataset : str
        A name in :data:`lottery.DATASETS` (2-D data give the pictures; others use a plane).
    executor : concurrent.futures.Executor, optional
        Runs the tasks (``ProcessPoolExecutor``, ``distributed.Client(...).get_executor()``, ...); default
        in-process. The table is identical to the serial one for the same configuration.
    cache : bool
        Keep finished tasks on disk (one file per task, named by the hash of its configuration, written as
        each task finishes), so that a second run -- or a larger sweep sharing tasks, or a sweep interrupted
        by an error -- does not retrain. ``False``: neither read nor write a cache.
    cache_dir : path, optional
        Where the cache is; default :func:`default_cache_dir`. (``cache_dir=False`` is the deprecated
        spelling of ``cache=False``.)
    progress : bool, optional
        Report each finished task: a tqdm bar when stderr is a terminal, else one line per finished task on
        stderr (``[compare] ticket 5/72 (lottery, 50%, seed 0): training 1.1 s, geometry 10.4 s ...``, for
        logs under CI or nohup) and a last line with the run's training and geometry seconds. ``False``:
        silent.
    **options
        Every other field of :class:`ComparisonConfig`, with the same defaults (listed below): e.g.
        ``hidden=100`` (the 2-100-2 net of Alfarra et al.; ``(16, 16)`` a deep one), ``sparsities``,
        ``inits`` (unknown names raise ``ValueError`` listing the known ones), ``seeds`` (a count or the
        seeds themselves), ``criterion`` (:data:`lottery.CRITERIA`, applied to the trained dense net).

    Returns
    -------
    ComparisonResult
        ``.rows`` (one dict per ticket, :data:`COLUMNS`), ``.to_csv()``, ``.to_json()``, ``.to_pandas()``,
        ``.summary()``, ``.model(init, sparsity, seed)``, ``.dense_model(seed)``, the tickets and plots.

    Examples
    --------
    >>> from lottery.experiments import compare_initializations
    >>> result = compare_initializations(hidden=8, sparsities=(0.5,), inits=("lottery",), seeds=1,
    ...                                  epochs=2, cache=False)
    >>> len(result.rows), result.rows[0]["init"]
    (1, 'lottery')
    """
    values = {"dataset": dataset}
    for name, value in options.items():  # any sequence (a numpy array, a range) for the tuple fields
        iterable = hasattr(value, "__iter__") and not isinstance(value, str | bytes | dict)
        values[name] = tuple(value) if iterable else value
    config = ComparisonConfig.from_dict(values)
    return run_comparison(config, executor=executor, cache=cache, cache_dir=cache_dir, progress=progress)


def _options_signature_and_doc(function) -> None:
    """Give ``function`` the keyword-only parameters and the option list of the ComparisonConfig fields."""
    signature = inspect.signature(function)
    front = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    extra = [
        inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=f.type)
        for f in fields(ComparisonConfig)
        if f.name != "dataset"
    ]
    function.__signature__ = signature.replace(parameters=[*front, *extra])
    lines = [
        f"    {f.name} : default {f.default!r}\n        {f.metadata['help']}"
        for f in fields(ComparisonConfig)
        if f.name != "dataset"
    ]
    marker = "\n    Returns\n"
    section = "\n    Other Parameters\n    ----------------\n" + "\n".join(lines) + "\n"
    function.__doc__ = function.__doc__.replace(marker, section + marker, 1)


_options_signature_and_doc(compare_initializations)
