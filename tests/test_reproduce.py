"""`muse reproduce` holds for ordinary chains, says where a remake differs, and trusts no file.

The chains are the ones a new user runs (docs/guide.md "What reproduce covers"); the trust cases
are provenance someone else wrote, which may name any path on this machine.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from engine import Engine, Image, Score, Text
from engine.provenance import BadProvenance, Made, MuseError, NoProvenance, SourceFile, named_paths, parse

STYLE = ("-p", "size=16", "-p", "steps=1", "-p", "levels=1")


def made(component: str, kind: str = "generator", **extra) -> dict:
    return {"kind": kind, "component": component, "seed": 1, "params": {}, "inputs": [], **extra}


def forge(path, work, meta: dict) -> None:
    """A file carrying provenance someone else wrote."""
    work.meta = meta
    Engine().render(work, path, force=True)


def still(value: int = 0) -> Image:
    return Image(np.full((4, 4, 3), value, dtype=np.uint8))


# -- ordinary chains say `identical`, through the CLI and Engine.reproduce ------------------------
def test_poster_of_a_scaled_png_and_a_quatrain(muse, in_tmp):
    assert muse("generate", "gan", "--seed", "5", "-p", "label=coat", "-o", "coat4.png", "-r", "scale=4").code == 0
    assert muse("generate", "poem", "--seed", "2", "-p", "form=quatrain", "-o", "q.md").code == 0
    assert muse("compose", "poster", "coat4.png", "q.md", "-o", "p.png").code == 0
    result = muse("reproduce", "p.png")
    assert result.code == 0 and "p.png: identical" in result.out, result.err
    assert Engine().reproduce("p.png").identical


def test_a_jpeg_input_is_rebuilt_through_jpeg(muse, in_tmp):
    muse("generate", "gan", "--seed", "1", "-o", "g.jpg")
    muse("generate", "gan", "--seed", "9", "-o", "st.png")
    assert muse("stylize", "style", "g.jpg", "-p", "style=st.png", *STYLE, "-o", "s.png").code == 0
    result = muse("reproduce", "s.png")
    assert result.code == 0 and "identical" in result.out, result.err + result.out
    assert Engine().load("s.png").meta["inputs"][0]["files"] == [{"format": ".jpg", "params": {}}]


def test_a_midi_file_rendered_to_wav(muse, in_tmp):
    # At 97.3 qpm note times fall between MIDI ticks: the WAV was synthesized from tick-rounded notes.
    muse("generate", "melody", "--seed", "3", "-p", "bars=4", "-p", "tempo=97.3", "-o", "song.mid")
    assert muse("render", "song.mid", "-o", "song.wav").code == 0
    result = muse("reproduce", "song.wav")
    assert result.code == 0 and "identical" in result.out, result.err + result.out
    assert [p["format"] for p in Engine().info("song.wav")["files"]] == [".mid", ".wav"]


@pytest.mark.parametrize("suffix", [".gif", ".webp"])
def test_animations_keep_every_frame_and_reproduce_compares_them(muse, in_tmp, suffix):
    muse("generate", "gan", "--seed", "4", "-p", "interpolate=3", "-o", f"walk{suffix}")
    walk = Engine().load(f"walk{suffix}")
    assert isinstance(walk, Image) and len(walk.frames) == 2  # every frame survives the load
    assert "identical" in muse("reproduce", f"walk{suffix}").out
    # One changed pixel in the last frame is a difference, and the detail says where.
    frames = list(walk.frames)
    frames[-1] = frames[-1].copy()
    frames[-1][0, 0] ^= 255
    forge(f"walk{suffix}", Image(walk.pixels, frames=tuple(frames)), walk.meta)
    detail = Engine().reproduce(f"walk{suffix}").detail
    assert "differs" in detail and "frame 3 of 3" in detail


def test_a_stylizer_maps_every_frame_or_refuses(muse, in_tmp):
    muse("generate", "gan", "--seed", "4", "-p", "interpolate=3", "-o", "walk.gif")
    muse("generate", "gan", "--seed", "9", "-o", "st.png")
    assert muse("stylize", "style", "walk.gif", "-p", "style=st.png", *STYLE, "-o", "s.gif").code == 0
    assert len(Engine().load("s.gif").frames) == 2
    assert "identical" in muse("reproduce", "s.gif").out
    refused = muse("stylize", "classifier", "walk.gif", "-o", "c.txt")
    assert refused.code == 1 and "3 frames" in refused.err and "still image" in refused.err


# -- when a remake differs, the detail says where and how ----------------------------------------
def test_detail_names_a_missing_plugin_and_its_package(muse, in_tmp):
    forge("a.png", still(), made("sparkle", plugin="sparkles", version="2.1", package="muse-sparkles"))
    result = Engine().reproduce("a.png")
    assert not result.identical and result.remade is None
    assert "generator 'sparkle'" in result.detail and "muse-sparkles" in result.detail and "2.1" in result.detail
    cli = muse("reproduce", "a.png")
    assert cli.code == 1 and "muse-sparkles" in cli.out


def test_provenance_records_the_package_that_made_a_step(muse, test_plugin, in_tmp):
    muse("generate", "noise", "--seed", "1", "-o", "a.png")
    assert Engine().info("a.png")["package"] == "muse-testplugin"


def test_detail_says_how_an_image_differs(muse, test_plugin, in_tmp):
    muse("generate", "noise", "--seed", "5", "-o", "a.png")
    muse("stylize", "invert", "a.png", "-o", "b.png")
    work = Engine().load("b.png")
    work.pixels = work.pixels.copy()
    work.pixels[0, 0] = 255 - work.pixels[0, 0]
    forge("b.png", work, work.meta)
    result = muse("reproduce", "b.png")
    assert result.code == 1 and "differs: 1 of 64 pixels differ" in result.out


def test_detail_says_how_a_score_differs_and_which_step_changed(test_plugin, in_tmp):
    eng = Engine()
    score = eng.generate("arpeggio", seed=1)
    score.tracks[0].notes.pop()
    score.meta["checkpoint"] = "0" * 64
    eng.render(score, "a.mid")
    detail = eng.reproduce("a.mid").detail
    assert "differs: track 1: 7 notes were remade as 8" in detail
    assert "checkpoint was 000000000000..., now none" in detail


# -- provenance read from a file is checked at the door ------------------------------------------
@pytest.mark.parametrize("meta, field", [
    ({**made("noise"), "params": [1, 2]}, "params is not a mapping (got a list)"),
    ({k: v for k, v in made("noise").items() if k != "kind"}, "kind is missing"),
    ({**made("invert", "stylizer"), "inputs": {"a": 1}}, "inputs is not a list"),
    ({**made("invert", "stylizer"), "inputs": [{**made("noise"), "seed": "x"}]}, "inputs[0].seed is not an integer"),
    ({**made("noise"), "files": [{"format": "../x"}]}, "files[0].format='../x' is not a file suffix"),
])
def test_bad_provenance_names_the_field(muse, test_plugin, in_tmp, meta, field):
    forge("a.png", still(), meta)
    for command in ("info", "reproduce"):
        result = muse(command, "a.png")
        assert result.code == 1 and field in result.err and "a bug" not in result.err, result.err
        assert len(result.err.strip().splitlines()) == 1


def test_a_file_muse_did_not_write_has_no_provenance(muse, in_tmp):
    from PIL import Image as PILImage

    PILImage.new("RGB", (2, 2)).save("plain.png")
    assert "no Muse provenance in plain.png" in muse("info", "plain.png").out
    assert "no Muse provenance in plain.png" in muse("reproduce", "plain.png").err


@pytest.mark.parametrize("payload", ["[1, 2]", "7", "not json"])
def test_midi_meta_events_holding_a_list_or_a_number(muse, in_tmp, payload):
    import pretty_midi

    midi = Score().to_midi()
    midi.text_events.append(pretty_midi.Text("muse:" + payload, 0.0))
    midi.write("odd.mid")
    assert "no Muse provenance in odd.mid" in muse("info", "odd.mid").out
    result = muse("reproduce", "odd.mid")
    assert result.code == 1 and "no Muse provenance in odd.mid" in result.err


def test_an_input_with_bad_provenance_counts_as_a_plain_file(test_plugin, in_tmp):
    forge("a.png", still(7), {**made("noise"), "params": "oops"})
    assert set(Engine().load("a.png").meta) == {"source", "sha256"}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
KEYS = st.sampled_from(["kind", "component", "seed", "params", "inputs", "files", "source", "sha256", "checkpoint"])
NEAR = st.dictionaries(KEYS, JSON | st.sampled_from(["generator", "stylizer", "composer", ".png", 3]), max_size=7)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(JSON, NEAR, NEAR.map(lambda top: {**top, "inputs": [top, dict(top)]})))
def test_the_provenance_reader_answers_any_json_with_typed_values_or_a_clear_error(meta):
    try:
        node = parse(meta, "x.png")
    except (NoProvenance, BadProvenance) as error:
        assert str(error).startswith(("x.png:", "no Muse provenance in x.png")) and "\n" not in str(error)
        return
    assert isinstance(node, (Made, SourceFile))
    if isinstance(node, Made):
        assert isinstance(node.params, dict) and isinstance(node.seed, int) and isinstance(node.inputs, tuple)


def test_a_chain_nested_thousands_deep_is_refused_not_recursed():
    meta: dict = made("noise")
    for _ in range(5000):
        meta = {**made("invert", "stylizer"), "inputs": [meta]}
    with pytest.raises(BadProvenance, match="deeper than"):
        parse(meta, "x.png")


# -- the trust model: provenance may come from anyone --------------------------------------------
@pytest.fixture
def outside(tmp_path_factory):
    """A folder that is not the work's (tests run in tmp_path)."""
    folder = tmp_path_factory.mktemp("elsewhere")
    (folder / "secret.txt").write_text("the secret\n")
    return folder


