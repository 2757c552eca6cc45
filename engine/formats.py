"""File formats for the four work types, each recording the work's provenance in the file.

This is the one home of file formats: the built-in renderers (registered by
``plugins/renderers``), MIDI reading and writing (:func:`score_to_midi`, :func:`score_from_midi`)
and the audio writer the synthesizer shares (:func:`write_audio`). Where a format has room for
text, provenance lives inside the file under the one key :data:`META_KEY` (PNG iTXt, JPEG/WebP
EXIF, GIF comment, a ``muse:`` MIDI text event, FLAC/OGG tags, a Markdown comment); otherwise in
a sidecar ``FILE.muse.json`` next to it (plain text, and WAV when the provenance outgrows its
INFO chunk). Heavy libraries (Pillow, pretty_midi, soundfile) are imported where they are used.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .components import Renderer
from .errors import BadInput
from .io import atomic_path, sidecar_path
from .params import Param
from .theory import Key, parse_key
from .works import Audio, Image, Lyric, Note, Score, Text, Track, Work

if TYPE_CHECKING:
    import numpy as np
    import pretty_midi
    from PIL import Image as PILImage
    from PIL import ImageFile

#: The one provenance key of every format: a PNG text chunk's name, and the ``muse:`` prefix of
#: the comment, tag or MIDI text event that holds the provenance JSON.
META_KEY = "muse"
EXIF_DESCRIPTION = 0x010E
WAV_COMMENT_LIMIT = 2000  # libsndfile drops longer RIFF INFO comments
#: The largest image read or written (Pillow's decompression-bomb line): whatever Muse writes, it reads.
MAX_PIXELS = 178_956_970


# json is imported where it is used: `muse --help` and `muse plugins` load this module, not json.
def _dump(meta: dict[str, Any]) -> str:
    import json

    return json.dumps(meta, sort_keys=True, ensure_ascii=True)


def _parse(text: str | bytes | None, path: Path) -> dict[str, Any]:
    if not text:
        return {}
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if text.startswith(META_KEY + ":"):
        text = text[len(META_KEY) + 1:]
    import json

    try:
        meta = json.loads(text)
    except json.JSONDecodeError:
        return {}  # someone else's comment, not our provenance
    return meta if isinstance(meta, dict) else {}


def write_sidecar(path: Path, meta: dict[str, Any]) -> None:
    import json

    with atomic_path(sidecar_path(path)) as temporary:
        temporary.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_sidecar(path: Path) -> dict[str, Any]:
    try:
        return _parse(sidecar_path(path).read_text(encoding="utf-8"), path)
    except FileNotFoundError:
        return {}


# -- images ------------------------------------------------------------------------------------
SCALE = Param("scale", int, 1, "enlarge by this whole factor with sharp (nearest) pixels", min=1, max=32)
QUALITY = Param("quality", int, 92, "lossy compression quality", min=1, max=100)
FPS = Param("fps", float, 8.0, "frames per second of an animation", min=0.1, max=60)


class PillowRenderer(Renderer):
    """Shared Pillow plumbing; subclasses say how provenance is embedded and read back."""

    work_type: ClassVar[type[Work]] = Image
    readable: ClassVar[bool] = True
    pillow_format: ClassVar[str] = ""
    params: tuple[Param, ...] = (SCALE,)

    def write(self, work: Work, path: Path, params: dict[str, Any]) -> None:
        assert isinstance(work, Image)
        frames = [work.pixels, *work.frames]
        pixels = work.width * work.height * params["scale"] ** 2
        if pixels > MAX_PIXELS:
            raise BadInput(f"refusing to write {path}: {work.width * params['scale']}x{work.height * params['scale']} "
                           f"pixels is over the {MAX_PIXELS // 1_000_000} megapixels Muse reads back; lower scale")
        pictures = [self._prepare(work.to_pil(f), params["scale"]) for f in frames]
        options = self._options(work.meta, params)
        if len(pictures) > 1:
            options.update(save_all=True, append_images=pictures[1:], duration=int(1000 / params.get("fps", 8.0)), loop=0)
        with atomic_path(path) as temporary:
            pictures[0].save(temporary, format=self.pillow_format, **options)

    def _prepare(self, picture: PILImage.Image, scale: int) -> PILImage.Image:
        if scale > 1:
            from PIL import Image as PILImage

            picture = picture.resize((picture.width * scale, picture.height * scale), PILImage.Resampling.NEAREST)
        return picture

    def _options(self, meta: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        return {}

    def read(self, path: Path) -> Work:
        import warnings

        from PIL import Image as PILImage, UnidentifiedImageError

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
                picture = PILImage.open(path)
            with picture:
                width, height = picture.size
                if width * height > MAX_PIXELS or width * height == 0:
                    raise BadInput(f"{path}: a {width}x{height} image is "
                                   + ("empty" if width * height == 0 else f"over the {MAX_PIXELS // 1_000_000} megapixels Muse reads"))
                picture.load()
                meta = self._extract(picture)
                return _all_frames(picture, path, meta)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, PILImage.DecompressionBombError) as error:
            raise BadInput(f"{path}: not a readable image ({str(error).splitlines()[0] if str(error) else type(error).__name__})") from None

    def _extract(self, picture: ImageFile.ImageFile) -> dict[str, Any]:
        return {}


def _all_frames(picture: PILImage.Image, path: Path, meta: dict[str, Any]) -> Image:
    """Every frame of an animation (GIF, WebP, APNG), in one colour mode, so nothing past frame 1
    is lost on the way into a stylizer or a comparison."""
    from PIL import ImageSequence

    count = getattr(picture, "n_frames", 1)
    first = Image.from_pil(picture, meta=meta)
    if count == 1:
        return first
    if count * picture.width * picture.height > MAX_PIXELS:
        raise BadInput(f"{path}: {count} frames of {picture.width}x{picture.height} are over the "
                       f"{MAX_PIXELS // 1_000_000} megapixels Muse reads")
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[first.channels]
    frames = [Image.from_pil(frame.convert(mode)).pixels for frame in ImageSequence.Iterator(picture)]
    return Image(first.pixels, frames=tuple(frames[1:]), meta=meta)


class PngRenderer(PillowRenderer):
    name = "png"
    description = "PNG image; provenance in an iTXt chunk"
    suffixes = (".png",)
    pillow_format = "PNG"

    def _options(self, meta: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        if meta:
            info.add_itxt(META_KEY, _dump(meta))
        return {"pnginfo": info}

    def _extract(self, picture: ImageFile.ImageFile) -> dict[str, Any]:
        return _parse(picture.info.get(META_KEY), Path(os.fsdecode(picture.filename or "")))


class ExifRenderer(PillowRenderer):
    """Formats whose provenance rides in the EXIF ImageDescription tag."""

    readable: ClassVar[bool] = True
    params: tuple[Param, ...] = (SCALE, QUALITY)

    def _options(self, meta: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        from PIL import Image as PILImage

        exif = PILImage.Exif()
        if meta:
            exif[EXIF_DESCRIPTION] = _dump(meta)
        return {"exif": exif.tobytes(), "quality": params["quality"]}

    def _extract(self, picture: ImageFile.ImageFile) -> dict[str, Any]:
        return _parse(picture.getexif().get(EXIF_DESCRIPTION), Path(os.fsdecode(picture.filename or "")))


class JpegRenderer(ExifRenderer):
    name = "jpeg"
    description = "JPEG image (no alpha); provenance in EXIF"
    suffixes = (".jpg", ".jpeg")
    pillow_format = "JPEG"

    def write(self, work: Work, path: Path, params: dict[str, Any]) -> None:
        if isinstance(work, Image) and work.frames:
            raise BadInput(f"{path}: JPEG holds one picture and this image has {len(work.frames) + 1} frames; "
                           "write .gif, .webp or .png, or ask the generator for a strip (-p animate=false)")
        super().write(work, path, params)

    def _prepare(self, picture: PILImage.Image, scale: int) -> PILImage.Image:
        return super()._prepare(picture.convert("RGB") if picture.mode == "RGBA" else picture, scale)


class WebpRenderer(ExifRenderer):
    name = "webp"
    description = "WebP image or animation; provenance in EXIF"
    suffixes = (".webp",)
    pillow_format = "WEBP"
    params = (SCALE, QUALITY, FPS)


class GifRenderer(PillowRenderer):
    name = "gif"
    description = "GIF image or animation (256 colours); provenance in a comment"
    suffixes = (".gif",)
    pillow_format = "GIF"
    params = (SCALE, FPS)

    def _options(self, meta: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        return {"comment": _dump(meta).encode()} if meta else {}

    def _extract(self, picture: ImageFile.ImageFile) -> dict[str, Any]:
        return _parse(picture.info.get("comment"), Path(os.fsdecode(picture.filename or "")))


# -- scores ------------------------------------------------------------------------------------
def score_to_midi(score: Score, resolution: int = 480) -> pretty_midi.PrettyMIDI:
    """``score`` as a PrettyMIDI object; its provenance goes into a ``muse:`` text event."""
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(resolution=resolution, initial_tempo=score.tempo)
    numerator, denominator = score.time_signature
    if score.pickup:
        # The anacrusis is a short first bar, as ABC-to-MIDI converters write it: the file itself
        # then says where the first downbeat is (read back by _pickup_from_meters).
        midi.time_signature_changes.append(pretty_midi.TimeSignature(*_short_bar(score.pickup, denominator), 0.0))
    midi.time_signature_changes.append(pretty_midi.TimeSignature(numerator, denominator, score.first_downbeat))
    if score.key:
        midi.key_signature_changes.append(pretty_midi.KeySignature(parse_key(score.key).midi_number, 0.0))
    for track in score.tracks:
        instrument = pretty_midi.Instrument(program=track.program, is_drum=track.is_drum, name=_to_midi_text(track.name))
        instrument.notes = [
            pretty_midi.Note(velocity=n.velocity, pitch=n.pitch, start=n.start, end=n.end) for n in track.notes
        ]
        midi.instruments.append(instrument)
    midi.lyrics = [pretty_midi.Lyric(_to_midi_text(lyric.text), lyric.time) for lyric in score.lyrics]
    if score.meta:
        midi.text_events.append(pretty_midi.Text(f"{META_KEY}:{_dump(score.meta)}", 0.0))
    return midi


def score_from_midi(midi: pretty_midi.PrettyMIDI, cls: type[Score] = Score) -> Score:
    """A Score from PrettyMIDI; the first tempo, meter and key are kept, times stay exact; a
    ``muse:`` text event that is not provenance JSON (someone else's) gives no provenance."""
    _, tempi = midi.get_tempo_changes()
    tempo = round(float(tempi[0]), 3) if len(tempi) else 120.0
    pickup, meter = _pickup_from_meters(midi.time_signature_changes, tempo)
    key = midi.key_signature_changes[0] if midi.key_signature_changes else None
    meta: dict[str, Any] = {}
    for event in midi.text_events:
        if event.text.startswith(META_KEY + ":"):
            meta = _parse(event.text, Path())  # someone else's "muse:" text is not our provenance
    tracks = [
        Track(
            notes=sorted(
                (Note(int(n.pitch), float(n.start), float(n.end), int(n.velocity)) for n in inst.notes),
                key=lambda n: (n.start, n.pitch),
            ),
            program=int(inst.program),
            is_drum=bool(inst.is_drum),
            name=_from_midi_text(inst.name),
        )
        for inst in midi.instruments
    ]
    return cls(
        tracks=tracks,
        tempo=tempo,
        time_signature=(meter.numerator, meter.denominator) if meter else (4, 4),
        key=Key.from_midi_number(key.key_number).name if key else None,
        lyrics=[Lyric(float(lyric.time), _from_midi_text(lyric.text)) for lyric in midi.lyrics],
        pickup=pickup,
        meta=meta,
    )


def _short_bar(pickup: float, denominator: int) -> tuple[int, int]:
    """The time signature of a bar ``pickup`` beats long (beats of ``denominator``): 1.5 beats of
    3/4 is 3/8. Finer than a 64th is rounded to it."""
    unit = denominator
    while unit < 64 and abs(pickup * unit / denominator - round(pickup * unit / denominator)) > 1e-6:
        unit *= 2
    return max(1, round(pickup * unit / denominator)), unit


def _pickup_from_meters(changes: list[Any], tempo: float) -> tuple[float, Any]:
    """(pickup in beats, the tune's meter) from a file's time signatures: a first bar shorter than
    the meter that follows it, and lasting exactly that short bar, is an anacrusis."""
    if not changes:
        return 0.0, None
    first = changes[0]
    if len(changes) < 2 or first.time > 1e-6:
        return 0.0, first
    second = changes[1]
    short_bar = first.numerator * 4.0 / first.denominator  # in quarter notes
    full_bar = second.numerator * 4.0 / second.denominator
    lasted = second.time * tempo / 60.0  # quarter notes from the start to the second signature
    if short_bar < full_bar and abs(lasted - short_bar) < 1e-3:
        return short_bar * second.denominator / 4.0, second
    return 0.0, first


def _to_midi_text(text: str) -> str:
    """MIDI text events are bytes and mido writes them as latin-1: carry UTF-8 bytes through it,
    so a Chinese lyric survives (and reads back with :func:`_from_midi_text`)."""
    return text.encode("utf-8").decode("latin-1")


def _from_midi_text(text: str) -> str:
    """The text of a MIDI event: UTF-8 when its bytes are UTF-8, else as latin-1 (older files)."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


class MidiRenderer(Renderer):
    name = "midi"
    description = "Standard MIDI file; provenance in a text meta event"
    work_type = Score
    suffixes = (".mid", ".midi")
    readable = True
    params = (Param("resolution", int, 480, "ticks per quarter note", min=24, max=15360),)

    def write(self, work: Work, path: Path, params: dict[str, Any]) -> None:
        assert isinstance(work, Score)
        with atomic_path(path) as temporary:
            score_to_midi(work, params["resolution"]).write(str(temporary))

    def read(self, path: Path) -> Work:
        import pretty_midi

        try:
            midi = pretty_midi.PrettyMIDI(str(path))
        except Exception as error:  # mido raises many types for damaged files
            raise BadInput(f"{path}: not a readable MIDI file ({type(error).__name__}: {error})") from None
        return score_from_midi(midi)


# -- audio -------------------------------------------------------------------------------------
#: The sound files Muse writes, and the option they take: the audio renderer's and the
#: synthesizer's (which writes a score as sound), declared once.
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
AUDIO_PARAMS = (Param("bit_depth", int, 16, "integer sample size for WAV and FLAC (Ogg ignores it)", choices=(16, 24)),)


def write_audio(work: Audio, path: Path, params: dict[str, Any]) -> None:
    """Write ``work`` as WAV, FLAC or Ogg (by ``path``'s suffix) with ``params`` of
    :data:`AUDIO_PARAMS`, provenance in the file's comment tag or, past WAV's limit, a sidecar."""
    import numpy as np
    import soundfile

    suffix = path.suffix.lower()
    subtype = "VORBIS" if suffix == ".ogg" else f"PCM_{params['bit_depth']}"
    text = _dump(work.meta) if work.meta else ""
    in_file = bool(text) and (suffix != ".wav" or len(text) <= WAV_COMMENT_LIMIT)
    with atomic_path(path) as temporary:
        with soundfile.SoundFile(temporary, "w", work.rate, work.channels, subtype=subtype) as handle:
            if in_file:
                handle.comment = text
            write_in_blocks(handle, np.clip(work.samples, -1.0, 1.0), work.rate)
    if text and not in_file:
        write_sidecar(path, work.meta)


def write_in_blocks(handle: Any, samples: np.ndarray, rate: int) -> None:
    """Write ``samples`` to an open soundfile a second at a time: libvorbis overflows its stack on
    one long write (python-soundfile issues #396 and #426; about 60 s of stereo at 44.1 kHz
    crashes the process), and blocks cost the other formats nothing."""
    for start in range(0, len(samples), rate):
        handle.write(samples[start:start + rate])


class AudioRenderer(Renderer):
    name = "audio"
    description = "WAV, FLAC or Ogg Vorbis through soundfile; provenance in tags (or a sidecar)"
    work_type = Audio
    suffixes = AUDIO_SUFFIXES
    readable = True
    params = AUDIO_PARAMS

    def write(self, work: Work, path: Path, params: dict[str, Any]) -> None:
        assert isinstance(work, Audio)
        write_audio(work, path, params)

    def read(self, path: Path) -> Work:
        import soundfile

        try:
            with soundfile.SoundFile(path) as handle:
                comment = handle.comment
                samples = handle.read(dtype="float32", always_2d=True)
                rate = handle.samplerate
        except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
            raise BadInput(f"{path}: not a readable audio file ({error})") from None
        return Audio(samples, rate, meta=_parse(comment, path) or read_sidecar(path))


# -- text --------------------------------------------------------------------------------------
class PlainTextRenderer(Renderer):
    name = "text"
    description = "plain UTF-8 text (title underlined); provenance in FILE.muse.json"
    work_type = Text
    suffixes = (".txt",)
    readable = True

    def write(self, work: Work, path: Path, params: dict[str, Any]) -> None:
        assert isinstance(work, Text)
        head = f"{work.title}\n{'=' * max(3, len(work.title))}\n\n" if work.title else ""
        with atomic_path(path) as temporary:
            temporary.write_text(head + work.body + "\n", encoding="utf-8")
        if work.meta:
            write_sidecar(path, work.meta)

    def read(self, path: Path) -> Work:
        lines = _read_lines(path)
        title = None
        if len(lines) >= 2 and lines[0].strip() and set(lines[1].strip()) == {"="}:
            title, lines = lines[0].strip(), lines[3:] if len(lines) > 2 and not lines[2].strip() else lines[2:]
        meta = read_sidecar(path)
        return Text(lines=lines, title=title, language=meta.get("language"), meta=meta)


class MarkdownRenderer(Renderer):
    name = "markdown"
    description = "Markdown (title as a heading, hard line breaks); provenance in an HTML comment"
    work_type = Text
    suffixes = (".md",)
    readable = True

    def write(self, work: Work, path: Path, params: dict[str, Any]) -> None:
        assert isinstance(work, Text)
        head = f"# {work.title}\n\n" if work.title else ""
        body = "\n".join(line + "  " if line.strip() else "" for line in work.lines)
        tail = f"\n\n<!-- {META_KEY}:{_dump(work.meta)} -->" if work.meta else ""
        with atomic_path(path) as temporary:
            temporary.write_text(head + body + tail + "\n", encoding="utf-8")

    def read(self, path: Path) -> Work:
        lines = _read_lines(path)
        meta: dict[str, Any] = {}
        if lines and lines[-1].startswith(f"<!-- {META_KEY}:") and lines[-1].endswith("-->"):
            meta = _parse(lines[-1][5:-3].strip(), path)
            lines = lines[:-1]
            while lines and not lines[-1].strip():
                lines.pop()
        title = None
        if lines and lines[0].startswith("# "):
            title, lines = lines[0][2:].strip(), lines[2:] if len(lines) > 1 and not lines[1].strip() else lines[1:]
        return Text(lines=[line.removesuffix("  ") for line in lines], title=title, language=meta.get("language"), meta=meta)


def _read_lines(path: Path) -> list[str]:
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise BadInput(f"{path}: binary data, not text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadInput(f"{path}: not UTF-8 text (byte {error.start})") from None
    return text.rstrip("\n").split("\n") if text.strip() else []


ALL = (PngRenderer, JpegRenderer, WebpRenderer, GifRenderer, MidiRenderer, AudioRenderer, PlainTextRenderer, MarkdownRenderer)
