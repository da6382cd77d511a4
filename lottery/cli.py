"""The ``tropical-lottery`` command line.

::

    tropical-lottery figures [--out DIR] [--quick] [--only NAME ...]   regenerate the README gallery
    tropical-lottery compare [--config FILE.toml] [options] --out DIR  initialisations: CSV, JSON, figures
    tropical-lottery polytope MODEL.pt [--out DIR]                     decision polytope of a saved net
    tropical-lottery regions MODEL.pt [--out DIR] [--bounds ... | --plane I J K --dataset NAME]
                                                                       linear regions and decision boundary

Mistakes in the arguments (a missing file, an unknown initialisation, a bad option) are reported in one
line on stderr, without a traceback, with exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

__all__ = ["build_parser", "load_model", "main"]


class UserError(Exception):
    """A mistake in the arguments: reported in one line, without a traceback."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (the usage is one ``--help`` away)."""

    def error(self, message):
        raise UserError(f"{message} (see '{self.prog} --help')")


# ------------------------------------------------------------------------------------------------ figures
def _figures(args) -> None:
    from lottery.gallery import figure_makers

    makers = figure_makers()
    selected = args.only or list(makers)
    unknown = sorted(set(selected) - set(makers))
    if unknown:
        raise UserError(f"unknown figure(s) {', '.join(unknown)}; known: {', '.join(makers)}")
    start = time.perf_counter()
    for k, name in enumerate(selected, 1):
        print(f"[figures] {name} ({k}/{len(selected)}) ...", flush=True)
        began = time.perf_counter()
        for path in makers[name](Path(args.out), quick=args.quick):
            print(f"[figures]   wrote {path}", flush=True)
        print(f"[figures] {name} done in {time.perf_counter() - began:.1f} s; elapsed "
              f"{time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip


# ------------------------------------------------------------------------------------------------ compare
def _read_config(path: str) -> dict:
    if not os.path.exists(path):
        raise UserError(f"no config file at {path!r}")
    text = Path(path).read_text()
    if path.endswith(".json"):
        try:
            values = json.loads(text)
        except json.JSONDecodeError as error:
            raise UserError(f"{path}: not valid JSON: {error}") from None
    else:
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            try:
                import tomli as tomllib
            except ModuleNotFoundError:
                raise UserError(
                    "reading TOML needs Python >= 3.11 or the tomli package; use a .json config"
                ) from None
        try:
            values = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise UserError(f"{path}: not valid TOML: {error}") from None
    if isinstance(values.get("compare"), dict):  # a [compare] table, or the options at top level
        values = values["compare"]
    return values


WORKERS_HELP = (
    "worker processes of a local process pool, or 'auto' (the default): one per available core, at most one "
    "per ticket; 1 runs in this process. Each task runs torch and BLAS on one thread, and the results are "
    "the same for any number of workers"
)


def _workers(text: str) -> int | str:
    """``--workers``: ``"auto"`` or an int >= 1."""
    if text == "auto":
        return text
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"must be 'auto' or an int >= 1, got {text!r}")
    return count


