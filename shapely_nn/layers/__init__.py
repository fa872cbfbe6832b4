"""Layers: one file each, forward and backward side by side."""

from shapely_nn.layers._activations import GELU, NoGrads, ReLU, Sigmoid, Tanh
from shapely_nn.layers._attention import (
    EncoderAttention,
    EncoderAttentionGrads,
    ScaledDotProductAttention,
    apply_attention,
    compute_attention_weights,
    scaled_dot_product_attention,
)
from shapely_nn.layers._base import GradRecord, Layer
from shapely_nn.layers._dropout import Dropout, dropout_inference_spec
from shapely_nn.layers._embedding import Embedding, EmbeddingGrads
from shapely_nn.layers._gru import GRUCell, GRUGrads
from shapely_nn.layers._layernorm import LayerNorm, LayerNormGrads
from shapely_nn.layers._linear import Linear, LinearGrads
from shapely_nn.layers._lstm import LSTMCell, LSTMGrads
from shapely_nn.layers._mha import MultiHeadAttention, MultiHeadAttentionGrads
from shapely_nn.layers._recurrent_base import RecurrentCache
from shapely_nn.layers._rnn import RNNCell, RNNGrads
from shapely_nn.layers._softmax import LogSoftmax, Softmax
from shapely_nn.layers._transformer import (
    TransformerDecoderLayer,
    TransformerDecoderLayerGrads,
    TransformerEncoderLayer,
    TransformerEncoderLayerGrads,
)

__all__ = ["GradRecord", "Layer", "Linear", "LinearGrads"]
__all__ += ["Embedding", "EmbeddingGrads", "GRUCell", "GRUGrads", "LSTMCell", "LSTMGrads"]
__all__ += ["RNNCell", "RNNGrads", "RecurrentCache"]
__all__ += ["Dropout", "GELU", "LayerNorm", "LayerNormGrads", "LogSoftmax", "NoGrads", "ReLU"]
__all__ += ["Sigmoid", "Softmax", "Tanh", "dropout_inference_spec"]
__all__ += ["EncoderAttention", "EncoderAttentionGrads", "MultiHeadAttention"]
__all__ += ["MultiHeadAttentionGrads", "ScaledDotProductAttention", "apply_attention"]
__all__ += ["compute_attention_weights", "scaled_dot_product_attention"]
__all__ += ["TransformerDecoderLayer", "TransformerDecoderLayerGrads"]
__all__ += ["TransformerEncoderLayer", "TransformerEncoderLayerGrads"]
