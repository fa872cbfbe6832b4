"""``to_mermaid``: a composed module as a mermaid ``flowchart LR``.

Layers are nodes, data flows along edges labelled with the feature size where the producing
layer declares it; ``a @ b`` draws parallel branches, ``fan`` its heads joined by a concat
node, ``stack`` one subgraph per block, ``residual`` a skip edge into an add node.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shapely_nn.layers._base import require_module
from shapely_nn.modules._compose import (
    Chain,
    Concat,
    Fan,
    Parallel,
    Residual,
    Stack,
    describe,
    sizes,
)


@dataclass
class _Graph:
    names: Mapping[int, str]
    lines: list[str] = field(default_factory=list)
    count: int = 0
    depth: int = 1

    def node(self, label: str, shape: str = "box") -> str:
        self.count += 1
        ident = f"n{self.count}"
        text = label.replace('"', "'")
        opened, closed = {"box": ('["', '"]'), "round": ('(["', '"])'), "circle": ('(("', '"))')}[
            shape
        ]
        self.emit(f"{ident}{opened}{text}{closed}")
        return ident

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def edge(self, source: tuple[str, int | None], target: str) -> None:
        ident, width = source
        label = f'|"{width}"|' if width is not None else ""
        self.emit(f"{ident} -->{label} {target}")

    def subgraph(self, title: str) -> None:
        self.count += 1
        self.emit(f'subgraph s{self.count}["{title}"]')
        self.depth += 1

    def end(self) -> None:
        self.depth -= 1
        self.emit("end")


Port = tuple[str, int | None]  # a node id and the feature size leaving it (if known)


def _render(g: _Graph, module: Any, inputs: list[Port]) -> list[Port]:
    name = g.names.get(id(module))
    if isinstance(module, Stack):
        g.subgraph(name or f"stack x{len(module.layers)}")
        ports = inputs
        for i, block in enumerate(module.layers):
            g.subgraph(f"block {i}")
            ports = _render(g, block, ports)
            g.end()
        g.end()
        return ports
    if isinstance(module, Chain):
        if name:
            g.subgraph(name)
        ports = inputs
        for part in module.layers:
            ports = _render(g, part, ports)
        if name:
            g.end()
        return ports
    if isinstance(module, Parallel):
        if len(inputs) != len(module.branches):
            inputs = inputs * len(module.branches) if len(inputs) == 1 else inputs
        outs: list[Port] = []
        for branch, port in zip(module.branches, inputs, strict=False):
            outs.extend(_render(g, branch, [port]))
        return outs
    if isinstance(module, Fan):
        g.subgraph(name or f"fan x{len(module.heads)}")
        heads = [_render(g, head, inputs)[0] for head in module.heads]
        g.end()
        join = g.node("concat", "circle")
        for port in heads:
            g.edge(port, join)
        return [(join, module.output_size)]
    if isinstance(module, Concat):
        join = g.node("concat", "circle")
        for port in inputs:
            g.edge(port, join)
        widths = [w for _, w in inputs]
        total = sum(w for w in widths if w is not None) if None not in widths else None
        return [(join, total)]
    if isinstance(module, Residual):
        out = _render(g, module.block, inputs)
        plus = g.node("+", "circle")
        for port in [*out, *inputs]:
            g.edge(port, plus)
        return [(plus, out[0][1] if out else None)]
    label = name or describe(module)
    if name:
        label = f"{name}: {describe(module)}"
    ident = g.node(label)
    for port in inputs:
        g.edge(port, ident)
    count = int(getattr(module, "n_outputs", 1))
    width = sizes(module)[1]
    return [(ident, width)] * count


def to_mermaid(
    module: Any,
    *,
    names: Mapping[int, str] | None = None,
    inputs: tuple[str, ...] = ("input",),
    output: str = "output",
) -> str:
    """The module as mermaid text; ``names`` maps ``id(part)`` to a display name."""
    require_module("to_mermaid", module)
    g = _Graph(names or {})
    g.lines.append("flowchart LR")
    width = sizes(module)[0]
    ports: list[Port] = [(g.node(n, "round"), width if len(inputs) == 1 else None) for n in inputs]
    outs = _render(g, module, ports)
    end = g.node(output, "round")
    for port in outs:
        g.edge(port, end)
    return "\n".join(g.lines) + "\n"
