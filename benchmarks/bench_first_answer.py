"""Time to first answer: whole scripts, as a user runs them (issue 13).

For each network of the regions suite, three scripts run in fresh processes, interleaved (paired) so that
machine load hits all three alike:

- ``torch``: import torch, load the saved state dict, run the network once (the floor every tool pays);
- ``ours``: the same, then ``tropical.linear_regions`` on [-10, 10]^2 and print the region count;
- ``regioncam``: the same with regioncam.

The table reports the median wall time of each script over ``--repeat`` rounds, our overhead above the
torch floor, and regioncam's whole-script time divided by ours (above 1: we answer first); then the same for
the seconds each script measures inside itself from just before importing the tool to the printed answer
(import + first call: the part that differs between the scripts, without the noise of starting Python and
importing torch on a busy machine).

With ``--before DIR`` (a source tree of another version of the package, e.g. ``git archive <commit> tropical |
tar -x -C DIR``), a fourth script runs our script on that version, paired with the three others, and a second
table compares the two versions: import time of ``tropical.graph`` (in a process that has imported numpy and
torch, as every script has) and import + first call on each net, against regioncam's. Usage::

    .venv/bin/python benchmarks/bench_first_answer.py --repeat 5
    .venv/bin/python benchmarks/bench_first_answer.py --nets 2-40-2 --repeat 3
    .venv/bin/python benchmarks/bench_first_answer.py --nets 2-40-2 2-24-24-2 --before /tmp/old --repeat 9
"""

from __future__ import annotations

import argparse
import itertools
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

SUITE = ["2-40-2", "2-24-24-2", "2-16-16-16-3", "2-100-2", "2-64-64-2", "2-128-128-2"]
SIZE = 10.0

_LOAD = """
import sys, torch
from torch import nn
widths = [int(w) for w in sys.argv[1].split("-")]
layers = []
for n_in, n_out in zip(widths, widths[1:]):
    layers += [nn.Linear(n_in, n_out), nn.ReLU()]
model = nn.Sequential(*layers[:-1])
model.load_state_dict(torch.load(sys.argv[2], weights_only=True))
model.eval()
"""
_CLOCK = "import time\nstart = time.perf_counter()\n"
_REPORT = "print(time.perf_counter() - start)\n"  # the tool's own seconds, measured inside the process
SCRIPTS = {
    "torch": _LOAD + _CLOCK + "print(model(torch.zeros(1, widths[0])).shape)\n" + _REPORT,
    "ours": _LOAD
    + _CLOCK
    + "import tropical\n"
    + f"print(len(tropical.linear_regions(model, bounds=({-SIZE}, {SIZE}, {-SIZE}, {SIZE}))))\n"
    + _REPORT,
    "regioncam": _LOAD
    + _CLOCK
    + f"import regioncam\ncamera = regioncam.Regioncam(size={SIZE})\n"
    + "camera.add(model)\nprint(camera.num_faces)\n"
    + _REPORT,
}

_GRAPH_IMPORT = (
    "import time, numpy, torch\nstart = time.perf_counter()\nimport tropical.graph\n"
    "print(time.perf_counter() - start)\n"
)


def save_net(net: str, folder: pathlib.Path, seed: int = 0) -> pathlib.Path:
    import torch
    from torch import nn

    torch.manual_seed(seed)
    widths = [int(w) for w in net.split("-")]
    layers = []
    for n_in, n_out in itertools.pairwise(widths):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    path = folder / f"{net}.pt"
    torch.save(nn.Sequential(*layers[:-1]).state_dict(), path)
    return path


def wall_time(script: str, net: str, path: pathlib.Path, source=None) -> tuple[float, float, str]:
    """Whole-process seconds, the tool's seconds inside the process (import + first call), the answer.

    ``source``: a folder put first on the child's ``PYTHONPATH`` (a version of the package). The child runs
    in the temporary folder, so that the working directory (first on ``sys.path``) shadows no version."""
    env = None
    if source is not None:  # first on the path, once (a duplicate entry would cost every import a look-up)
        others = [
            path
            for path in os.environ.get("PYTHONPATH", "").split(os.pathsep)
            if path and path != str(source)
        ]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(source), *others])}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script, net, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    *_, answer, inside = done.stdout.strip().splitlines()
    return time.perf_counter() - start, float(inside), answer