def test_an_input_file_outside_the_works_folder_needs_allow_path(muse, test_plugin, in_tmp, outside):
    from PIL import Image as PILImage

    PILImage.new("L", (4, 4), 9).save(outside / "photo.png")
    assert muse("stylize", "invert", str(outside / "photo.png"), "-o", "b.png").code == 0
    refused = muse("reproduce", "b.png")
    assert refused.code == 1 and f"reads {outside / 'photo.png'}" in refused.err and "--allow-path" in refused.err
    allowed = muse("reproduce", "b.png", "--allow-path", str(outside))
    assert allowed.code == 0 and "identical" in allowed.out


def test_a_forged_source_is_never_opened(muse, test_plugin, in_tmp, outside):
    (outside / "secret.png").write_bytes(b"not even read")
    meta = {**made("caption", "composer"), "inputs": [{"source": str(outside / "secret.png")}]}
    forge("p.txt", Text(["x"]), meta)
    result = muse("reproduce", "p.txt")
    assert result.code == 1 and "secret.png, outside" in result.err


@pytest.mark.parametrize("component, kind, params, input_meta", [
    ("poster", "composer", {"font": "/etc/passwd"}, [made("noise"), made("arpeggio")]),
    ("melody", "generator", {"primer": "/etc/shadow"}, []),
    ("line", "generator", {"model": "ELSEWHERE/ckpt.safetensors"}, []),
    ("style", "stylizer", {"style": "a.png,ELSEWHERE/b.png"}, [made("noise")]),
])
def test_params_naming_files_elsewhere_are_refused_before_anything_runs(muse, test_plugin, in_tmp, outside,
                                                                      component, kind, params, input_meta):
    params = {k: v.replace("ELSEWHERE", str(outside)) for k, v in params.items()}
    forge("w.png", still(), {**made(component, kind), "params": params, "inputs": input_meta})
    result = muse("reproduce", "w.png")
    named = next(iter(params.values())).split(",")[-1]
    assert result.code == 1 and f"reads {named}, outside" in result.err, result.err
    assert "--allow-path" in result.err


