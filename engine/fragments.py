"""How a work shows itself in HTML: one fragment per work type, wherever it is shown.

The studio's history cards, the `muse demo` gallery and Jupyter (each work's ``_repr_html_``)
all call :func:`work_html`, so a work looks and plays the same in all three:

- an :class:`~engine.works.Image` is scaled up by a whole factor to about 256 px with
  ``image-rendering: pixelated`` (a 28 px GAN sample shows at 252 px, sharp);
- a :class:`~engine.works.Score` is a piano roll (inline SVG, one rectangle per note), its lyrics,
  and a player for its audio rendered through the installed synthesizer;
- an :class:`~engine.works.Audio` is a player;
- a :class:`~engine.works.Text` is typeset, Chinese with CJK fonts first in the list; where the
  browser has none, a note says which font to install (the text still shows in its own fonts).

A fragment names its files by URL when the caller has them (the studio's ``/api/works/...``, the
gallery's files beside the page); without one it embeds the work: a PNG data URI, or audio as
Ogg Vorbis capped at :data:`MAX_EMBEDDED_AUDIO` bytes (a longer clip is cut, and says so).

Fragments carry no inline styles or scripts (the studio's Content-Security-Policy forbids them):
their look is ``static/fragments.css`` and their behaviour (the play button, the playhead, the
font check) ``static/fragments.js``, which a page includes once (:func:`page_assets`) and a
notebook output carries along (:func:`standalone`). Without the script the native audio
controls still play. No numpy or torch at import: ``engine.works`` imports this lazily.
"""

from __future__ import annotations

import base64
import functools
import html
import io
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from .works import Audio, Image, Score, Text, Work

ASSETS = Path(__file__).parent / "static"
#: The most bytes of audio a fragment embeds (a notebook cell, a self-contained page).
MAX_EMBEDDED_AUDIO = 1_000_000
#: The side an image is scaled up towards, by a whole factor.
IMAGE_TARGET = 256
#: The most notes a piano roll draws (a longer score says how many it left out).
MAX_ROLL_NOTES = 4000
ROLL_WIDTH, ROLL_HEIGHT = 600, 150
TRACK_COLOURS = ("#ffd43b", "#74c0fc", "#b197fc", "#63e6be", "#ff8787", "#ffa94d")
CJK_LANGUAGES = ("zh", "ja", "ko")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _figure(kind: str, body: str, caption: str = "", **attributes: object) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{_e(value)}"' for name, value in attributes.items() if value is not None)
    note = f'<figcaption class="muse-info">{caption}</figcaption>' if caption else ""
    return f'<figure class="muse-work muse-{kind}"{extra}>{body}{note}</figure>'


# -- images ----------------------------------------------------------------------------------------
def image_scale(width: int, height: int, target: int = IMAGE_TARGET) -> int:
    """The whole factor that brings the longer side nearest ``target`` from below (at least 1)."""
    return max(1, target // max(1, width, height))


def _png_data_uri(image: Image) -> str:
    buffer = io.BytesIO()
    if image.frames:  # an animation embeds as an animated GIF, as the GIF renderer writes it
        pictures = [image.to_pil(frame) for frame in (image.pixels, *image.frames)]
        pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:], duration=100, loop=0)
        return "data:image/gif;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    image.to_pil().save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def image_html(image: Image, src: str | None = None) -> str:
    """The image at a whole multiple of its size, never smoothed; ``src`` or an embedded PNG."""
    from .works import describe

    scale = image_scale(image.width, image.height)
    url = src if src is not None else _png_data_uri(image)
    img = (f'<img src="{_e(url)}" width="{image.width * scale}" height="{image.height * scale}" '
           f'alt="{_e(describe(image))}">')
    caption = f"{image.width}×{image.height}" + (f", shown ×{scale}" if scale > 1 else "")
    return _figure("image", f'<div class="muse-art">{img}</div>', _e(caption))


# -- audio -----------------------------------------------------------------------------------------
def _ogg(samples: np.ndarray, rate: int) -> bytes:
    """Ogg Vorbis bytes, written in blocks (:func:`engine.formats.write_in_blocks`)."""
    import soundfile

    from .formats import write_in_blocks

    buffer = io.BytesIO()
    with soundfile.SoundFile(buffer, "w", rate, samples.shape[1], format="OGG", subtype="VORBIS") as handle:
        write_in_blocks(handle, samples, rate)
    return buffer.getvalue()


