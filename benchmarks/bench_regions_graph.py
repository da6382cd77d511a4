"""Linear regions of conv nets and residual MLPs on a plane through three images (issue 11).

Each (network, tool) measurement runs in a fresh subprocess, so that peak memory (ru_maxrss above the
resident size after imports, model construction and a warm-up on a tiny net) belongs to that computation.

- ``lenet``: a LeNet-5-style conv net on 1x28x28 inputs (Conv 6@5x5, ReLU, MaxPool 2, Conv 16@5x5, ReLU,
  MaxPool 2, Linear 256-120, ReLU, Linear 120-84, ReLU, Linear 84-10), PyTorch default init, seed 0; the
  graph sweep. ``lenet-mlp``: an MLP 784-3456-1024-120-84-10 with the same hidden ReLU units (4,684); the
  layer sweep. Domain: the triangle of the plane through three sklearn digits (8x8, bilinearly resized to
  28x28), shrunk about its centroid by each of ``--shrink`` (default 0.1, 0.3 and 1.0, the whole triangle:
  445,943 regions, minutes; the sweeps go depth-first by chunks of regions there, see
  ``docs/depth_first_regions.md``). Each LeNet run also reports ``md5``: of the sorted activation patterns
  (each region's row of packed signs and argmax bytes hashed, the digests sorted), computed after the
  peak is read, to compare runs and versions.
- ``resmlp``: a residual MLP 2 -> 32, three blocks ``h + relu(Linear 32-32 (h))``, -> 10 (ReLU after the
  first layer; 128 hidden units), on the box [-10, 10]^2, against regioncam (its ``nn.Residual``) in the
  same run; ``resmlp-mlp``: the MLP 2-32-32-32-32-10 with the same hidden units. For these the seconds are
  the first call in the process (after the imports and a warm-up on a tiny MLP) and ``warm`` the median of
  :data:`WARM_CALLS` more calls in the same process.

Usage::

    .venv/bin/python benchmarks/bench_regions_graph.py            # print the table
    .venv/bin/python benchmarks/bench_regions_graph.py --shrink 0.1 0.3 0.5
    .venv/bin/python benchmarks/bench_regions_graph.py --write    # also append/replace the RESULTS.md section
"""

from __future__ import annotations

import argparse
import itertools
import json
import pathlib
import subprocess
import sys
import time

SECTION = "## Linear regions of a LeNet-5 on digit planes at several scales (issue 11, speed)"
LENET_RUNS = [("lenet", "ours"), ("lenet-mlp", "ours")]
RESIDUAL_RUNS = [("resmlp", "ours"), ("resmlp", "regioncam"), ("resmlp-mlp", "ours")]
SIZE = 10.0
WARM_CALLS = 9  # the residual MLPs' warm median: this many calls after the first in the same process


def build(name: str):
    import torch
    from torch import nn

    torch.manual_seed(0)
    if name == "lenet":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
        ).eval()  # fmt: skip
    if name == "lenet-mlp":
        widths = [784, 3456, 1024, 120, 84, 10]
    elif name == "resmlp":
        return residual_mlp().eval()
    else:
        widths = [2, 32, 32, 32, 32, 10]
    layers = []
    for n_in, n_out in itertools.pairwise(widths):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1]).eval()


def residual_mlp():
    """The residual MLP (its class is defined here so that torch is imported in the child only)."""
    import torch
    from torch import nn

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = nn.Linear(2, 32)
            self.blocks = nn.ModuleList(nn.Linear(32, 32) for _ in range(3))
            self.out = nn.Linear(32, 10)

        def forward(self, x):
            h = torch.relu(self.inp(x))
            for block in self.blocks:
                h = h + torch.relu(block(h))
            return self.out(h)

        def regioncam_layers(self):
            import regioncam

            rn = regioncam.nn
            blocks = [rn.Residual(rn.convert(nn.Sequential(b, nn.ReLU()))) for b in self.blocks]
            return [rn.convert(self.inp), rn.ReLU(), *blocks, rn.convert(self.out)]

    return Residual()


def digit_plane():
    import numpy as np
    import torch
    from sklearn.datasets import load_digits

    images = torch.as_tensor(load_digits().images[:3, None] / 16.0)
    return torch.nn.functional.interpolate(images, size=(28, 28), mode="bilinear").numpy().astype(np.float64)


def child(name: str, tool: str, shrink: float) -> None:
    import resource

    import numpy as np
    import torch

    from tropical.regions import _plane_frame, linear_regions

    model = build(name)
    if name.startswith("lenet"):
        plane = digit_plane()
        if name == "lenet-mlp":
            plane = plane.reshape(3, -1)
        _, _, corners = _plane_frame(plane.reshape(3, -1), 784)
        polygon = corners.mean(axis=0) + shrink * (corners - corners.mean(axis=0))

        def run():
            run.regions = linear_regions(model, plane=plane, polygon=polygon)
            return len(run.regions)
    elif tool == "ours":

        def run():
            return len(linear_regions(model, bounds=(-SIZE, SIZE, -SIZE, SIZE)))
    else:
        import regioncam

        def run():
            camera = regioncam.Regioncam(size=SIZE)
            camera.add(model.regioncam_layers())
            return camera.num_faces

    with torch.no_grad():
        linear_regions(
            torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2)),
            bounds=(-1, 1, -1, 1),
        )
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    count = run()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    warm = None
    if not name.startswith("lenet"):  # the same call again in this process: the warm median
        times = []
        for _ in range(WARM_CALLS):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        warm = float(np.median(times))
    md5 = patterns_md5(run.regions) if name.startswith("lenet") else None
    hidden = {"lenet": 4684, "lenet-mlp": 4684, "resmlp": 128, "resmlp-mlp": 128}[name]
    peak_mb = (peak - baseline) / 1024
    print(json.dumps({"net": name, "tool": tool, "regions": count, "seconds": seconds, "warm": warm,
                      "hidden": hidden, "peak_mb": peak_mb, "numpy": np.__version__,
                      "md5": md5}))  # fmt: skip


