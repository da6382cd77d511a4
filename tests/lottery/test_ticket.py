import functools

import pytest
import torch

from lottery.masks import Mask
from lottery.models import mlp
from lottery.reinitialisation import reinit
from lottery.ticket import Ticket
from lottery.training import History

model_fn = functools.partial(mlp, [6, 10, 3])


def make_ticket():
    net = model_fn(seed=0)
    init = net.state_dict()
    g = torch.Generator().manual_seed(1)
    mask = Mask({n: torch.rand(init[n].shape, generator=g) < 0.5 for n in ("0.weight", "2.weight")})
    rewind = {k: v + 0.5 for k, v in init.items()}
    trained = {k: torch.where(mask[k], v + 1.0, 0.0) if k in mask else v + 1.0 for k, v in init.items()}
    history = History(step=[1, 2], loss=[1.0, 0.5], accuracy=[0.5, 0.75], lr=[0.1, 0.1], test_accuracy=0.8)
    return Ticket(
        mask=mask, init_state=init, start_state=reinit("rewind", mask, init, rewind_state=rewind),
        rewind_state=rewind, rewind_step=2, trained_state=trained, history=history,
        provenance={"method": "imp", "criterion": "magnitude", "layer_sparsity": mask.layer_sparsity(),
                    "seed": 0},
    )  # fmt: skip


def states_equal(a, b):
    return list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)


def test_save_load_round_trip(tmp_path):
    ticket = make_ticket()
    ticket.save(tmp_path / "t.pt")
    loaded = Ticket.load(tmp_path / "t.pt")
    assert loaded.mask == ticket.mask
    for which in ("init", "start", "rewind", "trained"):
        assert states_equal(loaded.state_dict(which), ticket.state_dict(which))
    assert loaded.rewind_step == 2 and loaded.provenance == ticket.provenance
    assert loaded.history == ticket.history
    assert loaded.sparsity == pytest.approx(ticket.mask.sparsity)


def test_saved_weights_load_into_an_unpruned_model(tmp_path):
    ticket = make_ticket()
    ticket.save(tmp_path / "t.pt")
    payload = torch.load(tmp_path / "t.pt", weights_only=True)
    plain = mlp([6, 10, 3])  # no re-parametrisation, no hooks
    plain.load_state_dict(payload["trained_state"])
    assert states_equal(plain.state_dict(), ticket.trained_state)
    plain.load_state_dict(Ticket.load(tmp_path / "t.pt").state_dict("start"))
    for n, keep in ticket.mask.items():
        assert torch.count_nonzero(plain.state_dict()[n][~keep]) == 0


def test_build_and_apply():
    ticket = make_ticket()
    net = ticket.build(model_fn)
    assert states_equal(net.state_dict(), ticket.start_state)
    trained = ticket.build(model_fn, state="trained")
    assert states_equal(trained.state_dict(), ticket.trained_state)
    assert ticket.frozen_values() is None


def test_mismatched_model_raises_clear_error():
    ticket = make_ticket()
    with pytest.raises(ValueError, match=r"shape mismatches 0.weight: \(10, 6\) vs model \(12, 6\)"):
        ticket.build(functools.partial(mlp, [6, 12, 3]))
    with pytest.raises(ValueError, match=r"unexpected keys \['0.bias', '2.bias'\]"):
        ticket.build(functools.partial(mlp, [6, 10, 3], bias=False))
    with pytest.raises(ValueError, match="state must be one of"):
        ticket.state_dict("best")


def test_corrupted_and_foreign_files(tmp_path):
    ticket = make_ticket()
    good = tmp_path / "t.pt"
    ticket.save(good)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[:300])
    with pytest.raises(ValueError, match="not a readable ticket file"):
        Ticket.load(truncated)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"\x00" * 64)
    with pytest.raises(ValueError, match="not a readable ticket file"):
        Ticket.load(garbage)
    foreign = tmp_path / "state.pt"
    torch.save(mlp([6, 10, 3]).state_dict(), foreign)
    with pytest.raises(ValueError, match="not a lottery ticket file"):
        Ticket.load(foreign)
    with pytest.raises(FileNotFoundError):
        Ticket.load(tmp_path / "missing.pt")


def test_inconsistent_file_contents(tmp_path):
    ticket = make_ticket()
    ticket.save(tmp_path / "t.pt")
    payload = torch.load(tmp_path / "t.pt", weights_only=True)
    payload["mask"]["0.weight"] = torch.ones(3, 3, dtype=torch.bool)
    torch.save(payload, tmp_path / "bad_mask.pt")
    with pytest.raises(ValueError, match=r"inconsistent ticket file.*0.weight"):
        Ticket.load(tmp_path / "bad_mask.pt")
    payload = torch.load(tmp_path / "t.pt", weights_only=True)
    del payload["trained_state"]["2.bias"]
    torch.save(payload, tmp_path / "bad_state.pt")
    with pytest.raises(ValueError, match=r"inconsistent ticket file.*trained_state has keys"):
        Ticket.load(tmp_path / "bad_state.pt")
    payload = torch.load(tmp_path / "t.pt", weights_only=True)
    del payload["mask"]
    torch.save(payload, tmp_path / "incomplete.pt")
    with pytest.raises(ValueError, match=r"incomplete ticket file: missing \['mask'\]"):
        Ticket.load(tmp_path / "incomplete.pt")


