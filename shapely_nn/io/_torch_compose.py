"""``to_torch`` for the combinators and the zoo models built from them.

A composed module becomes a tree of small ``torch.nn`` adapters (``Sequence``, ``Branches``,
``FanHeads``, ``Residual``...) around the standard modules of its parts. The adapter classes
are made on first use, so importing this file does not import torch.
"""

from __future__ import annotations

import functools
import types
from typing import Any

from shapely_nn.io._torch import require_torch, to_torch
from shapely_nn.io._torch_zoo_source import ZOO_NAMES, ZOO_SOURCE
from shapely_nn.models._quivers import CategoricalHead, Columns, Embed, Kernel
from shapely_nn.models._wiring import ChainModel, Last
from shapely_nn.modules._compose import Chain, Concat, Fan, Parallel, Residual

# The adapters as source text: ``adapters()`` runs it (with the zoo's block, ``ZOO_SOURCE``)
# once torch is needed, and ``to_pytorch_source`` prints the same text, so the exported code
# and the exported modules are one definition. ``init_args`` names the attributes that are
# the constructor's arguments, in order: ``to_pytorch_source`` writes the call from them.
ADAPTER_SOURCE = '''
class Sequence(nn.Module):
    """Parts in order; a recurrent part passes on its output sequence only."""

    init_args = ("parts",)

    def __init__(self, parts):
        super().__init__()
        self.parts = nn.ModuleList(parts)

    def forward(self, x):
        for part in self.parts:
            x = part(x)
            if isinstance(part, (nn.RNN, nn.LSTM, nn.GRU)):
                x = x[0]
        return x


class Branches(nn.Module):
    """a @ b: each branch on its own input."""

    init_args = ("branches",)

    def __init__(self, branches):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, xs):
        return tuple(b(x) for b, x in zip(self.branches, xs))


class FanHeads(nn.Module):
    """fan: every head on the same input, joined on the last axis."""

    init_args = ("heads",)

    def __init__(self, heads):
        super().__init__()
        self.heads = nn.ModuleList(heads)

    def forward(self, x):
        return torch.cat([h(x) for h in self.heads], dim=-1)


class Residual(nn.Module):
    """x + block(x)."""

    init_args = ("block",)

    def __init__(self, block):
        super().__init__()
        self.block = block

    def forward(self, x):
        return x + self.block(x)


class ConcatLast(nn.Module):
    """Join a tuple of tensors on the last axis."""

    init_args = ()

    def forward(self, xs):
        return torch.cat(list(xs), dim=-1)


class LastStep(nn.Module):
    """The final time step of a time-major sequence."""

    init_args = ()

    def forward(self, x):
        return x[-1]


class SplitColumns(nn.Module):
    """A [*B, 2] id tensor as its two columns."""

    init_args = ()

    def forward(self, x):
        return x[..., 0], x[..., 1]
'''

ADAPTER_NAMES = (
    "Sequence",
    "Branches",
    "FanHeads",
    "Residual",
    "ConcatLast",
    "LastStep",
    "SplitColumns",
)


SOURCE = ADAPTER_SOURCE + "\n" + ZOO_SOURCE
"""Every adapter class, combinators' and zoo's, as one block of source text."""

NAMES = ADAPTER_NAMES + ZOO_NAMES
"""The classes ``SOURCE`` defines."""

SOURCE_IMPORTS = (
    "import math\n\nimport torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
)
"""What ``SOURCE`` needs, as the import lines ``to_pytorch_source`` prints."""


@functools.cache
def adapters() -> types.SimpleNamespace:
    """The adapter ``nn.Module`` classes (made once, when torch is first needed)."""
    require_torch()
    namespace: dict[str, Any] = {}
    exec(compile(SOURCE_IMPORTS + SOURCE, "<shapely_nn torch adapters>", "exec"), namespace)
    return types.SimpleNamespace(**{name: namespace[name] for name in NAMES})


@to_torch.register
def _chain(module: Chain) -> Any:
    return adapters().Sequence([to_torch(part) for part in module.layers])


@to_torch.register
def _chain_model(module: ChainModel) -> Any:
    return to_torch(module.chain())


@to_torch.register
def _parallel(module: Parallel) -> Any:
    return adapters().Branches([to_torch(b) for b in module.branches])


@to_torch.register
def _fan(module: Fan) -> Any:
    return adapters().FanHeads([to_torch(h) for h in module.heads])


@to_torch.register
def _residual(module: Residual) -> Any:
    return adapters().Residual(to_torch(module.block))


@to_torch.register
def _concat(module: Concat) -> Any:
    return adapters().ConcatLast()


@to_torch.register
def _last(module: Last) -> Any:
    return adapters().LastStep()


@to_torch.register
def _columns(module: Columns) -> Any:
    return adapters().SplitColumns()


@to_torch.register
def _kernel(module: Kernel) -> Any:
    return to_torch(module.linear)


@to_torch.register
def _embed(module: Embed) -> Any:
    return to_torch(module.embedding)


@to_torch.register
def _categorical(module: CategoricalHead) -> Any:
    torch = require_torch()
    return torch.nn.Sequential(to_torch(module.kernel), torch.nn.LogSoftmax(dim=-1))
