"""Seed 003's program, loaded verbatim from examples/qvr/seq2seq.qvr, against quivers_seq2seq."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from qvr_programs import SEED_PROGRAM

import shapely_nn as sn
from shapely_nn import models
from shapely_nn.io import to_mermaid
from shapely_nn.modules import Chain, Fan, Parallel, Stack
from shapely_nn.qvr import QvrProgram, load
from shapely_nn.train import Adam, fit


@pytest.fixture(scope="module")
def program() -> QvrProgram:
    return load(SEED_PROGRAM, rng=0)


def _tree(module: Any) -> Any:
    """The composition as nested (type, sizes, children), parameters left out."""
    children: tuple[Any, ...] = ()
    if isinstance(module, Chain):
        children = module.layers
    elif isinstance(module, Parallel):
        children = module.branches
    elif isinstance(module, Fan):
        children = module.heads
    own = {k: v.shape for k, v in module.parameters().items()} if not children else {}
    scale = getattr(module, "scale", None)
    return (type(module).__name__, scale, own, tuple(_tree(c) for c in children))


def test_the_seed_loads_with_the_hand_built_structure(program: QvrProgram) -> None:
    hand = models.quivers_seq2seq(rng=0)
    assert _tree(program.module) == _tree(hand)
    assert {k: v.shape for k, v in program.module.parameters().items()} == {
        k: v.shape for k, v in hand.parameters().items()
    }


def test_parts_heads_and_depth(program: QvrProgram) -> None:
    columns, pair, concat, cross, head = program.module.layers
    assert isinstance(columns, models.Columns) and isinstance(concat, sn.modules.Concat)
    assert isinstance(pair, Parallel) and len(pair.branches) == 2
    for branch in pair.branches:
        embed, blocks = branch.layers
        assert isinstance(embed, models.Embed) and (embed.in_features, embed.out_features) == (
            32,
            16,
        )
        assert isinstance(blocks, Stack) and len(blocks.layers) == 2
        for block in blocks.layers:
            assert isinstance(block.layers[0], Fan) and len(block.layers[0].heads) == 4
            assert [k.scale for k in block.layers[1:]] == [0.1, 0.01, 1.0, 0.1, 0.01]
    assert (cross.in_features, cross.out_features, cross.scale) == (32, 32, 0.1)
    assert isinstance(head, models.CategoricalHead) and head.out_features == 32
    # stack and fan give every copy its own parameters
    w0, w1 = (b.layers[1].linear.weight for b in pair.branches[0].layers[1].layers)
    assert not np.allclose(w0, w1)


def test_objects_and_morphisms_are_recorded(program: QvrProgram) -> None:
    assert (program.name, program.domain, program.codomain) == (
        "seq2seq",
        "Source * Target",
        "Target",
    )
    assert program.objects["Combined"].kind == "Real" and program.objects["Combined"].size == 32
    assert program.objects["Source"].kind == "FinSet"
    assert len(program.morphisms) == 16
    head = program.morphisms["enc_head"]
    assert (head.role, head.replicate, head.scale, head.distribution) == (
        "kernel",
        4,
        0.1,
        "Normal",
    )
    assert program.morphisms["lm_head"].distribution == "Categorical"
    assert program.morphisms["src_embed"].role == "embed"
    assert program.lets == ("enc_block", "dec_block", "encoder", "decoder", "backbone")


def test_forward_gives_log_probabilities_over_target(
    program: QvrProgram, rng: np.random.Generator
) -> None:
    x = sn.tensor(rng.integers(0, 32, size=(7, 2)))
    log_p = program(x).numpy()
    assert log_p.shape == (7, 32) and program.log_probs
    np.testing.assert_allclose(np.exp(log_p.astype(np.float64)).sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(program.forward(x).numpy(), log_p)


def test_same_function_as_the_hand_built_model(
    program: QvrProgram, rng: np.random.Generator
) -> None:
    hand = models.quivers_seq2seq(rng=5).with_parameters(program.module.parameters())
    x = sn.tensor(rng.integers(0, 32, size=(9, 2)))
    np.testing.assert_allclose(program(x).numpy(), hand(x).numpy(), rtol=1e-6, atol=1e-6)


def test_initialisation_is_seeded() -> None:
    a, b = load(SEED_PROGRAM, rng=3), load(SEED_PROGRAM, rng=np.random.default_rng(3))
    c = load(SEED_PROGRAM, rng=4)
    for name, w in a.module.parameters().items():
        np.testing.assert_array_equal(w, b.module.parameters()[name])
    assert not np.allclose(
        a.module.parameters()["layers.3.linear.weight"],
        c.module.parameters()["layers.3.linear.weight"],
    )


def test_sampling_is_seeded_and_traces_every_site(
    program: QvrProgram, rng: np.random.Generator
) -> None:
    x = sn.tensor(rng.integers(0, 32, size=(40, 2)))
    a, b = program.sample(x, rng=1), program.sample(x, rng=1)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.numpy().shape == (40,) and a.numpy().min() >= 0 and a.numpy().max() < 32
    sites = program.trace(x, rng=1)
    assert list(sites) == ["h", "next_token"] and sites["h"].numpy().shape == (40, 32)
    np.testing.assert_array_equal(sites["next_token"].numpy(), a.numpy())
    # h is drawn around the mean, not equal to it
    mean = program.module.layers[3](
        program.module.layers[2](program.module.layers[1](program.module.layers[0](x)))
    )
    assert not np.allclose(sites["h"].numpy(), mean.numpy())


def test_names_label_the_diagram(program: QvrProgram) -> None:
    names = set(program.names.values())
    assert {"encoder", "decoder", "src_embed", "cross", "lm_head", "enc_block"} <= names
    assert {"fan(enc_head)", "stack(dec_block, 2)"} <= names
    text = to_mermaid(program.module, names=program.names)
    assert "subgraph s" in text and '["encoder"]' in text and "cross: Kernel[32, 32]" in text
    assert program.mermaid().startswith("flowchart LR\n")
    assert '(["next_token"])' in program.mermaid()


def test_maximum_likelihood_training(program: QvrProgram) -> None:
    gen = np.random.default_rng(0)
    data = []
    for _ in range(20):
        x = gen.integers(0, 32, size=(32, 2))
        data.append((sn.tensor(x), sn.tensor((x[:, 1] + 1) % 32)))  # next token: target + 1

    def step(model: Any, batch: tuple[Any, Any]) -> tuple[float, Any]:
        x, y = batch
        log_p, cache = model.forward(x)
        loss, grad = models.next_token_nll(log_p, y)
        grads, _ = model.backward(cache, grad)
        return loss, grads

    fresh = load(SEED_PROGRAM, rng=1)
    module, losses = fit(fresh.module, data, step, Adam(0.003), epochs=20, rng=2, progress=False)
    assert losses[0] > 3.0 and losses[-1] < 0.1, losses
    trained = fresh.with_module(module)
    x = gen.integers(0, 32, size=(64, 2))
    accuracy = (trained(x).numpy().argmax(-1) == (x[:, 1] + 1) % 32).mean()
    assert accuracy > 0.95


def test_with_module_refuses_another_shape(program: QvrProgram) -> None:
    with pytest.raises(ValueError, match="not shaped like program seq2seq"):
        program.with_module(models.quivers_seq2seq(latent=8, head_out=2, rng=0))


def test_the_example_is_the_seed_program_verbatim() -> None:
    program = SEED_PROGRAM.read_text().splitlines()
    assert program[0] == "object Source : FinSet 32" and program[-1] == "export seq2seq"
    # The seeds sit beside the repository in the project's checkouts (and in CI).
    root = Path(__file__).resolve().parents[2]
    for seed in sorted((root.parent / "shared" / "seeds").glob("003_*.txt")):
        lines = seed.read_text().splitlines()
        start = lines.index("object Source : FinSet 32")
        end = lines.index("export seq2seq")
        assert program == lines[start : end + 1]
