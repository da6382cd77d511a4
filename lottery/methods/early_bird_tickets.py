"""Early-Bird tickets (You, Li, Xu, Fu, Wang, Baraniuk, Wang, Lin, "Drawing early-bird tickets: towards more
efficient training of deep networks", ICLR 2020).

While a dense network trains, a pruning mask is drawn at the end of every epoch; the normalised Hamming
distance between consecutive masks drops quickly, and once the newest mask is within ``epsilon`` of each of
the previous ``window - 1`` masks (a FIFO of ``window = 5``), the ticket has "emerged": the network is pruned
with that mask and the Early-Bird ticket is trained on.

Departures from the paper
-------------------------
* The paper's masks come from a global threshold on the BatchNorm scaling factors |γ| of the channels. Our
  MLPs have no BatchNorm, so the unit score is a parameter: ``"batchnorm"`` uses |γ| of ``BatchNorm1d``
  layers when the model has them, ``"weight_norm"`` (default for models without BatchNorm) the L2 norm of
  each hidden unit's incoming weights. A pruned unit removes its row in the layer before and its column in
  the layer after. ``structure="unstructured"`` draws weight masks by magnitude instead (an extension).
* The EB ticket keeps the weights of the Early-Bird epoch and is trained for the full schedule again with
  the mask (``retrain_epochs``, default the configured number of epochs); the paper retrains the pruned
  network likewise, with its own learning-rate schedule.
* The output units are never pruned; units are pruned with one global threshold over all hidden layers
  (``scope="global"``, the paper's choice) or per layer.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from lottery._validation import check_data, check_fraction, check_positive_int, check_seed
from lottery.criteria import mask_from_scores
from lottery.masks import Mask
from lottery.methods._common import new_model, provenance, resolve_config, snapshot
from lottery.ticket import Ticket
from lottery.training import Loop
from lottery.training import train as train_model

__all__ = [
    "SOURCES",
    "EarlyBirdResult",
    "EarlyBirdStopper",
    "distance_matrix",
    "early_bird",
    "early_bird_index",
    "early_bird_search",
    "mask_distance",
    "unit_mask",
    "unit_scores",
    "weight_mask_from_units",
]

SOURCES = ("auto", "batchnorm", "weight_norm")
PAPER = (
    "You, Li, Xu, Fu, Wang, Baraniuk, Wang, Lin. Drawing early-bird tickets: towards more efficient training "
    "of deep networks. ICLR 2020"
)


def _hidden_units(model: nn.Module) -> list[tuple[str, str | None, str | None]]:
    """Hidden units of a feed-forward stack: (incoming Linear weight, BatchNorm1d name, next Linear weight).

    Modules are read in registration order; the last Linear is the output layer.
    """
    layers = []
    for name, module in model.named_modules():
        prefix = f"{name}." if name else ""
        if isinstance(module, nn.Linear):
            layers.append(("linear", prefix + "weight", module))
        elif isinstance(module, nn.BatchNorm1d):
            layers.append(("bn", name, module))
    linears = [i for i, (kind, _, _) in enumerate(layers) if kind == "linear"]
    if len(linears) < 2:
        raise ValueError("model: Early-Bird unit masks need at least one hidden Linear layer")
    units = []
    for a, b in itertools.pairwise(linears):
        norm = next((layers[i][1] for i in range(a + 1, b) if layers[i][0] == "bn"), None)
        units.append((layers[a][1], norm, layers[b][1]))
    return units


def _has_batchnorm(model: nn.Module) -> bool:
    return any(isinstance(m, nn.BatchNorm1d) for m in model.modules())


def unit_scores(model: nn.Module, *, source: str = "auto") -> dict[str, torch.Tensor]:
    """One non-negative score per hidden unit, keyed by the unit's incoming weight name.

    Parameters
    ----------
    model : torch.nn.Module
        A stack of ``Linear`` layers (with optional ``BatchNorm1d`` after them) and activations.
    source : {"auto", "batchnorm", "weight_norm"}
        ``batchnorm``: |γ| of the ``BatchNorm1d`` following each hidden ``Linear`` (You et al. 2020);
        ``weight_norm``: the L2 norm of each hidden unit's incoming weights (row of the weight);
        ``auto``: ``batchnorm`` if the model has BatchNorm1d layers, else ``weight_norm``.

    Returns
    -------
    dict of str to torch.Tensor
        Incoming weight name -> float64 tensor of shape (n_units,).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    if source == "auto":
        source = "batchnorm" if _has_batchnorm(model) else "weight_norm"
    modules = dict(model.named_modules())
    parameters = dict(model.named_parameters())
    out = {}
    for incoming, norm, _ in _hidden_units(model):
        if source == "batchnorm":
            if norm is None or modules[norm].weight is None:
                raise ValueError(
                    f"source='batchnorm' but the hidden layer {incoming!r} has no affine BatchNorm1d after it"
                )
            out[incoming] = modules[norm].weight.detach().abs().to("cpu", torch.float64)
        else:
            out[incoming] = parameters[incoming].detach().to("cpu", torch.float64).norm(dim=1)
    return out


