"""Classifier head on H after a Bi-LSTM.

A Bi-LSTM joins both directions: the next layer reads H + H features.
"""

from shapely_nn.layers import Linear
from shapely_nn.modules import BiLSTM


def build() -> None:
    tagger = BiLSTM(16, 32, rng=0) >> Linear(32, 5, rng=1)  # E: ">>" joins BiLSTM[16, 32] to Linear[32, 5]: the left outputs 64 features, the right expects 32  [shape]
