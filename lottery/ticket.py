"""Tickets: a mask, the weights it starts from, the states around it, and where it came from.

A ticket file is written with ``torch.save`` and read with ``torch.load(..., weights_only=True)``. Every
weight set in it is a plain ``state_dict`` with the keys of the unpruned model (no ``weight_orig`` /
``weight_mask`` re-parametrisation), so ``mlp(...).load_state_dict(ticket.state_dict())`` just works.
The file also stores a SHA-256 checksum of every tensor (and of the history and provenance), verified on
load: torch's zip reader does not check its data records, so without them a flipped byte would load
silently as different weights.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch
from torch import nn

from lottery._compat import renamed
from lottery._validation import check_positive_int
from lottery.errors import TicketChecksumError, TicketFileError
from lottery.masks import Mask
from lottery.training import History

__all__ = ["Ticket"]

State = dict[str, torch.Tensor]
FORMAT = "lottery.Ticket"
VERSION = 1
STATES = ("start", "trained", "init", "rewind")
TENSOR_SETS = ("mask", "init_state", "start_state", "rewind_state", "trained_state")


def _digest(value) -> str:
    """SHA-256 of a tensor's dtype, shape and bytes, or of a JSON-serialisable value's canonical text."""
    h = hashlib.sha256()
    if isinstance(value, torch.Tensor):
        t = value.detach().to("cpu").contiguous()
        h.update(f"{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    else:
        h.update(json.dumps(value, sort_keys=True).encode())
    return h.hexdigest()


def _checksums(payload: Mapping) -> dict[str, str]:
    """``"<set>/<name>" -> digest`` for every tensor of the payload, plus ``history`` and ``provenance``."""
    out = {}
    for key in TENSOR_SETS:
        tensors = payload.get(key)
        if isinstance(tensors, Mapping):
            out.update({f"{key}/{name}": _digest(t) for name, t in tensors.items()})
    out["history"] = _digest(payload.get("history"))
    out["provenance"] = _digest(payload.get("provenance"))
    if "pruned" in payload:
        out["pruned"] = _digest(payload["pruned"])
    return out


def _verify(payload: Mapping, where: str) -> None:
    stored = payload.get("checksums")
    if stored is None:
        warnings.warn(
            f"{where} was written without checksums (an older version of lottery); it cannot be checked "
            "for corruption. Save it again to add them.",
            UserWarning,
            stacklevel=3,
        )
        return
    actual = _checksums(payload)
    changed = sorted(k for k in set(stored) | set(actual) if stored.get(k) != actual.get(k))
    if changed:
        raise TicketChecksumError(
            f"{where} is corrupted: the content of {', '.join(changed)} differs from the checksum written "
            "with it. Re-create the ticket or restore the file from a copy.",
            changed,
        )


def _plain(state: Mapping[str, torch.Tensor] | None, argument: str) -> State | None:
    if state is None:
        return None
    if not isinstance(state, Mapping):
        raise TypeError(f"{argument} must be a state dict (name -> tensor), got {type(state).__name__}")
    out = {}
    for name, value in state.items():
        if not isinstance(name, str) or not isinstance(value, torch.Tensor):
            raise TypeError(f"{argument}: entry {name!r} is not a (str, tensor) pair")
        out[name] = value.detach().to("cpu").contiguous().clone()
    return out


def call_model_fn(model_fn: Callable[..., nn.Module], seed: int | None = None) -> nn.Module:
    """Call ``model_fn(seed=seed)`` if it takes a ``seed`` argument, else ``model_fn()`` seeded with ``seed``.

    A ``model_fn`` without a ``seed`` parameter (a user's ``class ConvNet(nn.Module)`` whose layers draw from
    torch's global generator) is called inside :func:`torch.random.fork_rng` with ``torch.manual_seed(seed)``:
    the same seed builds the same θ0 in every call and every process, and the caller's global RNG state is
    left as it was.
    """
    if isinstance(model_fn, nn.Module):
        raise TypeError(
            f"model_fn must build the model (a class or function, e.g. {type(model_fn).__name__} or "
            f"lambda: {type(model_fn).__name__}(...)), got a {type(model_fn).__name__} instance: lottery "
            "builds fresh copies of the architecture for θ0, re-initialisations and tickets"
        )
    if not callable(model_fn):
        raise TypeError(f"model_fn must be callable, got {type(model_fn).__name__}")
    try:
        takes_seed = "seed" in inspect.signature(model_fn).parameters
    except (TypeError, ValueError):
        takes_seed = False
    if takes_seed and seed is not None:
        model = model_fn(seed=seed)
    elif seed is not None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = model_fn()
    else:
        model = model_fn()
    if not isinstance(model, nn.Module):
        raise TypeError(f"model_fn must return a torch.nn.Module, got {type(model).__name__}")
    return model


def check_state(model: nn.Module, state: Mapping[str, torch.Tensor], what: str = "state") -> None:
    """Raise ``ValueError`` naming every missing, unexpected or mis-shaped key of ``state`` for ``model``."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [
        f"{k}: {tuple(state[k].shape)} vs model {tuple(expected[k].shape)}"
        for k in expected
        if k in state and tuple(state[k].shape) != tuple(expected[k].shape)
    ]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"missing keys {missing}")
        if unexpected:
            parts.append(f"unexpected keys {unexpected}")
        if shapes:
            parts.append("shape mismatches " + "; ".join(shapes))
        raise ValueError(f"{what} does not match the model: " + ", ".join(parts))