def test_constructor_validation():
    ticket = make_ticket()
    with pytest.raises(ValueError, match="JSON"):
        Ticket(
            mask=ticket.mask,
            init_state=ticket.init_state,
            start_state=ticket.start_state,
            provenance={"x": object()},
        )
    with pytest.raises(TypeError, match="mask"):
        Ticket(mask={}, init_state=ticket.init_state, start_state=ticket.start_state)


def _flip_byte_of(path, tensor, offset=5):
    """Flip one byte inside the stored data record of ``tensor`` (found by its unique byte content)."""
    raw = bytearray(path.read_bytes())
    data = tensor.contiguous().numpy().tobytes()
    assert raw.count(data) == 1  # the record is located independently of the checksum code
    raw[raw.index(data) + offset] ^= 0x40
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(("which", "name"), [("trained_state", "2.weight"), ("init_state", "0.weight")])
def test_a_flipped_byte_in_a_data_record_is_refused_by_name(tmp_path, which, name):
    from lottery.errors import LotteryError, TicketChecksumError

    ticket = make_ticket()
    path = tmp_path / "t.pt"
    ticket.save(path)
    tensor = getattr(ticket, which)[name]
    _flip_byte_of(path, tensor)
    # torch's zip reader itself does not notice: the flipped tensor loads with a different value
    payload = torch.load(path, weights_only=True)
    assert not torch.equal(payload[which][name], tensor)
    with pytest.raises(
        TicketChecksumError, match=rf"corrupted: the content of {which}/{name} differs"
    ) as info:
        Ticket.load(path)
    assert info.value.names == [f"{which}/{name}"]
    assert isinstance(info.value, ValueError) and isinstance(info.value, LotteryError)


def test_a_file_without_checksums_loads_with_a_warning(tmp_path):
    ticket = make_ticket()
    ticket.save(tmp_path / "t.pt")
    payload = torch.load(tmp_path / "t.pt", weights_only=True)
    del payload["checksums"]  # as written by lottery before checksums existed
    torch.save(payload, tmp_path / "old.pt")
    with pytest.warns(UserWarning, match="without checksums"):
        loaded = Ticket.load(tmp_path / "old.pt")
    assert states_equal(loaded.trained_state, ticket.trained_state)
    assert loaded.mask == ticket.mask


def test_an_edited_but_consistent_file_is_refused(tmp_path):
    from lottery.errors import TicketChecksumError

    make_ticket().save(tmp_path / "t.pt")
    payload = torch.load(tmp_path / "t.pt", weights_only=True)
    payload["mask"]["2.weight"] = ~payload["mask"]["2.weight"]
    payload["provenance"] = payload["provenance"].replace('"seed": 0', '"seed": 1')
    torch.save(payload, tmp_path / "edited.pt")
    with pytest.raises(TicketChecksumError) as info:
        Ticket.load(tmp_path / "edited.pt")
    assert info.value.names == ["mask/2.weight", "provenance"]


def test_state_dict_takes_the_same_selector_as_build():
    ticket = make_ticket()
    assert states_equal(ticket.state_dict(state="rewind"), ticket.rewind_state)
    with pytest.warns(DeprecationWarning, match=r"state_dict\(which=...\) is deprecated; use state="):
        assert states_equal(ticket.state_dict(which="init"), ticket.init_state)
    with pytest.raises(ValueError, match="state must be one of"):
        ticket.state_dict("final")


def test_pruned_is_a_field_read_by_frozen_values(tmp_path):
    base = make_ticket()
    parts = dict(mask=base.mask, init_state=base.init_state, start_state=base.start_state)
    assert Ticket(**parts).pruned == "zero" and Ticket(**parts).frozen_values() is None
    frozen = Ticket(**parts, pruned="frozen")
    values = frozen.frozen_values()
    assert all(torch.equal(values[n], base.start_state[n]) for n in base.mask)
    frozen.save(tmp_path / "f.pt")
    assert Ticket.load(tmp_path / "f.pt").pruned == "frozen"
    # older tickets recorded it in the provenance only
    assert Ticket(**parts, provenance={"pruned": "frozen"}).pruned == "frozen"
    payload = torch.load(tmp_path / "f.pt", weights_only=True)
    del payload["pruned"], payload["checksums"]
    payload["provenance"] = '{"pruned": "frozen"}'
    torch.save(payload, tmp_path / "old.pt")
    with pytest.warns(UserWarning, match="without checksums"):
        assert Ticket.load(tmp_path / "old.pt").pruned == "frozen"
    with pytest.raises(ValueError, match="provenance records pruned='zero'"):
        Ticket(**parts, pruned="frozen", provenance={"pruned": "zero"})
    with pytest.raises(ValueError, match="is not one of zero, frozen"):
        Ticket(**parts, pruned="nothing")
