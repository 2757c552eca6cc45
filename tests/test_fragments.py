"""The HTML fragments every surface shows works with (studio, `muse demo` gallery, Jupyter)."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile

from engine import fragments
from engine.demo import Exhibit, gallery_html
from engine.works import Audio, Image, Lyric, Note, Score, Text, Track


def embedded(html: str, mime: str) -> list[bytes]:
    return [base64.b64decode(data) for data in re.findall(rf'src="data:{mime};base64,([^"]+)"', html)]


def tune(notes: int = 16, lyrics: tuple[str, ...] = ()) -> Score:
    melody = Track([Note(60 + (i * 5) % 12, i * 0.25, i * 0.25 + 0.2, 40 + i) for i in range(notes)])
    drums = Track([Note(36, i * 0.5, i * 0.5 + 0.1) for i in range(4)], is_drum=True)
    return Score([melody, drums], lyrics=[Lyric(i * 0.5, word) for i, word in enumerate(lyrics)], key="D minor")


def test_a_small_image_is_scaled_up_crisply_and_never_dumped_as_an_array():
    image = Image(np.random.default_rng(0).integers(0, 255, (28, 28, 1), dtype=np.uint8), meta={"component": "gan"})
    html = image._repr_html_()
    assert 'width="252" height="252"' in html  # x9: the largest whole factor under 256 px
    assert "image-rendering:pixelated" in fragments.stylesheet().replace(" ", "")
    (png,) = embedded(html, "image/png")
    assert png.startswith(b"\x89PNG")
    assert len(html) < 10_000 and "[[" not in html
    assert repr(image) == "<Image: image 28x28, 1 channel(s), made by gan>"
    big = Image(np.zeros((300, 512, 3), np.uint8))
    assert 'width="512" height="300"' in fragments.image_html(big, "x.png")  # never scaled down or smoothed up
    assert fragments.image_html(big, "works/1/work.png").count("base64") == 0


def test_an_animation_embeds_as_a_gif():
    frames = [np.full((8, 8, 3), value, np.uint8) for value in (0, 128, 255)]
    (gif,) = embedded(Image(frames[0], frames=tuple(frames[1:]))._repr_html_(), "image/gif")
    assert gif.startswith(b"GIF8")


def test_audio_embeds_as_ogg_vorbis_within_the_cap(monkeypatch):
    rate = 44100
    tone = Audio(0.3 * np.sin(np.arange(rate * 3) * 2 * np.pi * 440 / rate), rate)
    html = tone._repr_html_()
    (ogg,) = embedded(html, "audio/ogg")
    assert ogg[:4] == b"OggS"
    assert soundfile.info(io.BytesIO(ogg)).duration == pytest.approx(3.0, abs=0.01)
    assert "embedded: the first" not in html
    assert repr(tone) == "<Audio: audio, 3.00 s, 44100 Hz, 1 channel(s)>"
    # 20 s of stereo noise is about 310 KB as Ogg (3.5 MB as WAV): over a 100 KB cap it is cut, and says so
    monkeypatch.setattr(fragments, "MAX_EMBEDDED_AUDIO", 100_000)
    noise = Audio(np.random.default_rng(1).uniform(-0.5, 0.5, (rate * 20, 2)), rate)
    html = noise._repr_html_()
    (ogg,) = embedded(html, "audio/ogg")
    assert len(ogg) <= 100_000
    kept = soundfile.info(io.BytesIO(ogg)).duration
    assert 3 < kept < 20
    assert f"embedded: the first {kept:.1f} s of 20.0 s, capped at 100 KB" in html
    uri, seconds = fragments.embedded_audio(noise, cap=50_000)
    assert len(base64.b64decode(uri.split(",", 1)[1])) <= 50_000 and seconds < 3


def test_a_score_is_a_piano_roll_with_lyrics_and_a_player():
    score = tune(lyrics=("sing", "<me>"))
    html = fragments.score_html(score, "works/1/work.ogg")
    assert html.count("<rect x=") == 16 + 4  # a bar per note, a tick per drum hit
    assert '<p class="muse-lyrics">sing &lt;me&gt;</p>' in html
    assert 'class="muse-play" hidden' in html and 'src="works/1/work.ogg"' in html  # the script unhides it
    assert 'data-duration="' in html and "D minor" in html and "base64" not in html
    assert "<svg" in html and "<script" not in html and "style=" not in html  # the studio's CSP allows neither
    crowded = tune(notes=fragments.MAX_ROLL_NOTES + 10)
    shown = fragments.score_html(crowded, "x.ogg")
    assert shown.count("<rect x=") == fragments.MAX_ROLL_NOTES
    assert f"(the first {fragments.MAX_ROLL_NOTES} drawn)" in shown


def test_a_score_in_a_notebook_plays_through_the_installed_synth():
    score = tune()
    html = score._repr_html_()
    (ogg,) = embedded(html, "audio/ogg")
    info = soundfile.info(io.BytesIO(ogg))
    assert info.duration == pytest.approx(score.duration, abs=1.5)  # the synth adds its release tail
    assert len(html) < 200_000 and "<script>" in html and "<style>" in html
    assert repr(score) == "<Score: score, 2 track(s), 20 notes, 4.0 s>"


def test_text_is_typeset_and_a_cjk_text_can_say_it_needs_a_font():
    english = fragments.text_html(Text(["a & b", "<i>"], title="T"))
    assert '<pre class="muse-poem">a &amp; b\n&lt;i&gt;</pre>' in english and "muse-font-note" not in english
    chinese = Text(["床前明月光", "疑是地上霜"], title="静夜思", language="zh")
    html = fragments.text_html(chinese)
    assert 'lang="zh"' in html and "床前明月光" in html
    assert '<p class="muse-font-note" hidden>' in html  # shown by the script only where no CJK font exists
    assert '.muse-text:lang(zh) .muse-poem' in fragments.stylesheet() and "Noto Serif CJK SC" in fragments.stylesheet()


def test_the_gallery_shows_the_same_fragment(tmp_path: Path):
    image = Image(np.zeros((28, 28, 1), np.uint8), meta={"component": "gan"})
    score = tune()
    exhibits = [Exhibit("gan", image, [tmp_path / "gan.png"], 0.1),
                Exhibit("melody", score, [tmp_path / "melody.mid", tmp_path / "melody.wav"], 0.2)]
    page = gallery_html(exhibits, tmp_path)
    assert fragments.image_html(image, "gan.png") in page
    assert fragments.score_html(score, "melody.wav") in page
    assert page.count(fragments.script()) == 1 and "base64" not in page
