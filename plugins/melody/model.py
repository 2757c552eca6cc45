"""The melody language model: an LSTM over note events that also reads meter and lookback.

Each step reads the previous event, what sounded at the same bar position 1, 2, 4 and 8 bars
ago (so repeated bars and repeated 8-bar parts are easy to copy, as in Magenta's Lookback RNN),
where in the bar and the phrase the next event starts, how many bars remain, and the mode. It
predicts the next event's pitch, then its duration given that pitch: the joint probability of
an event is the product, so NLL per event is comparable with an n-gram over whole events.
"""

from __future__ import annotations

import torch
from torch import nn

from .events import COLUMN, FEATURE_SIZES, LOOKBACK_BARS, N_DURATION_IDS, N_PITCH_IDS

PITCH_COLUMNS = [COLUMN["prev_pitch"], *(COLUMN[f"back{k}_pitch"] for k in LOOKBACK_BARS)]
DURATION_COLUMNS = [COLUMN["prev_duration"], *(COLUMN[f"back{k}_duration"] for k in LOOKBACK_BARS)]
POSITION_COLUMNS = [COLUMN[name] for name in FEATURE_SIZES]


class MelodyLSTM(nn.Module):
    """Embeddings of the feature columns -> LSTM -> pitch head and pitch-conditioned duration head."""

    def __init__(self, hidden: int = 256, layers: int = 2, pitch_dim: int = 32, duration_dim: int = 16,
                 feature_dim: int = 8, dropout: float = 0.2):
        super().__init__()
        self.pitch_embedding = nn.Embedding(N_PITCH_IDS, pitch_dim)
        self.duration_embedding = nn.Embedding(N_DURATION_IDS, duration_dim)
        self.feature_embeddings = nn.ModuleList(nn.Embedding(size, feature_dim) for size in FEATURE_SIZES.values())
        width = len(PITCH_COLUMNS) * pitch_dim + len(DURATION_COLUMNS) * duration_dim + len(FEATURE_SIZES) * feature_dim
        self.lstm = nn.LSTM(width, hidden, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.pitch_head = nn.Linear(hidden, N_PITCH_IDS)
        self.duration_head = nn.Sequential(nn.Linear(hidden + pitch_dim, hidden), nn.Tanh(), nn.Linear(hidden, N_DURATION_IDS))

    def embed(self, features: torch.Tensor) -> torch.Tensor:
        """(B, T, F) integer feature rows -> (B, T, width) LSTM inputs."""
        parts = [self.pitch_embedding(features[..., PITCH_COLUMNS]).flatten(-2),
                 self.duration_embedding(features[..., DURATION_COLUMNS]).flatten(-2)]
        parts += [embedding(features[..., column]) for embedding, column in zip(self.feature_embeddings, POSITION_COLUMNS)]
        return torch.cat(parts, dim=-1)

    def forward(self, features: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None):
        """Hidden outputs (B, T, H), pitch logits (B, T, P) and the LSTM state after the last step."""
        hidden, state = self.lstm(self.dropout(self.embed(features)), state)
        hidden = self.dropout(hidden)
        return hidden, self.pitch_head(hidden), state

    def duration_logits(self, hidden: torch.Tensor, pitch_ids: torch.Tensor) -> torch.Tensor:
        """Duration logits given the hidden output and the pitch being played (any leading shape)."""
        return self.duration_head(torch.cat([hidden, self.pitch_embedding(pitch_ids)], dim=-1))

    def all_duration_log_probs(self, hidden: torch.Tensor) -> torch.Tensor:
        """Log P(duration | pitch) for every pitch at once: (N, H) -> (N, P, D).

        The head's first layer is linear in [hidden, pitch embedding], so its two halves are
        applied separately and summed by broadcasting instead of repeating ``hidden`` P times.
        """
        first, activation, last = self.duration_head
        size = hidden.shape[-1]
        from_hidden = hidden @ first.weight[:, :size].T + first.bias
        from_pitch = self.pitch_embedding.weight @ first.weight[:, size:].T
        return last(activation(from_hidden[:, None, :] + from_pitch[None, :, :])).log_softmax(-1)

    def event_log_probs(self, features: torch.Tensor, pitches: torch.Tensor, durations: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Log P(pitch) and log P(duration | pitch) of the given events, each (B, T)."""
        hidden, pitch_logits, _ = self(features)
        duration_logits = self.duration_logits(hidden, pitches)
        pitch_lp = pitch_logits.log_softmax(-1).gather(-1, pitches[..., None]).squeeze(-1)
        duration_lp = duration_logits.log_softmax(-1).gather(-1, durations[..., None]).squeeze(-1)
        return pitch_lp, duration_lp


def model_config(hidden: int, layers: int) -> dict[str, int]:
    """The checkpoint config keys that shape the tensors (and the vocabulary they assume)."""
    return {"hidden": hidden, "layers": layers, "pitch_ids": N_PITCH_IDS, "duration_ids": N_DURATION_IDS,
            "features": len(COLUMN)}
