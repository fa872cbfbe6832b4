"""Whatever the text, ``load`` either builds a program or raises ``QvrError``: nothing else."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings, strategies as st
from qvr_programs import SEED_PROGRAM, TINY

from shapely_nn.qvr import QvrError, QvrProgram, load

SEED = SEED_PROGRAM.read_text()
TOKENS = sorted(
    set(re.findall(r"[A-Za-z_]\w*|\d+(?:\.\d+)?|->|<-|>>|[^\s\w]", SEED + TINY))
    | {"-1", "0", "1e999", "nan", "99999999999999", "(", ")", "\n", "#"}
)


def _load_or_refuse(text: str) -> None:
    try:
        program = load(text, rng=0)
    except QvrError as exc:
        message = str(exc)
        assert message and (exc.line is None or message.startswith(f"line {exc.line}, col "))
        return
    assert isinstance(program, QvrProgram)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    _load_or_refuse(text + "\n")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=60))
def test_random_token_soup(tokens: list[str]) -> None:
    _load_or_refuse(" ".join(tokens) + "\n")


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mutated_programs(data: st.DataObject) -> None:
    words = re.findall(r"\S+|\s+", data.draw(st.sampled_from([SEED, TINY])))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(words) - 1))
        action = data.draw(st.sampled_from(["drop", "replace", "insert"]))
        token = data.draw(st.sampled_from(TOKENS))
        if action == "drop":
            del words[at]
        elif action == "replace":
            words[at] = token
        else:
            words.insert(at, " " + token + " ")
    _load_or_refuse("".join(words))


def test_deep_nesting_is_refused_cleanly() -> None:
    text = TINY.replace("(enc @ te) >> cross", "(" * 3000 + "enc @ te" + ")" * 3000 + " >> cross")
    _load_or_refuse(text)
    long_chain = TINY.replace(
        "let block = fan(head) >> mix", "let block = fan(head)" + " >> mix" * 3000
    )
    _load_or_refuse(long_chain)
