"""``to_pytorch_source``: readable PyTorch code that builds a module's equivalent.

The code is read off the exported module tree (``to_torch(module)``), so it is the same
structure by construction: standard ``torch.nn`` constructors for the parts, and the small
adapter classes for the combinators, printed from the very source ``to_torch`` runs. The
generated ``build()`` returns a fresh module; ``load_state_dict(to_torch(m).state_dict())``
then gives it the same parameters.
"""

from __future__ import annotations

import ast
import functools
import re
from typing import Any

from shapely_nn.io._torch import require_torch, to_torch
from shapely_nn.io._torch_attention import activation_name
from shapely_nn.io._torch_compose import NAMES, SOURCE, SOURCE_IMPORTS

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


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.splitlines())


def _mha(m: Any) -> str:
    args = f"{m.embed_dim}, {m.num_heads}, dropout={m.dropout}, batch_first={m.batch_first}"
    return f"nn.MultiheadAttention({args})"


def _transformer_layer(m: Any, kind: str) -> str:
    activation = activation_name(m)
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
    if name in NAMES:
        return _call(name, [_argument(arg, getattr(m, arg)) for arg in type(m).init_args])
    raise TypeError(f"to_pytorch_source: no source form for torch module {name}")


def _argument(name: str, value: Any) -> str:
    """An adapter's constructor argument: a module, a list of modules, or a plain setting
    (written as a keyword)."""
    if value is None or isinstance(value, bool | int | float | str):
        return f"{name}={value!r}"
    if type(value).__name__ == "ModuleList" or isinstance(value, list | tuple):
        return "[\n" + _items(list(value)) + "\n]"
    return _expression(value)


def _call(name: str, arguments: list[str]) -> str:
    if not arguments:
        return f"{name}()"
    if all("\n" not in a for a in arguments) and len(", ".join(arguments)) + len(name) < 80:
        return f"{name}({', '.join(arguments)})"
    if len(arguments) == 1 and arguments[0].startswith("[\n"):
        return f"{name}({arguments[0]})"
    return f"{name}(\n" + "\n".join(_indent(a, 4) + "," for a in arguments) + "\n)"


def _items(children: list[Any]) -> str:
    return "\n".join(_indent(_expression(c), 4) + "," for c in children)


@functools.cache
def _definitions() -> dict[str, str]:
    """Each top-level class and function of the adapter source, by name, in order."""
    return {
        node.name: str(ast.get_source_segment(SOURCE, node))
        for node in ast.parse(SOURCE).body
        if isinstance(node, ast.ClassDef | ast.FunctionDef)
    }


def _used_source(exported: Any) -> str:
    """The imports and the adapter definitions the exported tree uses (and what they call)."""
    definitions = _definitions()
    wanted = {type(m).__name__ for m in exported.modules()} & set(definitions)
    grown = True
    while grown:
        calls = {
            name
            for used in wanted
            for name in definitions
            if re.search(rf"\b{name}\(", definitions[used])
        }
        grown = not calls <= wanted
        wanted |= calls
    body = "\n\n\n".join(text for name, text in definitions.items() if name in wanted)
    imports = [
        line
        for line in SOURCE_IMPORTS.splitlines()
        if line
        and not (line == "import math" and "math." not in body)
        and not (line.endswith(" as F") and "F." not in body)
    ]
    return "\n".join(imports) + ("\n\n\n" + body if body else "") + "\n"


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
        f"{_used_source(exported)}\n\n"
        "def build():\n"
        f"    return {_indent(_expression(exported), 4).lstrip()}{cast}\n"
    )
