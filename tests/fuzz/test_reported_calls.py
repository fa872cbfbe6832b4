"""The wrong calls of issue 15 that gave a raw error or were accepted: each now gets a clear one.

The input rule: a layer, module or model refuses anything but a ``Tensor`` with a ``TypeError``
naming the callee, the argument, what it got and the fix. A ``bool`` is not a size or a rate,
and a negative decode length gets the guard's message.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import shapely_nn as sn
from shapely_nn import layers, models, modules
from shapely_nn.guards import GuardError

WRONG_INPUTS = [
    pytest.param(np.zeros((2, 3), np.float32), "numpy.ndarray of shape (2, 3)", id="ndarray"),
    pytest.param(None, "None", id="None"),
    pytest.param([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], "list of length 2", id="list"),
    pytest.param(1.0, "float 1.0", id="scalar"),
]


@pytest.mark.parametrize(("value", "got"), WRONG_INPUTS)
def test_linear_refuses_a_non_tensor_naming_argument_and_fix(value: Any, got: str) -> None:
    linear = layers.Linear(3, 2, rng=0)
    with pytest.raises(TypeError) as caught:
        linear(value)
    message = str(caught.value)
    assert message.startswith('Linear: argument "x" must be a shapely_nn Tensor, got ' + got)
    assert message.endswith("; wrap it with shapely_nn.tensor(...)")


@pytest.mark.parametrize(("value", "got"), WRONG_INPUTS)
def test_lstm_refuses_a_non_tensor_naming_argument_and_fix(value: Any, got: str) -> None:
    lstm = modules.LSTM(3, 2, rng=0)
    with pytest.raises(TypeError) as caught:
        lstm(value)
    message = str(caught.value)
    assert message.startswith('LSTM[3, 2]: argument "x" must be a shapely_nn Tensor, got ' + got)
    assert message.endswith("; wrap it with shapely_nn.tensor(...)")


def test_wrapping_the_array_gives_the_layers_result() -> None:
    linear = layers.Linear(3, 2, rng=0)
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    expected = array @ linear.weight.T + linear.bias
    np.testing.assert_allclose(linear(sn.tensor(array)).numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize(
    ("build", "name"),
    [
        pytest.param(lambda: layers.LSTMCell(True, 4, rng=0), "input_size", id="LSTMCell"),
        pytest.param(lambda: layers.RNNCell(3, True, rng=0), "hidden_size", id="RNNCell"),
        pytest.param(lambda: layers.MultiHeadAttention(4, True, rng=0), "heads", id="MHA heads"),
        pytest.param(lambda: modules.LSTM(True, 4, rng=0), "input_size", id="LSTM"),
    ],
)
def test_a_bool_is_not_a_size(build: Any, name: str) -> None:
    with pytest.raises(TypeError, match=f"^{name} must be an int, got bool True; a bool is not"):
        build()


def test_a_bool_is_not_a_dropout_rate() -> None:
    with pytest.raises(TypeError, match="^p must be a real number, got bool True"):
        layers.Dropout(True)


def test_a_negative_decode_length_gets_the_guard_message() -> None:
    model = models.Seq2Seq.init(5, 7, 8, 6, rng=0)
    src = sn.tensor(np.array([[1], [2]]))
    with pytest.raises(GuardError, match="^max_len > 0 does not hold: max_len = -1$"):
        model.forward_inference(src, 0, -1)


def test_zero_and_positive_decode_lengths_keep_their_answers() -> None:
    model = models.Seq2Seq.init(5, 7, 8, 6, rng=0)
    src = sn.tensor(np.array([[1], [2]]))
    with pytest.raises(GuardError, match="^max_len > 0 does not hold: max_len = 0$"):
        model.forward_inference(src, 0, 0)
    logits, tokens = model.forward_inference(src, 0, 3)
    assert logits.shape == sn.Shape.of(3, 1, 7)
    np.testing.assert_array_equal(tokens.numpy(), logits.numpy().argmax(axis=-1))
