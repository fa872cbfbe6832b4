"""``to_torch`` for the embedding and recurrent layers: the exact parameter-layout mapping.

Our layout (the seeds'): per gate a weight ``[H, In + H]`` on ``[x; h]`` and one bias ``[H]``.
PyTorch's: the gates stacked along rows, split by input, two biases::

    weight_ih = cat(W_gate[:, :In] for gate in ORDER)     [G*H, In]
    weight_hh = cat(W_gate[:, In:] for gate in ORDER)     [G*H, H]
    bias_ih   = cat(b_gate for gate in ORDER)             [G*H]
    bias_hh   = 0 (except the GRU candidate's b_hn)       [G*H]

with ``ORDER`` = i, f, g, o for the LSTM (input, forget, candidate, output), r, z, n for the GRU
(reset, update, candidate; ``bias_ih``'s n part is ``candidate_input_bias``, ``bias_hh``'s n part
``candidate_hidden_bias``), the single tanh gate for the RNN. Sequence modules map to one
layer (``_l0``), ``Bidirectional`` adds the backward direction as ``_l0_reverse``,
``RecurrentStack`` maps layer ``k`` to ``_l{k}`` (``num_layers = len(layers)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from shapely_nn.io._torch import _torch_dtype, as_parameter, require_torch, to_torch
from shapely_nn.layers._base import Array
from shapely_nn.layers._embedding import Embedding
from shapely_nn.layers._gru import GRUCell, GRUParameters
from shapely_nn.layers._lstm import LSTMCell, LSTMParameters
from shapely_nn.layers._recurrent_base import RecurrentParameters
from shapely_nn.layers._rnn import RNNCell, RNNParameters
from shapely_nn.modules._bidirectional import Bidirectional
from shapely_nn.modules._recurrent import GRU, LSTM, RNN
from shapely_nn.modules._stacked import RecurrentStack

LSTM_TORCH_ORDER = ("input", "forget", "candidate", "output")
GRU_TORCH_ORDER = ("reset", "update", "candidate")


def torch_layout(layer: RecurrentParameters) -> dict[str, Array]:
    """``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` of ``layer`` in PyTorch's layout."""
    in_size = layer.input_size
    if isinstance(layer, LSTMParameters):
        w = np.concatenate([getattr(layer, f"{g}_weights") for g in LSTM_TORCH_ORDER])
        b_ih = np.concatenate([getattr(layer, f"{g}_bias") for g in LSTM_TORCH_ORDER])
        b_hh = np.zeros_like(b_ih)
    elif isinstance(layer, GRUParameters):
        w = np.concatenate([getattr(layer, f"{g}_weights") for g in GRU_TORCH_ORDER])
        b_ih = np.concatenate([layer.reset_bias, layer.update_bias, layer.candidate_input_bias])
        zeros = np.zeros_like(layer.reset_bias)
        b_hh = np.concatenate([zeros, zeros, layer.candidate_hidden_bias])
    elif isinstance(layer, RNNParameters):
        w, b_ih = layer.weight, layer.bias
        b_hh = np.zeros_like(b_ih)
    else:
        raise TypeError(f"torch_layout: not a recurrent layer: {type(layer).__name__}")
    return {
        "weight_ih": np.ascontiguousarray(w[:, :in_size]),
        "weight_hh": np.ascontiguousarray(w[:, in_size:]),
        "bias_ih": b_ih,
        "bias_hh": b_hh,
    }


def _set(torch: Any, module: Any, layer: RecurrentParameters, suffix: str) -> None:
    for name, array in torch_layout(layer).items():
        setattr(module, f"{name}{suffix}", as_parameter(torch, array))


@to_torch.register
def _embedding(module: Embedding) -> Any:  # type: ignore[type-arg]
    torch = require_torch()
    out = torch.nn.Embedding(
        module.vocab_size, module.embed_dim, dtype=_torch_dtype(torch, module.weight.dtype)
    )
    out.weight = as_parameter(torch, module.weight)
    return out


def _cell(torch: Any, layer: RecurrentParameters) -> Any:
    cls = {"RNN": torch.nn.RNNCell, "LSTM": torch.nn.LSTMCell, "GRU": torch.nn.GRUCell}
    out = cls[layer.kind](
        layer.input_size, layer.hidden_size, dtype=_torch_dtype(torch, layer.dtype)
    )
    _set(torch, out, layer, "")
    return out


@to_torch.register
def _rnn_cell(module: RNNCell) -> Any:  # type: ignore[type-arg]
    return _cell(require_torch(), module)


@to_torch.register
def _lstm_cell(module: LSTMCell) -> Any:  # type: ignore[type-arg]
    return _cell(require_torch(), module)


@to_torch.register
def _gru_cell(module: GRUCell) -> Any:  # type: ignore[type-arg]
    return _cell(require_torch(), module)


def _sequence(torch: Any, directions: list[list[RecurrentParameters]], bidirectional: bool) -> Any:
    """``directions[k]`` holds layer ``k``'s forward (and backward) module."""
    first = directions[0][0]
    cls = {"RNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[first.kind]
    out = cls(
        first.input_size,
        first.hidden_size,
        num_layers=len(directions),
        bidirectional=bidirectional,
        dtype=_torch_dtype(torch, first.dtype),
    )
    for k, layer in enumerate(directions):
        for direction, module in zip(("", "_reverse"), layer, strict=False):
            _set(torch, out, module, f"_l{k}{direction}")
    return out


@to_torch.register
def _rnn(module: RNN) -> Any:  # type: ignore[type-arg]
    return _sequence(require_torch(), [[module]], False)


@to_torch.register
def _lstm(module: LSTM) -> Any:  # type: ignore[type-arg]
    return _sequence(require_torch(), [[module]], False)


@to_torch.register
def _gru(module: GRU) -> Any:  # type: ignore[type-arg]
    return _sequence(require_torch(), [[module]], False)


@to_torch.register
def _bidirectional(module: Bidirectional) -> Any:  # type: ignore[type-arg]
    return _sequence(require_torch(), [[module.forward_layer, module.backward_layer]], True)


@to_torch.register
def _stacked(module: RecurrentStack) -> Any:  # type: ignore[type-arg]
    layers = module.layers
    bidirectional = isinstance(layers[0], Bidirectional)
    directions: list[list[RecurrentParameters]] = []
    for layer in layers:
        if isinstance(layer, Bidirectional) != bidirectional:
            raise TypeError(
                "to_torch: a RecurrentStack mixing uni- and bidirectional layers has no torch form"
            )
        pair = (
            [layer.forward_layer, layer.backward_layer]
            if isinstance(layer, Bidirectional)
            else [layer]
        )
        if pair[0].kind != directions[0][0].kind if directions else False:
            raise TypeError("to_torch: a RecurrentStack mixing RNN kinds has no torch form")
        directions.append(list(pair))
    return _sequence(require_torch(), directions, bidirectional)