def _available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _worker_count(workers: int | str, n_tickets: int) -> int:
    """Processes for ``--workers``: the number given, or for ``"auto"`` ``min(available cores, n_tickets)``.

    The tickets are the largest stage of independent tasks (the dense nets, one per seed, are never more),
    so ``"auto"`` never starts a process that would have nothing to do; at least 1.
    """
    if workers == "auto":
        return max(1, min(_available_cores(), n_tickets))
    from lottery._validation import check_positive_int

    return check_positive_int(workers, "workers")


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per :class:`~lottery.experiments.ComparisonConfig` field; help and default from the field."""
    from dataclasses import fields

    from lottery.experiments import ComparisonConfig

    for f in fields(ComparisonConfig):
        flag = "--" + f.name.replace("_", "-")
        shown = f.metadata["shown_default"]
        if isinstance(shown, tuple):
            shown = " ".join(map(str, shown))
        if f.type == "bool" or f.type is bool:
            parser.add_argument(flag, dest=f.name, action="store_true", default=None, help=f.metadata["help"])
            continue
        text = f.metadata["help"] if shown is None else f"{f.metadata['help']} (default {shown})"
        parser.add_argument(flag, dest=f.name, help=text, **f.metadata["argparse"])


def _compare(args) -> None:
    from lottery.experiments import run_comparison

    config = _comparison_config(args)
    if args.cache and args.no_cache:
        raise UserError("give at most one of --cache and --no-cache")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n_tickets = len(config.seeds) * len(config.inits) * len(config.sparsities)
    workers = 1 if args.dask else _worker_count(args.workers, n_tickets)
    where = f"Dask at {args.dask}" if args.dask else f"{workers} worker process{'es' * (workers > 1)}"
    print(f"[compare] {len(config.seeds) + n_tickets} training runs ({len(config.seeds)} dense, {n_tickets} "
          f"tickets) on {where}; config hash {config.key}", flush=True)  # fmt: skip
    with _executor(args.dask, workers) as executor:
        result = run_comparison(
            config, executor=executor, cache=not args.no_cache, cache_dir=args.cache, progress=None
        )
    if result.cache_info["directory"]:  # the counts and times were reported by the run's last line
        print(f"[compare] cache: {result.cache_info['directory']}", flush=True)
    start = time.perf_counter()
    written = [out / "results.csv", out / "results.json"]
    result.to_csv(written[0])
    result.to_json(written[1])
    for path in written:
        print(f"[compare]   wrote {path}", flush=True)
    for path in _compare_figures(result, out):
        print(f"[compare]   wrote {path} ({time.perf_counter() - start:.1f} s)", flush=True)


def _comparison_config(args):
    """The ``ComparisonConfig`` of ``--config`` overridden by the flags given; a custom ``--model`` is
    tried on the data at once (its input shape is printed)."""
    from dataclasses import fields

    from lottery.experiments import ComparisonConfig

    values = _read_config(args.config) if args.config else {}
    for f in fields(ComparisonConfig):
        value = getattr(args, f.name)
        if value is not None:
            values[f.name] = value
    try:
        config = ComparisonConfig.from_dict(values)
    except (ValueError, TypeError) as error:
        raise UserError(str(error)) from None
    if config.model is not None:
        from lottery.experiments.runner import network_input_shape

        try:
            shape = network_input_shape(config)
        except (ValueError, TypeError) as error:
            raise UserError(str(error)) from None
        print(f"[compare] {config.model} reads inputs of shape {list(shape)}", flush=True)
    return config


@contextlib.contextmanager
def _executor(dask: str | None, workers: int):
    """The executor of the tasks, closed on exit: a Dask client's, a local process pool, or None (serial)."""
    if dask:
        try:
            from distributed import Client
        except ModuleNotFoundError:
            raise UserError("--dask needs dask.distributed: pip install 'tropical-lottery[dask]'") from None
        with Client(dask) as client:
            yield client.get_executor()
    elif workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield pool
    else:
        yield None


def _compare_figures(result, out: Path) -> list[Path]:
    from lottery.gallery import save

    paths = []
    figure, _ = result.plot_metrics()
    paths += save(figure, out, "metrics")
    one_hidden = result.config.model is None and len(result.config.hidden) == 1
    if one_hidden and result.widths[0] == 2:
        figure, _ = result.plot_polygons()
        paths += save(figure, out, "newton_polygons")
    else:
        figure, _ = result.plot_projected_polygons()
        paths += save(figure, out, "projected_newton_polygons")
    figure, _ = result.plot_boundaries()  # the input box (2 inputs) or the plane through three test points
    paths += save(figure, out, "boundaries")
    return paths


