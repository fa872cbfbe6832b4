"""What the loader builds for each construct, and that its gradients are right."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from qvr_programs import TINY

import shapely_nn as sn
from shapely_nn import models
from shapely_nn.modules import Chain, Concat, Fan, Parallel, Stack
from shapely_nn.qvr import QvrError, load


def test_tiny_program_structure() -> None:
    program = load(TINY, rng=0)
    columns, pair, concat, cross, head = program.module.layers
    assert isinstance(columns, models.Columns) and isinstance(concat, Concat)
    enc, te = pair.branches
    assert isinstance(te, models.Embed) and isinstance(enc, Chain)
    assert isinstance(enc.layers[1], Stack) and len(enc.layers[1].layers) == 2
    assert isinstance(enc.layers[1].layers[0].layers[0], Fan)
    assert len(enc.layers[1].layers[0].layers[0].heads) == 2
    assert (cross.in_features, cross.out_features) == (8, 8)  # Lat * Lat is Real 8
    assert isinstance(head, models.CategoricalHead) and head.out_features == 5


def test_tiny_program_gradients(rng: np.random.Generator, check_grads: Any) -> None:
    program = load(TINY, rng=0, dtype=np.float64)
    x = sn.tensor(rng.integers(0, 5, size=(3, 2)))
    check_grads(program.module, x)


def test_stacked_fan_blocks_pass_input_gradients(
    rng: np.random.Generator, check_grads: Any
) -> None:
    program = load(TINY, rng=1, dtype=np.float64)
    enc = program.module.layers[1].branches[0]
    x = sn.tensor(rng.standard_normal((4, 4)))
    check_grads(enc.layers[1], x, inputs=[x.numpy()])


def test_at_binds_tighter_than_compose() -> None:
    a = load(TINY.replace("(enc @ te) >> cross", "enc @ te >> cross"), rng=0)
    b = load(TINY, rng=0)
    assert [type(p) for p in a.module.layers] == [type(p) for p in b.module.layers]


def test_real_domain_and_real_result() -> None:
    text = """
    object In : Real 3
    object Out : Real 2
    morphism f : In -> Out [role=kernel, scale=0.5] ~ Normal
    program regress : In -> Out
        sample y <- f
        return y
    """
    program = load(text, rng=0)
    x = np.ones((6, 3))
    kernel = program.module.layers[0]
    np.testing.assert_allclose(program(x).numpy(), kernel(sn.tensor(x, dtype=np.float32)).numpy())
    assert not program.log_probs and program.example_input(6, 0).numpy().shape == (6, 3)
    draws = program.sample(x, rng=0).numpy()
    # Normal(mean, 0.5) draws: right shape, centred on the mean
    assert draws.shape == (6, 2) and not np.allclose(draws, program(x).numpy())


def test_single_finset_domain_reads_ids() -> None:
    text = """
    object Tok : FinSet 7
    object Emb : Real 3
    morphism e : Tok -> Emb [role=embed]
    morphism lm : Emb -> Tok [role=kernel] ~ Categorical
    program lm1 : Tok -> Tok
        sample h <- e
        observe y : Tok <- lm(h)
        return y
    """
    program = load(text, rng=0)
    log_p = program(np.array([0, 3, 6])).numpy()
    assert log_p.shape == (3, 7)
    np.testing.assert_allclose(np.exp(log_p.astype(np.float64)).sum(-1), 1.0, rtol=1e-5)


def test_fan_with_an_explicit_count_over_an_expression() -> None:
    text = """
    object A : Real 4
    object B : Real 2
    morphism g : A -> B [role=kernel] ~ Normal
    morphism h : B -> B [role=kernel] ~ Normal
    program p : A -> A
        sample y <- fan(g >> h, 2)
        return y
    """
    program = load(text, rng=0)
    (fan,) = program.module.layers
    assert isinstance(fan, Fan) and len(fan.heads) == 2
    assert all(isinstance(head, Chain) for head in fan.heads)
    assert program.names[id(fan)] == "fan(g >> h, 2)"


def test_comments_and_layout_are_free() -> None:
    text = "object A : Real 2 # a comment\nmorphism f : A -> A [\n role=kernel ,\n scale=2\n]" + (
        " ~ Normal program p : A -> A sample y <- f return y export p"
    )
    program = load(text, rng=0)
    assert program.morphisms["f"].scale == 2.0


def test_product_of_reals_meets_a_parallel_part_by_part() -> None:
    text = """
    object A : Real 2
    object B : Real 3
    object Src : FinSet 4
    morphism e1 : Src -> A [role=embed]
    morphism e2 : Src -> B [role=embed]
    morphism f : A -> A [role=kernel] ~ Normal
    morphism g : B -> B [role=kernel] ~ Normal
    morphism k : A * B -> A [role=kernel] ~ Normal
    program p : Src * Src -> A
        sample y <- (e1 @ e2) >> (f @ g) >> k
        return y
    """
    program = load(text, rng=0)
    kinds = [type(p) for p in program.module.layers]
    assert kinds == [models.Columns, Parallel, Parallel, Concat, models.Kernel]
    assert program(np.array([[0, 1], [3, 2]])).numpy().shape == (2, 2)


def test_unused_lets_are_checked_but_not_built() -> None:
    ok = TINY.replace("program tiny", "let spare = mix >> mix\nprogram tiny")
    program = load(ok, rng=0)
    assert "spare" in program.lets and "spare" not in program.names.values()
    bad = TINY.replace("program tiny", "let spare = mix >> cross\nprogram tiny")
    with pytest.raises(QvrError, match="cross expects Lat \\* Lat \\(Real 8\\)"):
        load(bad)


def test_export_picks_one_of_several_programs() -> None:
    second = "\nprogram other : Src * Tgt -> Tgt\nsample h <- se\nreturn h\n"
    with pytest.raises(QvrError, match="several programs \\(tiny, other\\)"):
        load(TINY + second.replace("se\nreturn h", "(se @ te) >> cross >> out\nreturn h"))
    program = load(TINY + "export tiny\n", rng=0)
    assert program.name == "tiny"


def test_a_path_a_string_path_and_text_load_the_same(tmp_path: Path) -> None:
    file = tmp_path / "tiny.qvr"
    file.write_text(TINY)
    by_path, by_name, by_text = load(file), load(str(file)), load(TINY)
    for name, w in by_path.module.parameters().items():
        np.testing.assert_array_equal(w, by_name.module.parameters()[name])
        np.testing.assert_array_equal(w, by_text.module.parameters()[name])


def test_a_missing_file_is_a_qvr_error(tmp_path: Path) -> None:
    with pytest.raises(QvrError, match="cannot read .*missing.qvr: No such file"):
        load(tmp_path / "missing.qvr")
    (tmp_path / "bin.qvr").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(QvrError, match="not UTF-8 text"):
        load(tmp_path / "bin.qvr")
