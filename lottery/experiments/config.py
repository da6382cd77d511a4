"""The configuration of a comparison of initialisations: a frozen, JSON-serialisable record with a hash."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import partial

import torch

from lottery._validation import check_positive_int
from tropical.metrics import DECISION_METRICS

__all__ = [
    "COLUMNS",
    "IMAGE_SHAPES",
    "INITIALIZATIONS",
    "METHOD_COLUMNS",
    "ComparisonConfig",
    "domain",
    "input_shape",
    "load_data",
    "model_fn",
    "model_widths",
    "network_fn",
    "shaped",
]

#: Initialisations of the kept weights a pruned network is retrained from, by name, with what they are.
#: ``lottery`` is the lottery ticket itself (Frankle & Carbin 2019); the next ones are the controls of
#: Zhou et al. (2019) from :data:`lottery.REINITS`; ``xavier`` and ``gaussian`` are the fresh random
#: initialisations of Alfarra et al. (2022).
INITIALIZATIONS = {
    "lottery": "θ0 at the kept positions: the lottery ticket (Frankle & Carbin 2019)",
    "random_reinit": "a fresh draw from the dense net's initial distribution (Kaiming normal)",
    "reshuffle": "the kept initial values permuted among the kept positions (Zhou et al. 2019)",
    "signed_constant": "sign(θ0) times the layer's initial standard deviation (Zhou et al. 2019)",
    "signed_reinit": "a permutation of the layer's initial values with the sign of θ0 (Zhou et al. 2019)",
    "signed_reshuffle": "reshuffled magnitudes with the sign of θ0 (Zhou et al. 2019)",
    "permute_layer": "a permutation of all the layer's initial values (Zhou et al. 2019)",
    "flip_sign": "-θ0: every sign wrong (a control)",
    "xavier": "a fresh Xavier/Glorot normal draw, std sqrt(2 / (fan_in + fan_out)) (Alfarra et al. 2022)",
    "gaussian": "a fresh N(0, 0.1^2) draw (Alfarra et al. 2022)",
}

DEFAULT_INITS = ("lottery", "random_reinit", "signed_constant", "reshuffle", "xavier", "gaussian")


def _option(default, help: str, **cli):
    """A :class:`ComparisonConfig` field with its help text and command-line options in its metadata.

    ``cli`` holds ``argparse.add_argument`` keywords (``nargs``, ``type``, ``choices``, ``metavar``) and
    ``cli=`` the value the command line shows as the default where it differs (a count for ``seeds``).
    """
    shown = cli.pop("cli", default)
    return field(default=default, metadata={"help": help, "argparse": cli, "shown_default": shown})


def _sequence(values, argument: str, expected: str, given=None) -> tuple:
    """``values`` as a tuple if it is a non-empty sequence (not a string), else ``ValueError`` showing
    ``given`` (default ``values``), the value the user passed."""
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        raise ValueError(f"{argument} must be {expected}, got {values if given is None else given!r}")
    return tuple(values)


def _distinct(values: tuple, argument: str) -> tuple:
    if len(set(values)) != len(values):
        raise ValueError(f"{argument} has duplicates: {list(values)}")
    return values


def _positive_ints(value, argument: str, expected: str) -> tuple[int, ...]:
    """An int or a non-empty sequence of ints, each ``>= 1``, as a tuple; else ``ValueError``."""
    values = (value,) if isinstance(value, int) and not isinstance(value, bool) else value
    return tuple(check_positive_int(v, argument) for v in _sequence(values, argument, expected, value))


def _sparsities(value) -> tuple[float, ...]:
    """Distinct fractions in [0, 1)."""
    sparsities = _sequence(value, "sparsities", "a non-empty sequence of fractions")
    sparsities = tuple(_number(s, "sparsities", 0.0, 1.0) for s in sparsities)
    if any(s >= 1.0 for s in sparsities):
        raise ValueError(f"sparsities must be < 1, got {list(sparsities)}")
    return _distinct(sparsities, "sparsities")


def _inits(value) -> tuple[str, ...]:
    """Distinct names in :data:`INITIALIZATIONS` (one name alone is accepted)."""
    inits = _sequence((value,) if isinstance(value, str) else value, "inits", "a non-empty sequence of names")
    unknown = [name for name in inits if name not in INITIALIZATIONS]
    if unknown:
        raise ValueError(
            f"unknown initialisation(s) {', '.join(map(repr, unknown))} for inits=; "
            f"known: {', '.join(INITIALIZATIONS)}"
        )
    return _distinct(inits, "inits")


def _seeds(value) -> tuple[int, ...]:
    """Distinct ints >= 0; a count ``n`` means ``0 .. n-1``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return tuple(range(check_positive_int(value, "seeds")))
    seeds = _sequence(value, "seeds", "a positive int (a count) or a sequence of ints")
    if any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds):
        raise ValueError(f"seeds must be ints >= 0, got {list(seeds)}")
    return _distinct(seeds, "seeds")


