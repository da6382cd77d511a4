"""The figure gallery behind ``make figures`` / ``tropical-lottery figures``.

Each module of this package defines ``FIGURES``: a mapping from a figure name to a function
``make(out_dir: Path, *, quick: bool) -> list[Path]`` that writes the figure (PNG and SVG) and returns the
paths. ``figures/README.md`` holds one caption per figure.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

__all__ = ["GALLERY_MODULES", "figure_makers", "save"]

#: Modules contributing figures, in gallery order.
GALLERY_MODULES = [
    "lottery.gallery.tropical_core",
    "lottery.gallery.polytopes",
    "lottery.gallery.regions",
    "lottery.gallery.initializations",
]


def figure_makers() -> dict[str, Callable[..., list[Path]]]:
    """All registered figure makers by name, in gallery order."""
    makers: dict[str, Callable[..., list[Path]]] = {}
    for name in GALLERY_MODULES:
        makers.update(importlib.import_module(name).FIGURES)
    return makers


def save(figure, out_dir: Path, name: str) -> list[Path]:
    """Write ``name.png`` (150 dpi) and ``name.svg`` into ``out_dir`` and close the figure."""
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}.png", out_dir / f"{name}.svg"]
    figure.savefig(paths[0], dpi=150, bbox_inches="tight", metadata={"Software": None})
    with plt.rc_context({"svg.hashsalt": name}):  # stable ids and no date: re-running changes no byte
        figure.savefig(paths[1], bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return paths