def embedded_audio(audio: Audio, cap: int = MAX_EMBEDDED_AUDIO) -> tuple[str, float]:
    """``(data URI, seconds kept)``: the audio as Ogg Vorbis of at most ``cap`` bytes, cut short
    when the whole would be larger (Vorbis at its default quality is about 15 KB a second)."""
    data = _ogg(audio.samples, audio.rate)
    kept = audio.duration
    while len(data) > cap and kept > 0.5:
        kept = kept * cap / len(data) * 0.95
        data = _ogg(audio.samples[: max(1, int(kept * audio.rate))], audio.rate)
    if len(data) > cap:
        raise ValueError(f"cannot embed audio in {cap:,} bytes")
    return "data:audio/ogg;base64," + base64.b64encode(data).decode("ascii"), kept


def _player(src: str | None, audio: Audio | None) -> tuple[str, str]:
    """The ``<audio>`` element and a note when the embedded clip was cut short."""
    note = ""
    # a file is fetched on play, not on show: the studio renders a score's preview on that request
    preload = "none"
    if src is None:
        assert audio is not None
        src, kept = embedded_audio(audio, MAX_EMBEDDED_AUDIO)
        preload = "metadata"
        if kept < audio.duration - 0.01:
            note = (f" (embedded: the first {kept:.1f} s of {audio.duration:.1f} s, capped at "
                    f"{MAX_EMBEDDED_AUDIO // 1000:,} KB; render it to a file for the whole)")
    return f'<audio controls preload="{preload}" src="{_e(src)}"></audio>', note


def audio_html(audio: Audio, src: str | None = None) -> str:
    """A player for ``src``, or for the audio embedded as capped Ogg Vorbis."""
    player, note = _player(src, audio)
    caption = f"{audio.duration:.1f} s, {audio.rate} Hz, {audio.channels} channel(s){note}"
    return _figure("audio", player, _e(caption))


# -- scores ----------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _synth_engine() -> object:
    from .api import Engine

    return Engine()


def score_audio(score: Score) -> Audio | None:
    """The score through the installed synthesizer (the renderer of scores to .wav), or None
    when no such renderer is installed."""
    import tempfile

    import soundfile

    from .api import Engine
    from .errors import UnknownName
    from .works import Audio, Score

    engine = _synth_engine()
    assert isinstance(engine, Engine)
    try:
        engine.renderer_for(Score, ".wav")
    except UnknownName:
        return None
    with tempfile.TemporaryDirectory(prefix="muse-fragment-") as folder:
        path = engine.render(score, Path(folder) / "score.wav")
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return Audio(samples, rate)


def piano_roll_svg(score: Score) -> str:
    """Pitched notes as bars (a colour per track, brighter when louder), drums as ticks below,
    black-key rows shaded; a hidden playhead line that the page's script moves."""
    pitched = [(index, note) for index, track in enumerate(score.tracks) if not track.is_drum for note in track.notes]
    drums = [note for track in score.tracks if track.is_drum for note in track.notes]
    pitched, drums = pitched[:MAX_ROLL_NOTES], drums[: max(0, MAX_ROLL_NOTES - len(pitched))]
    pitches = [note.pitch for _, note in pitched]
    low, high = min(pitches + [60]) - 1, max(pitches + [72]) + 1
    duration = max(score.duration, 0.1)
    width, height = ROLL_WIDTH, ROLL_HEIGHT
    rows = height - 14 if drums else height
    row = rows / (high - low + 1)
    parts = [f'<rect width="{width}" height="{height}" fill="#14172a"/>']
    parts += [f'<rect y="{rows - (p - low + 1) * row:.1f}" width="{width}" height="{row:.2f}" fill="#1b1f36"/>'
              for p in range(low, high + 1) if p % 12 in (1, 3, 6, 8, 10)]
    for track, note in pitched:
        x, y = note.start / duration * width, rows - (note.pitch - low + 1) * row
        w, h = max(1.5, (note.end - note.start) / duration * width - 0.5), max(2.0, row - 0.5)
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                     f'fill="{TRACK_COLOURS[track % len(TRACK_COLOURS)]}" fill-opacity="{0.45 + note.velocity / 254:.2f}"/>')
    parts += [f'<rect x="{note.start / duration * width:.1f}" y="{height - 10}" width="1.5" height="8" fill="#adb5bd"/>'
              for note in drums]
    parts.append(f'<line class="muse-playhead" x1="0" x2="0" y1="0" y2="{height}" stroke="#ff6b6b" stroke-width="2" visibility="hidden"/>')
    return (f'<svg class="muse-roll" viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img" '
            f'aria-label="piano roll">{"".join(parts)}</svg>')