def _number(value, argument: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{argument} must be a number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{argument} must be in [{low}, {high}], got {value!r}")
    return float(value)


@dataclass(frozen=True)
class ComparisonConfig:
    """Everything that determines the result of :func:`~lottery.experiments.compare_initializations`.

    Attributes
    ----------
    dataset : str
        A name in :data:`lottery.DATASETS`.
    hidden : tuple of int
        Hidden widths: ``(100,)`` is the 2-100-2 net of Alfarra et al. (2022); two or more entries give a
        deep net (its decision polytope is that of the first hidden layer with the rest of the network as
        output map, as ``polytope_method`` says; the boundary comparisons are exact at any depth).
    sparsities : tuple of float
        Fractions of the prunable weights removed (one-shot, per layer or global, from the trained dense
        net), each in [0, 1).
    inits : tuple of str
        Names in :data:`INITIALIZATIONS`.
    seeds : tuple of int
        One dense network (θ0, data order) per seed.
    criterion, scope
        Pruning criterion (:data:`lottery.CRITERIA`) and ``"layer"`` or ``"global"``.
    prune_output : bool
        Prune the output layer too. Off by default: pruning the output layer of a 2-100-2 net by
        magnitude, layer by layer, keeps input and output weights of *different* hidden units, so at 90%
        sparsity no hidden unit stays connected (measured here: 0-2 of 100 over three seeds) and every
        initialisation gives a constant classifier. With the default, ``sparsity`` is that of the hidden
        layers' weights (for one hidden layer: the generators' matrix ``A`` of Alfarra et al.).
    optimizer, lr, epochs, batch_size
        Training of the dense net and of every ticket (the same data order for every ticket of a seed).
    n_samples, noise, data_seed
        The dataset (:func:`lottery.load_dataset`); the data are the same for every seed.
    classes : (int, int)
        The pair of classes whose decision polytope is compared.
    model : str, optional
        ``"package.module:factory"``: a function or class building the network with no arguments, or with
        ``seed=`` when it has that parameter (called under ``torch.manual_seed(seed)``, so the factory's own
        initialisation is θ0), e.g. a conv net.
        Default: the MLP of ``hidden`` (which is then ignored). The cache knows the factory by its name and
        the contents of its file: after editing code it imports from elsewhere, run with ``cache=False``.
    input_shape : tuple of int, optional
        The per-sample shape the model takes, e.g. ``(1, 8, 8)`` for a conv net on digits; the flat
        features are reshaped to it for training, and the geometry reads the model behind an
        ``nn.Unflatten`` (the data planes live in the flat feature space). Default: the flat features;
        for a ``model`` that refuses them, the dataset's image shape (:data:`IMAGE_SHAPES`).
    bounds : (xmin, xmax, ymin, ymax), optional
        Domain of the exact boundary comparisons for 2-D inputs (standardised coordinates); default: the box
        of all the data padded by 10 % of its largest side. Inputs of higher dimension use the plane through
        the first three test points.
    planes : int
        For inputs above 2-D, the number of data planes (through triplets of test points, Somepalli et al.
        2022) on which ticket and dense net are compared exactly: the ``triangle_*``, ``box_*`` and
        ``local_*`` columns (:func:`tropical.metrics.plane_metrics`). 2-D inputs use the ``bounds`` box
        instead (their plane columns are NaN with ``plane_method = "skipped: no data= given"``).
    """

    dataset: str = _option("moons", "dataset name (lottery.DATASETS)")
    hidden: tuple[int, ...] = _option((100,), "hidden widths", nargs="+", type=int, metavar="WIDTH")
    sparsities: tuple[float, ...] = _option(
        (0.5, 0.75, 0.9, 0.95), "fractions of the weights pruned", nargs="+", type=float, metavar="S"
    )
    inits: tuple[str, ...] = _option(DEFAULT_INITS, "initialisations", nargs="+", metavar="NAME")
    seeds: tuple[int, ...] = _option(
        (0, 1, 2),
        "number of seeds N: seeds 0 .. N-1 (in Python also the seeds themselves)",
        type=int,
        metavar="N",
        cli=3,
    )
    criterion: str = _option("magnitude", "pruning criterion (lottery.CRITERIA)")
    scope: str = _option("layer", "per layer or global pruning", choices=("layer", "global"))
    prune_output: bool = _option(False, "prune the output layer too")
    optimizer: str = _option("adam", "optimizer of every net", choices=("sgd", "adam", "adamw"))
    lr: float = _option(0.01, "learning rate", type=float)
    epochs: int = _option(40, "training epochs of every net", type=int)
    batch_size: int = _option(64, "mini-batch size", type=int)
    n_samples: int | None = _option(None, "dataset size before splitting (default: the dataset's)", type=int)
    noise: float | None = _option(
        None, "noise of the synthetic datasets (default: the dataset's)", type=float
    )
    data_seed: int = _option(0, "seed of the dataset", type=int)
    classes: tuple[int, int] = _option(
        (0, 1), "the pair of classes of the decision polytope", nargs=2, type=int, metavar=("I", "J")
    )
    planes: int = _option(
        3,
        "data planes through triplets of test points for the plane metrics of inputs above 2-D "
        "(tropical.metrics.plane_metrics; each costs about two exact region computations per ticket)",
        type=int,
    )
    model: str | None = _option(
        None,
        "the network, 'package.module:factory' (a function or class called with no arguments, or with "
        "seed= if it takes one, under torch.manual_seed(seed)); default: the MLP of hidden",
        metavar="PACKAGE.MODULE:FACTORY",
    )
    input_shape: tuple[int, ...] | None = _option(
        None,
        "per-sample input shape the model takes, e.g. 1 8 8 for a conv net on digits (default: the flat "
        "features, or for a model that refuses them the dataset's image shape)",
        nargs="+", type=int, metavar="N",
    )  # fmt: skip
    bounds: tuple[float, float, float, float] | None = _option(
        None, "2-D domain of the boundary comparison (default: the data's box, padded)", nargs=4, type=float,
        metavar=("XMIN", "XMAX", "YMIN", "YMAX"),
    )  # fmt: skip

    def __post_init__(self) -> None:
        """Check every field and store it normalised (tuples, floats, ints), one phase per group."""
        self._check_choices()
        normalised = {
            **self._network(),
            **self._grid(),
            **self._training(),
            **self._data(),
        }
        for name, value in normalised.items():
            object.__setattr__(self, name, value)  # the dataclass is frozen

    def _check_choices(self) -> None:
        """Names looked up in registries or fixed sets: dataset, criterion, scope, optimizer, model."""
        from lottery.criteria import CRITERIA
        from lottery.data import DATASETS

        DATASETS[self.dataset]
        CRITERIA[self.criterion]
        if self.scope not in ("layer", "global"):
            raise ValueError(f"scope must be 'layer' or 'global', got {self.scope!r}")
        if self.optimizer not in ("sgd", "adam", "adamw"):
            raise ValueError(f"optimizer must be 'sgd', 'adam' or 'adamw', got {self.optimizer!r}")
        if self.model is not None:
            from lottery.checkpoints import model_factory

            model_factory(self.model)  # a clear error now for a bad name, not in every task

    def _network(self) -> dict:
        """``hidden`` (an int or a sequence of them) and ``input_shape`` as tuples of positive ints."""
        out = {
            "hidden": _positive_ints(self.hidden, "hidden", "a positive int or a non-empty sequence of them")
        }
        if self.input_shape is not None:
            out["input_shape"] = _positive_ints(
                self.input_shape, "input_shape", "a sequence of positive ints"
            )
        return out

    def _grid(self) -> dict:
        """The axes of the sweep, as tuples without duplicates: sparsities, inits and seeds."""
        return {
            "sparsities": _sparsities(self.sparsities),
            "inits": _inits(self.inits),
            "seeds": _seeds(self.seeds),
        }

    def _training(self) -> dict:
        """prune_output, lr, epochs, batch_size and planes."""
        if not isinstance(self.prune_output, bool):
            raise ValueError(f"prune_output must be True or False, got {self.prune_output!r}")
        return {
            "lr": _number(self.lr, "lr", 0.0, math.inf),
            **{
                name: check_positive_int(getattr(self, name), name)
                for name in ("epochs", "batch_size", "planes")
            },
        }

    def _data(self) -> dict:
        """The dataset options and the compared pair of classes, and the boundary domain."""
        out = {}
        if self.n_samples is not None:
            out["n_samples"] = check_positive_int(self.n_samples, "n_samples")
        if self.noise is not None:
            out["noise"] = _number(self.noise, "noise", 0.0, math.inf)
        if isinstance(self.data_seed, bool) or not isinstance(self.data_seed, int):
            raise ValueError(f"data_seed must be an int, got {self.data_seed!r}")
        classes = tuple(self.classes)
        if (
            len(classes) != 2
            or classes[0] == classes[1]
            or any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in classes)
        ):
            raise ValueError(f"classes must be two different class indices, got {self.classes!r}")
        out["classes"] = classes
        if self.bounds is not None:
            bounds = tuple(_number(b, "bounds", -math.inf, math.inf) for b in self.bounds)
            if len(bounds) != 4 or bounds[0] >= bounds[1] or bounds[2] >= bounds[3]:
                raise ValueError(
                    f"bounds must be (xmin, xmax, ymin, ymax) with min < max, got {self.bounds!r}"
                )
            out["bounds"] = bounds
        return out

    # ------------------------------------------------------------------------------------------ records
    def to_dict(self) -> dict:
        """Plain JSON-compatible values (tuples become lists)."""
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, values: Mapping) -> ComparisonConfig:
        """Build from a mapping (e.g. a parsed TOML or JSON file); unknown keys are an error."""
        if not isinstance(values, Mapping):
            raise TypeError(f"values must be a mapping, got {type(values).__name__}")
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(known)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})

    @property
    def key(self) -> str:
        """A short hash of the configuration (16 hex digits)."""
        return digest(self.to_dict())


