"""Dropout: the seeds' deterministic inference rule, PyTorch's identity rule, inverted training."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _attn_helpers import check_layer_gradients

from shapely_nn import GuardError, ShapeError, Tensor
from shapely_nn.io import to_torch
from shapely_nn.layers import Dropout, dropout_inference_spec
from shapely_nn.layers._dropout import dropout_masked


def test_inference_follows_the_seed_spec_scaling_by_keep_probability(
    rng: np.random.Generator,
) -> None:
    x = rng.standard_normal((3, 4)).astype(np.float32)
    y = Dropout(0.25)(Tensor(x))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), x * np.float32(0.75), rtol=1e-7)
    np.testing.assert_array_equal(y.numpy(), dropout_inference_spec(0.25, x))


def test_inference_spec_is_the_identity_at_p_zero(rng: np.random.Generator) -> None:
    x = rng.standard_normal((2, 5))
    np.testing.assert_array_equal(Dropout(0.0)(Tensor(x)).numpy(), x)


def test_identity_inference_matches_torch_eval(rng: np.random.Generator) -> None:
    x = rng.standard_normal((3, 4)).astype(np.float32)
    layer = Dropout(0.4, inference="identity")
    module = to_torch(layer).eval()
    np.testing.assert_array_equal(layer(Tensor(x)).numpy(), module(torch.from_numpy(x)).numpy())


def test_inference_backward_scales_like_the_forward(rng: np.random.Generator) -> None:
    layer = Dropout(0.3)
    x = rng.standard_normal((2, 3))
    w = rng.standard_normal((2, 3))
    _, cache = layer.forward(Tensor(x))
    _, dx = layer.backward(cache, Tensor(w))
    check_layer_gradients(layer, lambda: layer(Tensor(x)), {"x": x}, {}, {"x": dx}, w)


def test_training_keeps_about_one_minus_p_and_scales_kept_elements(
    rng: np.random.Generator,
) -> None:
    x = rng.standard_normal((200, 500)).astype(np.float32) + 3.0
    y, cache = Dropout(0.3).forward(Tensor(x), rng=rng)
    kept = y.numpy() != 0
    assert cache.keep is not None
    np.testing.assert_array_equal(kept, cache.keep)
    assert abs(kept.mean() - 0.7) < 0.005
    np.testing.assert_allclose(y.numpy()[kept], x[kept] / np.float32(0.7), rtol=1e-6)


def test_training_is_unbiased_on_average(rng: np.random.Generator) -> None:
    x = np.full((400, 400), 2.0)
    y, _ = Dropout(0.5).forward(Tensor(x), rng=rng)
    assert abs(y.numpy().mean() - 2.0) < 0.02


def test_training_scale_matches_torch(rng: np.random.Generator) -> None:
    x = rng.standard_normal((50, 40)).astype(np.float32) + 5.0
    torch.manual_seed(0)
    theirs = to_torch(Dropout(0.35, inference="identity")).train()(torch.from_numpy(x)).numpy()
    keep = theirs != 0
    np.testing.assert_allclose(dropout_masked(0.35, keep, x), theirs, rtol=1e-6)


def test_same_generator_seed_gives_the_same_mask(rng: np.random.Generator) -> None:
    x = Tensor(rng.standard_normal((8, 9)))
    a, _ = Dropout(0.5).forward(x, rng=np.random.default_rng(1))
    b, _ = Dropout(0.5).forward(x, rng=np.random.default_rng(1))
    c, _ = Dropout(0.5).forward(x, rng=np.random.default_rng(2))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())


def test_training_gradcheck_with_a_fixed_mask(rng: np.random.Generator) -> None:
    layer = Dropout(0.4)
    x = rng.standard_normal((3, 5))
    w = rng.standard_normal((3, 5))

    def run() -> Tensor:  # type: ignore[type-arg]
        return layer.forward(Tensor(x), rng=np.random.default_rng(11))[0]

    _, cache = layer.forward(Tensor(x), rng=np.random.default_rng(11))
    _, dx = layer.backward(cache, Tensor(w))
    check_layer_gradients(layer, run, {"x": x}, {}, {"x": dx}, w)


def test_p_one_drops_everything_and_p_zero_nothing(rng: np.random.Generator) -> None:
    x = Tensor(rng.standard_normal((4, 4)))
    assert not Dropout(1.0).forward(x, rng=rng)[0].numpy().any()
    np.testing.assert_array_equal(Dropout(0.0).forward(x, rng=rng)[0].numpy(), x.numpy())


def test_probability_outside_unit_interval_is_refused() -> None:
    with pytest.raises(GuardError, match=r"^0 <= p <= 1 does not hold: p = 1.5$"):
        Dropout(1.5)


def test_spec_rule_has_no_torch_counterpart() -> None:
    with pytest.raises(TypeError, match="inference='spec'"):
        to_torch(Dropout(0.2))


def test_backward_checks_the_gradient_shape(rng: np.random.Generator) -> None:
    _, cache = Dropout(0.2).forward(Tensor(rng.standard_normal((2, 3))), rng=rng)
    with pytest.raises(
        ShapeError, match=r"Dropout.backward: grad_y has shape \[3\], expected \[2, 3\]"
    ):
        Dropout(0.2).backward(cache, Tensor(np.zeros(3)))