def graph_import_times(sources: dict, repeat: int) -> dict:
    """Median seconds of ``import tropical.graph`` per source folder, fresh processes, interleaved."""
    times = {name: [] for name in sources}
    for _ in range(repeat):
        for name, source in sources.items():
            times[name].append(wall_time(_GRAPH_IMPORT + "print(0)\n", "", pathlib.Path(), source)[2])
    return {name: statistics.median(float(value) for value in values) for name, values in times.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", nargs="+", default=SUITE)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--before", type=pathlib.Path, help="source tree of the version to compare with")
    args = parser.parse_args(argv)
    print(
        "| net | regions (ours / regioncam) | torch floor s | ours s | regioncam s | ours above floor s "
        "| regioncam / ours | inside: ours s | inside: regioncam s | inside: regioncam / ours |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    # byte-compile the package as `pip install` does (with PYTHONDONTWRITEBYTECODE set, every process would
    # otherwise compile the sources again: ~0.1 s that no installed package pays)
    import compileall

    import tropical

    compileall.compile_dir(pathlib.Path(tropical.__file__).parent, quiet=1)
    sources = {"ours": pathlib.Path(tropical.__file__).parent.parent}  # the version this process imports
    if args.before is not None:
        sources["before"] = args.before.resolve()
        compileall.compile_dir(sources["before"] / "tropical", quiet=1)
    runs = {**SCRIPTS, **({"before": SCRIPTS["ours"]} if args.before is not None else {})}
    versus = []
    with tempfile.TemporaryDirectory() as folder:
        for net in args.nets:
            path = save_net(net, pathlib.Path(folder))
            for source in sources.values():  # the first run after install may compile; not timed
                wall_time(SCRIPTS["ours"], net, path, source)
            times = {tool: [] for tool in runs}
            inside = {tool: [] for tool in runs}
            answers = {}
            for _ in range(args.repeat):
                for tool, script in runs.items():
                    seconds, tool_seconds, answers[tool] = wall_time(script, net, path, sources.get(tool))
                    times[tool].append(seconds)
                    inside[tool].append(tool_seconds)
            median = {tool: statistics.median(values) for tool, values in times.items()}
            own = {tool: statistics.median(values) for tool, values in inside.items()}
            floor, ours, peer = median["torch"], median["ours"], median["regioncam"]
            print(
                f"| {net} | {answers['ours']} / {answers['regioncam']} | {floor:.2f} | {ours:.2f} | "
                f"{peer:.2f} | {ours - floor:.2f} | {peer / ours:.2f} | {own['ours']:.3f} | "
                f"{own['regioncam']:.3f} | {own['regioncam'] / own['ours']:.2f} |",
                flush=True,
            )
            if args.before is not None:
                versus.append((net, own))
    if args.before is not None:
        graph = graph_import_times(sources, args.repeat)
        before, ours = 1e3 * graph["before"], 1e3 * graph["ours"]
        print(f"\nimport tropical.graph: before {before:.2f} ms, ours {ours:.2f} ms\n")
        print(
            "| net | inside: before ms | inside: ours ms | inside: regioncam ms | regioncam / before "
            "| regioncam / ours |"
        )
        print("|---|---|---|---|---|---|")
        for net, own in versus:
            before, ours, peer = own["before"], own["ours"], own["regioncam"]
            print(
                f"| {net} | {1e3 * before:.1f} | {1e3 * ours:.1f} | {1e3 * peer:.1f} | {peer / before:.2f} "
                f"| {peer / ours:.2f} |"
            )


if __name__ == "__main__":
    main()