def digest(values) -> str:
    """SHA-256 of the canonical JSON of ``values``, first 16 hex digits."""
    text = json.dumps(values, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


#: Columns of :attr:`ComparisonResult.rows`, in order, with their meaning: the run's own columns, then every
#: key of :data:`tropical.metrics.DECISION_METRICS` (``model`` = the retrained ticket, ``reference`` = the
#: dense net of the same seed), where ``*_method`` columns say how each group was computed.
COLUMNS = {
    "init": "initialisation of the kept weights before retraining (lottery.experiments.INITIALIZATIONS)",
    "sparsity": "target fraction of weights removed from every pruned layer (one-shot, from the trained "
    "dense net; the output layer only with prune_output=True)",
    "seed": "seed of θ0 and of the data order (shared by the dense net and its tickets)",
    "density": "fraction of all prunable weights (output layer included) kept, as realised",
    "test_accuracy": "accuracy of the retrained ticket on the test split",
    "dense_test_accuracy": "accuracy of the dense net of the same seed on the test split",
    **DECISION_METRICS,
}
#: The text columns saying how each group of geometric columns was computed.
METHOD_COLUMNS = tuple(column for column in COLUMNS if column.endswith("_method"))


def load_data(config: ComparisonConfig):
    """The dataset of a comparison (:func:`lottery.load_dataset` with its options)."""
    from lottery.data import load_dataset

    return load_dataset(config.dataset, n_samples=config.n_samples, noise=config.noise, seed=config.data_seed)


def model_widths(config: ComparisonConfig, data=None) -> list[int]:
    """Layer widths ``[inputs, *hidden, classes]`` of the networks of a comparison (``[inputs, classes]``
    for a custom ``config.model``)."""
    data = data if data is not None else load_data(config)
    hidden = config.hidden if config.model is None else ()
    return [data.n_features, *hidden, data.n_classes]


def model_fn(widths: Sequence[int], init: str = "kaiming") -> Callable[..., torch.nn.Module]:
    """``model_fn(seed=...)`` building the plain MLP of ``widths`` (for :meth:`lottery.Ticket.build`)."""
    from lottery.models import mlp

    return partial(mlp, list(widths), init=init)


#: The natural per-sample shape of the datasets that have one (tried for a custom ``model`` that refuses the
#: flat features).
IMAGE_SHAPES = {"digits": (1, 8, 8), "mnist1d": (1, 40)}


def network_fn(config: ComparisonConfig, data=None, init: str = "kaiming") -> Callable[..., torch.nn.Module]:
    """``build(seed=...)``: the network of a comparison, ``config.model`` or the MLP of ``config.hidden``.

    ``init`` is ``"kaiming"`` (for a custom model: its factory's own initialisation), ``"xavier"`` or
    ``"normal"`` (every weight of a Linear or Conv layer redrawn from N(0, std²) with
    :func:`lottery.models.init_std`, biases zero, as :func:`lottery.mlp` does).
    """
    if config.model is None:
        return model_fn(model_widths(config, data), init=init)
    return partial(_custom_network, config.model, init)


def _custom_network(spec: str, init: str, seed: int = 0) -> torch.nn.Module:
    from lottery.checkpoints import build_model, model_factory
    from lottery.models import init_std

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(model_factory(spec), spec, seed)
    if init == "kaiming":
        return model
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, torch.nn.Linear | torch.nn.modules.conv._ConvNd):
                receptive = layer.weight[0, 0].numel()
                fan_in, fan_out = layer.weight.shape[1] * receptive, layer.weight.shape[0] * receptive
                std = init_std(fan_in, fan_out, init=init)
                layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator) * std)
                if layer.bias is not None:
                    layer.bias.zero_()
    return model


