"""The zoo's ``torch.nn`` classes as source text (the second block after ``ADAPTER_SOURCE``).

Like the combinator adapters, these classes exist once, as text: ``adapters()`` runs it when
torch is first needed and ``to_pytorch_source`` prints it, so the exported modules and the
exported code are one definition. Each class names its constructor arguments in ``init_args``
(attributes of the same names), which is how ``to_pytorch_source`` writes a call that
rebuilds it. Inside, only standard modules: ``nn.Embedding``, ``nn.Linear``, ``nn.RNN``,
``nn.LSTM``, ``nn.MultiheadAttention`` and ``nn.TransformerEncoderLayer`` (batch-first).

Sequences are time-major ``[T, B, F]`` (or unbatched ``[T, F]``), as in the zoo. Dropout is
the seeds' inference rule ``(1 - p) x`` (``scaled``), not ``nn.Dropout``: these models are
specified that way, and ``nn.Dropout`` is the identity in ``eval()``.
"""

ZOO_SOURCE = '''
def scaled(x, p):
    """The seeds' inference dropout: (1 - p) x."""
    return x if p == 0.0 else x * (1.0 - p)


def batch_first(x):
    """[T, *B, F] -> ([N, T, F], B): one flat batch, batch-first."""
    batch = x.shape[1:-1]
    return x.movedim(0, -2).reshape(-1, x.shape[0], x.shape[-1]), batch


def time_major(x, batch):
    """The inverse of batch_first: [N, T, F] -> [T, *B, F]."""
    return x.reshape(*batch, x.shape[1], x.shape[2]).movedim(-2, 0)


def sinusoidal_positions(length, dim, dtype):
    """The transformer's fixed positional encoding, [length, dim]."""
    position = torch.arange(length, dtype=torch.float64)[:, None]
    rates = torch.exp(-math.log(10000.0) * (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    table = torch.zeros(length, dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(position * rates)
    table[:, 1::2] = torch.cos(position * rates[: dim // 2])
    return table.to(dtype)


class ScaledDotProductAttention(nn.Module):
    """softmax(q k^T / sqrt(d)) v; masks say True where a key is blocked."""

    init_args = ()

    def forward(self, query, key, value, *, causal=False, key_padding_mask=None, attn_mask=None):
        blocked = None
        if causal:
            steps_q, steps_k = query.shape[-2], key.shape[-2]
            ones = torch.ones(steps_q, steps_k, dtype=torch.bool, device=query.device)
            blocked = torch.triu(ones, 1)
        if attn_mask is not None:
            blocked = attn_mask if blocked is None else blocked | attn_mask
        if key_padding_mask is not None:
            padding = key_padding_mask.unsqueeze(-2)
            blocked = padding if blocked is None else blocked | padding
        allowed = None if blocked is None else ~blocked
        return F.scaled_dot_product_attention(query, key, value, attn_mask=allowed)


class EncoderAttention(nn.Module):
    """The seeds' attention: weights softmax_s((W h) . e_s), context sum_s weights_s e_s.

    (decoder_hidden [*B, H], encoder_outputs [*B, S, H]) -> (context [*B, H], weights [*B, S])
    """

    init_args = ("projection",)

    def __init__(self, projection):
        super().__init__()
        self.projection = projection

    def forward(self, decoder_hidden, encoder_outputs):
        projected = self.projection(decoder_hidden)
        scores = torch.einsum("...sh,...h->...s", encoder_outputs, projected)
        weights = torch.softmax(scores, dim=-1)
        return torch.einsum("...s,...sh->...h", weights, encoder_outputs), weights


class LSTMLanguageModel(nn.Module):
    """One-hot tokens [T, B, V] -> embedding, stacked LSTM, (1 - p) x, vocabulary logits."""

    init_args = ("embedding", "layers", "output_projection", "dropout_rate")

    def __init__(self, embedding, layers, output_projection, dropout_rate=0.0):
        super().__init__()
        self.embedding = embedding
        self.layers = layers
        self.output_projection = output_projection
        self.dropout_rate = dropout_rate

    def forward(self, onehot):
        hidden, _ = self.layers(self.embedding(onehot))
        return self.output_projection(scaled(hidden, self.dropout_rate))


class AttentionLSTM(nn.Module):
    """(src [S, B, In], tgt [T, B, In]) -> [T, B, Out]: encoder and decoder LSTMs, additive
    attention scores attention_weights([d_t; e_s]), output_layer(d_t + context_t)."""

    init_args = ("encoder_lstm", "decoder_lstm", "attention_weights", "output_layer")

    def __init__(self, encoder_lstm, decoder_lstm, attention_weights, output_layer):
        super().__init__()
        self.encoder_lstm = encoder_lstm
        self.decoder_lstm = decoder_lstm
        self.attention_weights = attention_weights
        self.output_layer = output_layer

    def forward(self, pair):
        src, tgt = pair
        enc, state = self.encoder_lstm(src)
        dec, _ = self.decoder_lstm(tgt, state)
        steps_t, steps_s = dec.shape[0], enc.shape[0]
        pairs = torch.cat(
            [
                dec.unsqueeze(1).expand(steps_t, steps_s, *dec.shape[1:]),
                enc.unsqueeze(0).expand(steps_t, steps_s, *enc.shape[1:]),
            ],
            dim=-1,
        )
        alpha = torch.softmax(self.attention_weights(pairs)[..., 0], dim=1)
        context = torch.einsum("ts...,s...h->t...h", alpha, enc)
        return self.output_layer(dec + context)


class Seq2SeqEmbedding(nn.Module):
    """Token ids [S, B] (an out-of-range id gives a zero row) or one-hot rows [S, B, V]
    (x @ E), then (1 - p) x."""

    init_args = ("embedding", "dropout_rate")

    def __init__(self, embedding, dropout_rate=0.0):
        super().__init__()
        self.embedding = embedding
        self.dropout_rate = dropout_rate

    def forward(self, tokens):
        if tokens.is_floating_point():
            out = tokens @ self.embedding.weight
        else:
            vocab = self.embedding.num_embeddings
            valid = ((tokens >= 0) & (tokens < vocab)).unsqueeze(-1)
            out = self.embedding(tokens.clamp(0, vocab - 1)) * valid
        return scaled(out, self.dropout_rate)


class Seq2SeqRNNEncoder(nn.Module):
    """nn.RNN over (1 - p) x: [S, B, E] -> (outputs [S, B, H], final h [B, H])."""

    init_args = ("rnn", "dropout_rate")

    def __init__(self, rnn, dropout_rate=0.0):
        super().__init__()
        self.rnn = rnn
        self.dropout_rate = dropout_rate

    def forward(self, x, h0=None):
        outputs, h_n = self.rnn(scaled(x, self.dropout_rate), None if h0 is None else h0[None])
        return outputs, h_n[-1]

    def encode(self, x):
        """(outputs, the decoder's start state)."""
        return self(x)


class Seq2SeqLSTMEncoder(nn.Module):
    """nn.LSTM over (1 - p) x: [S, B, E] -> (outputs [S, B, H], final h, final c)."""

    init_args = ("lstm", "dropout_rate")

    def __init__(self, lstm, dropout_rate=0.0):
        super().__init__()
        self.lstm = lstm
        self.dropout_rate = dropout_rate

    def forward(self, x, state=None):
        if state is not None:
            state = (state[0][None], state[1][None])
        outputs, (h_n, c_n) = self.lstm(scaled(x, self.dropout_rate), state)
        return outputs, h_n[-1], c_n[-1]

    def encode(self, x):
        """(outputs, the decoder's start state: the final h)."""
        outputs, h, _ = self(x)
        return outputs, h


class Seq2SeqTransformerEncoder(nn.Module):
    """(1 - p) x, optional sinusoidal positions, batch-first encoder layers: [S, B, E] ->
    [S, B, E]; the decoder starts from the mean over time."""

    init_args = ("layers", "dropout_rate", "positional_encoding")

    def __init__(self, layers, dropout_rate=0.0, positional_encoding=False):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.dropout_rate = dropout_rate
        self.positional_encoding = positional_encoding

    def forward(self, x):
        x = scaled(x, self.dropout_rate)
        if self.positional_encoding:
            table = sinusoidal_positions(x.shape[0], x.shape[-1], x.dtype)
            x = x + table.reshape(x.shape[0], *([1] * (x.dim() - 2)), x.shape[-1])
        y, batch = batch_first(x)
        for layer in self.layers:
            y = layer(y)
        return time_major(y, batch)

    def encode(self, x):
        """(outputs, the decoder's start state: the mean over time)."""
        outputs = self(x)
        return outputs, outputs.mean(dim=0)


class Seq2SeqDecoder(nn.Module):
    """Teacher forcing: (embeddings [T, B, E], h0 [B, H]) -> logits [T, B, V]: (1 - p) x,
    optional self-attention (causal or not), nn.RNN from h0, per-step projection."""

    init_args = ("rnn", "output_projection", "attention", "dropout_rate", "causal")

    def __init__(self, rnn, output_projection, attention=None, dropout_rate=0.0, causal=False):
        super().__init__()
        self.rnn = rnn
        self.output_projection = output_projection
        self.attention = attention
        self.dropout_rate = dropout_rate
        self.causal = causal

    def forward(self, target_embeddings, h0=None):
        x = scaled(target_embeddings, self.dropout_rate)
        if self.attention is not None:
            q, batch = batch_first(x)
            mask = None
            if self.causal:
                ones = torch.ones(q.shape[1], q.shape[1], dtype=torch.bool, device=q.device)
                mask = torch.triu(ones, 1)
            attended, _ = self.attention(q, q, q, attn_mask=mask, need_weights=False)
            x = time_major(attended, batch)
        hidden, _ = self.rnn(x, None if h0 is None else h0[None])
        return self.output_projection(hidden)


class Seq2Seq(nn.Module):
    """(src [S, B, SrcV], tgt [T, B, TgtV]) one-hot (or ids [S, B], [T, B]) -> logits
    [T, B, TgtV]: the decoder starts from the encoder's start state."""

    init_args = ("src_embedding", "tgt_embedding", "encoder", "decoder")

    def __init__(self, src_embedding, tgt_embedding, encoder, decoder):
        super().__init__()
        self.src_embedding = src_embedding
        self.tgt_embedding = tgt_embedding
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, pair):
        src, tgt = pair
        _, h0 = self.encoder.encode(self.src_embedding(src))
        return self.decoder(self.tgt_embedding(tgt), h0)

    def forward_training(self, src_ids, tgt_ids):
        """Teacher-forcing logits from token ids."""
        return self((src_ids, tgt_ids))


class AttentionSeq2Seq(nn.Module):
    """Seq2Seq with the seeds' encoder attention at every decoder step:
    logits_t = output_projection(d_t + context_t)."""

    init_args = ("src_embedding", "tgt_embedding", "encoder", "decoder", "attention")

    def __init__(self, src_embedding, tgt_embedding, encoder, decoder, attention):
        super().__init__()
        self.src_embedding = src_embedding
        self.tgt_embedding = tgt_embedding
        self.encoder = encoder
        self.decoder = decoder
        self.attention = attention

    def forward(self, pair):
        src, tgt = pair
        enc, h0 = self.encoder.encode(self.src_embedding(src))
        x = scaled(self.tgt_embedding(tgt), self.decoder.dropout_rate)
        dec, _ = self.decoder.rnn(x, h0[None])
        keys = enc.movedim(0, -2)
        context, _ = self.attention(dec, keys.expand(dec.shape[0], *keys.shape))
        return self.decoder.output_projection(dec + context)

    def forward_training(self, src_ids, tgt_ids):
        """Teacher-forcing logits from token ids."""
        return self((src_ids, tgt_ids))
'''

ZOO_NAMES = (
    "ScaledDotProductAttention",
    "EncoderAttention",
    "LSTMLanguageModel",
    "AttentionLSTM",
    "Seq2SeqEmbedding",
    "Seq2SeqRNNEncoder",
    "Seq2SeqLSTMEncoder",
    "Seq2SeqTransformerEncoder",
    "Seq2SeqDecoder",
    "Seq2Seq",
    "AttentionSeq2Seq",
)
