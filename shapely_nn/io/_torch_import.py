"""The way back from PyTorch: ``load_state_dict`` and ``from_torch``.

``load_state_dict(module, state_dict)`` needs no per-layer code: it exports a probe copy of
``module`` whose parameters hold their own element numbers, reads off where ``to_torch`` put
each element, and gathers the incoming values from those places. The one layout difference
that is not a copy, PyTorch's second recurrent bias (``bias_hh``, summed with ``bias_ih``
wherever the seed layout has one bias), is folded in; the result is exported again and
compared with the input, so a state dict the layout cannot hold is refused, not half-loaded.

``from_torch(torch_module)`` maps the structure (standard modules and the adapters of
``to_torch``) onto fresh shapely_nn modules, then loads the parameters the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np

from shapely_nn._shape import ShapeError
from shapely_nn._tensor import describe
from shapely_nn.io._torch import require_torch, to_torch
from shapely_nn.io._torch_attention import activation_name
from shapely_nn.layers import (
    GELU,
    Dropout,
    Embedding,
    LayerNorm,
    Linear,
    LogSoftmax,
    MultiHeadAttention,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    TransformerDecoderLayer,
    TransformerEncoderLayer,
)
from shapely_nn.layers._attention import EncoderAttention, ScaledDotProductAttention
from shapely_nn.layers._base import Array, Layer, ParameterNameError, require_module
from shapely_nn.layers._gru import GRUCell
from shapely_nn.layers._lstm import LSTMCell
from shapely_nn.layers._rnn import RNNCell
from shapely_nn.models._quivers import Columns
from shapely_nn.models._recurrent_models import AttentionLSTM, LSTMLanguageModel
from shapely_nn.models._seq2seq import AttentionSeq2Seq, Seq2Seq, Seq2SeqDecoder
from shapely_nn.models._seq2seq_parts import (
    Seq2SeqEmbedding,
    Seq2SeqLSTMEncoder,
    Seq2SeqRNNEncoder,
    Seq2SeqTransformerEncoder,
)
from shapely_nn.models._wiring import Last
from shapely_nn.modules import GRU, LSTM, RNN, Bidirectional, RecurrentStack
from shapely_nn.modules._compose import Chain, Concat, Fan, Parallel, Residual

L = TypeVar("L", bound=Layer)


def _numpy(value: Any) -> Array:
    return np.asarray(value.detach().cpu().numpy() if hasattr(value, "detach") else value)


def load_state_dict(module: L, state_dict: Mapping[str, Any], *, by_position: bool = False) -> L:
    """A copy of ``module`` with the parameters of a PyTorch ``state_dict`` of its export.

    ``by_position`` matches entries in order instead of by name, for a state dict of a module
    with the same structure but other names (an ``nn.Sequential`` for a ``Chain``).
    """
    require_module("load_state_dict", module)
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            'load_state_dict: argument "state_dict" must be a mapping name -> tensor (a torch '
            f"state_dict()), got {describe(state_dict)}"
        )
    params = module.parameters()
    probe_arrays: dict[str, Array] = {}
    start = 1  # 0 marks a place that holds none of our elements
    for name, array in params.items():
        probe_arrays[name] = np.arange(start, start + array.size, dtype=np.float64).reshape(
            array.shape
        )
        start += array.size
    probe = to_torch(module.astype(np.float64).with_parameters(probe_arrays)).state_dict()
    incoming = {k: _numpy(v).astype(np.float64) for k, v in state_dict.items()}
    if by_position:
        if len(incoming) != len(probe):
            raise ParameterNameError(
                f"load_state_dict: state_dict has {len(incoming)} entries for an export with "
                f"{len(probe)}"
            )
        incoming = dict(zip(probe, incoming.values(), strict=True))
    if set(incoming) != set(probe):
        missing, extra = sorted(set(probe) - set(incoming)), sorted(set(incoming) - set(probe))
        raise ParameterNameError(
            f"load_state_dict: state_dict is missing keys {missing}, has unexpected keys {extra}"
        )
    for key, value in incoming.items():
        if value.shape != tuple(probe[key].shape):
            raise ShapeError(
                f"load_state_dict: {key} has shape {list(value.shape)}, the module's export "
                f"has {list(probe[key].shape)}"
            )
    folded = dict(incoming)
    for key in probe:
        if "bias_hh" in key:
            unmapped = _numpy(probe[key]) == 0
            partner = key.replace("bias_hh", "bias_ih")
            folded[partner] = folded[partner] + np.where(unmapped, incoming[key], 0.0)
    values = np.zeros(start)
    seen = np.zeros(start, dtype=bool)
    for key, where in probe.items():
        ids = _numpy(where).astype(np.int64).ravel()
        mapped = ids > 0
        values[ids[mapped]] = folded[key].ravel()[mapped]
        seen[ids[mapped]] = True
    if not seen[1:].all():
        raise ValueError("load_state_dict: the export does not carry every parameter")
    arrays: dict[str, Array] = {}
    offset = 1
    for name, array in params.items():
        arrays[name] = values[offset : offset + array.size].reshape(array.shape).astype(array.dtype)
        offset += array.size
    loaded = module.with_parameters(arrays)
    _verify(loaded, incoming)
    return loaded


def _verify(module: Layer, incoming: Mapping[str, Array]) -> None:
    """The loaded module exports back to ``incoming`` (bias pairs compared as sums)."""
    again = {k: _numpy(v).astype(np.float64) for k, v in to_torch(module).state_dict().items()}
    for key, value in incoming.items():
        if "bias_hh" in key:
            continue
        expected, got = value, again[key]
        pair = key.replace("bias_ih", "bias_hh")
        if "bias_ih" in key and pair in incoming:
            expected, got = value + incoming[pair], got + again[pair]
        if not np.allclose(got, expected, rtol=1e-6, atol=1e-6):
            raise ValueError(
                f"load_state_dict: {key} cannot be held by {type(module).__name__}'s layout "
                "(e.g. a recurrent bias_hh where the seed layout has none)"
            )


# ---- structure ----------------------------------------------------------------------------


def _recurrent(tm: Any, dtype: Any) -> Layer:
    kind = type(tm).__name__
    if tm.batch_first or not tm.bias or getattr(tm, "proj_size", 0):
        raise ValueError(f"from_torch: {kind} needs batch_first=False, bias=True, no proj_size")
    if kind == "RNN" and tm.nonlinearity != "tanh":
        raise ValueError("from_torch: only tanh RNNs have a seed layout")
    if tm.num_layers > 1:
        return RecurrentStack.build(
            kind,
            tm.input_size,
            tm.hidden_size,
            tm.num_layers,
            rng=0,
            bidirectional=tm.bidirectional,
            dtype=dtype,
        )
    cls: Any = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}[kind]
    if tm.bidirectional:
        return Bidirectional(
            cls(tm.input_size, tm.hidden_size, rng=0, dtype=dtype),
            cls(tm.input_size, tm.hidden_size, rng=0, dtype=dtype),
        )
    return cls(tm.input_size, tm.hidden_size, rng=0, dtype=dtype)  # type: ignore[no-any-return]


def _transformer(tm: Any, dtype: Any) -> Layer:
    if not tm.self_attn.batch_first or tm.norm_first:
        raise ValueError("from_torch: transformer layers need batch_first=True, norm_first=False")
    cls: Any = (
        TransformerEncoderLayer
        if type(tm).__name__ == "TransformerEncoderLayer"
        else TransformerDecoderLayer
    )
    activation = activation_name(tm)
    return cls(  # type: ignore[no-any-return]
        tm.self_attn.embed_dim,
        tm.self_attn.num_heads,
        tm.linear1.out_features,
        activation=activation,
        dropout=tm.dropout.p,
        layer_norm_eps=tm.norm1.eps,
        rng=0,
        dtype=dtype,
    )


def _structure(tm: Any, dtype: Any) -> Layer:
    """A fresh shapely_nn module with the structure of ``tm``."""
    name = type(tm).__name__
    simple: dict[str, Any] = {
        "Tanh": Tanh,
        "ReLU": ReLU,
        "Sigmoid": Sigmoid,
        "ConcatLast": Concat,
        "LastStep": Last,
    }
    if name in simple:
        return simple[name]()  # type: ignore[no-any-return]
    if name == "Linear":
        return Linear(tm.in_features, tm.out_features, rng=0, dtype=dtype)
    if name == "Embedding":
        return Embedding(tm.num_embeddings, tm.embedding_dim, rng=0, dtype=dtype)
    if name in ("RNN", "LSTM", "GRU"):
        return _recurrent(tm, dtype)
    if name == "LayerNorm":
        (size,) = tm.normalized_shape
        return LayerNorm(size, eps=tm.eps, dtype=dtype)
    if name == "MultiheadAttention":
        if not tm.batch_first:
            raise ValueError("from_torch: MultiheadAttention needs batch_first=True")
        return MultiHeadAttention(
            tm.embed_dim, tm.num_heads, dropout=tm.dropout, rng=0, dtype=dtype
        )
    if name in ("TransformerEncoderLayer", "TransformerDecoderLayer"):
        return _transformer(tm, dtype)
    if name == "GELU":
        return GELU(approximate=tm.approximate)
    if name == "Dropout":
        return Dropout(tm.p, inference="identity")
    if name in ("Softmax", "LogSoftmax"):
        return (Softmax if name == "Softmax" else LogSoftmax)(axis=tm.dim)
    if name in ("Sequential", "Sequence"):
        parts = list(tm) if name == "Sequential" else list(tm.parts)
        return Chain([_structure(p, dtype) for p in parts])
    if name == "FanHeads":
        return Fan([_structure(h, dtype) for h in tm.heads])
    if name == "Branches":
        return Parallel([_structure(b, dtype) for b in tm.branches])
    if name == "Residual":
        return Residual(_structure(tm.block, dtype))
    if name in ("RNNCell", "LSTMCell", "GRUCell"):
        if not tm.bias or getattr(tm, "nonlinearity", "tanh") != "tanh":
            raise ValueError(f"from_torch: {name} needs bias=True and tanh")
        cell: Any = {"RNNCell": RNNCell, "LSTMCell": LSTMCell, "GRUCell": GRUCell}[name]
        return cell(tm.input_size, tm.hidden_size, rng=0, dtype=dtype)  # type: ignore[no-any-return]
    zoo = _zoo_structure(tm, dtype)
    if zoo is not None:
        return zoo
    raise TypeError(f"from_torch: no shapely_nn equivalent for torch module {name}")


def _zoo_structure(tm: Any, dtype: Any) -> Layer | None:
    """The zoo's classes (``ZOO_SOURCE``) and the other adapters, or ``None``."""
    name = type(tm).__name__

    def part(sub: Any, dtype: Any) -> Any:  # the zoo's constructors want their part types
        return _structure(sub, dtype)

    if name == "SplitColumns":
        return Columns()
    if name == "ScaledDotProductAttention":
        return ScaledDotProductAttention()
    if name == "EncoderAttention":
        return EncoderAttention(tm.projection.in_features, rng=0, dtype=dtype)
    if name == "LSTMLanguageModel":
        core = part(tm.layers, dtype)
        stack = core if isinstance(core, RecurrentStack) else RecurrentStack([core])
        return LSTMLanguageModel(
            part(tm.embedding, dtype),
            stack,
            part(tm.output_projection, dtype),
            tm.dropout_rate,
        )
    if name == "AttentionLSTM":
        return AttentionLSTM(*(part(getattr(tm, a), dtype) for a in tm.init_args))
    if name == "Seq2SeqEmbedding":
        return Seq2SeqEmbedding(part(tm.embedding, dtype), tm.dropout_rate)
    if name == "Seq2SeqRNNEncoder":
        return Seq2SeqRNNEncoder(part(tm.rnn, dtype), tm.dropout_rate)
    if name == "Seq2SeqLSTMEncoder":
        return Seq2SeqLSTMEncoder(part(tm.lstm, dtype), tm.dropout_rate)
    if name == "Seq2SeqTransformerEncoder":
        blocks = tuple(part(layer, dtype) for layer in tm.layers)
        return Seq2SeqTransformerEncoder(blocks, tm.dropout_rate, tm.positional_encoding)
    if name == "Seq2SeqDecoder":
        attention = None if tm.attention is None else part(tm.attention, dtype)
        return Seq2SeqDecoder(
            part(tm.rnn, dtype),
            part(tm.output_projection, dtype),
            attention,
            tm.dropout_rate,
            tm.causal,
        )
    if name in ("Seq2Seq", "AttentionSeq2Seq"):
        cls: Any = Seq2Seq if name == "Seq2Seq" else AttentionSeq2Seq
        return cls(*(part(getattr(tm, a), dtype) for a in tm.init_args))  # type: ignore[no-any-return]
    return None


def from_torch(torch_module: Any) -> Any:
    """The shapely_nn module equivalent to ``torch_module``, with its parameters."""
    torch = require_torch()
    dtypes = {p.dtype for p in torch_module.parameters()}
    dtype = np.float64 if dtypes == {torch.float64} else np.float32
    module = _structure(torch_module, dtype)
    return load_state_dict(module, torch_module.state_dict(), by_position=True)
