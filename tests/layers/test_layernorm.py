"""LayerNorm[D]: PyTorch parity (output and every gradient), gradcheck, shape errors, guard."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _attn_helpers import (
    assert_param_grads_match,
    assert_rel_close,
    check_layer_gradients,
    leaf,
    randomized,
)

from shapely_nn import GuardError, ShapeError, Tensor
from shapely_nn.io import to_torch
from shapely_nn.layers import LayerNorm, LayerNormGrads


@pytest.mark.parametrize("batch", [(), (3,), (2, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_torch_output_and_all_gradients(
    rng: np.random.Generator, batch: tuple[int, ...], dtype: type
) -> None:
    layer = randomized(LayerNorm(6, dtype=dtype), rng)
    x = (rng.standard_normal((*batch, 6)) * 3 + 1).astype(dtype)
    g = rng.standard_normal((*batch, 6)).astype(dtype)
    y, cache = layer.forward(Tensor(x))
    grads, dx = layer.backward(cache, Tensor(g))
    module = to_torch(layer)
    xt = leaf(x)
    yt = module(xt)
    (yt * torch.from_numpy(g)).sum().backward()
    rtol = 1e-4 if dtype == np.float32 else 1e-12
    assert y.dtype == dtype
    assert_rel_close(y, yt, rtol, what="output")
    assert_rel_close(dx, xt.grad, rtol, what="grad x")
    assert_param_grads_match(module, grads.as_dict(), rtol)


def test_custom_eps_is_carried_to_torch(rng: np.random.Generator) -> None:
    layer = LayerNorm(4, eps=0.5, dtype=np.float64)
    x = rng.standard_normal((3, 4)) * 0.1
    module = to_torch(layer)
    assert module.eps == 0.5
    assert_rel_close(layer(Tensor(x)), module(torch.from_numpy(x)), 1e-12)


def test_gradcheck_weight_bias_and_input(rng: np.random.Generator) -> None:
    layer = randomized(LayerNorm(5, dtype=np.float64), rng)
    x = rng.standard_normal((2, 3, 5))
    w = rng.standard_normal((2, 3, 5))
    _, cache = layer.forward(Tensor(x))
    grads, dx = layer.backward(cache, Tensor(w))
    assert isinstance(grads, LayerNormGrads)
    check_layer_gradients(layer, lambda: layer(Tensor(x)), {"x": x}, grads.as_dict(), {"x": dx}, w)


def test_output_rows_have_zero_mean_and_unit_variance_at_default_init(
    rng: np.random.Generator,
) -> None:
    x = rng.standard_normal((4, 16)) * 5 + 3
    y = LayerNorm(16, dtype=np.float64)(Tensor(x)).numpy()
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=-1), 1, rtol=1e-3)


def test_wrong_last_dim_names_layer_and_sizes() -> None:
    with pytest.raises(ShapeError, match=r"LayerNorm\[4\] expects last dim 4, got 5 in \[2, 5\]"):
        LayerNorm(4)(Tensor(np.zeros((2, 5), dtype=np.float32)))


def test_dtype_mismatch_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="input dtype float64 differs from weight float32"):
        LayerNorm(4)(Tensor(np.zeros((2, 4))))


def test_zero_size_is_a_guard_error() -> None:
    with pytest.raises(GuardError, match="size > 0 does not hold: size = 0"):
        LayerNorm(0)
