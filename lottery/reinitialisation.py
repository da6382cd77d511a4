"""Re-initialisation strategies for the kept weights of a ticket, and values for the pruned ones.

Every strategy maps (mask, θ0, θk, θ_final) to the state dict a pruned network starts training from.

Strategies (``REINITS``)
------------------------
rewind
    θ0 at the kept positions (the lottery ticket, Frankle & Carbin 2019), or θk when a rewind state is given
    (rewinding, Frankle et al. 2020).
random_reinit
    A fresh draw from the model's initial distribution (``init_fn(seed)``, else a zero-mean normal with the
    layer's initial standard deviation).
reshuffle
    A random permutation of the kept initial values among the kept positions (Zhou et al. 2019).
permute_layer
    A random permutation of all the layer's initial values, read at the kept positions (Zhou et al. 2019
    call this "random reinit").
signed_reinit, signed_reshuffle
    ``permute_layer`` / ``reshuffle`` magnitudes with the sign of θ0 (Zhou et al. 2019).
signed_constant
    ``sign(θ0) · std(θ0 of the layer)`` with the population standard deviation (Zhou et al. 2019).
flip_sign
    ``-θ0`` (or ``-θk``): a control with every sign wrong.

Pruned values (``pruned=``)
---------------------------
zero (default), frozen (θ0, held during training), zero_where_shrunk (0 where |θ_final| < |θ0|, θ0
elsewhere; Zhou et al. 2019). Non-prunable parameters (biases) come from θk if given, else θ0, except for
``random_reinit`` with an ``init_fn``, which draws them fresh too.

Writing a strategy
------------------
A strategy is ``function(name, keep, *, init_state, rewind_state, fresh_state, generator)`` returning the
tensor of parameter ``name`` (its full shape; only the positions where the bool tensor ``keep`` is true
are used). ``init_state`` is θ0, ``rewind_state`` θk or ``None``, ``fresh_state`` the state dict of
``init_fn(seed)`` or ``None``, and ``generator`` a seeded ``torch.Generator``; take the rest as ``**_``::

    @REINITS.register("halved")
    def halved(name, keep, *, init_state, **_):
        return init_state[name] / 2

A strategy whose signature still names ``init``, ``rewind`` or ``fresh`` (the names before this protocol
took lottery's vocabulary) keeps receiving them, with a ``DeprecationWarning`` when it is registered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch

from lottery._compat import renamed
from lottery._validation import check_seed
from lottery.masks import Mask
from lottery.registry import Registry

__all__ = ["PRUNED_VALUES", "REINITS", "pruned_values", "reinit"]

State = dict[str, torch.Tensor]
#: Keywords a strategy function received before the one vocabulary of ``lottery`` (old -> new).
_OLD_KEYWORDS = {"init": "init_state", "rewind": "rewind_state", "fresh": "fresh_state"}
REINITS: Registry[Callable] = Registry("re-initialisation", "strategy", renamed=_OLD_KEYWORDS)
PRUNED_VALUES = ("zero", "frozen", "zero_where_shrunk")


def _float(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to("cpu").clone()


def _sign(t: torch.Tensor) -> torch.Tensor:
    """``sign`` with sign(0) = +1, so that every value keeps a well-defined sign."""
    return torch.where(t < 0, -1.0, 1.0).to(t.dtype)


def _kept_permuted(values: torch.Tensor, keep: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Permute ``values[keep]`` among the kept positions; the rest is left as is."""
    out = values.clone()
    kept = values[keep]
    out[keep] = kept[torch.randperm(kept.numel(), generator=generator)]
    return out


@REINITS.register("rewind")
def _rewind(name, keep, *, init_state, rewind_state, **_):
    return _float((rewind_state if rewind_state is not None else init_state)[name])


@REINITS.register("random_reinit")
def _random_reinit(name, keep, *, init_state, fresh_state, generator, **_):
    if fresh_state is not None:
        return _float(fresh_state[name]).to(init_state[name].dtype)
    w0 = init_state[name]
    std = float(w0.double().std(correction=0))
    return (torch.randn(w0.shape, generator=generator, dtype=torch.float64) * std).to(w0.dtype)


@REINITS.register("reshuffle")
def _reshuffle(name, keep, *, init_state, generator, **_):
    return _kept_permuted(_float(init_state[name]), keep, generator)


@REINITS.register("permute_layer")
def _permute_layer(name, keep, *, init_state, generator, **_):
    w0 = _float(init_state[name]).reshape(-1)
    return w0[torch.randperm(w0.numel(), generator=generator)].reshape(init_state[name].shape)


@REINITS.register("signed_reinit")
def _signed_reinit(name, keep, *, init_state, generator, **_):
    w0 = _float(init_state[name])
    return _permute_layer(name, keep, init_state=init_state, generator=generator).abs() * _sign(w0)


@REINITS.register("signed_reshuffle")
def _signed_reshuffle(name, keep, *, init_state, generator, **_):
    w0 = _float(init_state[name])
    return _kept_permuted(w0.abs(), keep, generator) * _sign(w0)


@REINITS.register("signed_constant")
def _signed_constant(name, keep, *, init_state, **_):
    w0 = _float(init_state[name])
    return _sign(w0) * float(w0.double().std(correction=0))


@REINITS.register("flip_sign")
def _flip_sign(name, keep, *, init_state, rewind_state, **_):
    return -_float((rewind_state if rewind_state is not None else init_state)[name])