def input_shape(config: ComparisonConfig, data, model: torch.nn.Module) -> tuple[int, ...]:
    """The per-sample input shape of a comparison's networks (see :attr:`ComparisonConfig.input_shape`).

    Raises
    ------
    ValueError
        When ``config.input_shape`` does not hold the dataset's features, or a custom model takes neither
        the flat features nor the dataset's image shape (the message has the model's own error).
    """
    flat = (data.n_features,)
    if config.input_shape is not None:
        if math.prod(config.input_shape) != data.n_features:
            raise ValueError(
                f"input_shape={list(config.input_shape)} holds {math.prod(config.input_shape)} values but "
                f"{config.dataset} has {data.n_features} features per sample"
            )
        return config.input_shape
    if config.model is None:
        return flat
    tried, training = [], model.training
    for shape in (flat, IMAGE_SHAPES.get(config.dataset)):
        if shape is None:
            continue
        try:
            with torch.no_grad():
                out = model.eval()(data.x_train[:2].reshape(2, *shape))
            if tuple(out.shape) == (2, data.n_classes):
                return shape
            tried.append(f"{shape}: output shape {tuple(out.shape)[1:]} instead of ({data.n_classes},)")
        except Exception as error:  # the model's own complaint goes into the message
            tried.append(f"{shape}: {type(error).__name__}: {str(error).splitlines()[0]}")
        finally:
            model.train(training)
    raise ValueError(
        f"the model {config.model} takes none of the input shapes tried on {config.dataset} ("
        + "; ".join(tried)
        + f"); pass input_shape= (--input-shape) with the per-sample shape it takes and {data.n_classes} "
        "outputs"
    )


def shaped(data, shape: tuple[int, ...]):
    """``data`` with every split's inputs reshaped to ``(n, *shape)`` (itself when ``shape`` is flat)."""
    from dataclasses import replace

    if tuple(shape) == tuple(data.x_train.shape[1:]):
        return data
    return replace(data, **{name: getattr(data, name).reshape(-1, *shape)
                            for name in ("x_train", "x_val", "x_test")})  # fmt: skip


def domain(config: ComparisonConfig, data) -> dict:
    """The 2-D domain of the boundary comparisons: ``{"bounds": ...}`` or ``{"plane": ...}``."""
    if data.n_features == 2:
        if config.bounds is not None:
            return {"bounds": tuple(config.bounds)}
        x = torch.cat([data.x_train, data.x_val, data.x_test]).double().numpy()
        low, high = x.min(axis=0), x.max(axis=0)
        pad = 0.1 * float((high - low).max())
        return {
            "bounds": (float(low[0] - pad), float(high[0] + pad), float(low[1] - pad), float(high[1] + pad))
        }
    points = data.x_test[:3].double().numpy()
    return {"plane": tuple(points)}
