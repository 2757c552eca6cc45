"""Works: the plain data that components make, transform and render.

A work is pixels, notes, samples or lines, plus ``meta``: a JSON-ready dict that says how it was
made (component, plugin version, parameters, seed, checkpoint hash, and the meta of the works it
was made from). Renderers write that dict into the file, so a file can tell its own story.

numpy and pretty_midi are imported inside the functions that need them: `muse --help` and
`muse list` import this module and must stay fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import ParamError
from .theory import parse_key

if TYPE_CHECKING:
    import numpy as np
    import pretty_midi
    from PIL import Image as PILImage


@dataclass(eq=False, repr=False)
class Work:
    """Base of every work; ``meta`` is its provenance."""

    kind: ClassVar[str] = "work"
    default_suffix: ClassVar[str] = ""

    if TYPE_CHECKING:
        # Every concrete work declares ``meta`` as its last dataclass field (so that it can have a
        # default after the fields without one); the checker learns here that all works have it.
        @property
        def meta(self) -> dict[str, Any]: ...
        @meta.setter
        def meta(self, value: dict[str, Any]) -> None: ...

    def same_content(self, other: Work) -> bool:
        """True when ``other`` holds the same art (meta is ignored)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        """One line, never the pixels, notes or samples (a notebook's text/plain output)."""
        made_by = self.meta.get("component") if self.meta else None
        return f"<{type(self).__name__}: {describe(self)}" + (f", made by {made_by}" if made_by else "") + ">"

    def _repr_html_(self) -> str:
        """The fragment the studio and the gallery show (engine.fragments), for Jupyter."""
        from .fragments import standalone, work_html

        return standalone(work_html(self))