# ---------------------------------------------------------------------------------------- saved models
def load_model(path, *, model=None):
    """Deprecated: use :func:`lottery.checkpoints.load_model` (it raises ``ModelFileError``)."""
    import warnings

    warnings.warn(
        "lottery.cli.load_model is deprecated; use lottery.checkpoints.load_model",
        DeprecationWarning,
        stacklevel=2,
    )
    return _load(path, model)


def _load(path, model=None):
    from lottery.checkpoints import load_model as load
    from lottery.errors import ModelFileError

    try:
        return load(path, model=model)
    except ModelFileError as error:
        raise UserError(str(error)) from None


def _inputs(model, alternative: str) -> int:
    """Input size of the first Linear layer (what the 2-D commands check); ``alternative`` says what to do
    for a model that starts with something else (a convolution)."""
    import torch

    first = next((m for m in model.modules() if isinstance(m, torch.nn.Linear | torch.nn.Conv2d)), None)
    if not isinstance(first, torch.nn.Linear):
        layer = type(first).__name__ if first is not None else "no Linear layer"
        raise UserError(
            f"{type(model).__name__} does not start with a Linear layer (it starts with {layer}), so it has "
            f"no 2-D input box; {alternative}"
        )
    return first.in_features


def _geometry(function, *args, **kwargs):
    """Call a tropical function; what it cannot read or compute becomes a one-line error."""
    import tropical.errors as errors

    known = tuple(
        getattr(errors, name)
        for name in (
            "TropicalError",
            "UnsupportedLayerError",
            "ComputationTooLargeError",
            "DegenerateGeometryError",
        )
        if hasattr(errors, name)
    )
    try:
        return function(*args, **kwargs)
    except known as error:
        raise UserError(f"{type(error).__name__}: {error}") from None


def _bounds(args, model) -> tuple:
    if args.bounds is not None:
        xmin, xmax, ymin, ymax = args.bounds
        if xmin >= xmax or ymin >= ymax:
            raise UserError(f"--bounds must be XMIN XMAX YMIN YMAX with min < max, got {args.bounds}")
        return tuple(args.bounds)
    return (-3.0, 3.0, -3.0, 3.0)


def _plane_points(args, model):
    """``(points (3, *shape) float64, shape, description)`` of ``--plane I J K`` (test points of
    ``--dataset``) or ``--plane FILE`` (three points in a .npy or .pt file)."""
    import numpy as np
    import torch

    if len(args.plane) == 3 and all(text.isdigit() for text in args.plane):
        if args.dataset is None:
            raise UserError("--plane I J K takes test points of a dataset: add --dataset NAME")
        from lottery.experiments import ComparisonConfig
        from lottery.experiments.config import input_shape, load_data

        try:
            config = ComparisonConfig(dataset=args.dataset, model=args.factory, input_shape=args.input_shape)
            data = load_data(config)
            shape = input_shape(config, data, model)
        except (ValueError, TypeError, KeyError) as error:
            raise UserError(str(error).strip("'\"")) from None
        indices = [int(text) for text in args.plane]
        if max(indices) >= len(data.x_test) or len(set(indices)) < 3:
            raise UserError(f"--plane needs three different indices below {len(data.x_test)} (the test "
                            f"points of {args.dataset}), got {indices}")  # fmt: skip
        points = data.x_test[indices].double().numpy().reshape(3, *shape)
        return points, tuple(shape), f"test points {indices} of {args.dataset}"
    if len(args.plane) != 1:
        raise UserError(f"--plane takes three test-point indices or one file, got {args.plane}")
    path = args.plane[0]
    if not os.path.exists(path):
        raise UserError(f"no file of plane points at {path!r}")
    try:
        loaded = np.load(path) if path.endswith(".npy") else torch.load(path, weights_only=True)
    except Exception as error:
        raise UserError(f"{path}: cannot read three points ({type(error).__name__}: {error})") from None
    points = np.asarray(loaded, dtype=np.float64)
    if points.ndim < 2 or len(points) != 3:
        raise UserError(f"{path}: expected three points, an array of shape (3, ...), got {points.shape}")
    shape = tuple(args.input_shape) if args.input_shape else points.shape[1:]
    if int(np.prod(shape)) != int(np.prod(points.shape[1:])):
        raise UserError(f"--input-shape {list(shape)} does not hold points of shape {list(points.shape[1:])}")
    return points.reshape(3, *shape), shape, f"the three points of {Path(path).name}"


