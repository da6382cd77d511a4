"""Exact linear regions on [-10, 10]^2: tropical.linear_regions against regioncam, side by side.

Every (network, tool) measurement runs in a fresh subprocess, so that peak memory (ru_maxrss above the
resident size after imports and model construction) belongs to that computation alone. Networks use the
PyTorch default initialisation with fixed seeds. Usage::

    .venv/bin/python benchmarks/bench_regions.py              # the whole suite (2-1000-2 takes minutes)
    .venv/bin/python benchmarks/bench_regions.py --nets 2-64-64-2 2-256-256-2 --repeat 3
    .venv/bin/python benchmarks/bench_regions.py --write      # also replace the section in RESULTS.md

The time ratio is regioncam's time divided by ours, measured in the same run (other processes on the
machine slow both alike): the median of all runs of a tool (the typical warm call), and the best run beside
it. ``--no-peer NET ...`` skips regioncam on those nets (2-1000-2 needs ~15 GB and minutes with it).
"""

from __future__ import annotations

import argparse
import itertools
import json
import pathlib
import statistics
import subprocess
import sys
import time

SUITE = [
    "2-40-2", "2-24-24-2", "2-16-16-16-3", "2-100-2", "2-1000-2", "2-64-64-2", "2-128-128-2", "2-64-64-64-2",
    "2-256-256-2",
]  # fmt: skip
SEED = 0
SIZE = 10.0
SECTION = "## Linear regions vs regioncam (issue 4)"


def build(widths: list[int], seed: int):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    modules = []
    for n_in, n_out in itertools.pairwise(widths):
        modules += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*modules[:-1])


def child(net: str, tool: str, repeat: int) -> None:
    """Measure one tool on one network; print a JSON line."""
    import resource

    import numpy as np  # noqa: F401  (imported before the baseline)

    if tool == "ours":
        from tropical.regions import linear_regions

        def run(model):
            return len(linear_regions(model, bounds=(-SIZE, SIZE, -SIZE, SIZE)))
    else:
        import regioncam

        def run(model):
            camera = regioncam.Regioncam(size=SIZE)
            camera.add(model)
            return camera.num_faces

    model = build([int(w) for w in net.split("-")], SEED)
    run(build([2, 4, 2], 1))  # warm up imports and caches
    if tool == "ours":  # a warm session: every compiled kernel loaded (two hidden layers)
        linear_regions(build([2, 4, 4, 2], 1), bounds=(-SIZE, SIZE, -SIZE, SIZE), compiled=True)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        count = run(model)
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {"net": net, "tool": tool, "regions": count, "times": times, "peak_mb": (peak - baseline) / 1024}
        )
    )


def measure(net: str, tool: str, repeat: int) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", net, tool, str(repeat)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def table(rows: list[dict]) -> str:
    lines = [
        "| network | regions (ours) | regions (regioncam) | ours median (s) | regioncam median (s) "
        "| ratio regioncam / ours, median | ours best (s) | regioncam best (s) | ratio, best "
        "| ours peak MB | regioncam peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ours, peer = row["ours"], row.get("regioncam")
        mine = statistics.median(ours["times"]), min(ours["times"])
        if peer is None:
            lines.append(
                f"| {row['net']} | {ours['regions']:,} | not run | {mine[0]:.4f} | - | - | {mine[1]:.4f} | - "
                f"| - | {ours['peak_mb']:.0f} | - |"
            )
            continue
        theirs = statistics.median(peer["times"]), min(peer["times"])
        lines.append(
            f"| {row['net']} | {ours['regions']:,} | {peer['regions']:,} | {mine[0]:.4f} | {theirs[0]:.4f} | "
            f"{theirs[0] / mine[0]:.2f}x | {mine[1]:.4f} | {theirs[1]:.4f} | {theirs[1] / mine[1]:.2f}x | "
            f"{ours['peak_mb']:.0f} | {peer['peak_mb']:.0f} |"
        )
    return "\n".join(lines)


def write_section(text: str) -> None:
    path = pathlib.Path(__file__).with_name("RESULTS.md")
    content = path.read_text() if path.exists() else "# Benchmark results\n"
    if SECTION in content:
        head, rest = content.split(SECTION, 1)
        tail = rest.find("\n## ")
        content = head + text + ("" if tail < 0 else rest[tail:])
    else:
        content = content.rstrip("\n") + "\n\n" + text
    path.write_text(content.rstrip("\n") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nets", nargs="+", default=SUITE)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (1 for nets > 5 s)")
    parser.add_argument("--rounds", type=int, default=3, help="alternate the two tools this many times")
    parser.add_argument("--no-peer", nargs="*", default=[], help="nets on which regioncam is not run")
    parser.add_argument("--write", action="store_true", help="replace the section in benchmarks/RESULTS.md")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    rows = []
    for net in args.nets:
        row = {"net": net}
        big = net == "2-1000-2"
        tools = ("ours",) if net in args.no_peer else ("ours", "regioncam")
        for _ in range(1 if big else args.rounds):  # alternate: load from other jobs hits both alike
            for tool in tools:
                result = measure(net, tool, 1 if big else args.repeat)
                if tool in row:  # all runs of all rounds; the largest peak
                    result["times"] += row[tool]["times"]
                    result["peak_mb"] = max(result["peak_mb"], row[tool]["peak_mb"])
                row[tool] = result
                print(net, tool, result, flush=True)
        rows.append(row)
    text = table(rows)
    print(text)
    if args.write:
        import platform

        import numpy as np

        note = (
            f"{SECTION}\n\n"
            f"`benchmarks/bench_regions.py`, box [-10, 10]^2, PyTorch default init, seed {SEED}; both tools "
            f"in the same run, each in its own process, alternating, median and best of {args.rounds} rounds "
            f"x {args.repeat} runs (one run for 2-1000-2). "
            f"numpy {np.__version__}, Python {platform.python_version()}, {platform.machine()}; the machine "
            "was shared with other jobs, so absolute times vary; the ratio is the comparable number. "
            "Peak MB = peak resident memory above the process's size before the computation. Region counts "
            "differ from regioncam's only where its float32 arithmetic merges or splits near-degenerate "
            "regions (the tests compare them exactly on smaller nets).\n\n" + text + "\n"
        )
        write_section(note)


if __name__ == "__main__":
    main()
