"""One name per idea across lottery: θ0 ``init_state``, the trained weights ``trained_state``, the training
configuration ``train=``, a ticket's weight set ``state=``. Old spellings give the same result with a
DeprecationWarning; giving both is a TypeError."""

import functools

import pytest
import torch

import lottery as lt

DATA = lt.load_dataset("moons", n_samples=60, seed=0)
NET = functools.partial(lt.mlp, [2, 5, 2])
CONFIG = lt.TrainConfig(iterations=3, batch_size=16)


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_train_takes_train_and_config_is_deprecated():
    new = lt.train(NET(seed=0), DATA, train=CONFIG)
    with pytest.warns(DeprecationWarning, match=r"train\(config=...\) is deprecated; use train="):
        old = lt.train(NET(seed=0), DATA, config=CONFIG)
    assert same(new.trained_state, old.trained_state)
    assert not same(new.trained_state, NET(seed=0).state_dict())  # it did train
    with pytest.raises(TypeError, match="give train= only"):
        lt.train(NET(seed=0), DATA, train=CONFIG, config=CONFIG)


def test_train_result_final_state_is_the_deprecated_trained_state():
    result = lt.train(NET(seed=0), DATA, train=CONFIG)
    assert same(result.trained_state, result.model.state_dict())
    with pytest.warns(DeprecationWarning, match="use TrainResult.trained_state"):
        assert result.final_state is result.trained_state


@pytest.mark.parametrize("function", ["reinit", "pruned_values"])
def test_trained_state_replaces_final_state(function):
    init = NET(seed=0).state_dict()
    trained = {k: v * torch.linspace(0.0, 2.0, v.numel()).reshape(v.shape) for k, v in init.items()}
    mask = lt.prune(NET(seed=0), criterion="magnitude", rate=0.5)
    call = {
        "reinit": lambda **kw: lt.reinit("rewind", mask, init, pruned="zero_where_shrunk", **kw),
        "pruned_values": lambda **kw: lt.pruned_values(mask, init, pruned="zero_where_shrunk", **kw),
    }[function]
    new = call(trained_state=trained)
    with pytest.warns(DeprecationWarning, match=f"{function}\\(final_state=...\\) is deprecated"):
        old = call(final_state=trained)
    assert same(new, old)
    with pytest.raises(TypeError, match="give trained_state= only"):
        call(trained_state=trained, final_state=trained)
    # the rule itself, from the definition: θ0 where |θ_trained| >= |θ0| among the pruned entries, else 0
    name = "0.weight"
    pruned = ~mask[name]
    expected = torch.where(trained[name].abs() < init[name].abs(), 0.0, init[name])[pruned]
    assert torch.equal(new[name][pruned], expected)


def test_ticket_state_selector_is_state_and_which_is_deprecated():
    mask = lt.Mask.ones(NET(seed=0))
    init = NET(seed=0).state_dict()
    ticket = lt.Ticket(mask=mask, init_state=init, start_state=NET(seed=1).state_dict())
    assert same(ticket.state_dict(state="init"), init) and same(ticket.state_dict("init"), init)
    with pytest.warns(DeprecationWarning, match="which="):
        assert same(ticket.state_dict(which="init"), init)
    assert same(ticket.build(NET, state="init").state_dict(), init)


def test_prune_and_scores_take_init_state():
    net = NET(seed=0)
    init = NET(seed=1).state_dict()
    new = lt.prune(net, criterion="movement", rate=0.5, init_state=init)
    with pytest.warns(DeprecationWarning, match="initial_state="):
        old = lt.prune(net, criterion="movement", rate=0.5, initial_state=init)
    assert new == old
