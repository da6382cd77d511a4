"""Regression tests from the user trial (issue 11): the CLI on a user's conv model without --plane."""

import textwrap

import pytest
import torch

from lottery import cli

MODULE = """
import torch.nn.functional as F
from torch import nn


class DigitConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.fc = nn.Linear(2 * 4 * 4, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x.view(x.size(0), 1, 8, 8))), 2)
        return self.fc(x.view(x.size(0), -1))
"""


@pytest.fixture
def saved_conv(tmp_path, monkeypatch):
    (tmp_path / "trial_conv_models.py").write_text(textwrap.dedent(MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib
    import sys

    module = importlib.import_module("trial_conv_models")
    path = tmp_path / "conv.pt"
    torch.save({"model": module.DigitConv().state_dict(), "epoch": 1}, path)
    yield path
    sys.modules.pop("trial_conv_models", None)


def test_regions_of_a_conv_model_without_plane_points_to_plane_not_to_mlps(saved_conv, capsys):
    # it used to say "DigitConv does not start with a Linear layer; these commands read MLPs",
    # although `regions --plane I J K --dataset NAME` reads the model
    status = cli.main(["regions", str(saved_conv), "--model", "trial_conv_models:DigitConv"])
    error = capsys.readouterr().err
    assert status != 0
    assert "it starts with Conv2d" in error and "--plane I J K --dataset NAME" in error
    assert "these commands read MLPs" not in error


def test_polytope_of_a_conv_model_names_its_first_layer_and_the_command_that_reads_it(saved_conv, capsys):
    status = cli.main(["polytope", str(saved_conv), "--model", "trial_conv_models:DigitConv"])
    error = capsys.readouterr().err
    assert status != 0
    assert "it starts with Conv2d" in error and "regions --plane" in error


@pytest.mark.slow
def test_compare_reports_its_summary_once(tmp_path, capsys):
    # the log had two "done" lines with the same counts, one of them "from the cache (None)" with no cache
    status = cli.main(["compare", "--out", str(tmp_path), "--hidden", "4", "--sparsities", "0.5", "--inits",
                       "lottery", "--seeds", "1", "--epochs", "1", "--n-samples", "100", "--no-cache",
                       "--workers", "1"])  # fmt: skip
    out = capsys.readouterr()
    log = out.out + out.err
    assert status == 0
    done = [line for line in log.splitlines() if "] done" in line]
    assert len(done) == 1 and "1 from the cache" not in done[0] and "None" not in log
    assert "2 tasks computed" in done[0]  # one dense net, one ticket


def test_a_state_dict_of_another_architecture_says_its_key_list_is_cut(tmp_path, capsys):
    # the message listed six of the keys as if they were all (a conv ticket "had" no conv.weight)
    model = torch.nn.ModuleDict({"conv": torch.nn.Conv2d(1, 2, 3), "bn": torch.nn.BatchNorm2d(2)})
    path = tmp_path / "conv.pt"
    torch.save(model.state_dict(), path)
    assert cli.main(["regions", str(path)]) != 0
    error = capsys.readouterr().err
    assert f"... ({len(model.state_dict())} keys)" in error and "--model package.module:function" in error
