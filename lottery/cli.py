"""The ``tropical-lottery`` command line.

``tropical-lottery figures [--out DIR] [--quick]`` regenerates the README gallery.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main"]


class UserError(Exception):
    """A mistake in the arguments: reported in one line, without a traceback."""


def _figures(args) -> None:
    from lottery.gallery import figure_makers

    makers = figure_makers()
    selected = args.only or list(makers)
    unknown = sorted(set(selected) - set(makers))
    if unknown:
        raise UserError(f"unknown figure(s) {', '.join(unknown)}; known: {', '.join(makers)}")
    for name in selected:
        print(f"[figures] {name} ...", flush=True)
        for path in makers[name](Path(args.out), quick=args.quick):
            print(f"[figures]   wrote {path}", flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tropical-lottery",
        description="Tropical geometry of lottery-ticket networks: figures, comparisons, polytopes.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    figures = commands.add_parser("figures", help="regenerate every figure of the README gallery")
    figures.add_argument("--out", default="figures", help="output directory (default: figures/)")
    figures.add_argument("--quick", action="store_true", help="shorter training, for a fast check")
    figures.add_argument("--only", nargs="+", metavar="NAME", help="only these figures")
    figures.set_defaults(run=_figures)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except UserError as error:
        print(f"tropical-lottery: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
