"""The exceptions :mod:`lottery` raises for its own failures (bad arguments stay ``TypeError`` and
``ValueError``).

Every class derives from :class:`LotteryError`, so ``except lottery.errors.LotteryError`` catches them all;
the file errors are also ``ValueError`` (what :meth:`lottery.Ticket.load` raised before they existed).
"""

from __future__ import annotations

__all__ = ["LotteryError", "ModelFileError", "TicketChecksumError", "TicketFileError", "geometry_errors"]


class LotteryError(Exception):
    """Base class of the errors specific to :mod:`lottery`."""


class TicketFileError(LotteryError, ValueError):
    """A ticket file cannot be read: corrupted, truncated, another format, or inconsistent parts."""


class TicketChecksumError(TicketFileError):
    """The tensors of a ticket file differ from the checksums written with them (the file was altered).

    Attributes
    ----------
    names : list of str
        The entries whose content changed, e.g. ``["trained_state/0.weight"]``.
    """

    def __init__(self, message: str, names: list[str]) -> None:
        super().__init__(message)
        self.names = names


class ModelFileError(LotteryError, ValueError):
    """A saved network cannot be loaded: unreadable, pickled code, or weights that do not fit the model."""


def geometry_errors() -> tuple[type[Exception], ...]:
    """The :mod:`tropical` exceptions meaning "this geometry cannot be read or computed" (not a bug).

    Its base ``TropicalError`` when tropical defines one, and ``ComputationTooLargeError``,
    ``UnsupportedLayerError`` and ``DegenerateGeometryError``.
    """
    import tropical.errors as errors

    names = ("TropicalError", "ComputationTooLargeError", "UnsupportedLayerError", "DegenerateGeometryError")
    return tuple(getattr(errors, name) for name in names if hasattr(errors, name))
