"""``to_pytorch_source``: readable PyTorch code that builds a module's equivalent.

The code is read off the exported module tree (``to_torch(module)``), so it is the same
structure by construction: standard ``torch.nn`` constructors for the parts, and the small
adapter classes for the combinators, printed from the very source ``to_torch`` runs. The
generated ``build()`` returns a fresh module; ``load_state_dict(to_torch(m).state_dict())``
then gives it the same parameters.
"""

from __future__ import annotations

from typing import Any

from shapely_nn.io._torch import require_torch, to_torch
from shapely_nn.io._torch_compose import ADAPTER_NAMES, ADAPTER_SOURCE

# torch modules whose extra_repr() is exactly their constructor's arguments
_BY_REPR = (
    "Linear",
    "Embedding",
    "RNN",
    "LSTM",
    "GRU",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "LayerNorm",
    "Tanh",
    "ReLU",
    "Sigmoid",
    "GELU",
    "Softmax",
    "LogSoftmax",
    "Dropout",
    "Identity",
)
_LISTS = {"Sequence": "parts", "Branches": "branches", "FanHeads": "heads"}


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.splitlines())


def _mha(m: Any) -> str:
    args = f"{m.embed_dim}, {m.num_heads}, dropout={m.dropout}, batch_first={m.batch_first}"
    return f"nn.MultiheadAttention({args})"


def _transformer_layer(m: Any, kind: str) -> str:
    activation = "gelu" if getattr(m, "activation_relu_or_gelu", 1) == 2 else "relu"
    args = (
        f"{m.self_attn.embed_dim}, {m.self_attn.num_heads}, "
        f"dim_feedforward={m.linear1.out_features}, dropout={m.dropout.p}, "
        f'activation="{activation}", layer_norm_eps={m.norm1.eps}, '
        f"batch_first={m.self_attn.batch_first}, norm_first={m.norm_first}"
    )
    return f"nn.{kind}({args})"


def _expression(m: Any) -> str:
    name = type(m).__name__
    if name in _BY_REPR:
        return f"nn.{name}({m.extra_repr()})"
    if name == "MultiheadAttention":
        return _mha(m)
    if name in ("TransformerEncoderLayer", "TransformerDecoderLayer"):
        return _transformer_layer(m, name)
    if name == "Sequential":
        return "nn.Sequential(\n" + _items(list(m)) + "\n)"
    if name in _LISTS:
        return f"{name}([\n" + _items(list(getattr(m, _LISTS[name]))) + "\n])"
    if name == "Residual":
        return "Residual(\n" + _indent(_expression(m.block), 4) + "\n)"
    if name in ADAPTER_NAMES:
        return f"{name}()"
    raise TypeError(f"to_pytorch_source: no source form for torch module {name}")


def _items(children: list[Any]) -> str:
    return "\n".join(_indent(_expression(c), 4) + "," for c in children)


def to_pytorch_source(module: object) -> str:
    """Python source defining ``build()``, which returns the module's PyTorch equivalent."""
    torch = require_torch()
    exported = to_torch(module)
    dtypes = {p.dtype for p in exported.parameters()}
    cast = ".double()" if dtypes == {torch.float64} else ""
    return (
        f'"""PyTorch equivalent of a shapely_nn {type(module).__name__}.\n\n'
        "Load the trained parameters with\n"
        "build().load_state_dict(shapely_nn.io.to_torch(model).state_dict()).\n"
        '"""\n\n'
        "import torch\n"
        "from torch import nn\n"
        f"{ADAPTER_SOURCE}\n\n"
        "def build():\n"
        f"    return {_indent(_expression(exported), 4).lstrip()}{cast}\n"
    )
