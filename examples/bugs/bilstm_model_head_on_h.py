"""BiLSTMModel built with an output layer over H.

The record model's output layer reads H + H: the constructor checks it against the BiLSTM.
"""

from shapely_nn.layers import Linear
from shapely_nn.models import BiLSTMModel
from shapely_nn.modules import BiLSTM


def build() -> None:
    model = BiLSTMModel(BiLSTM(10, 20, rng=0), Linear(20, 3, rng=1))  # E: "BiLSTMModel" expects 2*H = 40 (bound by argument "bilstm") as the In size of Linear, got 20 in argument "output_layer"  [shape]
