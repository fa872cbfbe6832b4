"""Per-step head sized for the input instead of the hidden state.

seed 001's SpecChain seq2seq: the head after an RNN reads H features, not In.
"""

from shapely_nn.layers import Linear
from shapely_nn.modules import RNN


def build() -> None:
    model = RNN(8, 32, rng=0) >> Linear(8, 4, rng=1)  # E: ">>" joins RNN[8, 32] to Linear[8, 4]: the left outputs 32 features, the right expects 8  [shape]
