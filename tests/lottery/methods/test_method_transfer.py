import functools

import pytest
import torch

from lottery.data import load_dataset
from lottery.masks import Mask
from lottery.methods.transfer_tickets import class_subset, mirrored, transfer, transfer_ticket
from lottery.models import mlp
from lottery.ticket import Ticket


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", seed=0)


def test_class_subset_relabels(digits):
    sub = class_subset(digits, [7, 2])
    assert sub.n_classes == 2
    assert len(sub.y_train) == int(((digits.y_train == 7) | (digits.y_train == 2)).sum())
    # the first example labelled 7 in the original is the first example labelled 0 in the subset
    first7 = digits.x_train[digits.y_train == 7][0]
    assert torch.equal(sub.x_train[sub.y_train == 0][0], first7)
    with pytest.raises(ValueError, match="classes"):
        class_subset(digits, [1, 1])


def test_mirrored_flips_columns(digits):
    flipped = mirrored(digits)
    images = digits.x_train.reshape(-1, 8, 8)
    assert torch.equal(flipped.x_train.reshape(-1, 8, 8)[:, 3, 0], images[:, 3, 7])
    assert flipped.mean[0] == digits.mean[7]
    with pytest.raises(ValueError, match="shape"):
        mirrored(load_dataset("moons", n_samples=50))


def hand_ticket(widths, density=0.5, seed=0):
    net = mlp(widths, seed=seed)
    g = torch.Generator().manual_seed(1)
    weights = [(n, t) for n, t in net.named_parameters() if "weight" in n]
    mask = Mask({n: torch.rand(t.shape, generator=g) < density for n, t in weights})
    init = net.state_dict()
    start = {k: torch.where(mask[k], v, 0.0) if k in mask else v.clone() for k, v in init.items()}
    provenance = {"method": "hand", "dataset": "a"}
    return Ticket(mask=mask, init_state=init, start_state=start, provenance=provenance)


def test_transfer_resets_the_output_layer_when_classes_differ():
    blobs = load_dataset("blobs", n_samples=150, seed=0)  # 3 classes
    ticket = hand_ticket([2, 8, 2])
    out = transfer_ticket(ticket, functools.partial(mlp, [2, 8, 3]), blobs, train=dict(epochs=1), seed=0)
    assert torch.equal(out.mask["0.weight"], ticket.mask["0.weight"])
    assert bool(out.mask["2.weight"].all()) and out.provenance["output_layer"] == "reset"
    assert torch.equal(out.start_state["0.weight"], ticket.start_state["0.weight"])
    assert out.provenance["source"]["dataset"] == "a"
    with pytest.raises(ValueError, match="output_layer='transfer'"):
        transfer_ticket(ticket, functools.partial(mlp, [2, 8, 3]), blobs, output_layer="transfer")
    with pytest.raises(ValueError, match="same number of features"):
        transfer_ticket(ticket, functools.partial(mlp, [3, 8, 2]), blobs)


def test_transfer_between_two_dimensional_datasets_keeps_the_whole_ticket():
    moons = load_dataset("moons", n_samples=200, seed=0)
    out = transfer(
        functools.partial(mlp, [2, 10, 2]), moons, sparsity=0.5, source="circles",
        train=dict(epochs=2, batch_size=32), seed=0,
    )  # fmt: skip
    assert out.provenance["output_layer"] == "transfer"
    assert out.provenance["source"]["dataset"] == "circles" and out.provenance["dataset"] == "moons"
    for name, keep in out.mask.items():
        assert torch.equal(out.trained_state[name][~keep], torch.zeros(int((~keep).sum())))
