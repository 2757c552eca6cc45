"""The character-level recurrent language model: embedding, an LSTM or GRU stack, a softmax head.

Plain ``torch.nn`` so anyone can read it in a minute. The recurrent state is returned and accepted
by :meth:`CharRNN.forward`, which is what makes sampling cost one step per character instead of
re-reading the whole prefix (see benchmarks/poem.py for the ratio).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

State = Any  # a tensor (GRU) or a (hidden, cell) pair (LSTM)


@dataclass(frozen=True)
class ModelConfig:
    """The numbers that shape the tensors; saved in every checkpoint and checked on load."""

    vocab_size: int
    embed: int = 64
    hidden: int = 384
    layers: int = 2
    cell: str = "lstm"
    dropout: float = 0.15

    def shape_keys(self) -> dict[str, Any]:
        """The keys a checkpoint must match to load into this network (dropout does not matter)."""
        data = asdict(self)
        data.pop("dropout")
        return data


class CharRNN(nn.Module):
    """Predicts the next character from the characters so far, carrying a recurrent state."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        recurrent = {"lstm": nn.LSTM, "gru": nn.GRU}[config.cell]
        self.embed = nn.Embedding(config.vocab_size, config.embed)
        self.rnn = recurrent(config.embed, config.hidden, config.layers, batch_first=True,
                             dropout=config.dropout if config.layers > 1 else 0.0)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden, config.vocab_size)

    def forward(self, ids: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """``ids`` (batch, time) -> logits (batch, time, vocab) and the state after the last step."""
        out, state = self.rnn(self.embed(ids), state)
        return self.head(self.drop(out)), state


def reorder_state(state: State, index: torch.Tensor) -> State:
    """Pick batch rows of a state (used when sampling keeps some candidates and drops others)."""
    if isinstance(state, tuple):
        return tuple(s.index_select(1, index) for s in state)
    return state.index_select(1, index)
