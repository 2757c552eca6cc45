"""Where two works differ, in one phrase: what `muse reproduce` says when a remake is not identical."""

from __future__ import annotations

from typing import Any

from .works import Audio, Image, Score, Text, Work, a_kind


def difference(original: Work, remade: Work) -> str | None:
    """None when the art is the same (as ``same_content`` judges it), else how it differs."""
    if original.same_content(remade):
        return None
    if type(original) is not type(remade):
        return f"{a_kind(original.kind)} was remade as {a_kind(remade.kind)}"
    if isinstance(original, Image) and isinstance(remade, Image):  # the same type, checked above
        return _image(original, remade)
    if isinstance(original, Audio) and isinstance(remade, Audio):  # the same type, checked above
        return _audio(original, remade)
    if isinstance(original, Score) and isinstance(remade, Score):  # the same type, checked above
        return _score(original, remade)
    if isinstance(original, Text) and isinstance(remade, Text):  # the same type, checked above
        return _text(original, remade)
    return "the content differs"


def _image(a: Image, b: Image) -> str:
    import numpy as np

    if a.pixels.shape != b.pixels.shape:
        return f"image shape {_shape(a.pixels.shape)} was remade as {_shape(b.pixels.shape)}"
    if len(a.frames) != len(b.frames):
        return f"{len(a.frames) + 1} frame(s) were remade as {len(b.frames) + 1}"
    for index, (x, y) in enumerate(zip([a.pixels, *a.frames], [b.pixels, *b.frames])):
        delta = np.abs(x.astype(np.int16) - y.astype(np.int16))
        if delta.any():
            where = f" in frame {index + 1} of {len(a.frames) + 1}" if a.frames else ""
            changed = int(delta.max(axis=2).astype(bool).sum())
            return f"{changed} of {x.shape[0] * x.shape[1]} pixels differ{where}, by up to {int(delta.max())} levels"
    return "the content differs"


def _shape(shape: tuple[Any, ...]) -> str:
    height, width, channels = shape
    return f"{width}x{height}x{channels}"


def _audio(a: Audio, b: Audio) -> str:
    import numpy as np

    if a.rate != b.rate:
        return f"sample rate {a.rate} Hz was remade as {b.rate} Hz"
    if a.samples.shape != b.samples.shape:
        return (f"{a.samples.shape[0]} samples x {a.channels} channel(s) were remade as "
                f"{b.samples.shape[0]} x {b.channels}")
    delta = np.abs(a.samples - b.samples)
    frame = int(delta.max(axis=1).argmax())
    return f"samples differ by up to {float(delta.max()):.3g}, first largest at {frame / a.rate:.3f} s"


def _score(a: Score, b: Score) -> str:
    if (a.tempo, a.time_signature, a.key) != (b.tempo, b.time_signature, b.key):
        return (f"tempo/meter/key {a.tempo:g} {a.time_signature[0]}/{a.time_signature[1]} {a.key} was remade as "
                f"{b.tempo:g} {b.time_signature[0]}/{b.time_signature[1]} {b.key}")
    if len(a.tracks) != len(b.tracks):
        return f"{len(a.tracks)} track(s) were remade as {len(b.tracks)}"
    for number, (x, y) in enumerate(zip(a.tracks, b.tracks), start=1):
        if (x.program, x.is_drum) != (y.program, y.is_drum):
            return f"track {number}: program {x.program} was remade as {y.program}"
        if len(x.notes) != len(y.notes):
            return f"track {number}: {len(x.notes)} notes were remade as {len(y.notes)}"
        for index, (m, n) in enumerate(zip(x.notes, y.notes), start=1):
            if (m.pitch, m.velocity) != (n.pitch, n.velocity) or abs(m.start - n.start) > 1e-3 or abs(m.end - n.end) > 1e-3:
                return (f"track {number} note {index}: pitch {m.pitch} at {m.start:.4f}-{m.end:.4f} s was remade as "
                        f"pitch {n.pitch} at {n.start:.4f}-{n.end:.4f} s")
    return f"lyrics differ ({len(a.lyrics)} vs {len(b.lyrics)} syllables)"


def _text(a: Text, b: Text) -> str:
    if a.title != b.title:
        return f"title {a.title!r} was remade as {b.title!r}"
    for number, (x, y) in enumerate(zip(a.lines, b.lines), start=1):
        if x != y:
            return f"line {number} {x!r} was remade as {y!r}"
    return f"{len(a.lines)} line(s) were remade as {len(b.lines)}"