def unit_mask(
    model: nn.Module, *, sparsity: float, source: str = "auto", scope: str = "global", seed: int = 0
) -> Mask:
    """Keep the hidden units with the largest scores: a :class:`Mask` of 1-D bool tensors, one per layer.

    Parameters
    ----------
    model : torch.nn.Module
    sparsity : float
        Fraction of hidden units pruned, in [0, 1). At least one unit per layer is kept.
    source : {"auto", "batchnorm", "weight_norm"}
        See :func:`unit_scores`.
    scope : {"global", "layer"}
        One threshold over all hidden units (You et al. 2020) or the same fraction in every layer.
    seed : int
        Tie-breaks.

    Returns
    -------
    Mask
        Incoming weight name -> bool tensor (n_units,), ``True`` = unit kept.
    """
    sparsity = check_fraction(sparsity, "sparsity", open_high=True)
    scores = unit_scores(model, source=source)
    return mask_from_scores(scores, sparsity=sparsity, scope=scope, seed=check_seed(seed))


def weight_mask_from_units(model: nn.Module, units: Mask) -> Mask:
    """The weight mask that removes pruned units: their incoming row and their outgoing column.

    Parameters
    ----------
    model : torch.nn.Module
    units : Mask
        From :func:`unit_mask`.

    Returns
    -------
    Mask
        Over the prunable weights of ``model`` (``Mask.ones(model)`` names).
    """
    mask = {n: m.clone() for n, m in Mask.ones(model).items()}
    for incoming, _, outgoing in _hidden_units(model):
        if incoming not in units:
            raise ValueError(f"units has no entry for the hidden layer {incoming!r}")
        keep = units[incoming]
        if keep.shape != (mask[incoming].shape[0],):
            expected = (mask[incoming].shape[0],)
            raise ValueError(f"units[{incoming!r}] has shape {tuple(keep.shape)}, expected {expected}")
        mask[incoming] &= keep[:, None]
        mask[outgoing] &= keep[None, :]
    return Mask(mask)


def mask_distance(a: Mask, b: Mask) -> float:
    """Normalised Hamming distance: the fraction of entries where ``a`` and ``b`` differ (You et al. 2020)."""
    if not isinstance(a, Mask) or not isinstance(b, Mask):
        raise TypeError("a and b must be lottery.Mask objects")
    return a.hamming_fraction(b)


def distance_matrix(masks: Sequence[Mask]) -> np.ndarray:
    """Pairwise normalised Hamming distances of a sequence of masks (the paper's Fig. 2), shape (E, E)."""
    masks = list(masks)
    out = np.zeros((len(masks), len(masks)))
    for i in range(len(masks)):
        for j in range(i + 1, len(masks)):
            out[i, j] = out[j, i] = mask_distance(masks[i], masks[j])
    return out