def test_a_missing_file_elsewhere_gets_the_same_answer_as_a_present_one(muse, test_plugin, in_tmp, outside):
    """The refusal comes before any look at the path, so it leaks nothing about what exists."""
    answers = []
    for name in ("secret.txt", "nosuch.txt"):
        forge("w.png", still(), {**made("melody"), "params": {"primer": str(outside / name)}})
        answers.append(muse("reproduce", "w.png").err.replace(name, "NAME"))
    assert answers[0] == answers[1]


def test_a_render_option_naming_a_soundfont_elsewhere_is_refused(muse, test_plugin, in_tmp, outside):
    score = Engine().generate("arpeggio", seed=1)
    Engine().render(score, "a.wav")
    meta = Engine().info("a.wav")
    meta["files"] = [{"format": ".wav", "params": {"backend": "fluidsynth", "soundfont": "/etc/passwd"}}]
    forge("a.wav", Engine().load("a.wav"), meta)
    result = muse("reproduce", "a.wav")
    assert result.code == 1 and "render option soundfont reads /etc/passwd" in result.err


def test_snapshots_are_never_replayed(muse, in_tmp, tmp_path):
    muse("generate", "gan", "--seed", "1", "-o", "g.png")
    muse("generate", "gan", "--seed", "9", "-o", "st.png")
    snaps = tmp_path / "snaps"
    assert muse("stylize", "style", "g.png", "-p", "style=st.png", *STYLE, "-p", f"snapshots={snaps}", "-o", "s.png").code == 0
    for leftover in snaps.iterdir():
        leftover.unlink()
    snaps.rmdir()
    result = muse("reproduce", "s.png")
    assert result.code == 0 and "identical" in result.out, result.err
    assert not snaps.exists()


def test_shipped_model_names_and_pitches_name_no_file():
    assert named_paths("default", False) == [] and named_paths("60 62 64", False) == []
    assert named_paths("0.7,0.3", False) == []
    assert named_paths("a.png,b/c.png", False) == ["a.png", "b/c.png"]
    assert named_paths("/etc/passwd", False) == ["/etc/passwd"] and named_paths("fonts", True) == ["fonts"]


def test_engine_rebuild_reads_no_file_unless_allowed(test_plugin, in_tmp, outside):
    with pytest.raises(MuseError, match="no folder is allowed"):
        Engine().rebuild({"source": str(outside / "secret.txt")})
    assert isinstance(Engine().rebuild(made("noise")), Image)
    assert json.dumps(Engine().rebuild(made("noise")).meta)  # provenance stays JSON
