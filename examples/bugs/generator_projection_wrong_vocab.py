"""RNN generator whose projection has another vocabulary.

The generator embeds one-hot tokens of Vocab and must project back to the same Vocab.
"""

from shapely_nn.layers import Linear
from shapely_nn.models import RNNGenerator
from shapely_nn.modules import RNN


def build() -> None:
    generator = RNNGenerator(Linear(50, 32, rng=0), RNN(32, 32, rng=1), Linear(32, 40, rng=2))  # E: "RNNGenerator" expects Vocab = 50 (bound by argument "embedding") as the Out size of Linear, got 40 in argument "output_projection"  [shape]
