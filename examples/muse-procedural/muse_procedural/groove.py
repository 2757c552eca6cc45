"""Drum grooves from Euclidean rhythms: k hits spread as evenly as possible over n steps.

Toussaint (2005) showed that this one rule, E(k, n), gives many of the world's standard
rhythms: E(3, 8) is the tresillo, E(5, 8) the cinquillo, E(4, 16) four-on-the-floor. Kick, snare
and hi-hat each get a Euclidean pattern; the seed rotates the hats, sprinkles ghost notes and
chooses which bars end in a tom fill, and ``swing`` delays every second step.
"""

from __future__ import annotations

import random
from typing import Any

from engine import Note, Score, Track

KICK, SNARE, CLOSED_HAT, OPEN_HAT = 36, 38, 42, 46
TOMS = (50, 47, 45, 43)  # high to low, as a fill walks down


def euclid(hits: int, steps: int, rotation: int = 0) -> list[bool]:
    """E(hits, steps) rotated right by ``rotation``; step 0 is a hit when rotation is 0."""
    hits = max(0, min(hits, steps))
    pattern = [(i * hits) % steps < hits for i in range(steps)]
    rotation %= steps
    return pattern[-rotation:] + pattern[:-rotation] if rotation else pattern


def groove(params: dict[str, Any], seed: int) -> Score:
    """A drum Score of ``params['bars']`` bars (see the parameters of the ``groove`` generator)."""
    rng = random.Random(seed)
    steps, bars = params["steps"], params["bars"]
    beat = steps // 4
    step_seconds = 60.0 / params["tempo"] / beat
    kick = euclid(params["kick"], steps)
    snare = euclid(params["snare"], steps, rotation=beat)  # first snare on beat 2, the backbeat
    hats = euclid(params["hats"], steps, rotation=rng.randrange(2) if params["hats"] < steps else 0)
    fill_bars = {bar for bar in range(bars) if (bar + 1) % 4 == 0 and rng.random() < params["fills"]}
    notes: list[Note] = []

    def hit(pitch: int, bar: int, step: int, velocity: int) -> None:
        swing = params["swing"] * step_seconds if step % 2 else 0.0
        start = (bar * steps + step) * step_seconds + swing
        jitter = rng.uniform(-1, 1) * params["humanize"] * 20
        notes.append(Note(pitch, start, start + step_seconds * 0.9, int(max(1, min(127, velocity + jitter)))))

    for bar in range(bars):
        fill_from = steps - beat if bar in fill_bars else steps
        for step in range(steps):
            accent = 12 if step % beat == 0 else 0
            if step >= fill_from:
                hit(TOMS[(step - fill_from) * len(TOMS) // beat], bar, step, 96 + accent)
                continue
            if kick[step]:
                hit(KICK, bar, step, 100 + accent)
            if snare[step]:
                hit(SNARE, bar, step, 104)
            elif step % 2 and rng.random() < params["ghosts"]:
                hit(SNARE, bar, step, 38)
            if hats[step]:
                open_hat = step == steps - 1 and bar % 2 == 1
                hit(OPEN_HAT if open_hat else CLOSED_HAT, bar, step, 70 + accent)
    notes.sort(key=lambda n: (n.start, n.pitch))
    return Score([Track(notes, program=0, is_drum=True, name="drums")], tempo=params["tempo"],
                 time_signature=(4, 4))
