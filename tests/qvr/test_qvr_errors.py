"""Malformed programs: each refused with an exact message that names the line and column."""

from __future__ import annotations

import pytest
from qvr_programs import PRELUDE, PROGRAM, SEED_PROGRAM

from shapely_nn.qvr import QvrError, load

# (faulty line 10, the exact message)
FAULTS = {
    "sizes in a chain": (
        "let bad = emb >> up >> proj",
        "line 10, col 24: proj expects Lat (Real 4), but up gives Wide (Real 6)",
    ),
    "fan width": (
        "let bad = fan(head) >> proj",
        "line 10, col 24: proj expects Lat (Real 4), but fan(head) gives Half x 3 (Real 6)",
    ),
    "unknown morphism": (
        "let bad = emb >> prj",
        "line 10, col 18: unknown morphism or let 'prj' (did you mean proj?)",
    ),
    "parse error": (
        "let bad = emb >> >> proj",
        "line 10, col 18: unexpected '>>'; expected '(', 'fan', 'stack' or a name",
    ),
    "duplicate definition": (
        "object Lat : Real 8",
        "line 10, col 8: 'Lat' is already defined at line 2, col 8",
    ),
    "kernel onto a FinSet": (
        "morphism bad : Lat -> Src [role=kernel] ~ Normal",
        "line 10, col 23: kernel bad has a FinSet codomain (Src is FinSet 5); a kernel onto a "
        "FinSet needs ~ Categorical",
    ),
    "replicate without fan": (
        "let bad = head >> proj",
        "line 10, col 11: head has replicate=3, so it can only be used as fan(head)",
    ),
    "bad scale": (
        "morphism bad : Lat -> Lat [role=kernel, scale=0] ~ Normal",
        "line 10, col 47: scale must be a positive number, got 0",
    ),
    "bad role": (
        "morphism bad : Lat -> Lat [role=dense]",
        "line 10, col 33: role must be embed or kernel, got dense",
    ),
    "unknown attribute": (
        "morphism bad : Lat -> Lat [role=kernel, heads=2]",
        "line 10, col 41: unknown attribute 'heads' (expected role, replicate or scale)",
    ),
    "unknown object": (
        "morphism bad : Lat -> Foo [role=kernel]",
        "line 10, col 23: unknown object 'Foo'",
    ),
    "stack of a block that changes type": (
        "let bad = stack(up, 2)",
        "line 10, col 11: stack(up, 2): up maps Lat (Real 4) to Wide (Real 6); a stacked block "
        "must give what it reads",
    ),
    "fan without a count": (
        "let bad = fan(proj)",
        "line 10, col 11: fan(proj) needs a head count: declare proj with [replicate=k] or "
        "write fan(proj, k)",
    ),
    "fan count disagrees with replicate": (
        "let bad = fan(head, 2)",
        "line 10, col 21: fan(head, 2) asks for 2 heads, but head has replicate=3",
    ),
    "composing past a Categorical": (
        "let bad = proj >> out >> proj",
        "line 10, col 26: proj expects Lat (Real 4), but out gives Categorical over Src (FinSet 5)",
    ),
    "an object used as a morphism": (
        "let bad = emb >> Lat",
        "line 10, col 18: Lat is an object, not a morphism",
    ),
    "unexpected character": (
        "let bad = emb ; proj",
        "line 10, col 15: unexpected character ';'",
    ),
    "zero-size object": (
        "object Empty : FinSet 0",
        "line 10, col 23: the size of Empty must be a positive integer, got 0",
    ),
}


@pytest.mark.parametrize("case", sorted(FAULTS))
def test_faulty_declaration(case: str) -> None:
    line, message = FAULTS[case]
    with pytest.raises(QvrError) as info:
        load(PRELUDE + line + "\n" + PROGRAM)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)
    assert (info.value.line, info.value.col) == (10, int(message.split("col ")[1].split(":")[0]))


# Faults inside the program (lines 10-14: program, sample, observe, return)
STEPS = """\
program p : Src -> Src
sample h <- {sample}
observe y : {declared} <- out(h)
return {result}
"""


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"sample": "proj"},
            "line 11, col 13: proj expects Lat (Real 4), but the input of p is Src (FinSet 5)",
        ),
        (
            {"declared": "Lat"},
            "line 12, col 13: y is declared Lat (Real 4), but out gives Categorical over Src "
            "(FinSet 5)",
        ),
        (
            {"result": "h"},
            "line 13, col 8: return h: programs here are straight lines, so return the last "
            "value, y",
        ),
        ({"result": "z"}, "line 13, col 8: unknown variable 'z'"),
        (
            {"sample": "emb >> emb"},
            "line 11, col 20: emb expects Src (FinSet 5), but emb gives Lat (Real 4)",
        ),
        (
            {"sample": "emb >> proj >> proj"},
            "line 11, col 28: proj is used twice (first at line 11, col 20); its parameters "
            "would be shared, which shapely_nn does not support: declare a second morphism (or "
            "use stack(...) for copies)",
        ),
    ],
)
def test_faulty_program(fields: dict[str, str], message: str) -> None:
    values = {"sample": "emb >> proj", "declared": "Src", "result": "y", **fields}
    with pytest.raises(QvrError) as info:
        load(PRELUDE + STEPS.format(**values))
    assert str(info.value) == message


def test_the_seed_with_three_heads_names_both_objects() -> None:
    text = SEED_PROGRAM.read_text().replace(
        "enc_head : Latent -> HeadOut [role=kernel, replicate=4",
        "enc_head : Latent -> HeadOut [role=kernel, replicate=3",
    )
    with pytest.raises(QvrError) as info:
        load(text)
    assert str(info.value) == (
        "line 23, col 34: enc_attn_proj expects Latent (Real 16), but fan(enc_head) gives "
        "HeadOut x 3 (Real 12)"
    )


def test_the_seed_with_a_wrong_combined_size() -> None:
    text = SEED_PROGRAM.read_text().replace(
        "object Combined : Real 32", "object Combined : Real 24"
    )
    with pytest.raises(QvrError) as info:
        load(text)
    assert str(info.value) == (
        "line 27, col 39: cross expects Combined (Real 24), but encoder @ decoder gives "
        "Latent * Latent (Real 32)"
    )


def test_a_truncated_file_ends_unexpectedly() -> None:
    with pytest.raises(QvrError) as info:
        load("object A : Real 3\nmorphism f : A -> A [role=kernel")
    assert str(info.value) == "line 2, col 33: unexpected end of file; expected ',' or ']'"


def test_no_program() -> None:
    with pytest.raises(QvrError, match="^line 1, col 1: the file declares no program$"):
        load(PRELUDE)


def test_an_absurdly_large_program_is_refused_before_building() -> None:
    text = PRELUDE.replace("Real 4", "Real 100000") + "let big = stack(proj, 9000)\n"
    program = "program p : Lat -> Lat\nsample h <- big\nreturn h\n"
    with pytest.raises(QvrError, match="would have 90000900000000 parameters"):
        load(text + program)