@dataclass(eq=False)
class Ticket:
    """A pruned network: mask, initial / rewind / start / trained weights, training curves, provenance.

    Attributes
    ----------
    mask : Mask
    init_state : dict of str to torch.Tensor
        θ0, the dense network at initialisation.
    start_state : dict
        The weights training of this ticket starts from: re-initialised kept weights and the pruned values
        (zero unless the ticket freezes them), e.g. θ0 ⊙ m for the lottery ticket of Frankle & Carbin (2019).
    rewind_state : dict, optional
        θk of the dense run (Frankle et al. 2020), ``rewind_step = k``.
    rewind_step : int
    trained_state : dict, optional
        The weights after training the ticket.
    history : History, optional
        Training curves of the ticket.
    provenance : dict
        JSON-serialisable: method, criterion, reinit, round, seed, dataset, sparsity per layer, full
        configuration.
    pruned : {"zero", "frozen", "zero_where_shrunk"}, optional
        What the pruned entries hold while the ticket trains (:data:`lottery.PRUNED_VALUES`): ``zero``, or
        their ``start_state`` values frozen. Default: ``provenance["pruned"]`` where older code recorded
        it there, else ``"zero"``.
    """

    mask: Mask
    init_state: State
    start_state: State
    rewind_state: State | None = None
    rewind_step: int = 0
    trained_state: State | None = None
    history: History | None = None
    provenance: dict = field(default_factory=dict)
    pruned: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.mask, Mask):
            raise TypeError(f"mask must be a lottery.Mask, got {type(self.mask).__name__}")
        self.init_state = _plain(self.init_state, "init_state")
        self.start_state = _plain(self.start_state, "start_state")
        self.rewind_state = _plain(self.rewind_state, "rewind_state")
        self.trained_state = _plain(self.trained_state, "trained_state")
        if self.init_state is None or self.start_state is None:
            raise ValueError("init_state and start_state are required")
        self.rewind_step = check_positive_int(self.rewind_step, "rewind_step", allow_zero=True)
        if self.history is not None and not isinstance(self.history, History):
            raise TypeError(f"history must be a lottery.training.History, got {type(self.history).__name__}")
        if not isinstance(self.provenance, Mapping):
            raise TypeError(f"provenance must be a dict, got {type(self.provenance).__name__}")
        try:
            self.provenance = json.loads(json.dumps(dict(self.provenance)))
        except (TypeError, ValueError) as error:
            raise ValueError(f"provenance must be JSON-serialisable: {error}") from error
        self.pruned = self._pruned(self.pruned, self.provenance.get("pruned"))
        self._validate()

    @staticmethod
    def _pruned(given, recorded) -> str:
        from lottery.reinitialisation import PRUNED_VALUES

        if given is not None and recorded is not None and given != recorded:
            raise ValueError(f"pruned={given!r} but provenance records pruned={recorded!r}")
        value = given if given is not None else (recorded if recorded is not None else "zero")
        if value not in PRUNED_VALUES:
            raise ValueError(f"pruned={value!r} is not one of {', '.join(PRUNED_VALUES)}")
        return value

    def _validate(self) -> None:
        keys = list(self.init_state)
        for what in ("start_state", "rewind_state", "trained_state"):
            state = getattr(self, what)
            if state is None:
                continue
            if list(state) != keys and set(state) != set(keys):
                raise ValueError(
                    f"{what} has keys {sorted(state)} but init_state has {sorted(keys)}; "
                    "all weight sets of a ticket belong to one architecture"
                )
            for k in keys:
                if state[k].shape != self.init_state[k].shape:
                    raise ValueError(
                        f"{what}[{k!r}] has shape {tuple(state[k].shape)}, init_state "
                        f"{tuple(self.init_state[k].shape)}"
                    )
        try:
            self.mask.check(self.init_state)
        except ValueError as error:
            raise ValueError(f"the mask does not fit the weights: {error}") from None

    # -- summary ------------------------------------------------------------------------------------
    @property
    def sparsity(self) -> float:
        """Fraction of prunable weights pruned."""
        return self.mask.sparsity

    @property
    def density(self) -> float:
        """Fraction of prunable weights kept."""
        return self.mask.density

    def __repr__(self) -> str:
        method = self.provenance.get("method", "?")
        return (
            f"Ticket(density={100 * self.density:.2f}%, method={method!r}, rewind_step={self.rewind_step}, "
            f"trained={self.trained_state is not None})"
        )

    # -- models -------------------------------------------------------------------------------------
    def state_dict(self, state: str | None = None, *, which: str | None = None) -> State:
        """A plain state dict (copies) that the unpruned model loads with ``load_state_dict``.

        Parameters
        ----------
        state : {"trained", "start", "init", "rewind"}
            Default ``"trained"``, which falls back to ``start`` for an untrained ticket. The same selector
            as :meth:`apply` and :meth:`build` (``which=`` is its deprecated name).
        """
        which = renamed("Ticket.state_dict", "which", which, "state", state) or "trained"
        if which not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}, got {which!r}")
        state = {
            "start": self.start_state,
            "trained": self.trained_state if self.trained_state is not None else self.start_state,
            "init": self.init_state,
            "rewind": self.rewind_state,
        }[which]
        if state is None:
            raise ValueError(f"this ticket has no {which} state")
        return {k: v.clone() for k, v in state.items()}

    def apply(self, model: nn.Module, *, state: str = "start") -> nn.Module:
        """Load one of the ticket's weight sets into ``model`` (checked first) and return it."""
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        weights = self.state_dict(state)
        check_state(model, weights, f"the ticket's {state} state")
        model.load_state_dict(weights)
        return model

    def build(self, model_fn: Callable[..., nn.Module], *, state: str = "start") -> nn.Module:
        """A fresh model from ``model_fn`` holding the ticket's ``state`` weights (default: ready to train).

        Parameters
        ----------
        model_fn : callable
            ``model_fn()`` or ``model_fn(seed=...)`` returning the unpruned architecture, e.g.
            ``functools.partial(lottery.mlp, [64, 300, 100, 10])``.
        state : {"start", "trained", "init", "rewind"}
        """
        return self.apply(call_model_fn(model_fn, seed=0), state=state)

    def frozen_values(self) -> State | None:
        """Values of the pruned entries to hold during training, or ``None`` when they are zero."""
        if self.pruned == "zero":
            return None
        return {n: self.start_state[n].clone() for n in self.mask}

    # -- persistence --------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the ticket with ``torch.save`` (plain tensors, str, int and dicts only)."""
        payload = {
            "format": FORMAT,
            "version": VERSION,
            "mask": self.mask.state_dict(),
            "init_state": self.init_state,
            "start_state": self.start_state,
            "rewind_state": self.rewind_state,
            "rewind_step": self.rewind_step,
            "trained_state": self.trained_state,
            "history": self.history.to_dict() if self.history is not None else None,
            "provenance": json.dumps(self.provenance, sort_keys=True),
            "pruned": self.pruned,
        }
        payload["checksums"] = _checksums(payload)
        directory = os.path.dirname(os.fspath(path))
        if directory:
            os.makedirs(directory, exist_ok=True)
        tmp = os.fspath(path) + ".tmp"
        torch.save(payload, tmp)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Ticket:
        """Read a ticket written by :meth:`save`, with ``weights_only=True`` and full validation.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        lottery.errors.TicketFileError
            (a ``ValueError``) If the file is not a readable ticket (corrupted, truncated, another format)
            or its parts are inconsistent (mask and weights of different names or shapes).
        lottery.errors.TicketChecksumError
            If a tensor (or the history or provenance) differs from its stored checksum; the message and
            ``.names`` name every altered entry.

        Warns
        -----
        UserWarning
            For files written before checksums existed (they load unchecked).
        """
        where = repr(os.fspath(path))
        if not os.path.exists(path):
            raise FileNotFoundError(f"no ticket file at {where}")
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:
            raise TicketFileError(
                f"{where} is not a readable ticket file (corrupted or not a torch file): {error}"
            ) from None
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise TicketFileError(f"{where} is not a lottery ticket file (no format={FORMAT!r} marker)")
        if payload.get("version") != VERSION:
            raise TicketFileError(
                f"{where} has ticket format version {payload.get('version')!r}; this code reads {VERSION}"
            )
        required = ("mask", "init_state", "start_state", "rewind_state", "rewind_step", "trained_state",
                    "history", "provenance")  # fmt: skip
        missing = [k for k in required if k not in payload]
        if missing:
            raise TicketFileError(f"{where} is an incomplete ticket file: missing {missing}")
        try:
            provenance = json.loads(payload["provenance"])
            history = History.from_dict(payload["history"]) if payload["history"] is not None else None
            ticket = cls(
                mask=Mask(payload["mask"]),
                init_state=payload["init_state"],
                start_state=payload["start_state"],
                rewind_state=payload["rewind_state"],
                rewind_step=payload["rewind_step"],
                trained_state=payload["trained_state"],
                history=history,
                provenance=provenance,
                pruned=payload.get("pruned"),  # None in files written before the field existed
            )
        except (TypeError, ValueError, KeyError) as error:
            raise TicketFileError(f"{where} is an inconsistent ticket file: {error}") from None
        _verify(payload, where)
        return ticket