@dataclass(eq=False, repr=False)
class Image(Work):
    """An image as a ``(height, width, channels)`` uint8 array with 1, 3 or 4 channels.

    ``frames`` holds further frames of an animation (same shape), written to GIF/WebP.
    """

    pixels: np.ndarray
    frames: tuple[np.ndarray, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    kind: ClassVar[str] = "image"
    default_suffix: ClassVar[str] = ".png"

    def __post_init__(self) -> None:
        import numpy as np

        pixels = np.asarray(self.pixels)
        if pixels.ndim == 2:
            pixels = pixels[:, :, None]
        if pixels.ndim != 3 or pixels.shape[2] not in (1, 3, 4):
            raise ValueError(f"Image pixels must be HxW or HxWxC with C in 1, 3, 4; got {pixels.shape}")
        if pixels.dtype != np.uint8:
            raise ValueError(f"Image pixels must be uint8, got {pixels.dtype}")
        self.pixels = pixels
        self.frames = tuple(np.asarray(frame, dtype=np.uint8).reshape(pixels.shape) for frame in self.frames)

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def channels(self) -> int:
        return int(self.pixels.shape[2])

    def to_pil(self, frame: np.ndarray | None = None) -> PILImage.Image:
        from PIL import Image as PILImage

        pixels = self.pixels if frame is None else frame
        mode = {1: "L", 3: "RGB", 4: "RGBA"}[pixels.shape[2]]
        return PILImage.fromarray(pixels[:, :, 0] if mode == "L" else pixels, mode)

    @classmethod
    def from_pil(cls, picture: PILImage.Image, meta: dict[str, Any] | None = None) -> Image:
        """An Image from a Pillow image; palette and other modes become RGB(A) or L."""
        import numpy as np

        if picture.mode not in ("L", "RGB", "RGBA"):
            has_alpha = "A" in picture.getbands() or "transparency" in picture.info
            picture = picture.convert("RGBA" if has_alpha else "RGB")
        return cls(np.asarray(picture, dtype=np.uint8).copy(), meta=dict(meta or {}))

    def same_content(self, other: Work) -> bool:
        import numpy as np

        return (
            isinstance(other, Image)
            and other.pixels.shape == self.pixels.shape
            and bool(np.array_equal(other.pixels, self.pixels))
            and len(other.frames) == len(self.frames)
            and all(np.array_equal(a, b) for a, b in zip(self.frames, other.frames))
        )


@dataclass
class Note:
    """A note: MIDI pitch, onset and release in seconds, MIDI velocity."""

    pitch: int
    start: float
    end: float
    velocity: int = 100

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class Track:
    """One instrument's notes. ``program`` is a General MIDI program (0-127)."""

    notes: list[Note] = field(default_factory=list)
    program: int = 0
    is_drum: bool = False
    name: str = ""


@dataclass
class Lyric:
    """A syllable or word sung at ``time`` seconds."""

    time: float
    text: str


@dataclass(eq=False, repr=False)
class Score(Work):
    """Music as tracks of timed notes, with tempo (quarter notes per minute), meter, key, lyrics.

    Times are seconds, so a Score is what you hear; ``tempo`` and ``time_signature`` say how to
    read it as beats and bars. ``pickup`` is the anacrusis: the beats heard before the first bar
    line, so the first downbeat falls at ``pickup`` beats, not at 0 (a jig's lead-in eighth is
    ``pickup=1`` in 6/8). ``key`` is a name such as ``"D minor"`` or None.
    """

    tracks: list[Track] = field(default_factory=list)
    tempo: float = 120.0
    time_signature: tuple[int, int] = (4, 4)
    key: str | None = None
    lyrics: list[Lyric] = field(default_factory=list)
    pickup: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    kind: ClassVar[str] = "score"
    default_suffix: ClassVar[str] = ".mid"

    def __post_init__(self) -> None:
        if self.key is not None:
            self.key = parse_key(self.key).name  # one spelling: "D minor"
        self.time_signature = (int(self.time_signature[0]), int(self.time_signature[1]))
        self.pickup = float(self.pickup)
        if not 0.0 <= self.pickup < self.time_signature[0]:
            raise ParamError(f"pickup must be 0 to less than a bar ({self.time_signature[0]} beats), got {self.pickup:g}")

    @property
    def seconds_per_beat(self) -> float:
        """Seconds per notated beat (a quarter note scaled by the meter's denominator)."""
        return 60.0 / self.tempo * 4.0 / self.time_signature[1]

    @property
    def seconds_per_bar(self) -> float:
        return self.seconds_per_beat * self.time_signature[0]

    @property
    def first_downbeat(self) -> float:
        """Seconds from the start to the first bar line (0 without a pickup)."""
        return self.pickup * self.seconds_per_beat

    def bar_and_beat(self, time: float) -> tuple[int, float]:
        """Where ``time`` falls: (bar, beat within the bar). Bar 0 starts at the first downbeat,
        so the notes of a pickup sit in bar -1."""
        beats = (time - self.first_downbeat) / self.seconds_per_beat
        bar = int(beats // self.time_signature[0])
        return bar, beats - bar * self.time_signature[0]

    @property
    def duration(self) -> float:
        ends = [note.end for track in self.tracks for note in track.notes]
        return max(ends, default=0.0)

    @property
    def notes(self) -> list[Note]:
        """All notes of all pitched tracks, by onset."""
        return sorted((n for t in self.tracks if not t.is_drum for n in t.notes), key=lambda n: (n.start, n.pitch))

    def to_midi(self, resolution: int = 480) -> pretty_midi.PrettyMIDI:
        """This score as a PrettyMIDI object, provenance in a text event (:func:`engine.formats.score_to_midi`)."""
        from .formats import score_to_midi

        return score_to_midi(self, resolution)

    @classmethod
    def from_midi(cls, midi: pretty_midi.PrettyMIDI) -> Score:
        """A Score from PrettyMIDI (:func:`engine.formats.score_from_midi`)."""
        from .formats import score_from_midi

        return score_from_midi(midi, cls)

    def same_content(self, other: Work, tolerance: float = 1e-3) -> bool:
        if not isinstance(other, Score) or len(other.tracks) != len(self.tracks):
            return False
        if (other.time_signature, other.key) != (self.time_signature, self.key) or abs(other.tempo - self.tempo) > 1e-3:
            return False
        if abs(other.pickup - self.pickup) > 1e-6:
            return False
        for mine, theirs in zip(self.tracks, other.tracks):
            if (mine.program, mine.is_drum, len(mine.notes)) != (theirs.program, theirs.is_drum, len(theirs.notes)):
                return False
            for a, b in zip(mine.notes, theirs.notes):
                if (a.pitch, a.velocity) != (b.pitch, b.velocity):
                    return False
                if abs(a.start - b.start) > tolerance or abs(a.end - b.end) > tolerance:
                    return False
        return [lyric.text for lyric in self.lyrics] == [lyric.text for lyric in other.lyrics]


@dataclass(eq=False, repr=False)
class Audio(Work):
    """Sound as float32 samples shaped ``(frames, channels)`` in -1..1, at ``rate`` Hz."""

    samples: np.ndarray
    rate: int
    meta: dict[str, Any] = field(default_factory=dict)

    kind: ClassVar[str] = "audio"
    default_suffix: ClassVar[str] = ".wav"

    def __post_init__(self) -> None:
        import numpy as np

        samples = np.asarray(self.samples, dtype=np.float32)
        if samples.ndim == 1:
            samples = samples[:, None]
        if samples.ndim != 2:
            raise ValueError(f"Audio samples must be (frames,) or (frames, channels); got {samples.shape}")
        self.samples = samples
        self.rate = int(self.rate)

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1])

    @property
    def duration(self) -> float:
        return int(self.samples.shape[0]) / self.rate

    def same_content(self, other: Work, tolerance: float = 1e-4) -> bool:
        import numpy as np

        return (
            isinstance(other, Audio)
            and other.rate == self.rate
            and other.samples.shape == self.samples.shape
            and bool(np.allclose(other.samples, self.samples, atol=tolerance))
        )


