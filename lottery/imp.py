"""Iterative magnitude pruning with rewinding (Frankle & Carbin 2019; Frankle et al. 2020).

One round: train, prune a fraction of the *surviving* weights by a criterion (smallest ``|w|`` by default),
reset the survivors to θ0 (or θk, or another re-initialisation), train again. ``rounds=1`` is one-shot
pruning. Every round is saved as a :class:`~lottery.ticket.Ticket` in ``directory`` (if given) and skipped
when it is already there, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import nn

from lottery._validation import check_positive_int, check_seed
from lottery.criteria import CRITERIA, layerwise_rates, prune
from lottery.experiments.progress import Progress
from lottery.masks import Mask
from lottery.reinitialisation import PRUNED_VALUES, REINITS, reinit
from lottery.ticket import Ticket, call_model_fn
from lottery.training import History, State, TrainConfig
from lottery.training import train as train_model

__all__ = ["IMPResult", "iterative_magnitude_pruning", "retrain"]


@dataclass
class IMPResult:
    """Tickets of an IMP run.

    Attributes
    ----------
    dense : Ticket
        Round 0: the trained dense network (mask keeps everything), with θ0 and θk.
    tickets : list of Ticket
        One per pruning round, in order of increasing sparsity.
    """

    dense: Ticket
    tickets: list[Ticket]

    @property
    def histories(self) -> list[History | None]:
        """Training curves: the dense run first, then one per round."""
        return [self.dense.history] + [t.history for t in self.tickets]

    @property
    def densities(self) -> list[float]:
        """Fraction of prunable weights kept after each round."""
        return [t.density for t in self.tickets]


def _config_of(train) -> TrainConfig:
    if train is None:
        return TrainConfig()
    if isinstance(train, TrainConfig):
        return train
    if isinstance(train, Mapping):
        return TrainConfig.from_dict(train)
    raise TypeError(f"train must be a TrainConfig, a dict of its fields, or None; got {type(train).__name__}")


def _architecture(model: nn.Module) -> list:
    return [[k, list(v.shape)] for k, v in model.state_dict().items()]


def _write_json(path: str, values: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(values, handle, indent=2, sort_keys=True)
    os.replace(tmp, path)


def _round_path(directory: str, index: int) -> str:
    return os.path.join(directory, f"round_{index:02d}.pt")


def _open_directory(directory: str | os.PathLike | None, settings: dict) -> str | None:
    """Create ``directory`` and write ``config.json``, or check that the one there has these ``settings``."""
    if directory is None:
        return None
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    config_path = os.path.join(directory, "config.json")
    if not os.path.exists(config_path):
        _write_json(config_path, settings)
        return directory
    with open(config_path) as handle:
        saved = json.load(handle)
    if saved != json.loads(json.dumps(settings)):
        changed = sorted(k for k in set(saved) | set(settings) if saved.get(k) != settings.get(k))
        raise ValueError(
            f"directory {directory!r} holds a run with a different configuration "
            f"(differs in {changed}); use another directory"
        )
    return directory


@dataclass(frozen=True)
class _Run:
    """What every round of one IMP run shares: the checked arguments of :func:`iterative_magnitude_pruning`.

    ``init_state`` is θ0 (a state dict of the architecture ``model_fn`` builds); ``amount`` the per-round
    rate (one float, or one per prunable weight name); ``settings`` the run's configuration, written to
    ``config.json`` and into every ticket's provenance.
    """

    model_fn: Callable[..., nn.Module]
    data: object
    config: TrainConfig
    init_state: State
    rewind_step: int
    criterion: str
    scope: str
    amount: float | dict[str, float]
    reinit: str
    pruned: str
    seed: int
    progress: bool | None
    directory: str | None
    settings: dict

    def model(self, state: Mapping[str, torch.Tensor]) -> nn.Module:
        """The architecture holding ``state``."""
        net = call_model_fn(self.model_fn, self.seed)
        net.load_state_dict(state)
        return net

    def init_fn(self, seed: int) -> dict:
        """A fresh initialisation of the architecture (``random_reinit``)."""
        return call_model_fn(self.model_fn, seed).state_dict()

    def provenance(self, index: int, mask: Mask) -> dict:
        return {
            **{k: v for k, v in self.settings.items() if k != "architecture"},
            "round": index,
            "sparsity": mask.sparsity,
            "layer_sparsity": mask.layer_sparsity(),
        }

    def load(self, index: int) -> Ticket | None:
        """Round ``index`` from the directory, or ``None`` when it has not been computed yet."""
        if self.directory is None or not os.path.exists(_round_path(self.directory, index)):
            return None
        path = _round_path(self.directory, index)
        ticket = Ticket.load(path)
        if ticket.provenance.get("round") != index:
            raise ValueError(f"{path!r} holds round {ticket.provenance.get('round')}")
        return ticket

    def save(self, index: int, ticket: Ticket) -> Ticket:
        if self.directory is not None:
            ticket.save(_round_path(self.directory, index))
        return ticket


def _settings(
    model, data, config, *, criterion, scope, reinit, pruned, rate, rates, rewind_step, seed
) -> dict:
    """The configuration of an IMP run as JSON-serialisable values (``config.json``, provenance)."""
    return {
        "method": "imp",
        "criterion": criterion,
        "scope": scope,
        "reinit": reinit,
        "pruned": pruned,
        "rate": rate,
        "rates": dict(rates) if rates is not None else None,
        "rewind_step": rewind_step,
        "seed": seed,
        "dataset": getattr(data, "name", None),
        "dataset_seed": getattr(data, "seed", None),
        "train": config.to_dict(),
        "architecture": _architecture(model),
    }


def _dense_round(run: _Run) -> Ticket:
    """Round 0: train θ0 densely, keeping θk (the state after ``rewind_step`` updates)."""
    net = run.model(run.init_state)
    result = train_model(
        net, run.data, train=run.config, checkpoint_steps=[run.rewind_step], progress=run.progress
    )
    mask = Mask.ones(net)
    return run.save(0, Ticket(
        mask=mask, init_state=run.init_state, start_state=run.init_state,
        rewind_state=result.checkpoints[run.rewind_step], rewind_step=run.rewind_step,
        trained_state=result.trained_state, history=result.history,
        provenance={**run.provenance(0, mask), "reinit": None},
    ))  # fmt: skip


def _pruning_round(run: _Run, index: int, previous: Ticket, rewind_state: State) -> Ticket:
    """Round ``index``: prune the lowest-scored survivors of ``previous`` (scored on its trained weights and
    θ0), re-initialise the survivors (θk for rewinding), train from step k with the mask held."""
    round_seed = run.seed * 1_000_003 + index
    mask = prune(
        run.model(previous.trained_state), criterion=run.criterion, rate=run.amount, mask=previous.mask,
        init_state=run.init_state, scope=run.scope, batches=run.data if run.criterion == "snip" else None,
        seed=round_seed,
    )  # fmt: skip
    start = reinit_start(
        run.reinit, mask, run.init_state, rewind_state, previous.trained_state, run.pruned, round_seed,
        run.init_fn,
    )  # fmt: skip
    result = train_model(
        run.model(start), run.data, mask=mask, frozen=None if run.pruned == "zero" else start,
        train=run.config, start_step=run.rewind_step, progress=run.progress,
    )  # fmt: skip
    return run.save(index, Ticket(
        mask=mask, init_state=run.init_state, start_state=start, rewind_state=rewind_state,
        rewind_step=run.rewind_step, trained_state=result.trained_state, history=result.history,
        provenance=run.provenance(index, mask),
    ))  # fmt: skip


def iterative_magnitude_pruning(
    model_fn: Callable[..., nn.Module],
    data,
    rounds: int,
    *,
    rate: float | None = None,
    rates: Mapping[str, float] | None = None,
    rewind_step: int = 0,
    criterion: str = "magnitude",
    scope: str = "layer",
    reinit: str = "rewind",
    pruned: str = "zero",
    train: TrainConfig | Mapping | None = None,
    seed: int = 0,
    directory: str | os.PathLike | None = None,
    progress: bool | None = None,
) -> IMPResult:
    """Find lottery tickets by iterative magnitude pruning with rewinding.

    Implements Frankle & Carbin (2019) (``rewind_step=0``), late rewinding (Frankle et al. 2020,
    ``rewind_step=k``: survivors reset to θk and training resumes at step k with the same data order and
    learning-rate schedule) and the mask criteria / re-initialisations of Zhou et al. (2019).

    Parameters
    ----------
    model_fn : callable
        ``model_fn(seed=int) -> nn.Module`` (or ``model_fn()``, e.g. a model class, which is then called
        under ``torch.manual_seed(seed)`` with torch's global RNG state restored afterwards), e.g.
        ``functools.partial(lottery.mlp, [64, 300, 100, 10])``. Called with ``seed`` for θ0 and for fresh
        draws of ``random_reinit``.
    data : lottery.data.Dataset
    rounds : int
        Pruning rounds (>= 1); 1 is one-shot pruning.
    rate : float, optional
        Fraction of the surviving prunable weights removed per round, every layer alike (or all together
        with ``scope="global"``).
    rates : mapping of str to float, optional
        Per-layer rates. Default when neither is given: 0.2 for hidden layers and 0.1 for the output layer
        (the LeNet-300-100 schedule, :func:`lottery.criteria.layerwise_rates`).
    rewind_step : int
        k, the training step the survivors are reset to.
    criterion : str
        A name in ``lottery.criteria.CRITERIA``, scored on the previous round's trained weights (and θ0).
    scope : {"layer", "global"}
    reinit : str
        A name in ``lottery.reinitialisation.REINITS``; ``"rewind"`` gives the lottery ticket.
    pruned : {"zero", "frozen", "zero_where_shrunk"}
        Values of the pruned weights.
    train : TrainConfig or dict, optional
        Training hyper-parameters of every round (``config.seed`` is replaced by ``seed``).
    seed : int
        Seeds θ0, the data order, tie-breaks and re-initialisations; same seed, identical tickets.
    directory : path, optional
        Save ``config.json`` and ``round_NN.pt`` (round 0 = dense) there; existing rounds are loaded instead
        of recomputed. A directory written with a different configuration is refused.
    progress : bool, optional
        ``None`` (default): tqdm bars of the training on a terminal, and one line per finished round on
        stderr (``[imp] round 1/3 trained: 80.0% of the prunable weights kept, test accuracy 0.951;
        elapsed 12 s``, also in a log file or a pipe); ``True``: bars always; ``False``: silent.

    Returns
    -------
    IMPResult
        ``dense`` and ``rounds`` tickets, each with its training curves.
    """
    rounds = check_positive_int(rounds, "rounds")
    if rate is not None and rates is not None:
        raise ValueError("give at most one of rate= and rates=")
    rewind_step = check_positive_int(rewind_step, "rewind_step", allow_zero=True)
    seed = check_seed(seed)
    REINITS[reinit]  # unknown names fail before any training
    if pruned not in PRUNED_VALUES:
        raise ValueError(f"pruned={pruned!r} is not one of {', '.join(PRUNED_VALUES)}")
    CRITERIA[criterion]
    config = TrainConfig.from_dict({**_config_of(train).to_dict(), "seed": seed})
    total = config.total_steps(len(data.y_train))
    if rewind_step > total:
        raise ValueError(f"rewind_step={rewind_step} is beyond the {total} training steps")

    model = call_model_fn(model_fn, seed)
    init_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if rate is None and rates is None:
        rates = layerwise_rates(list(Mask.ones(model)))
    settings = _settings(
        model, data, config, criterion=criterion, scope=scope, reinit=reinit, pruned=pruned, rate=rate,
        rates=rates, rewind_step=rewind_step, seed=seed,
    )  # fmt: skip
    run = _Run(
        model_fn=model_fn, data=data, config=config, init_state=init_state, rewind_step=rewind_step,
        criterion=criterion, scope=scope, amount=rate if rate is not None else dict(rates), reinit=reinit,
        pruned=pruned, seed=seed, progress=progress, directory=_open_directory(directory, settings),
        settings=settings,
    )  # fmt: skip
    report = Progress(progress, prefix="[imp]")
    dense = _round(run, report, 0, rounds, lambda: _dense_round(run))
    tickets, previous = [], dense
    for index in range(1, rounds + 1):
        compute = functools.partial(_pruning_round, run, index, previous, dense.rewind_state)
        previous = _round(run, report, index, rounds, compute)
        tickets.append(previous)
    return IMPResult(dense, tickets)


def _round(run: _Run, report: Progress, index: int, rounds: int, compute: Callable[[], Ticket]) -> Ticket:
    """Round ``index`` from the directory or ``compute()``, then one line on stderr (tqdm draws the
    training bars on a terminal; a log file or a pipe gets these lines, so a long run shows how far it is)."""
    ticket, how = run.load(index), "loaded"
    if ticket is None:
        ticket, how = compute(), "trained"
    accuracy = ticket.history.test_accuracy
    report.finished(
        f"round {index}/{rounds} {how}: {ticket.mask.density:.1%} of the prunable weights kept, "
        f"test accuracy {'n/a' if accuracy is None else f'{accuracy:.3f}'}"
    )
    return ticket


def reinit_start(strategy, mask, init_state, rewind_state, trained_state, pruned, seed, init_fn):
    """``reinit`` with the IMP conventions (θk for rewinding; pruned values from θ0 and the trained state)."""
    return reinit(
        strategy, mask, init_state, rewind_state=rewind_state, trained_state=trained_state, pruned=pruned,
        seed=seed, init_fn=init_fn,
    )  # fmt: skip


def retrain(
    ticket: Ticket,
    model_fn: Callable[..., nn.Module],
    data,
    *,
    reinit: str = "random_reinit",
    pruned: str = "zero",
    train: TrainConfig | Mapping | None = None,
    seed: int = 0,
    progress: bool | None = None,
) -> Ticket:
    """Train a ticket's mask from another initialisation (the controls of Frankle & Carbin 2019, Zhou et al.
    2019): e.g. ``random_reinit`` or ``signed_constant`` instead of rewinding.

    Parameters
    ----------
    ticket : Ticket
        Provides the mask, θ0, θk (training resumes at ``ticket.rewind_step``) and the final weights used by
        ``pruned="zero_where_shrunk"``.
    model_fn : callable
    data : lottery.data.Dataset
    reinit : str
        A name in ``lottery.reinitialisation.REINITS``.
    pruned : {"zero", "frozen", "zero_where_shrunk"}
    train : TrainConfig or dict, optional
        Default: the ticket's own training configuration (``provenance["train"]``), else ``TrainConfig()``.
    seed : int
        Seeds the re-initialisation and the data order.

    Returns
    -------
    Ticket
        Same mask, new start and trained states, provenance with ``method="retrain"``.
    """
    if not isinstance(ticket, Ticket):
        raise TypeError(f"ticket must be a lottery.Ticket, got {type(ticket).__name__}")
    if train is None and isinstance(ticket.provenance.get("train"), Mapping):
        train = ticket.provenance["train"]
    config = TrainConfig.from_dict({**_config_of(train).to_dict(), "seed": seed})

    def init_fn(s: int) -> dict:
        return call_model_fn(model_fn, s).state_dict()

    start = reinit_start(
        reinit, ticket.mask, ticket.init_state, ticket.rewind_state, ticket.trained_state, pruned,
        seed * 1_000_003 + 7919, init_fn,
    )  # fmt: skip
    net = ticket.build(model_fn, state="init")
    with torch.no_grad():
        net.load_state_dict(start)
    result = train_model(
        net, data, mask=ticket.mask, frozen=None if pruned == "zero" else start, train=config,
        start_step=ticket.rewind_step, progress=progress,
    )  # fmt: skip
    provenance = {
        **ticket.provenance,
        "method": "retrain",
        "source_method": ticket.provenance.get("method"),
        "reinit": reinit,
        "pruned": pruned,
        "seed": seed,
        "train": config.to_dict(),
    }
    return Ticket(
        mask=ticket.mask, init_state=ticket.init_state, start_state=start, rewind_state=ticket.rewind_state,
        rewind_step=ticket.rewind_step, trained_state=result.trained_state, history=result.history,
        provenance=provenance,
    )  # fmt: skip
