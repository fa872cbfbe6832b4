"""Mermaid diagrams: well-formed flowcharts that show the composition."""

from __future__ import annotations

import re

from shapely_nn import models
from shapely_nn.io import to_mermaid
from shapely_nn.layers import Linear, Tanh
from shapely_nn.modules import Concat, fan, residual, stack


def _check_well_formed(text: str) -> tuple[set[str], list[tuple[str, str, str]]]:
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    depth, nodes, edges = 0, set(), []
    for line in lines[1:]:
        body = line.strip()
        if body.startswith("subgraph "):
            depth += 1
        elif body == "end":
            depth -= 1
            assert depth >= 0
        elif "-->" in body:
            m = re.fullmatch(r'(n\d+) -->(?:\|"([^"]*)"\|)? (n\d+)', body)
            assert m, body
            assert m.group(1) in nodes and m.group(3) in nodes, body
            edges.append((m.group(1), m.group(2) or "", m.group(3)))
        else:
            m = re.fullmatch(r'(n\d+)(\[".*"\]|\(\[".*"\]\)|\(\(".*"\)\))', body)
            assert m, body
            nodes.add(m.group(1))
    assert depth == 0
    return nodes, edges


def test_chain_is_a_path_with_sizes_on_edges() -> None:
    text = to_mermaid(Linear(3, 4, rng=0) >> Tanh() >> Linear(4, 2, rng=1))
    nodes, edges = _check_well_formed(text)
    assert len(nodes) == 5
    assert [w for _, w, _ in edges] == ["3", "4", "", "2"]
    assert 'n2["Linear[3, 4]"]' in text


def test_fan_stack_residual_and_concat() -> None:
    model = stack(lambda g: residual(Linear(6, 6, rng=g)), 2, rng=0) >> fan(
        lambda g: Linear(6, 2, rng=g), 3, rng=1
    )
    text = to_mermaid(model)
    _check_well_formed(text)
    assert text.count("subgraph") == 4  # stack, two blocks, fan
    assert "subgraph s" in text and '"stack x2"' in text and '"fan x3"' in text
    assert text.count('(("+"))') == 2 and text.count('(("concat"))') == 1


def test_parallel_branches_meet_at_concat() -> None:
    model = (Linear(3, 4, rng=0) @ Linear(5, 4, rng=1)) >> Concat() >> Linear(8, 1, rng=2)
    _nodes, edges = _check_well_formed(to_mermaid(model, inputs=("src", "tgt")))
    concat = next(t for s, w, t in edges if w == "4")
    assert sum(1 for _, w, t in edges if t == concat and w == "4") == 2
    assert any(w == "8" for _, w, _ in edges)


def test_quivers_program_diagram() -> None:
    text = to_mermaid(models.quivers_seq2seq(rng=0), inputs=("x",), output="next_token")
    _nodes, _edges = _check_well_formed(text)
    assert text.count('"fan x4"') == 4  # two stacks (encoder, decoder) of two blocks
    assert text.count('"stack x2"') == 2
    assert '"next_token"' in text and '"CategoricalHead[32, 32]"' in text
