"""Progress of long `linear_regions` calls on stderr (`progress=`): plain lines where stderr is not a
terminal, over the hidden layers of an MLP, the nodes of a graph, the chunks of regions when depth-first.

Oracles: the number of hidden layers / nodes / chunks of the network and the sweep, and the region count
of the finished result (the last line's count).
"""

from __future__ import annotations

import re

import pytest
import torch
from test_regions_graph import digit_plane, two_conv_net
from torch import nn

import tropical._region_depth
from tropical.regions import linear_regions


def lines_of(stderr: str) -> list[tuple[int, int, str, int]]:
    """(done, total, unit, regions) of each progress line."""
    pattern = r"linear_regions: (\d+)/(\d+) (\w+), last .* \(([\d,]+) regions(?: so far)?\), [\d.]+ s"
    found = [re.fullmatch(pattern, line) for line in stderr.splitlines()]
    assert all(found), stderr
    return [(int(m[1]), int(m[2]), m[3], int(m[4].replace(",", ""))) for m in found]


def test_an_mlp_reports_each_hidden_layer(capsys):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 2)).double()
    regions = linear_regions(net, bounds=(-3, 3, -3, 3), progress=True)
    lines = lines_of(capsys.readouterr().err)
    assert [(done, total, unit) for done, total, unit, _ in lines] == [(1, 2, "layers"), (2, 2, "layers")]
    assert lines[0][3] <= lines[1][3] == len(regions)


def test_a_conv_net_reports_each_node_and_each_chunk(capsys, monkeypatch):
    model, plane = two_conv_net(1, 0.0), digit_plane(10)
    whole = linear_regions(model, plane=plane, progress=True)
    lines = lines_of(capsys.readouterr().err)
    assert {unit for _, _, unit, _ in lines} == {"nodes"}
    assert lines[-1][0] == lines[-1][1] and lines[-1][3] == len(whole)
    monkeypatch.setattr(tropical._region_depth, "_CHUNK_REGIONS", 5)
    chunked = linear_regions(model, plane=plane, progress=True)
    lines = [line for line in lines_of(capsys.readouterr().err) if line[2] == "chunks"]
    # plain lines: the first step, then at most one every 5 s, and the last
    assert lines[0][0] == 1 and lines[-1][0] == lines[-1][1] > 1
    assert lines[-1][3] == len(chunked) == len(whole)


def test_quick_calls_and_progress_false_stay_silent(capsys):
    model, plane = two_conv_net(1, 0.0), digit_plane(10)
    linear_regions(model, plane=plane)  # auto: well under the 10 s before plain lines start
    linear_regions(model, plane=plane, progress=False)
    assert capsys.readouterr().err == ""


def test_progress_must_be_a_flag():
    with pytest.raises(ValueError, match="progress must be True, False or None"):
        linear_regions(nn.Linear(2, 2), bounds=(-1, 1, -1, 1), progress="yes")
