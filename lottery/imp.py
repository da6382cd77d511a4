"""Iterative magnitude pruning with rewinding (Frankle & Carbin 2019; Frankle et al. 2020).

One round: train, prune a fraction of the *surviving* weights by a criterion (smallest ``|w|`` by default),
reset the survivors to θ0 (or θk, or another re-initialisation), train again. ``rounds=1`` is one-shot
pruning. Every round is saved as a :class:`~lottery.ticket.Ticket` in ``directory`` (if given) and skipped
when it is already there, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import nn

from lottery._validation import check_positive_int, check_seed
from lottery.criteria import layerwise_rates, prune
from lottery.masks import Mask
from lottery.reinitialisation import PRUNED_VALUES, REINITS, reinit
from lottery.ticket import Ticket, call_model_fn
from lottery.training import History, TrainConfig
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
        ``model_fn(seed=int) -> nn.Module`` (or ``model_fn()``), e.g.
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
        tqdm bars (default: only on a terminal).

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
    from lottery.criteria import CRITERIA

    CRITERIA[criterion]
    config = TrainConfig.from_dict({**_config_of(train).to_dict(), "seed": seed})
    total = config.total_steps(len(data.y_train))
    if rewind_step > total:
        raise ValueError(f"rewind_step={rewind_step} is beyond the {total} training steps")

    model = call_model_fn(model_fn, seed)
    init_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    names = list(Mask.ones(model))
    if rate is None and rates is None:
        rates = layerwise_rates(names)
    amount = rate if rate is not None else dict(rates)

    settings = {
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
    if directory is not None:
        directory = os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
        config_path = os.path.join(directory, "config.json")
        if os.path.exists(config_path):
            with open(config_path) as handle:
                saved = json.load(handle)
            if saved != json.loads(json.dumps(settings)):
                changed = sorted(k for k in set(saved) | set(settings) if saved.get(k) != settings.get(k))
                raise ValueError(
                    f"directory {directory!r} holds a run with a different configuration "
                    f"(differs in {changed}); use another directory"
                )
        else:
            _write_json(config_path, settings)

    def provenance(index: int, mask: Mask) -> dict:
        return {
            **{k: v for k, v in settings.items() if k != "architecture"},
            "round": index,
            "sparsity": mask.sparsity,
            "layer_sparsity": mask.layer_sparsity(),
        }

    def load_round(index: int) -> Ticket | None:
        if directory is None or not os.path.exists(_round_path(directory, index)):
            return None
        ticket = Ticket.load(_round_path(directory, index))
        if ticket.provenance.get("round") != index:
            raise ValueError(
                f"{_round_path(directory, index)!r} holds round {ticket.provenance.get('round')}"
            )
        return ticket

    def init_fn(s: int) -> dict:
        return call_model_fn(model_fn, s).state_dict()

    dense = load_round(0)
    if dense is None:
        net = call_model_fn(model_fn, seed)
        net.load_state_dict(init_state)
        result = train_model(net, data, train=config, checkpoint_steps=[rewind_step], progress=progress)
        mask = Mask.ones(net)
        dense = Ticket(
            mask=mask, init_state=init_state, start_state=init_state,
            rewind_state=result.checkpoints[rewind_step], rewind_step=rewind_step,
            trained_state=result.trained_state, history=result.history,
            provenance={**provenance(0, mask), "reinit": None},
        )  # fmt: skip
        if directory is not None:
            dense.save(_round_path(directory, 0))
    rewind_state = dense.rewind_state

    tickets: list[Ticket] = []
    previous = dense
    for index in range(1, rounds + 1):
        ticket = load_round(index)
        if ticket is None:
            round_seed = seed * 1_000_003 + index
            scored = call_model_fn(model_fn, seed)
            scored.load_state_dict(previous.trained_state)
            mask = prune(
                scored, criterion=criterion, rate=amount,
                mask=previous.mask, init_state=init_state, scope=scope,
                batches=data if criterion == "snip" else None, seed=round_seed,
            )  # fmt: skip
            start = reinit_start(
                reinit, mask, init_state, rewind_state, previous.trained_state, pruned, round_seed, init_fn
            )
            net = call_model_fn(model_fn, seed)
            net.load_state_dict(start)
            result = train_model(
                net, data, mask=mask, frozen=None if pruned == "zero" else start, train=config,
                start_step=rewind_step, progress=progress,
            )  # fmt: skip
            ticket = Ticket(
                mask=mask, init_state=init_state, start_state=start, rewind_state=rewind_state,
                rewind_step=rewind_step, trained_state=result.trained_state, history=result.history,
                provenance=provenance(index, mask),
            )  # fmt: skip
            if directory is not None:
                ticket.save(_round_path(directory, index))
        tickets.append(ticket)
        previous = ticket
    return IMPResult(dense, tickets)


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