class EarlyBirdStopper:
    """The stopping rule: a FIFO of the last ``window`` masks; stop once the newest is within ``epsilon``
    (normalised Hamming distance, strictly less) of every older mask in a full FIFO.

    Parameters
    ----------
    epsilon : float
        0.1 in the paper.
    window : int
        5 in the paper.
    """

    def __init__(self, *, epsilon: float = 0.1, window: int = 5) -> None:
        self.epsilon = check_fraction(epsilon, "epsilon")
        self.window = check_positive_int(window, "window")
        if self.window < 2:
            raise ValueError(f"window must be an int >= 2, got {window!r}")
        self.queue: list[Mask] = []

    def update(self, mask: Mask) -> bool:
        """Add the newest mask; ``True`` when the Early-Bird ticket has emerged."""
        if not isinstance(mask, Mask):
            raise TypeError(f"mask must be a lottery.Mask, got {type(mask).__name__}")
        self.queue.append(mask)
        if len(self.queue) > self.window:
            self.queue.pop(0)
        if len(self.queue) < self.window:
            return False
        return all(mask_distance(mask, older) < self.epsilon for older in self.queue[:-1])


def early_bird_index(masks: Sequence[Mask], *, epsilon: float = 0.1, window: int = 5) -> int | None:
    """Index of the first mask at which :class:`EarlyBirdStopper` fires, or ``None``."""
    stopper = EarlyBirdStopper(epsilon=epsilon, window=window)
    for i, mask in enumerate(masks):
        if stopper.update(mask):
            return i
    return None


@dataclass
class EarlyBirdResult:
    """What :func:`early_bird_search` finds.

    Attributes
    ----------
    masks : list of Mask
        The mask drawn after each epoch (unit masks or weight masks, per ``structure``).
    distances : ndarray, shape (E, E)
        :func:`distance_matrix` of ``masks``.
    epoch : int or None
        1-based epoch at which the ticket emerged (``None``: it did not within the search).
    weight_mask : Mask
        The weight mask of the Early-Bird (or, if none emerged, the last) epoch.
    state : dict
        Weights at that epoch.
    init_state : dict
        θ0.
    history : History
        Of the dense search run.
    """

    masks: list
    distances: np.ndarray
    epoch: int | None
    weight_mask: Mask
    state: dict
    init_state: dict
    history: object


def _draw(model, structure, sparsity, source, scope, seed) -> tuple[Mask, Mask]:
    if structure == "unit":
        units = unit_mask(model, sparsity=sparsity, source=source, scope=scope, seed=seed)
        return units, weight_mask_from_units(model, units)
    weights = {n: p.detach().abs().to("cpu", torch.float64) for n, p in model.named_parameters()}
    names = list(Mask.ones(model))
    mask = mask_from_scores({n: weights[n] for n in names}, sparsity=sparsity, scope=scope, seed=seed)
    return mask, mask


