"""Language model whose LSTM expects another embedding size.

The embedding gives 64 features per token; the LSTM was built for 128.
"""

from shapely_nn.layers import Embedding, Linear
from shapely_nn.modules import LSTM


def build() -> None:
    lm = Embedding(1000, 64, rng=0) >> LSTM(128, 128, rng=1) >> Linear(128, 1000, rng=2)  # E: ">>" joins Embedding[1000, 64] to LSTM[128, 128]: the left outputs 64 features, the right expects 128  [shape]
