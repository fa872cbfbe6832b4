"""Small .qvr programs shared by the loader tests (the seed's own program is in examples/qvr)."""

from __future__ import annotations

from pathlib import Path

SEED_PROGRAM = Path(__file__).resolve().parents[2] / "examples" / "qvr" / "seq2seq.qvr"

# Every feature the loader supports, at gradcheck size.
TINY = """\
# a tiny encoder-decoder: every construct of the seed, small enough for gradcheck
object Src : FinSet 5
object Tgt : FinSet 5
object Lat : Real 4
object Half : Real 2
object Both : Real 8

morphism se : Src -> Lat [role=embed]
morphism te : Tgt -> Lat [role=embed]
morphism head : Lat -> Half [role=kernel, replicate=2, scale=0.5] ~ Normal  # two heads
morphism mix : Lat -> Lat [role=kernel] ~ Normal
morphism cross : Lat * Lat -> Both [role=kernel, scale=0.1] ~ Normal
morphism out : Both -> Tgt [role=kernel] ~ Categorical

let block = fan(head) >> mix
let enc = se >> stack(block, 2)
program tiny : Src * Tgt -> Tgt
    sample h <- (enc @ te) >> cross
    observe y : Tgt <- out(h)
    return y
"""

# Nine declarations on lines 1-9; the error tests add line 10 onward.
PRELUDE = """\
object Src : FinSet 5
object Lat : Real 4
object Half : Real 2
object Wide : Real 6
morphism emb : Src -> Lat [role=embed]
morphism head : Lat -> Half [role=kernel, replicate=3] ~ Normal
morphism proj : Lat -> Lat [role=kernel, scale=0.1] ~ Normal
morphism out : Lat -> Src [role=kernel] ~ Categorical
morphism up : Lat -> Wide [role=kernel] ~ Normal
"""

# A valid program to append after a faulty line (so only that line is wrong).
PROGRAM = """
program p : Src -> Src
sample h <- emb >> proj
observe y : Src <- out(h)
return y
"""
