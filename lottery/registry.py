"""A small name -> function registry used by criteria, re-initialisations and datasets."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

from lottery._compat import renamed_keywords

__all__ = ["Registry"]

T = TypeVar("T", bound=Callable)


class Registry(Mapping[str, T], Generic[T]):
    """Read-only mapping from a name to a function, with a clear error for unknown names.

    Parameters
    ----------
    kind : str
        What the entries are (``"pruning criterion"``), used in messages.
    argument : str
        Name of the argument users pass the name through (``"criterion"``), used in messages.
    renamed : mapping of str to str, optional
        Keywords of the entries' calling protocol that were renamed, old -> new. An entry registered
        with an old name in its signature (and none of the new ones) is stored wrapped so that it keeps
        receiving the old names, with a ``DeprecationWarning`` at registration (see
        :func:`lottery._compat.renamed_keywords` for the rule).

    Examples
    --------
    >>> colours = Registry("colour", "colour")
    >>> @colours.register("red")
    ... def red():
    ...     return (1, 0, 0)
    >>> colours["red"]()
    (1, 0, 0)
    >>> colours["blue"]
    Traceback (most recent call last):
    ...
    ValueError: unknown colour 'blue' for colour=; known: red
    """

    def __init__(self, kind: str, argument: str, *, renamed: Mapping[str, str] | None = None) -> None:
        self.kind = kind
        self.argument = argument
        self._renamed = dict(renamed or {})
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator adding ``function`` under ``name``; a name can be registered only once.

        The decorator returns ``function`` unchanged (an old-style entry is stored wrapped, see
        ``renamed``).
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string, got {name!r}")

        def decorate(function: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._entries[name] = renamed_keywords(function, self._renamed, f"{self.kind} {name!r}")
            return function

        return decorate

    def __getitem__(self, name: str) -> T:
        if not isinstance(name, str):
            raise TypeError(
                f"{self.argument} must be a string naming a {self.kind}, got {type(name).__name__}"
            )
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(sorted(self._entries))
            raise ValueError(f"unknown {self.kind} {name!r} for {self.argument}=; known: {known}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self)})"