def patterns_md5(regions) -> str:
    """md5 of the sorted activation patterns without the dense (R, n_hidden) array: each region's row of
    packed signs and argmax bytes (node by node) hashed, the digests sorted."""
    import hashlib

    import numpy as np

    digests = []
    for lo in range(0, len(regions), 20_000):
        index = np.arange(lo, min(len(regions), lo + 20_000))
        blocks = []
        for values, parent, n, kind in reversed(regions._patterns):
            block = values[index]
            if kind == "sign":
                bits = np.unpackbits(block, axis=1, count=n, bitorder="little")
                block = np.packbits(bits, axis=1, bitorder="little")
            elif kind == "argmax2":  # 2-bit window positions: hashed as bytes, as "argmax" patterns are
                from tropical._region_graph import unpacked_positions

                block = unpacked_positions(block, n)
            blocks.append(np.ascontiguousarray(block).view(np.uint8).reshape(len(index), -1))
            index = parent[index]
        rows = np.ascontiguousarray(np.concatenate(blocks[::-1], axis=1))
        digests += [hashlib.md5(row.tobytes()).digest() for row in rows]
    return hashlib.md5(b"".join(sorted(digests))).hexdigest()


def measure(name: str, tool: str, shrink: float) -> dict:
    """One run in a fresh process (``scale``: the digit triangle's, None for the residual MLPs)."""
    output = subprocess.run(
        [sys.executable, __file__, "--child", name, tool, str(shrink)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        **json.loads(output.strip().splitlines()[-1]),
        "scale": shrink if name.startswith("lenet") else None,
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| network | scale | tool | hidden units | regions | first call s | warm s | regions/s | peak MB | "
        "patterns md5 |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        scale = "" if row["scale"] is None else f"{row['scale']:g}"
        warm = "" if row.get("warm") is None else f"{row['warm']:.3f}"
        md5 = "" if row.get("md5") is None else f"`{row['md5'][:12]}`"
        lines.append(
            f"| {row['net']} | {scale} | {row['tool']} | {row['hidden']:,} | {row['regions']:,} | "
            f"{row['seconds']:.3f} | {warm} | {row['regions'] / row['seconds']:,.0f} | "
            f"{row['peak_mb']:.0f} | {md5} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--shrink",
        type=float,
        nargs="+",
        default=[0.1, 0.3, 1.0],
        help="scales of the digit triangle (default 0.1 0.3 1.0)",
    )
    parser.add_argument("--rounds", type=int, default=2, help="best of this many runs per (network, tool)")
    parser.add_argument("--write", action="store_true", help="append/replace the section in RESULTS.md")
    parser.add_argument("--residual-only", action="store_true", help="only the residual MLP runs")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], float(args.child[2]))
        return
    runs = [] if args.residual_only else [(n, t, shrink) for shrink in args.shrink for n, t in LENET_RUNS]
    runs += [(name, tool, None) for name, tool in RESIDUAL_RUNS]
    best: dict = {}
    for _ in range(args.rounds):
        for name, tool, shrink in runs:
            result = measure(name, tool, 1.0 if shrink is None else shrink)
            print(result, flush=True)
            key = (name, tool, shrink)
            if key not in best or result["seconds"] < best[key]["seconds"]:
                peak = max(result["peak_mb"], best.get(key, result)["peak_mb"])
                warm = [w for w in (result["warm"], best.get(key, {}).get("warm")) if w is not None]
                best[key] = {**result, "peak_mb": peak, "warm": min(warm, default=None)}
            elif result["warm"] is not None:
                best[key]["warm"] = min(best[key]["warm"], result["warm"])
    text = table([best[key] for key in runs])
    print(text)
    if args.write:
        path = pathlib.Path(__file__).with_name("RESULTS.md")
        content = path.read_text()
        note = (
            f"{SECTION}\n\n`benchmarks/bench_regions_graph.py --shrink {' '.join(map(str, args.shrink))}`, "
            f"best of {args.rounds} "
            "runs, each in its own process (peak MB = resident memory above the process's size before the "
            "computation); numpy "
            f"{best[runs[0]]['numpy']}. The machine was shared with other jobs: absolute times vary, the "
            "ratios measured in the same run are the comparable numbers.\n\n" + text + "\n"
        )
        if SECTION in content:
            head, rest = content.split(SECTION, 1)
            tail = rest.find("\n## ")
            content = head + note + ("" if tail < 0 else rest[tail:])
        else:
            content = content.rstrip("\n") + "\n\n" + note
        path.write_text(content.rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