@dataclass(eq=False, repr=False)
class Text(Work):
    """Lines of text (a poem, lyrics) with an optional title and language code ("en", "zh")."""

    lines: list[str] = field(default_factory=list)
    title: str | None = None
    language: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    kind: ClassVar[str] = "text"
    default_suffix: ClassVar[str] = ".txt"

    @property
    def body(self) -> str:
        return "\n".join(self.lines)

    def same_content(self, other: Work) -> bool:
        return isinstance(other, Text) and (other.title, other.lines) == (self.title, self.lines)


WORK_TYPES: dict[str, type[Work]] = {cls.kind: cls for cls in (Image, Score, Audio, Text)}


def with_meta(work: Work, meta: dict[str, Any]) -> Work:
    """A shallow copy of ``work`` carrying ``meta``."""
    return replace(work, meta=meta)  # type: ignore[call-arg]  # meta is a field of every concrete work, not of the base


def a_kind(kind: str) -> str:
    """A work kind with its indefinite article, for messages: "an image", "a score"."""
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}"


def refuse_unwritable(work: Work, path: object) -> None:
    """Refuse a work whose file would be empty or unreadable: no pixels, no samples, NaN or inf."""
    import numpy as np

    from .errors import BadInput

    if isinstance(work, Image) and work.pixels.size == 0:
        raise BadInput(f"refusing to write {path}: the image has no pixels")
    if isinstance(work, Audio):
        if work.samples.shape[0] == 0:
            raise BadInput(f"refusing to write {path}: the audio has no samples")
        if not np.isfinite(work.samples).all():
            raise BadInput(f"refusing to write {path}: the audio holds NaN or infinite samples")


def describe(work: Work) -> str:
    """A short human description, for logs and `muse info`."""
    if isinstance(work, Image):
        frames = f", {len(work.frames) + 1} frames" if work.frames else ""
        return f"image {work.width}x{work.height}, {work.channels} channel(s){frames}"
    if isinstance(work, Score):
        notes = sum(len(t.notes) for t in work.tracks)
        return f"score, {len(work.tracks)} track(s), {notes} notes, {work.duration:.1f} s"
    if isinstance(work, Audio):
        return f"audio, {work.duration:.2f} s, {work.rate} Hz, {work.channels} channel(s)"
    if isinstance(work, Text):
        return f"text, {len(work.lines)} line(s)" + (f", titled {work.title!r}" if work.title else "")
    return type(work).__name__


__all__ = ["Work", "Image", "Score", "Track", "Note", "Lyric", "Audio", "Text", "WORK_TYPES", "describe", "refuse_unwritable", "with_meta"]
