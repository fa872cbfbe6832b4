"""Every sized layer built in a plain variable, then used where its sizes are declared.

pyright widens a literal argument to ``int`` when no declared type is in sight; the sized
layers' ``__new__`` (for checkers only) keeps such code free of false errors. mypy keeps the
literals: the plugin checks the sizes here.
"""

from typing import Literal as L

from shapely_nn.layers import (
    Embedding,
    EncoderAttention,
    GRUCell,
    LayerNorm,
    Linear,
    LSTMCell,
    MultiHeadAttention,
    RNNCell,
    TransformerDecoderLayer,
    TransformerEncoderLayer,
)
from shapely_nn.modules import GRU, LSTM, RNN, BiGRU, BiLSTM, BiRNN


def use_linear(m: Linear[L[64], L[8]]) -> None: ...
def use_embedding(m: Embedding[L[100], L[16]]) -> None: ...
def use_mha(m: MultiHeadAttention[L[64], L[8]]) -> None: ...
def use_norm(m: LayerNorm[L[64]]) -> None: ...
def use_encoder(m: TransformerEncoderLayer[L[64], L[8], L[128]]) -> None: ...
def use_decoder(m: TransformerDecoderLayer[L[64], L[8], L[128]]) -> None: ...
def use_attention(m: EncoderAttention[L[64]]) -> None: ...
def use_lstm(m: LSTM[L[16], L[32]], c: LSTMCell[L[16], L[32]]) -> None: ...
def use_gru(m: GRU[L[16], L[32]], c: GRUCell[L[16], L[32]]) -> None: ...
def use_rnn(m: RNN[L[16], L[32]], c: RNNCell[L[16], L[32]]) -> None: ...
def use_bi(a: BiLSTM[L[16], L[32]], b: BiGRU[L[16], L[32]], c: BiRNN[L[16], L[32]]) -> None: ...


def build() -> None:
    linear = Linear(64, 8, rng=0)
    use_linear(linear)
    embedding = Embedding(100, 16, rng=0)
    use_embedding(embedding)
    mha = MultiHeadAttention(64, 8, rng=0)
    use_mha(mha)
    norm = LayerNorm(64)
    use_norm(norm)
    encoder = TransformerEncoderLayer(64, 8, 128, rng=0)
    use_encoder(encoder)
    decoder = TransformerDecoderLayer(64, 8, 128, rng=0)
    use_decoder(decoder)
    attention = EncoderAttention(64, rng=0)
    use_attention(attention)
    lstm, lstm_cell = LSTM(16, 32, rng=0), LSTMCell(16, 32, rng=0)
    use_lstm(lstm, lstm_cell)
    gru, gru_cell = GRU(16, 32, rng=0), GRUCell(16, 32, rng=0)
    use_gru(gru, gru_cell)
    rnn, rnn_cell = RNN(16, 32, rng=0), RNNCell(16, 32, rng=0)
    use_rnn(rnn, rnn_cell)
    bi_lstm, bi_gru, bi_rnn = BiLSTM(16, 32, rng=0), BiGRU(16, 32, rng=0), BiRNN(16, 32, rng=0)
    use_bi(bi_lstm, bi_gru, bi_rnn)