def pruned_values(
    mask: Mask,
    init_state: Mapping[str, torch.Tensor],
    *,
    pruned: str = "zero",
    trained_state: Mapping[str, torch.Tensor] | None = None,
    final_state: Mapping[str, torch.Tensor] | None = None,
) -> State:
    """Values the pruned entries take (and keep during training), as full-shape tensors per masked name.

    Parameters
    ----------
    mask : Mask
    init_state : mapping
        θ0.
    pruned : {"zero", "frozen", "zero_where_shrunk"}
        Zhou et al. (2019): zero; frozen at θ0; zero where ``|θ_final| < |θ0|`` and θ0 elsewhere.
    trained_state : mapping, optional
        The trained weights, needed by ``zero_where_shrunk`` (``final_state=`` is its deprecated name).

    Returns
    -------
    dict of str to torch.Tensor
        Only the pruned positions are meaningful (kept positions hold zeros).
    """
    trained_state = renamed("pruned_values", "final_state", final_state, "trained_state", trained_state)
    if pruned not in PRUNED_VALUES:
        raise ValueError(f"pruned={pruned!r} is not one of {', '.join(PRUNED_VALUES)}")
    if pruned == "zero_where_shrunk" and trained_state is None:
        raise ValueError("pruned='zero_where_shrunk' needs trained_state=")
    out = {}
    for n, keep in mask.items():
        w0 = _float(init_state[n])
        if pruned == "zero":
            values = torch.zeros_like(w0)
        elif pruned == "frozen":
            values = w0
        else:
            wf = _float(trained_state[n])
            values = torch.where(wf.abs() < w0.abs(), torch.zeros_like(w0), w0)
        out[n] = torch.where(keep, torch.zeros_like(values), values)
    return out


def reinit(
    strategy: str,
    mask: Mask,
    init_state: Mapping[str, torch.Tensor],
    *,
    rewind_state: Mapping[str, torch.Tensor] | None = None,
    trained_state: Mapping[str, torch.Tensor] | None = None,
    pruned: str = "zero",
    seed: int = 0,
    init_fn: Callable[[int], Mapping[str, torch.Tensor]] | None = None,
    final_state: Mapping[str, torch.Tensor] | None = None,
) -> State:
    """The state dict a pruned network starts training from.

    Parameters
    ----------
    strategy : str
        A name in ``REINITS`` (see the module docstring for the papers behind each).
    mask : Mask
    init_state : mapping of str to torch.Tensor
        θ0, the full state dict at initialisation.
    rewind_state : mapping, optional
        θk, the state after k training steps (Frankle et al. 2020); used by ``rewind`` and ``flip_sign``
        and for the non-prunable parameters.
    trained_state : mapping, optional
        Trained weights, needed by ``pruned="zero_where_shrunk"`` (``final_state=`` is its deprecated name).
    pruned : {"zero", "frozen", "zero_where_shrunk"}
        Values of the pruned entries, see :func:`pruned_values`.
    seed : int
        Seeds a private ``torch.Generator`` (permutations, normal draws) and ``init_fn``.
    init_fn : callable, optional
        ``init_fn(seed) -> state dict`` giving a fresh initialisation of the same architecture, used by
        ``random_reinit``.

    Returns
    -------
    dict of str to torch.Tensor
        A plain state dict with the keys of ``init_state`` (CPU tensors).

    Examples
    --------
    >>> import torch
    >>> w0 = {"w": torch.tensor([[0.5, -2.0], [1.0, -0.1]])}
    >>> m = Mask({"w": torch.tensor([[True, True], [False, True]])})
    >>> reinit("signed_constant", m, w0)["w"].abs().unique().numel()  # one magnitude and the pruned zero
    2
    """
    trained_state = renamed("reinit", "final_state", final_state, "trained_state", trained_state)
    function = REINITS[strategy]
    if not isinstance(mask, Mask):
        raise TypeError(f"mask must be a lottery.Mask, got {type(mask).__name__}")
    if not isinstance(init_state, Mapping):
        raise TypeError(f"init_state must be a state dict, got {type(init_state).__name__}")
    seed = check_seed(seed)
    mask.check(init_state)
    for argument, state in (("rewind_state", rewind_state), ("trained_state", trained_state)):
        if state is not None:
            if set(state) != set(init_state):
                raise ValueError(f"{argument} has keys {sorted(state)}, init_state {sorted(init_state)}")
            mask.check(state)
    generator = torch.Generator().manual_seed(int(seed))
    fresh_state = None
    if strategy == "random_reinit" and init_fn is not None:
        fresh_state = dict(init_fn(int(seed)))
        if set(fresh_state) != set(init_state):
            raise ValueError(f"init_fn returned keys {sorted(fresh_state)}, expected {sorted(init_state)}")
    base = (
        fresh_state if fresh_state is not None else (rewind_state if rewind_state is not None else init_state)
    )
    out = {n: _float(t) for n, t in base.items()}
    values = pruned_values(mask, init_state, pruned=pruned, trained_state=trained_state)
    for n, keep in mask.items():
        kept = function(
            n,
            keep,
            init_state=init_state,
            rewind_state=rewind_state,
            fresh_state=fresh_state,
            generator=generator,
        )
        out[n] = torch.where(keep, kept.to(init_state[n].dtype), values[n])
    return out
