"""Second LSTM layer sized for the input.

In a two-layer LSTM the second layer reads the first layer's hidden stream.
"""

from shapely_nn.layers import Linear
from shapely_nn.modules import LSTM


def build() -> None:
    encoder = LSTM(10, 20, rng=0) >> LSTM(10, 20, rng=1) >> Linear(20, 3, rng=2)  # E: ">>" joins LSTM[10, 20] to LSTM[10, 20]: the left outputs 20 features, the right expects 10  [shape]
