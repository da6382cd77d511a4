import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lottery.masks import Mask
from lottery.models import mlp
from lottery.reinitialisation import REINITS, pruned_values, reinit


def setup(seed=0, density=0.4):
    net = mlp([12, 20, 5], seed=seed)
    init = {k: v.clone() for k, v in net.state_dict().items()}
    g = torch.Generator().manual_seed(seed + 100)
    mask = Mask({n: torch.rand(init[n].shape, generator=g) < density for n in ("0.weight", "2.weight")})
    rewind = {k: v + 0.01 * torch.randn(v.shape, generator=g) for k, v in init.items()}
    final = {k: v + 0.1 * torch.randn(v.shape, generator=g) for k, v in init.items()}
    return init, mask, rewind, final


def test_rewind_restores_theta_k_bit_for_bit_and_theta_0_without_k():
    init, mask, rewind, _ = setup()
    out = reinit("rewind", mask, init, rewind_state=rewind)
    for n in init:
        keep = mask[n] if n in mask else torch.ones_like(init[n], dtype=torch.bool)
        assert torch.equal(out[n][keep], rewind[n][keep])
        assert torch.count_nonzero(out[n][~keep]) == 0
    out0 = reinit("rewind", mask, init)
    assert torch.equal(out0["0.weight"], torch.where(mask["0.weight"], init["0.weight"], 0.0))
    assert torch.equal(out0["0.bias"], init["0.bias"])


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 1000), st.floats(0.05, 1.0))
def test_reshuffle_is_a_permutation_of_kept_initial_values(seed, density):
    init, mask, _, _ = setup(seed % 7, density)
    out = reinit("reshuffle", mask, init, seed=seed)
    for n, keep in mask.items():
        assert np.array_equal(np.sort(out[n][keep].numpy()), np.sort(init[n][keep].numpy()))
        assert torch.count_nonzero(out[n][~keep]) == 0


def test_reshuffle_and_permute_layer_actually_move_values_and_are_seeded():
    init, mask, _, _ = setup()
    a = reinit("reshuffle", mask, init, seed=1)
    assert not torch.equal(a["0.weight"], torch.where(mask["0.weight"], init["0.weight"], 0.0))
    assert torch.equal(a["0.weight"], reinit("reshuffle", mask, init, seed=1)["0.weight"])
    assert not torch.equal(a["0.weight"], reinit("reshuffle", mask, init, seed=2)["0.weight"])
    p = reinit("permute_layer", mask, init, seed=1)
    for n, keep in mask.items():  # kept values are drawn without replacement from the whole layer
        layer = sorted(init[n].ravel().tolist())
        for value in p[n][keep].tolist():
            layer.remove(value)


@pytest.mark.parametrize("strategy", ["signed_reinit", "signed_reshuffle", "signed_constant"])
def test_signed_variants_keep_every_sign(strategy):
    init, mask, _, _ = setup()
    out = reinit(strategy, mask, init, seed=3)
    for n, keep in mask.items():
        assert torch.equal(torch.sign(out[n][keep]), torch.sign(init[n][keep]))
        assert torch.count_nonzero(out[n][~keep]) == 0


def test_signed_constant_one_magnitude_per_layer_equal_to_init_std():
    init, mask, _, _ = setup()
    out = reinit("signed_constant", mask, init)
    for n, keep in mask.items():
        magnitudes = out[n][keep].abs().unique()
        assert magnitudes.numel() == 1
        assert float(magnitudes) == pytest.approx(np.std(init[n].numpy().astype(np.float64)), rel=1e-6)


def test_flip_sign_and_signed_magnitudes():
    init, mask, _, _ = setup()
    flipped = reinit("flip_sign", mask, init)
    keep = mask["0.weight"]
    assert torch.equal(flipped["0.weight"][keep], -init["0.weight"][keep])
    sr = reinit("signed_reshuffle", mask, init, seed=0)
    assert np.allclose(
        np.sort(sr["0.weight"][keep].abs().numpy()), np.sort(init["0.weight"][keep].abs().numpy())
    )


def test_random_reinit_fresh_draw_from_init_fn_and_normal_fallback():
    init, mask, _, _ = setup()
    out = reinit("random_reinit", mask, init, seed=5, init_fn=lambda s: mlp([12, 20, 5], seed=s).state_dict())
    fresh = mlp([12, 20, 5], seed=5).state_dict()
    keep = mask["0.weight"]
    assert torch.equal(out["0.weight"][keep], fresh["0.weight"][keep])
    big = mlp([400, 300, 5], seed=0).state_dict()
    big_mask = Mask({"0.weight": torch.ones(300, 400, dtype=torch.bool)})
    drawn = reinit("random_reinit", big_mask, big, seed=1)["0.weight"]
    assert float(drawn.std()) == pytest.approx(float(big["0.weight"].std()), rel=0.02)
    assert not torch.equal(drawn, big["0.weight"])


def test_pruned_values_hand_made():
    w0 = {"w": torch.tensor([0.5, -0.2, 0.3, -0.4])}
    wf = {"w": torch.tensor([0.1, -0.6, 0.9, -0.1])}
    mask = Mask({"w": torch.tensor([True, False, False, False])})
    assert pruned_values(mask, w0)["w"].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert torch.allclose(pruned_values(mask, w0, pruned="frozen")["w"], torch.tensor([0.0, -0.2, 0.3, -0.4]))
    shrunk = pruned_values(mask, w0, pruned="zero_where_shrunk", trained_state=wf)["w"]
    assert torch.allclose(shrunk, torch.tensor([0.0, -0.2, 0.3, 0.0]))  # |wf| < |w0| only at index 3
    out = reinit("rewind", mask, w0, pruned="frozen")
    assert torch.equal(out["w"], w0["w"])


def test_errors():
    init, mask, _, _ = setup()
    with pytest.raises(ValueError, match=r"unknown re-initialisation 'kaiming'.*known: flip_sign"):
        reinit("kaiming", mask, init)
    with pytest.raises(ValueError, match="pruned='random'"):
        reinit("rewind", mask, init, pruned="random")
    with pytest.raises(ValueError, match="needs trained_state"):
        reinit("rewind", mask, init, pruned="zero_where_shrunk")
    with pytest.raises(ValueError, match="rewind_state has keys"):
        reinit("rewind", mask, init, rewind_state={"0.weight": init["0.weight"]})
    with pytest.raises(TypeError, match="mask"):
        reinit("rewind", {"0.weight": mask["0.weight"]}, init)
    assert {"rewind", "random_reinit", "reshuffle", "permute_layer", "signed_reinit", "signed_reshuffle",
            "signed_constant", "flip_sign"} == set(REINITS)  # fmt: skip
