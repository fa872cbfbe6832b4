"""Modules: sequence wrappers over the recurrent cells, bidirectional runs, layer stacks."""

from shapely_nn.modules._bidirectional import (
    Bidirectional,
    BidirectionalGrads,
    BiGRU,
    BiLSTM,
    BiRNN,
)
from shapely_nn.modules._compose import (
    AnyLead,
    Chain,
    ChainGrads,
    Concat,
    Fan,
    FanGrads,
    LeadModule,
    Module,
    Parallel,
    ParallelGrads,
    Residual,
    ResidualGrads,
    SameLead,
    Stack,
    fan,
    residual,
    stack,
)
from shapely_nn.modules._recurrent import GRU, LSTM, RNN
from shapely_nn.modules._stacked import RecurrentStack, RecurrentStackGrads

__all__ = ["GRU", "LSTM", "RNN"]
__all__ += ["BiGRU", "BiLSTM", "BiRNN", "Bidirectional", "BidirectionalGrads"]
__all__ += ["RecurrentStack", "RecurrentStackGrads"]
__all__ += ["Chain", "ChainGrads", "Concat", "Fan", "FanGrads", "Module"]
__all__ += ["Parallel", "ParallelGrads", "Residual", "ResidualGrads", "Stack"]
__all__ += ["fan", "residual", "stack"]
__all__ += ["AnyLead", "LeadModule", "SameLead"]
