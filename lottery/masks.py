"""Pruning masks: parameter name -> boolean tensor, stored explicitly and never inferred from zeros.

A :class:`Mask` says which entries of which parameters are kept (``True``) and which are pruned
(``False``). Parameters without an entry are not prunable (by default: every bias, every parameter that is
not the weight of a ``Linear`` or ``Conv`` layer). The mask never touches a model unless asked to with
:meth:`Mask.apply`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

import torch
from torch import nn

__all__ = ["Mask", "hamming_distance", "prunable_names"]

PRUNABLE_MODULES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def prunable_names(model: nn.Module, *, include_bias: bool = False) -> list[str]:
    """Names of the prunable parameters of ``model``, in ``model.named_parameters()`` order.

    Parameters
    ----------
    model : torch.nn.Module
        Any module; only ``Linear`` and ``Conv1d/2d/3d`` submodules contribute.
    include_bias : bool
        Also list the biases of those layers (Frankle & Carbin 2019 prune weights only).

    Returns
    -------
    list of str
        Parameter names as they appear in ``model.state_dict()``, e.g. ``["0.weight", "2.weight"]``.

    Raises
    ------
    ValueError
        When a layer's weight is computed from other parameters (``torch.nn.utils.prune``, a
        parametrization such as ``weight_norm``/``spectral_norm``, the old ``weight_norm`` hook): such a
        layer used to be left out of the mask silently, so "50% pruned" pruned the other layers only.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    names, derived = [], []
    for module_name, module in model.named_modules():
        if isinstance(module, PRUNABLE_MODULES):
            prefix = f"{module_name}." if module_name else ""
            names.append(prefix + "weight")
            if include_bias and module.bias is not None:
                names.append(prefix + "bias")
            how = _derived_weight(module)
            if how:
                derived.append(f"layer '{module_name}' ({how})" if module_name else f"the model ({how})")
    if derived:
        raise ValueError(
            f"the weights of {', '.join(derived)} are computed from other parameters, so a mask of 'weight' "
            "cannot be applied or trained; lottery masks plain weights. Make them plain first: "
            "torch.nn.utils.prune.remove(module, 'weight'), "
            "torch.nn.utils.parametrize.remove_parametrizations(module, 'weight'), "
            "torch.nn.utils.remove_weight_norm(module)"
        )
    order = {name: i for i, (name, _) in enumerate(model.named_parameters())}
    return sorted((n for n in names if n in order), key=order.__getitem__)


def _derived_weight(module: nn.Module) -> str | None:
    """How ``module.weight`` is computed when it is not a plain parameter: a ``torch.nn.utils.prune`` mask,
    a parametrization (the new ``weight_norm``, ``spectral_norm``) or the old ``weight_norm`` hook."""
    from torch.nn.utils import parametrize

    if hasattr(module, "weight_orig") and hasattr(module, "weight_mask"):
        return "torch.nn.utils.prune"
    if parametrize.is_parametrized(module, "weight") and not all(
        getattr(p, "lottery_mask", False) for p in module.parametrizations["weight"]
    ):
        return "a parametrization: " + ", ".join(type(p).__name__ for p in module.parametrizations["weight"])
    if hasattr(module, "weight_g") and hasattr(module, "weight_v"):
        return "weight_norm"
    return None


