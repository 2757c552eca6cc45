"""The `sonify` composer: an image read left to right as a melody.

The mappings follow how people match pictures and sounds (bright is high and major, dark is low
and minor, busy is fast): overall brightness and warmth choose the mode, brightness the register,
the amount of edge detail the tempo, the dominant hue the tonic (round the circle of fifths).
Scanning the columns left to right, each stretch's brightness and the height of its bright mass
draw the contour, its local detail sets the rhythm (calm stretches hold notes, busy ones run in
eighths), its contrast the loudness. The seed only varies small choices, so an image always
sounds like itself.
"""

from __future__ import annotations

import colorsys
import random
from dataclasses import dataclass
from typing import Any

from engine import Image, Note, Score, Track
from engine.theory import Key, nearest_in_range, snap_to_scale

from .accompany import AccompanimentOptions, accompaniment_for
from .scoretools import Grid

ANALYSIS_WIDTH = 128  # images are measured at this width, so a result does not depend on resolution
BEATS_PER_BAR = 4


@dataclass
class Features:
    """What the image is like, each in 0..1 (warmth in -1..1)."""

    brightness: float
    warmth: float
    saturation: float
    edges: float
    hue: float
    columns: Any  # per analysis column: brightness, height of the bright mass, detail, contrast

    def as_meta(self) -> dict[str, float]:
        return {name: round(float(getattr(self, name)), 4) for name in ("brightness", "warmth", "saturation", "edges", "hue")}


def image_features(image: Image) -> Features:
    """Global and per-column measurements of ``image`` (resized to the analysis width)."""
    import numpy as np
    from PIL import Image as PILImage

    picture = image.to_pil().convert("RGB")
    height = max(8, round(picture.height * ANALYSIS_WIDTH / picture.width))
    picture = picture.resize((ANALYSIS_WIDTH, min(height, 4 * ANALYSIS_WIDTH)), PILImage.Resampling.BILINEAR)
    rgb = np.asarray(picture, dtype=np.float32) / 255.0
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    saturation = rgb.max(axis=2) - rgb.min(axis=2)
    dy = np.abs(np.diff(luminance, axis=0, append=luminance[-1:]))
    dx = np.abs(np.diff(luminance, axis=1, append=luminance[:, -1:]))
    detail = dx + dy
    weights = saturation.reshape(-1) + 1e-3
    mean_colour = (rgb.reshape(-1, 3) * weights[:, None]).sum(axis=0) / weights.sum()
    hue = colorsys.rgb_to_hsv(*mean_colour)[0]
    rows = np.linspace(1.0, 0.0, luminance.shape[0])[:, None]  # 1 at the top
    mass = luminance + 1e-3
    columns = np.stack([
        luminance.mean(axis=0),
        (rows * mass).sum(axis=0) / mass.sum(axis=0),
        detail.mean(axis=0),
        luminance.std(axis=0),
    ], axis=1)
    return Features(float(luminance.mean()), float((red - blue).mean()), float(saturation.mean()),
                    float(min(1.0, detail.mean() * 6.0)), float(hue), columns)


def key_for(features: Features) -> Key:
    """Major for bright or warm pictures, minor for dark or cold ones; the hue picks the tonic."""
    mode = "major" if features.brightness + features.warmth >= 0.4 else "minor"
    tonic = (round(features.hue * 12) % 12 * 7) % 12 if features.saturation > 0.08 else (0 if mode == "major" else 9)
    return Key(tonic, mode)


def tempo_for(features: Features) -> float:
    return float(round(60 + 100 * features.edges))


def register_for(features: Features) -> float:
    """The melody's centre pitch: E3 for black, F#5 for white."""
    return 52.0 + 26.0 * features.brightness


def melody(features: Features, key: Key, bars: int, seconds_per_beat: float, rng: random.Random) -> list[Note]:
    """The contour and rhythm read from the columns (see the module docstring)."""
    import numpy as np

    columns = features.columns
    count = len(columns)
    centre = register_for(features)
    detail_mean = float(columns[:, 2].mean()) + 1e-6
    spread = float(columns[:, 0].std()) + 0.05
    total_beats = bars * BEATS_PER_BAR
    notes: list[Note] = []
    beat = 0.0
    previous = centre
    while beat < total_beats - 1e-6:
        where = min(count - 1, int(beat / total_beats * count))
        brightness, height, detail, contrast = (float(v) for v in columns[where])
        busy = detail / detail_mean
        on_strong = beat % 2 == 0
        if beat >= total_beats - BEATS_PER_BAR:  # the last bar: settle on the tonic
            length = total_beats - beat if beat % BEATS_PER_BAR == 0 else 1.0
        elif busy > 1.35 or (busy > 1.0 and rng.random() < 0.3):
            length = 0.5
        elif busy < 0.6 and on_strong and rng.random() < 0.8:
            length = 2.0
        else:
            length = 1.0
        target = centre + 7.0 * (brightness - features.brightness) / spread + 14.0 * (height - 0.5)
        target = float(np.clip(target, centre - 12, centre + 12))
        if rng.random() < 0.2:
            target += rng.choice((-2, 2))
        if abs(target - previous) > 9:  # no wild leaps: a singer could follow it
            target = previous + np.sign(target - previous) * 5
        pitch = snap_to_scale(target, key.scale)
        if beat + length >= total_beats - 1e-6:
            pitch = nearest_in_range(key.tonic, previous, int(centre) - 12, int(centre) + 12)
        velocity = int(np.clip(58 + 160 * contrast, 45, 110))
        start = beat * seconds_per_beat
        notes.append(Note(int(pitch), start, start + length * seconds_per_beat * 0.95, velocity))
        previous = pitch
        beat += length
    return notes


def sonify_image(image: Image, params: dict[str, Any], seed: int) -> Score:
    """The `sonify` composer (see the module docstring)."""
    rng = random.Random(seed)
    features = image_features(image)
    key = key_for(features)
    tempo = tempo_for(features)
    seconds_per_beat = 60.0 / tempo
    tune = melody(features, key, params["bars"], seconds_per_beat, rng)
    tracks = [Track(tune, program=params["program"], name="image")]
    meta: dict[str, Any] = {"features": features.as_meta(), "key": key.name, "tempo": tempo}
    if params["accompaniment"]:
        grid = Grid(seconds_per_beat, (BEATS_PER_BAR, 4), params["bars"])
        result = accompaniment_for(tune, grid, key, AccompanimentOptions.from_params(params), seed)
        tracks += result.tracks
        meta["chords"] = result.chord_names
    return Score(tracks, tempo=tempo, time_signature=(BEATS_PER_BAR, 4), key=key.name, meta=meta)
