"""Free sampling and the model-scoring helpers that constrained decoding builds on."""

from __future__ import annotations

import torch

from .data import Vocabulary
from .model import CharRNN, State


def filter_logits(logits: torch.Tensor, temperature: float, top_k: int, top_p: float) -> torch.Tensor:
    """Temperature, then keep the ``top_k`` best and the smallest set reaching ``top_p`` mass."""
    logits = logits / max(temperature, 1e-5)
    if 0 < top_k < logits.shape[-1]:
        threshold = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < threshold, float("-inf"))
    if 0.0 < top_p < 1.0:
        ordered, order = torch.sort(logits, descending=True, dim=-1)
        mass = torch.softmax(ordered, dim=-1).cumsum(dim=-1)
        drop = mass - torch.softmax(ordered, dim=-1) > top_p  # keep the token that crosses top_p
        ordered = ordered.masked_fill(drop, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, ordered)
    return logits


@torch.no_grad()
def feed(model: CharRNN, ids: list[int], state: State | None = None) -> tuple[torch.Tensor, State]:
    """Run ``ids`` through the model; return the next-character logits and the new state."""
    logits, state = model(torch.tensor([ids], dtype=torch.long), state)
    return logits[0, -1], state


@torch.no_grad()
def sample_free(model: CharRNN, vocab: Vocabulary, prime: str, length: int, generator: torch.Generator,
                temperature: float = 0.8, top_k: int = 0, top_p: float = 1.0) -> str:
    """``length`` characters after ``prime``, one model step each, never the unknown character."""
    logits, state = feed(model, vocab.encode(prime).tolist())
    out = []
    for _ in range(length):
        logits[0] = float("-inf")
        probs = torch.softmax(filter_logits(logits, temperature, top_k, top_p), dim=-1)
        choice = int(torch.multinomial(probs, 1, generator=generator))
        out.append(choice)
        logits, state = feed(model, [choice], state)
    return vocab.decode(out)