class Mask(Mapping[str, torch.Tensor]):
    """Boolean masks for the prunable parameters of a model; ``True`` means kept.

    Parameters
    ----------
    masks : mapping of str to torch.Tensor
        Parameter name -> tensor of dtype ``torch.bool`` with the parameter's shape. The tensors are copied
        to the CPU.

    Notes
    -----
    Masks are the record of what was pruned. They are never recomputed from zero weights, because a kept
    weight can be exactly zero and a pruned weight can be frozen at a non-zero value (Zhou et al. 2019).

    Examples
    --------
    >>> import torch
    >>> m = Mask({"0.weight": torch.tensor([[True, False], [True, True]])})
    >>> m.sparsity, m.density, m.n_kept, m.n_total
    (0.25, 0.75, 3, 4)
    """

    def __init__(self, masks: Mapping[str, torch.Tensor]) -> None:
        if not isinstance(masks, Mapping):
            raise TypeError(f"masks must be a mapping of name -> bool tensor, got {type(masks).__name__}")
        tensors: dict[str, torch.Tensor] = {}
        for name, tensor in masks.items():
            if not isinstance(name, str):
                raise TypeError(f"masks: keys must be parameter names (str), got {name!r}")
            if not isinstance(tensor, torch.Tensor):
                raise TypeError(f"masks[{name!r}] must be a torch.Tensor, got {type(tensor).__name__}")
            if tensor.dtype != torch.bool:
                raise TypeError(
                    f"masks[{name!r}] has dtype {tensor.dtype}; masks are torch.bool "
                    "(convert explicitly, e.g. tensor != 0, if that is what you mean)"
                )
            tensors[name] = tensor.detach().to("cpu", copy=True)
        self._masks = tensors

    # -- construction -------------------------------------------------------------------------------
    @classmethod
    def ones(cls, model: nn.Module, *, include_bias: bool = False, names=None) -> Mask:
        """A mask keeping everything, for the prunable parameters of ``model``.

        Parameters
        ----------
        model : torch.nn.Module
        include_bias : bool
            Make the biases of Linear/Conv layers prunable too.
        names : iterable of str, optional
            Exactly these parameters are prunable (overrides the default choice).
        """
        parameters = dict(model.named_parameters())
        if names is None:
            names = prunable_names(model, include_bias=include_bias)
        else:
            names = list(names)
            unknown = [n for n in names if n not in parameters]
            if unknown:
                raise ValueError(
                    f"names: {unknown} are not parameters of the model; it has {list(parameters)}"
                )
        return cls({n: torch.ones_like(parameters[n], dtype=torch.bool, device="cpu") for n in names})

    @classmethod
    def from_state_dict(cls, state: Mapping[str, torch.Tensor]) -> Mask:
        """The inverse of :meth:`state_dict`."""
        return cls(state)

    # -- mapping protocol ---------------------------------------------------------------------------
    def __getitem__(self, name: str) -> torch.Tensor:
        return self._masks[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._masks)

    def __len__(self) -> int:
        return len(self._masks)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mask):
            return NotImplemented
        return list(self) == list(other) and all(torch.equal(self[n], other[n]) for n in self)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        layers = ", ".join(f"{n}: {100 * d:.1f}%" for n, d in self.layer_density().items())
        return f"Mask(density={100 * self.density:.2f}%; {layers})"

    # -- statistics ---------------------------------------------------------------------------------
    @property
    def n_total(self) -> int:
        """Number of prunable entries."""
        return int(sum(m.numel() for m in self._masks.values()))

    @property
    def n_kept(self) -> int:
        """Number of kept (``True``) entries."""
        return int(sum(int(m.sum()) for m in self._masks.values()))

    @property
    def density(self) -> float:
        """Fraction of prunable entries kept, in [0, 1] (1.0 for an empty mask)."""
        total = self.n_total
        return self.n_kept / total if total else 1.0

    @property
    def sparsity(self) -> float:
        """Fraction of prunable entries pruned, ``1 - density``."""
        return 1.0 - self.density

    def layer_density(self) -> dict[str, float]:
        """Parameter name -> fraction kept."""
        return {n: float(m.sum()) / m.numel() if m.numel() else 1.0 for n, m in self._masks.items()}

    def layer_sparsity(self) -> dict[str, float]:
        """Parameter name -> fraction pruned."""
        return {n: 1.0 - d for n, d in self.layer_density().items()}

    # -- set operations -----------------------------------------------------------------------------
    def _check_compatible(self, other: Mask, what: str) -> None:
        if not isinstance(other, Mask):
            raise TypeError(f"{what}: other must be a Mask, got {type(other).__name__}")
        if set(self) != set(other):
            raise ValueError(
                f"{what}: the masks cover different parameters: only in self "
                f"{sorted(set(self) - set(other))}, only in other {sorted(set(other) - set(self))}"
            )
        for n in self:
            if self[n].shape != other[n].shape:
                raise ValueError(f"{what}: {n!r} has shape {tuple(self[n].shape)} vs {tuple(other[n].shape)}")

    def hamming(self, other: Mask, *, normalized: bool | None = None) -> int:
        """Number of entries where the masks differ (an int; :meth:`hamming_fraction` for the fraction).

        ``normalized=True`` is deprecated (it returned the fraction, a float, from the same method).
        """
        if normalized is not None:
            _warn_normalized("Mask.hamming")
            if normalized:
                return self.hamming_fraction(other)
        self._check_compatible(other, "hamming")
        return int(sum(int((self[n] ^ other[n]).sum()) for n in self))

    def hamming_fraction(self, other: Mask) -> float:
        """Fraction of the ``n_total`` entries where the masks differ (0.0 for empty masks).

        The normalised Hamming distance is the mask distance of Early-Bird tickets (You et al. 2020).
        """
        count = self.hamming(other)
        return count / self.n_total if self.n_total else 0.0

    def union(self, other: Mask) -> Mask:
        """Kept where either mask keeps."""
        self._check_compatible(other, "union")
        return Mask({n: self[n] | other[n] for n in self})

    def intersection(self, other: Mask) -> Mask:
        """Kept where both masks keep."""
        self._check_compatible(other, "intersection")
        return Mask({n: self[n] & other[n] for n in self})

    __or__ = union
    __and__ = intersection

    # -- models -------------------------------------------------------------------------------------
    def check(self, model_or_state) -> None:
        """Raise ``ValueError`` unless every masked name exists in ``model_or_state`` with the same shape."""
        if isinstance(model_or_state, nn.Module):
            state = dict(model_or_state.named_parameters())
        elif isinstance(model_or_state, Mapping):
            state = model_or_state
        else:
            raise TypeError(
                f"expected a torch.nn.Module or a state dict, got {type(model_or_state).__name__}"
            )
        missing = [n for n in self if n not in state]
        if missing:
            raise ValueError(f"mask entries {missing} are not parameters of the model; it has {list(state)}")
        for n in self:
            if tuple(state[n].shape) != tuple(self[n].shape):
                raise ValueError(
                    f"mask entry {n!r} has shape {tuple(self[n].shape)} but the parameter has "
                    f"{tuple(state[n].shape)}"
                )

    def apply(self, model: nn.Module, *, values: Mapping[str, torch.Tensor] | None = None) -> nn.Module:
        """Set the pruned entries of ``model``'s parameters, in place, and return ``model``.

        Parameters
        ----------
        model : torch.nn.Module
        values : mapping of str to torch.Tensor, optional
            Values for the pruned entries (full-shape tensors; only their pruned entries are read).
            Default: zero.
        """
        self.check(model)
        parameters = dict(model.named_parameters())
        with torch.no_grad():
            for n, m in self.items():
                p = parameters[n]
                keep = m.to(p.device)
                if values is None:
                    p.masked_fill_(~keep, 0.0)
                else:
                    p.copy_(torch.where(keep, p, values[n].to(device=p.device, dtype=p.dtype)))
        return model

    # -- persistence --------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, torch.Tensor]:
        """Plain ``{name: bool tensor}`` dictionary (copies)."""
        return {n: m.clone() for n, m in self._masks.items()}

    def save(self, path: str | os.PathLike) -> None:
        """Save as a plain dictionary of bool tensors with ``torch.save``."""
        torch.save(self.state_dict(), path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Mask:
        """Load a mask saved by :meth:`save` (``torch.load(..., weights_only=True)``)."""
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise
        except Exception as error:  # corrupted or not a torch file
            raise ValueError(f"{os.fspath(path)!r} is not a readable mask file: {error}") from error
        if not isinstance(state, Mapping):
            raise ValueError(f"{os.fspath(path)!r} does not contain a name -> bool tensor dictionary")
        return cls(state)


def hamming_distance(a: Mask, b: Mask, *, normalized: bool | None = None) -> int:
    """Number of entries where masks ``a`` and ``b`` differ (:meth:`Mask.hamming_fraction` for the fraction).

    ``normalized=True`` is deprecated (it returned the fraction, a float).
    """
    if not isinstance(a, Mask):
        raise TypeError(f"a must be a Mask, got {type(a).__name__}")
    if normalized is not None:
        _warn_normalized("hamming_distance")
        if normalized:
            return a.hamming_fraction(b)
    return a.hamming(b)


def _warn_normalized(name: str) -> None:
    import warnings

    warnings.warn(
        f"{name}(normalized=...) is deprecated: it changed the return type; use Mask.hamming (an int count) "
        "or Mask.hamming_fraction (a float)",
        DeprecationWarning,
        stacklevel=3,
    )