def _write_metrics(out: Path, name: str, metrics: dict) -> Path:
    path = out / f"{name}.json"
    path.write_text(json.dumps(metrics, indent=1))
    for key, value in metrics.items():
        print(f"  {key}: {value}")
    return path


def _polytope(args) -> None:
    import matplotlib.pyplot as plt
    import numpy as np
    import torch

    import tropical as tr
    from lottery.gallery import save
    from tropical.plot import classifier_geometry, lifted_polytope

    started = time.perf_counter()
    model, what = _load(args.model, args.factory)
    widths = [_inputs(model, "polytope reads one-hidden-layer MLPs; use 'tropical-lottery regions --plane'")]
    widths += [m.out_features for m in model.modules() if isinstance(m, torch.nn.Linear)]
    if len(widths) != 3 or widths[0] != 2:
        raise UserError(
            f"polytope needs a one-hidden-layer net with 2 inputs (Alfarra et al.'s zonotopes), got "
            f"{'-'.join(map(str, widths))}; use 'tropical-lottery regions' for other nets"
        )
    classes = tuple(args.classes)
    if max(classes) >= widths[-1] or classes[0] == classes[1]:
        raise UserError(f"--classes must be two different classes below {widths[-1]}, got {list(classes)}")
    bounds = _bounds(args, model)
    _stage("polytope", f"{what}: decision zonotopes, polytope and subdivision of classes {list(classes)} ...",
           started)  # fmt: skip
    Z1, Z2 = _geometry(tr.decision_zonotopes, model, classes)
    P = _geometry(tr.decision_polytope, model, classes)
    subdivision = _geometry(tr.decision_subdivision, model, classes)
    metrics = {
        "model": what,
        "classes": list(classes),
        "polytope_vertices": len(P.vertices),
        "polytope_area": float(P.volume),
        "zonotope_vertices": [len(Z1.vertices), len(Z2.vertices)],
        "nonzero_generators": [int((np.abs(Z.generators).sum(axis=1) > 0).sum()) for Z in (Z1, Z2)],
        "subdivision_cells": len(subdivision),
        "boundary_cells": int(subdivision.mixed.sum()),
    }
    out = Path(args.out)
    name = Path(args.model).stem
    figure = plt.figure(figsize=(14, 4.8), constrained_layout=True)
    axes = [
        figure.add_subplot(1, 3, 1),
        figure.add_subplot(1, 3, 2),
        figure.add_subplot(1, 3, 3, projection="3d"),
    ]
    classifier_geometry(model, classes=classes, bounds=bounds, axes=axes[:2])
    lifted_polytope(model, axes[2], classes=classes)
    figure.suptitle(f"{what}: exact decision boundary, Newton polygon conv(Z1 ∪ Z2) (raw), lifted polytope")
    print(f"[polytope] {what}")
    paths = [*save(figure, out, f"{name}_polytope"), _write_metrics(out, f"{name}_polytope", metrics)]
    for path in paths:
        print(f"[polytope]   wrote {path}")


