"""Activations and softmax layers: erf accuracy, PyTorch parity, gradcheck, error text."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _attn_helpers import assert_rel_close, check_layer_gradients, leaf

from shapely_nn import ShapeError, Tensor
from shapely_nn.io import to_torch
from shapely_nn.layers import GELU, LogSoftmax, NoGrads, ReLU, Sigmoid, Softmax, Tanh
from shapely_nn.layers._activations import erf

ACTIVATIONS = {
    "tanh": Tanh(),
    "sigmoid": Sigmoid(),
    "relu": ReLU(),
    "gelu": GELU(),
    "gelu_tanh": GELU(approximate="tanh"),
}


def test_erf_agrees_with_math_erf_in_float64() -> None:
    x = np.concatenate([np.linspace(-7, 7, 20001), np.logspace(-300, 1, 400), [0.0, -0.0]])
    reference = np.array([math.erf(v) for v in x])
    ours = erf(x)
    assert np.all(np.abs(ours - reference) <= 30 * np.spacing(np.abs(reference)) + 1e-300)


def test_erf_is_odd_and_saturates_without_floating_point_errors() -> None:
    x = np.array([1e-8, 0.5, 1.9999, 2.0, 5.0, 40.0, 1e300])
    np.testing.assert_array_equal(erf(-x), -erf(x))
    assert erf(np.array([40.0, 1e300]))[0] == 1.0


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_matches_torch_forward_and_backward(
    rng: np.random.Generator, name: str, dtype: type
) -> None:
    layer = ACTIVATIONS[name]
    x = (rng.standard_normal((3, 4, 5)) * 3).astype(dtype)
    g = rng.standard_normal((3, 4, 5)).astype(dtype)
    y, cache = layer.forward(Tensor(x))
    grads, dx = layer.backward(cache, Tensor(g))
    xt = leaf(x)
    yt = to_torch(layer)(xt)
    (yt * torch.from_numpy(g)).sum().backward()
    rtol = 1e-5 if dtype == np.float32 else 1e-13
    assert y.dtype == dtype and dx.dtype == dtype
    assert_rel_close(y, yt, rtol, what="output")
    assert_rel_close(dx, xt.grad, rtol, what="grad x")
    assert isinstance(grads, NoGrads) and grads.as_dict() == {}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_gradcheck(rng: np.random.Generator, name: str) -> None:
    layer = ACTIVATIONS[name]
    x = rng.standard_normal((2, 7)) * 2
    w = rng.standard_normal((2, 7))
    _, cache = layer.forward(Tensor(x))
    _, dx = layer.backward(cache, Tensor(w))
    check_layer_gradients(layer, lambda: layer(Tensor(x)), {"x": x}, {}, {"x": dx}, w)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_far_tails_match_torch_without_underflow_errors(approximate: str) -> None:
    layer = GELU(approximate=approximate)  # type: ignore[arg-type]
    x = np.array([-1e3, -60.0, -12.0, -8.0, 8.0, 60.0, 1e3])
    y, cache = layer.forward(Tensor(x))
    _, dx = layer.backward(cache, Tensor(np.ones_like(x)))
    xt = leaf(x)
    yt = torch.nn.functional.gelu(xt, approximate=approximate)
    yt.sum().backward()
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dx.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_gelu_rejects_an_unknown_approximation() -> None:
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        GELU(approximate="erf")  # type: ignore[arg-type]


def test_integer_input_is_refused() -> None:
    with pytest.raises(TypeError, match="ReLU expects a float32 or float64 tensor, got int64"):
        ReLU()(Tensor(np.arange(3)))


def test_backward_checks_the_upstream_gradient_shape(rng: np.random.Generator) -> None:
    _, cache = Tanh().forward(Tensor(rng.standard_normal((2, 3))))
    with pytest.raises(
        ShapeError, match=r"Tanh.backward: grad_y has shape \[3, 2\], expected \[2, 3\]"
    ):
        Tanh().backward(cache, Tensor(np.zeros((3, 2))))


@pytest.mark.parametrize("layer", [Softmax(), LogSoftmax(), Softmax(axis=1), LogSoftmax(axis=0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_layers_match_torch(
    rng: np.random.Generator, layer: Softmax | LogSoftmax, dtype: type
) -> None:
    x = (rng.standard_normal((3, 4, 5)) * 4).astype(dtype)
    g = rng.standard_normal((3, 4, 5)).astype(dtype)
    y, cache = layer.forward(Tensor(x))
    _, dx = layer.backward(cache, Tensor(g))
    xt = leaf(x)
    yt = to_torch(layer)(xt)
    (yt * torch.from_numpy(g)).sum().backward()
    rtol = 1e-5 if dtype == np.float32 else 1e-13
    assert_rel_close(y, yt, rtol, what="output")
    assert_rel_close(dx, xt.grad, rtol, what="grad x")


@pytest.mark.parametrize("layer", [Softmax(axis=0), LogSoftmax()])
def test_softmax_layers_gradcheck(rng: np.random.Generator, layer: Softmax | LogSoftmax) -> None:
    x = rng.standard_normal((3, 4)) * 3
    w = rng.standard_normal((3, 4))
    _, cache = layer.forward(Tensor(x))
    _, dx = layer.backward(cache, Tensor(w))
    check_layer_gradients(layer, lambda: layer(Tensor(x)), {"x": x}, {}, {"x": dx}, w)


def test_softmax_is_stable_for_huge_logits() -> None:
    x = np.array([[1000.0, 0.0, -1000.0]], dtype=np.float32)
    y = Softmax()(Tensor(x)).numpy()
    assert np.isfinite(y).all() and y.sum() == pytest.approx(1.0)
    assert np.isfinite(LogSoftmax()(Tensor(x)).numpy()).all()


def test_softmax_axis_beyond_rank_names_the_need() -> None:
    with pytest.raises(
        ShapeError,
        match=r"Softmax\(axis=2\) needs a tensor with at least 3 dims, got shape \[2, 3\]",
    ):
        Softmax(axis=2)(Tensor(np.zeros((2, 3))))