def sung_words(score: Score) -> str:
    """A score's lyrics as the words are sung, to read while listening: karaoke syllables ("ri-",
    "ver") joined into words, a new line where the singer rests (the track that carries the
    lyrics falls silent before the next word)."""
    onsets = {round(lyric.time, 3) for lyric in score.lyrics}
    pitched = [track.notes for track in score.tracks if not track.is_drum]
    voice = max(pitched, key=lambda notes: sum(round(note.start, 3) in onsets for note in notes), default=[])
    text = ""
    for index, lyric in enumerate(score.lyrics):
        if text.endswith("-"):
            text = text[:-1]
        elif index:
            since = score.lyrics[index - 1].time
            sounding = [n.end for n in voice if since - 1e-3 <= n.start < lyric.time - 1e-3]
            text += "\n" if sounding and lyric.time - max(sounding) > 0.1 else " "
        text += lyric.text
    return text


def score_html(score: Score, audio_src: str | None = None, *, embed_audio: bool = True) -> str:
    """The piano roll, the lyrics and a player: ``audio_src``, or (``embed_audio``) the score
    rendered through the installed synthesizer and embedded; with neither, no player."""
    count = sum(len(track.notes) for track in score.tracks)
    drawn = min(count, MAX_ROLL_NOTES)
    body = [piano_roll_svg(score)]
    if score.lyrics:
        body.append(f'<p class="muse-lyrics">{_e(sung_words(score))}</p>')
    note = ""
    audio = score_audio(score) if audio_src is None and embed_audio else None
    if audio_src is not None or audio is not None:
        player, note = _player(audio_src, audio)
        body.append(f'<div class="muse-player"><button type="button" class="muse-play" hidden>▶ play</button>{player}</div>')
    elif embed_audio:
        note = " (no synthesizer renderer is installed to play it)"
    caption = (f"{score.tempo:.0f} qpm, {score.time_signature[0]}/{score.time_signature[1]}"
               + (f", {score.key}" if score.key else "") + f", {score.duration:.1f} s, {count} notes"
               + (f" (the first {drawn} drawn)" if drawn < count else "") + note)
    return _figure("score", "".join(body), _e(caption), data_duration=f"{max(score.duration, 0.1):.3f}")


# -- texts -----------------------------------------------------------------------------------------
def text_html(text: Text) -> str:
    """The title and lines typeset; a CJK text gets CJK fonts first and a (hidden) note that the
    page's script shows when the browser has no CJK font."""
    language = (text.language or "").lower() or None
    title = f'<h4 class="muse-title">{_e(text.title)}</h4>' if text.title else ""
    body = f'{title}<pre class="muse-poem">{_e(text.body)}</pre>'
    if language and language.split("-")[0] in CJK_LANGUAGES:
        body += ('<p class="muse-font-note" hidden>This text is in Chinese, Japanese or Korean and this browser has no '
                 'CJK font: install one (e.g. Noto CJK: apt install fonts-noto-cjk) to see every character.</p>')
    lines = len(text.lines)
    return _figure("text", body, _e(f"{lines} line{'s' if lines != 1 else ''}"), lang=language)


# -- any work --------------------------------------------------------------------------------------
def work_html(work: Work, src: str | None = None, audio_src: str | None = None, *, embed_audio: bool = True) -> str:
    """The fragment for ``work``: ``src`` is the URL of its image or audio file, ``audio_src``
    that of a score's audio; without them the work is embedded (audio capped)."""
    from .works import Audio, Image, Score, Text, describe

    if isinstance(work, Image):
        return image_html(work, src)
    if isinstance(work, Score):
        return score_html(work, audio_src, embed_audio=embed_audio)
    if isinstance(work, Audio):
        return audio_html(work, src)
    if isinstance(work, Text):
        return text_html(work)
    return _figure(work.kind, f'<p>{_e(describe(work))}</p>')


@functools.lru_cache(maxsize=1)
def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def stylesheet() -> str:
    return _asset("fragments.css")


def script() -> str:
    return _asset("fragments.js")


def page_assets() -> str:
    """The fragments' stylesheet and script, inline, for a self-contained page (the gallery)."""
    return f"<style>{stylesheet()}</style><script>{script()}</script>"


def standalone(fragment: str) -> str:
    """A fragment that brings its own look and behaviour (a notebook output); the script comes
    after the fragment so that it finds it."""
    return f'<div class="muse-standalone"><style>{stylesheet()}</style>{fragment}<script>{script()}</script></div>'


__all__ = ["work_html", "image_html", "score_html", "audio_html", "text_html", "piano_roll_svg", "embedded_audio",
           "score_audio", "image_scale", "page_assets", "standalone", "stylesheet", "script", "ASSETS",
           "MAX_EMBEDDED_AUDIO", "MAX_ROLL_NOTES", "IMAGE_TARGET"]
