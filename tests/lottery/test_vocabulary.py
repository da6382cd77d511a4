"""One name per idea across lottery: θ0 ``init_state``, the trained weights ``trained_state``, the training
configuration ``train=``, a ticket's weight set ``state=``. Old spellings give the same result with a
DeprecationWarning; giving both is a TypeError."""

import functools
import warnings

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


# Plug-ins: registered criteria and re-initialisations receive the same names as the public functions.


@pytest.fixture
def registries(monkeypatch):
    """CRITERIA and REINITS as they are, restored after the test (registering is global otherwise)."""
    for registry in (lt.CRITERIA, lt.REINITS):
        monkeypatch.setattr(registry, "_entries", dict(registry._entries))
    return lt.CRITERIA, lt.REINITS


def test_criteria_receive_trained_state_and_init_state(registries):
    criteria, _ = registries
    net, theta0 = NET(seed=0), NET(seed=1).state_dict()
    names = ["0.weight", "2.weight"]
    trained = {n: p.detach() for n, p in net.named_parameters()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # new style and **kwargs-only: silent

        @criteria.register("test_new_style")
        def new_style(names, *, trained_state=None, init_state=None, **_):
            return {n: (trained_state[n].double() - init_state[n].double()).abs() for n in names}

        @criteria.register("test_kwargs_only")
        def kwargs_only(names, **kw):
            return {n: kw["trained_state"][n].abs().double() for n in names}

        new = lt.scores("test_new_style", names, trained_state=trained, init_state=theta0)
        magnitude = lt.scores("magnitude", names, trained_state=trained)
        kwargs = lt.scores("test_kwargs_only", names, trained_state=trained)
    with pytest.warns(DeprecationWarning, match=r"criterion 'test_old_style' takes .*final=, initial="):

        @criteria.register("test_old_style")
        def old_style(names, *, final=None, initial=None, **_):
            return {n: (final[n].double() - initial[n].double()).abs() for n in names}

    assert criteria["test_old_style"].__wrapped__ is old_style
    old = lt.scores("test_old_style", names, trained_state=trained, init_state=theta0)
    for n in names:  # by hand: |w_trained - w_0| and |w_trained|, float64
        w, w0 = net.state_dict()[n].double(), theta0[n].double()
        assert torch.equal(new[n], (w - w0).abs()) and torch.equal(old[n], new[n])
        assert torch.equal(magnitude[n], w.abs()) and torch.equal(kwargs[n], w.abs())
    assert same(lt.scores("movement", names, trained_state=trained, init_state=theta0), new)
    assert lt.prune(net, criterion="test_old_style", rate=0.5, init_state=theta0) == lt.prune(
        net, criterion="movement", rate=0.5, init_state=theta0
    )


def test_reinits_receive_init_state_and_rewind_state(registries):
    _, reinits = registries
    init, rewind = NET(seed=0).state_dict(), NET(seed=1).state_dict()
    mask = lt.prune(NET(seed=0), criterion="magnitude", rate=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        @reinits.register("test_new_style")
        def new_style(name, keep, *, init_state, rewind_state, **_):
            return (init_state[name] + rewind_state[name]) / 2

        new = lt.reinit("test_new_style", mask, init, rewind_state=rewind)
    with pytest.warns(DeprecationWarning, match=r"re-initialisation 'test_old_style' takes .*init=, rewind="):

        @reinits.register("test_old_style")
        def old_style(name, keep, *, init, rewind, **_):
            return (init[name] + rewind[name]) / 2

    old = lt.reinit("test_old_style", mask, init, rewind_state=rewind)
    assert same(old, new)
    for n, keep in mask.items():  # by hand: the mean of θ0 and θk where kept, zero where pruned
        assert torch.equal(new[n][keep], ((init[n] + rewind[n]) / 2)[keep])
        assert not new[n][~keep].any()
    # the built-in rewind reads rewind_state= (θk at the kept positions)
    rewound = lt.reinit("rewind", mask, init, rewind_state=rewind)
    assert all(torch.equal(rewound[n][keep], rewind[n][keep]) for n, keep in mask.items())


def test_a_plugin_naming_old_and_new_keywords_is_refused(registries):
    criteria, reinits = registries
    with pytest.raises(TypeError, match=r"takes both final= and trained_state=; name only the new"):
        criteria.register("test_mixed")(lambda names, *, final=None, trained_state=None, **_: {})
    with pytest.raises(TypeError, match=r"takes both init= and init_state="):
        reinits.register("test_mixed")(lambda name, keep, *, init, init_state, **_: None)
    assert "test_mixed" not in criteria and "test_mixed" not in reinits