def _stage(command: str, text: str, started: float) -> None:
    """One progress line on stderr, flushed at once (a terminal, a log file or a pipe alike)."""
    print(f"[{command}] {text} ({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)


def _regions(args) -> None:
    import matplotlib.pyplot as plt
    import numpy as np

    import tropical as tr
    from lottery.gallery import save
    from tropical.plot import regions as plot_regions

    started = time.perf_counter()
    model, what = _load(args.model, args.factory)
    if args.plane is not None:
        if args.bounds is not None:
            raise UserError("give at most one of --bounds and --plane")
        points, shape, where = _plane_points(args, model)
        _stage("regions", f"{what}: exact linear regions on the plane through {where} ...", started)
        result = _geometry(tr.linear_regions, model, plane=tuple(points), input_shape=shape)
        domain = {"plane": where, "input_shape": list(shape)}
    else:
        plane = "pass --plane I J K --dataset NAME (the plane through three test points)"
        n_in = _inputs(model, plane)
        if n_in != 2:
            raise UserError(
                f"regions needs a net with 2 inputs on a box, got {n_in}; for other inputs {plane}"
            )
        bounds = _bounds(args, model)
        _stage("regions", f"{what}: exact linear regions on the box {list(bounds)} ...", started)
        result = _geometry(tr.linear_regions, model, bounds=bounds)
        domain = {"bounds": list(bounds)}
    _stage("regions", f"{len(result):,} regions; measuring and drawing them ...", started)
    stats = tr.metrics.region_statistics(result)
    boundary = result.decision_boundary()
    metrics = {
        "model": what,
        **domain,
        "linear_regions": len(result),
        "median_region_area": stats.median_area,
        "effective_regions": float(np.exp(stats.area_entropy)),
        "boundary_segments": len(boundary),
        "boundary_length": float(np.linalg.norm(boundary[:, 1] - boundary[:, 0], axis=1).sum()),
    }
    figure, ax = plt.subplots(figsize=(6, 6))
    plot_regions(result, ax, title=f"{what}: linear regions and exact decision boundary")
    if args.plane is not None:
        corners = (points.reshape(3, -1) - result.origin) @ result.frame.T
        ax.scatter(corners[:, 0], corners[:, 1], marker="*", s=120, color="black", zorder=5)
        ax.set_title(f"{what}: linear regions and exact decision boundary\non the plane through {where}",
                     fontsize="small")  # fmt: skip
    ax.set_xlabel("$x_1$" if args.plane is None else "$u$ (plane coordinate)")
    ax.set_ylabel("$x_2$" if args.plane is None else "$v$ (plane coordinate)")
    out = Path(args.out)
    name = Path(args.model).stem
    print(f"[regions] {what}")
    paths = [*save(figure, out, f"{name}_regions"), _write_metrics(out, f"{name}_regions", metrics)]
    for path in paths:
        print(f"[regions]   wrote {path}")
    _stage("regions", "done", started)


# ------------------------------------------------------------------------------------------------- parser
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tropical-lottery")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``tropical-lottery`` (one sub-command per task)."""
    parser = _Parser(
        prog="tropical-lottery",
        description="Tropical geometry of lottery-ticket networks: figures, comparisons of initialisations, "
        "decision polytopes and linear regions of saved networks.",
        epilog="Run 'tropical-lottery COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_figures_command(commands)
    _add_compare_command(commands)
    _add_model_commands(commands)
    return parser


def _add_figures_command(commands) -> None:
    figures = commands.add_parser(
        "figures", help="regenerate every figure of the README gallery",
        description="Regenerate every figure of the README gallery (PNG and SVG) and print what is written.",
    )  # fmt: skip
    figures.add_argument("--out", default="figures", help="output directory (default: figures/)")
    figures.add_argument("--quick", action="store_true", help="shorter training, for a fast check")
    figures.add_argument("--only", nargs="+", metavar="NAME", help="only these figures")
    figures.set_defaults(run=_figures)


def _add_compare_command(commands) -> None:
    """``compare``: the :class:`~lottery.experiments.ComparisonConfig` flags, then where and how to run."""
    from lottery.experiments import INITIALIZATIONS

    compare = commands.add_parser(
        "compare", help="compare the initialisations of pruned networks (CSV, JSON, figures)",
        description="Train a dense net per seed, prune it one-shot at every sparsity, retrain every ticket "
        "from every initialisation and compare it with the dense net: accuracy, decision polytope, exact "
        "decision boundary. Options come from --config (TOML or JSON, keys as below with underscores, "
        "optionally in a [compare] table) and are overridden by flags. Initialisations: "
        + ", ".join(INITIALIZATIONS) + ".",
    )  # fmt: skip
    compare.add_argument("--config", metavar="FILE", help="TOML or JSON file of options")
    compare.add_argument(
        "--out", required=True, metavar="DIR", help="where results.csv, results.json and figures go"
    )
    _add_config_flags(compare)
    compare.add_argument("--workers", type=_workers, default="auto", metavar="N|auto", help=WORKERS_HELP)
    compare.add_argument("--dask", metavar="ADDRESS", help="run on a Dask scheduler, e.g. tcp://host:8786")
    compare.add_argument("--cache", metavar="DIR", help="task cache (default $TROPICAL_LOTTERY_CACHE or "
                         "~/.cache/tropical-lottery)")  # fmt: skip
    compare.add_argument("--no-cache", action="store_true", help="neither read nor write the task cache")
    compare.set_defaults(run=_compare)


_MODEL_COMMANDS = {
    "polytope": (_polytope, "decision polytope, dual subdivision and lifted polytope of a saved 2-p-k net"),
    "regions": (
        _regions,
        "exact linear regions and decision boundary of a saved net, on a 2-D box or on the plane through "
        "three test points",
    ),
}


def _add_model_commands(commands) -> None:
    """``polytope`` and ``regions``: a saved network (``MODEL.pt``), its domain and its options."""
    for name, (run, text) in _MODEL_COMMANDS.items():
        sub = commands.add_parser(
            name, help=text,
            description=f"{text[0].upper()}{text[1:]}: a figure (PNG, SVG) and metrics (JSON, printed). "
            "MODEL is a lottery.Ticket file, a state dict or a checkpoint holding one ({'model': ...}; "
            "torch.nn.utils.prune masks are applied), read with torch.load(weights_only=True). A plain "
            "MLP (Linear, BatchNorm1d, ReLU in an nn.Sequential) is rebuilt from its keys; any other "
            "architecture is named with --model.",
        )  # fmt: skip
        sub.add_argument("model", metavar="MODEL.pt", help="Ticket file, state dict or checkpoint")
        sub.add_argument("--model", dest="factory", metavar="PACKAGE.MODULE:FACTORY",
                         help="the function or class building the network of the state dict")  # fmt: skip
        sub.add_argument("--out", default=".", metavar="DIR", help="output directory (default: .)")
        sub.add_argument("--bounds", type=float, nargs=4, metavar=("XMIN", "XMAX", "YMIN", "YMAX"),
                         help="input domain (default -3 3 -3 3)")  # fmt: skip
        if name == "polytope":
            sub.add_argument("--classes", type=int, nargs=2, default=(0, 1), metavar=("I", "J"),
                             help="the pair of classes (default 0 1)")  # fmt: skip
        else:
            _add_plane_options(sub)
        sub.set_defaults(run=run)


def _add_plane_options(sub: argparse.ArgumentParser) -> None:
    """``regions`` on the plane through three points instead of a 2-D box."""
    sub.add_argument("--plane", nargs="+", metavar="I J K | FILE",
                     help="instead of a 2-D box: the plane through three test points of --dataset (their "
                     "indices in its test split) or three points from a .npy / .pt file of shape (3, ...); "
                     "any input size, conv nets included")  # fmt: skip
    sub.add_argument("--dataset", help="the dataset of --plane I J K (lottery.DATASETS)")
    sub.add_argument("--input-shape", type=int, nargs="+", metavar="N",
                     help="per-sample shape the model takes, e.g. 1 8 8 (default: the flat features or the "
                     "dataset's image shape, whichever the model takes)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status (0, or 2 for a mistake in the arguments)."""
    try:
        args = build_parser().parse_args(argv)
        args.run(args)
    except UserError as error:
        print(f"tropical-lottery: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tropical-lottery: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
