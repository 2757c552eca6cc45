"""Smoothed n-gram baselines over whole events, for `muse eval melody`.

An event is the pair (pitch id, duration): the same unit the LSTM's NLL is counted in. Orders
2-4 use interpolated Kneser-Ney (absolute discount D = n1 / (n1 + 2 n2), continuation counts
below the top order); order 1 is a unigram with add-one smoothing. Every order's lowest level
mixes in a uniform distribution over all possible events, so an event never seen in training
still gets a finite cost.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

BEGIN = -1  # context padding at the start of a tune

Event = tuple[int, int]


class KneserNey:
    """An n-gram model of event sequences with ``order`` - 1 events of context."""

    def __init__(self, order: int, vocabulary_size: int):
        self.order = order
        self.vocabulary_size = vocabulary_size
        # counts[k][context of length k][event]; the top order has raw counts, lower ones continuation counts.
        self.counts: list[dict[tuple, Counter]] = [defaultdict(Counter) for _ in range(order)]
        self.discounts = [0.75] * order
        self.index: dict[int, int] = {}

    def fit(self, tunes: Iterable[Sequence[int]]) -> KneserNey:
        top = self.order - 1
        for tune in tunes:
            padded = [BEGIN] * top + list(tune)
            for position in range(top, len(padded)):
                self.counts[top][tuple(padded[position - top:position])][padded[position]] += 1
        for level in range(top - 1, -1, -1):  # N1+(. context event): distinct left extensions
            for context, events in self.counts[level + 1].items():
                for event in events:
                    self.counts[level][context[1:]][event] += 1
        for level in range(self.order):
            histogram = Counter(c for events in self.counts[level].values() for c in events.values())
            n1, n2 = histogram.get(1, 0), histogram.get(2, 0)
            self.discounts[level] = n1 / (n1 + 2 * n2) if n1 and n2 else 0.75
        self.index = {e: i for i, e in enumerate(sorted({e for events in self.counts[0].values() for e in events}))}
        self._totals = [{c: (sum(ev.values()), len(ev)) for c, ev in level.items()} for level in self.counts]
        self._cache: dict[tuple, np.ndarray] = {}
        return self

    def _distribution(self, context: tuple) -> np.ndarray:
        """Probabilities over the seen events (last slot: any one unseen event) after ``context``."""
        if context in self._cache:
            return self._cache[context]
        level = len(context)
        size = len(self.index)
        if level == 0:
            distribution = np.zeros(size + 1)
            events = self.counts[0][()]
            total, types = self._totals[0][()]
            if self.order == 1:  # add-one unigram
                for event, count in events.items():
                    distribution[self.index[event]] = count + 1
                distribution /= total + self.vocabulary_size
                distribution[size] = 1 / (total + self.vocabulary_size)
            else:
                discount = self.discounts[0]
                uniform = discount * types / total / self.vocabulary_size
                for event, count in events.items():
                    distribution[self.index[event]] = max(count - discount, 0) / total
                distribution += uniform
        else:
            lower = self._distribution(context[1:])
            events = self.counts[level].get(context)
            if not events:
                distribution = lower
            else:
                total, types = self._totals[level][context]
                discount = self.discounts[level]
                distribution = lower * (discount * types / total)
                for event, count in events.items():
                    distribution[self.index[event]] += max(count - discount, 0) / total
        self._cache[context] = distribution
        return distribution

    def score(self, tunes: Iterable[Sequence[int]]) -> tuple[float, float, int]:
        """Total NLL (nats), correct argmax predictions and event count over held-out tunes."""
        top = self.order - 1
        nll, correct, count = 0.0, 0, 0
        unseen = len(self.index)
        for tune in tunes:
            padded = [BEGIN] * top + list(tune)
            for position in range(top, len(padded)):
                distribution = self._distribution(tuple(padded[position - top:position]))
                event = padded[position]
                nll -= math.log(distribution[self.index.get(event, unseen)])
                correct += int(int(np.argmax(distribution[:unseen])) == self.index.get(event, -1))
                count += 1
        return nll, correct, count


def event_ids(pitches: Sequence[int], durations: Sequence[int], duration_ids: int) -> list[int]:
    """Whole events as single integers: pitch id * duration_ids + duration."""
    return [p * duration_ids + d for p, d in zip(pitches, durations)]