def early_bird_search(
    model_fn: Callable[..., nn.Module],
    data,
    *,
    sparsity: float = 0.5,
    structure: str = "unit",
    source: str = "auto",
    scope: str = "global",
    epsilon: float = 0.1,
    window: int = 5,
    train=None,
    seed: int = 0,
    progress: bool | None = None,
) -> EarlyBirdResult:
    """Train the dense network, draw a mask after every epoch, stop when the Early-Bird ticket emerges.

    Parameters
    ----------
    model_fn : callable
    data : lottery.data.Dataset
    sparsity : float
        Fraction of hidden units (``structure="unit"``) or of weights (``"unstructured"``) pruned.
    structure : {"unit", "unstructured"}
    source : {"auto", "batchnorm", "weight_norm"}
        Unit scores, see :func:`unit_scores`.
    scope : {"global", "layer"}
    epsilon, window : float, int
        The stopping rule (:class:`EarlyBirdStopper`).
    train : TrainConfig or dict, optional
        The search runs at most ``epochs`` epochs of this configuration.
    seed : int
    progress : bool, optional

    Returns
    -------
    EarlyBirdResult
    """
    check_data(data)
    seed = check_seed(seed)
    if structure not in ("unit", "unstructured"):
        raise ValueError(f"structure must be 'unit' or 'unstructured', got {structure!r}")
    sparsity = check_fraction(sparsity, "sparsity", open_high=True)
    stopper = EarlyBirdStopper(epsilon=epsilon, window=window)
    config = resolve_config(train, seed)
    search = replace(config, restore_best=False, patience=None)
    model = new_model(model_fn, seed)
    init_state = snapshot(model)
    masks, found, last = [], [None], [None, None]

    def draw(net: nn.Module, epoch: int) -> bool:
        drawn, weight_mask = _draw(net, structure, sparsity, source, scope, seed)
        masks.append(drawn)
        last[0], last[1] = weight_mask, snapshot(net)
        if stopper.update(drawn):
            found[0] = epoch
            return True
        return False

    def on_epoch(loop: Loop) -> None:
        loop.stop = draw(loop.model, loop.epoch)

    history = train_model(
        model, data, train=search, on_epoch=on_epoch, progress=progress, desc="early-bird"
    ).history
    if last[0] is None:  # fewer steps than one epoch
        draw(model, 1)
    return EarlyBirdResult(masks, distance_matrix(masks), found[0], last[0], last[1], init_state, history)


def early_bird(
    model_fn: Callable[..., nn.Module],
    data,
    *,
    sparsity: float = 0.5,
    structure: str = "unit",
    source: str = "auto",
    scope: str = "global",
    epsilon: float = 0.1,
    window: int = 5,
    retrain_epochs: int | None = None,
    train=None,
    seed: int = 0,
    progress: bool | None = None,
) -> Ticket:
    """Find the Early-Bird ticket (:func:`early_bird_search`), prune, and train it (You et al. 2020).

    Parameters
    ----------
    model_fn, data, sparsity, structure, source, scope, epsilon, window, train, seed, progress
        See :func:`early_bird_search`.
    retrain_epochs : int, optional
        Epochs of training of the pruned ticket; default the configured number of epochs.

    Returns
    -------
    Ticket
        ``start_state``: the weights at the Early-Bird epoch with the mask applied; ``rewind_state``: the
        dense weights at that epoch, ``rewind_step`` its step; ``trained_state``: after retraining.
        Provenance: ``eb_epoch`` (``None`` if no ticket emerged: the last searched epoch is used),
        ``distance_matrix`` (list of lists), unit sparsity and the weight sparsity.
    """
    result = early_bird_search(
        model_fn, data, sparsity=sparsity, structure=structure, source=source, scope=scope, epsilon=epsilon,
        window=window, train=train, seed=seed, progress=progress,
    )  # fmt: skip
    config = resolve_config(train, seed)
    if retrain_epochs is not None:
        config = replace(config, epochs=check_positive_int(retrain_epochs, "retrain_epochs"), iterations=None)
    mask = result.weight_mask
    net = new_model(model_fn, seed)
    net.load_state_dict(result.state)
    mask.apply(net)
    start = snapshot(net)
    trained = train_model(net, data, mask=mask, train=config, progress=progress)
    per_epoch = config.steps_per_epoch(len(data.y_train))
    epoch = result.epoch if result.epoch is not None else len(result.masks)
    return Ticket(
        mask=mask, init_state=result.init_state, start_state=start, rewind_state=result.state,
        rewind_step=epoch * per_epoch, trained_state=trained.trained_state, history=trained.history,
        provenance=provenance(
            "early_bird", paper=PAPER, mask=mask, data=data, seed=seed, train=config, structure=structure,
            source=source, scope=scope, epsilon=epsilon, window=window, eb_epoch=result.epoch,
            searched_epochs=len(result.masks), unit_sparsity=sparsity if structure == "unit" else None,
            distance_matrix=result.distances.tolist(), test_accuracy=trained.history.test_accuracy,
        ),
    )  # fmt: skip
