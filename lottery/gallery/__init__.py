"""The figure gallery behind ``make figures`` / ``tropical-lottery figures``.

Each module of this package defines ``FIGURES``: a mapping from a figure name to a function
``make(out_dir: Path, *, quick: bool) -> list[Path]`` that writes the figure (PNG and SVG) and returns the
paths. ``figures/README.md`` holds one caption per figure.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

__all__ = ["GALLERY_MODULES", "figure_makers", "held_out_accuracy", "moons_net", "save"]

#: Modules contributing figures, in gallery order.
GALLERY_MODULES = [
    "lottery.gallery.tropical_core",
    "lottery.gallery.polytopes",
    "lottery.gallery.regions",
    "lottery.gallery.initializations",
    "lottery.gallery.digits",
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


def moons_net(widths, *, epochs: int, seed: int = 0, lr: float = 0.01, n_samples: int | None = None):
    """An MLP of ``widths`` on two moons, at initialisation and trained (Adam, batch 64).

    Returns
    -------
    (torch.nn.Sequential, torch.nn.Sequential, lottery.data.Dataset)
        The net at initialisation, the same init trained for ``epochs`` and the data (nets in eval mode).
    """
    from lottery.data import load_dataset
    from lottery.models import mlp
    from lottery.training import train

    data = load_dataset("moons", n_samples=n_samples, seed=seed)
    at_init, trained = mlp(widths, seed=seed), mlp(widths, seed=seed)
    train(trained, data, optimizer="adam", lr=lr, epochs=epochs, batch_size=64, seed=seed, progress=None)
    return at_init.eval(), trained.eval(), data


def held_out_accuracy(model, data) -> float:
    """Fraction of the test split that ``model`` classifies correctly."""
    import torch

    with torch.no_grad():
        return float((model(data.x_test).argmax(dim=1) == data.y_test).double().mean())
