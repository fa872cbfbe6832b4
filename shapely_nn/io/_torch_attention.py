"""``to_torch`` for activations, LayerNorm, Dropout, multi-head attention and transformer layers.

Parameter layouts map one to one: ``MultiHeadAttention.in_proj`` is ``in_proj_weight`` /
``in_proj_bias`` and ``out_proj`` is ``out_proj``; the transformer layers' sub-layers keep
PyTorch's attribute names (``self_attn``, ``multihead_attn``, ``linear1``, ``norm1``...).
Every module is built batch-first; attention modules come back in training mode (so autograd
and dropout behave as in PyTorch's ``train()``); call ``.eval()`` for inference.
"""

from __future__ import annotations

from typing import Any

from shapely_nn.io._torch import _torch_dtype, as_parameter, require_torch, to_torch
from shapely_nn.layers._activations import GELU, ReLU, Sigmoid, Tanh
from shapely_nn.layers._dropout import Dropout
from shapely_nn.layers._layernorm import LayerNorm
from shapely_nn.layers._mha import MultiHeadAttention
from shapely_nn.layers._softmax import LogSoftmax, Softmax
from shapely_nn.layers._transformer import TransformerDecoderLayer, TransformerEncoderLayer


def activation_name(layer: Any) -> str:
    """``"relu"`` or ``"gelu"``: the feed-forward activation of a torch transformer layer."""
    act = layer.activation
    name = str(getattr(act, "__name__", type(act).__name__)).lower()
    if name not in ("relu", "gelu"):
        raise TypeError(f"transformer layer activation {name!r}: only relu and gelu map")
    return name


@to_torch.register
def _tanh(module: Tanh) -> Any:
    return require_torch().nn.Tanh()


@to_torch.register
def _sigmoid(module: Sigmoid) -> Any:
    return require_torch().nn.Sigmoid()


@to_torch.register
def _relu(module: ReLU) -> Any:
    return require_torch().nn.ReLU()


@to_torch.register
def _gelu(module: GELU) -> Any:
    return require_torch().nn.GELU(approximate=module.approximate)


@to_torch.register
def _softmax(module: Softmax) -> Any:
    return require_torch().nn.Softmax(dim=module.axis)


@to_torch.register
def _log_softmax(module: LogSoftmax) -> Any:
    return require_torch().nn.LogSoftmax(dim=module.axis)


@to_torch.register
def _dropout(module: Dropout) -> Any:
    """``nn.Dropout(p)``, for ``inference="identity"`` or ``p = 0`` (what ``eval()`` matches)."""
    if module.inference == "spec" and module.p != 0.0:
        raise TypeError(
            "to_torch: Dropout(inference='spec') scales by (1 - p) at inference, which "
            "nn.Dropout does not; use Dropout(p, inference='identity') for a PyTorch match"
        )
    return require_torch().nn.Dropout(module.p)


@to_torch.register
def _layer_norm(module: LayerNorm) -> Any:  # type: ignore[type-arg]
    torch = require_torch()
    out = torch.nn.LayerNorm(
        module.size, eps=module.eps, dtype=_torch_dtype(torch, module.weight.dtype)
    )
    out.weight = as_parameter(torch, module.weight)
    out.bias = as_parameter(torch, module.bias)
    return out


def _copy_attention(torch: Any, target: Any, module: MultiHeadAttention[Any, Any]) -> None:
    target.in_proj_weight = as_parameter(torch, module.in_proj.weight)
    target.in_proj_bias = as_parameter(torch, module.in_proj.bias)
    target.out_proj.weight = as_parameter(torch, module.out_proj.weight)
    target.out_proj.bias = as_parameter(torch, module.out_proj.bias)


@to_torch.register
def _multi_head_attention(module: MultiHeadAttention) -> Any:  # type: ignore[type-arg]
    torch = require_torch()
    out = torch.nn.MultiheadAttention(
        module.embed_dim,
        module.num_heads,
        dropout=module.dropout,
        batch_first=True,
        dtype=_torch_dtype(torch, module.in_proj.weight.dtype),
    )
    _copy_attention(torch, out, module)
    return out


def _layer_args(module: Any) -> tuple[int, int]:
    return module.embed_dim, module.num_heads


def _layer_kwargs(torch: Any, module: Any) -> dict[str, Any]:
    """The constructor settings both torch transformer layers take (post-norm, batch-first)."""
    return {
        "dim_feedforward": module.ff_dim,
        "dropout": module.dropout,
        "activation": module.activation,
        "layer_norm_eps": module.norm1.eps,
        "batch_first": True,
        "norm_first": False,
        "dtype": _torch_dtype(torch, module.norm1.weight.dtype),
    }


def _copy_common(torch: Any, target: Any, module: Any) -> None:
    for name in ("linear1", "linear2", "norm1", "norm2"):
        source, dest = getattr(module, name), getattr(target, name)
        dest.weight = as_parameter(torch, source.weight)
        dest.bias = as_parameter(torch, source.bias)
    _copy_attention(torch, target.self_attn, module.self_attn)


@to_torch.register
def _encoder_layer(module: TransformerEncoderLayer) -> Any:  # type: ignore[type-arg]
    torch = require_torch()
    out = torch.nn.TransformerEncoderLayer(*_layer_args(module), **_layer_kwargs(torch, module))
    _copy_common(torch, out, module)
    return out


@to_torch.register
def _decoder_layer(module: TransformerDecoderLayer) -> Any:  # type: ignore[type-arg]
    torch = require_torch()
    out = torch.nn.TransformerDecoderLayer(*_layer_args(module), **_layer_kwargs(torch, module))
    _copy_common(torch, out, module)
    out.norm3.weight = as_parameter(torch, module.norm3.weight)
    out.norm3.bias = as_parameter(torch, module.norm3.bias)
    _copy_attention(torch, out.multihead_attn, module.multihead_attn)
    return out
