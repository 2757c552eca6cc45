"""Corpus-level measures a musician would listen for: form, each meter's rhythm, pickups, loops.

All of them count bars from the first downbeat (a pickup is in no bar), so a tune with an
anacrusis is measured as it is played:

- **form** (of tunes with four 8-bar parts, 25-32 bars): the share whose part letters are AABB,
  AAAA or anything else (letters and *the same* as in :mod:`plugins.melody.form`), and the mean
  similarity of the first A and the first B (part 1 against part 3);
- **B's register**: mean pitch of the second half minus the first half (semitones), of the same tunes;
- **onset positions**: the distribution of note onsets over the positions of the bar (units),
  compared between two sets of tunes of one meter by total-variation distance;
- **sixteenth share**: the share of note onsets on off-beat sixteenths (the 2nd and 4th of a
  quarter), where a meter's busy tunes (polkas, hornpipes) differ from its plain ones;
- **pickup rate**: the share of tunes that begin before their first downbeat;
- **distinct bars**: distinct bars over bars, per tune (a two-bar loop played 16 times is 0.06).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .events import off_beat_sixteenth
from .form import PART_BARS, bar_onsets, letters, parts_of, similarity
from .metrics import Melody

FORM_PARTS = 4


def _parts(melody: Melody):
    onsets = [o for o, _, _ in melody.notes]
    pitches: list[int | None] = [p for _, p, _ in melody.notes]
    return parts_of(bar_onsets(onsets, pitches, melody.meter, melody.bars))


def four_part(melodies: Iterable[Melody]) -> list[Melody]:
    """The tunes of four 8-bar parts (the last may be a bar or more short), where AABB can be."""
    return [m for m in melodies if (FORM_PARTS - 1) * PART_BARS < m.bars <= FORM_PARTS * PART_BARS]


def form_measures(melodies: list[Melody]) -> dict[str, float]:
    """AABB / AAAA / other shares, mean A-vs-B similarity and the second half's rise, over the
    four-part tunes of ``melodies`` (zeros, with ``form_tunes`` 0, when there are none)."""
    tunes = four_part(melodies)
    counts: Counter = Counter()
    similarities, rises = [], []
    for melody in tunes:
        parts = _parts(melody)
        form = letters(parts)
        counts[form if form in ("AABB", "AAAA") else "other"] += 1
        similarities.append(similarity(parts[0], parts[2]))
        half = PART_BARS * FORM_PARTS // 2 * melody.meter.bar_units
        first = [p for o, p, _ in melody.notes if 0 <= o < half]
        second = [p for o, p, _ in melody.notes if o >= half]
        if first and second:
            rises.append(sum(second) / len(second) - sum(first) / len(first))
    total = max(len(tunes), 1)
    return {"form_tunes": float(len(tunes)), "aabb": counts["AABB"] / total, "aaaa": counts["AAAA"] / total,
            "other_form": counts["other"] / total, "a_vs_b_similarity": sum(similarities) / total,
            "second_half_rise": sum(rises) / max(len(rises), 1)}


def onset_positions(melodies: Iterable[Melody]) -> Counter:
    """How many note onsets fall on each position (units into the bar), pickups left out."""
    positions: Counter = Counter()
    for melody in melodies:
        positions.update(o % melody.meter.bar_units for o, _, _ in melody.notes if o >= 0)
    return positions


def total_variation(first: Counter, second: Counter) -> float:
    """Half the summed absolute difference of two normalised histograms (0: the same, 1: disjoint)."""
    a, b = sum(first.values()) or 1, sum(second.values()) or 1
    return 0.5 * sum(abs(first[k] / a - second[k] / b) for k in set(first) | set(second))


def sixteenth_share(melodies: Iterable[Melody]) -> float:
    """The share of note onsets (pickups left out) that fall on off-beat sixteenths."""
    positions = onset_positions(melodies)
    return sum(count for position, count in positions.items() if off_beat_sixteenth(position)) / max(sum(positions.values()), 1)


def pickup_rate(melodies: list[Melody]) -> float:
    return sum(1 for m in melodies if m.pickup > 0) / max(len(melodies), 1)


def distinct_bars(melodies: list[Melody]) -> float:
    """Mean share of a tune's bars that differ from all its other bars' (position, pitch) onsets."""
    shares = []
    for melody in melodies:
        onsets = [o for o, _, _ in melody.notes]
        bars = bar_onsets(onsets, [p for _, p, _ in melody.notes], melody.meter, melody.bars)
        shares.append(len({frozenset(bar) for bar in bars}) / len(bars))
    return sum(shares) / max(len(shares), 1)
