"""Recipes: validation names the step and key at fault before anything runs."""

import json
from pathlib import Path

import pytest

from engine import Engine
from engine.recipes import Recipe, RecipeError

GOOD = """
seed = 10

[[steps]]
name = "picture"
generate = "noise"
params = { size = 6 }
save = ["picture.png"]

[[steps]]
name = "negative"
stylize = "invert"
input = "picture"
seed = 99
save = "negative.png"
render = { scale = 2 }

[[steps]]
name = "words"
compose = "caption"
inputs = ["negative"]
save = ["words.md", "words.txt"]
"""


def write(text: str) -> Path:
    path = Path("recipe.toml")
    path.write_text(text)
    return path


def test_recipe_runs_and_writes_a_manifest(muse, test_plugin, in_tmp):
    result = muse("run", write(GOOD), "-o", "out")
    assert result.code == 0, result.err
    manifest = json.loads(Path("out/manifest.json").read_text())
    assert [s["step"] for s in manifest["steps"]] == ["picture", "negative", "words"]
    picture, negative, words = manifest["steps"]
    assert picture["meta"]["seed"] == 10 and negative["meta"]["seed"] == 99 and words["meta"]["seed"] == 12
    assert words["meta"]["inputs"][0]["inputs"][0]["component"] == "noise"
    eng = Engine()
    assert eng.load("out/negative.png").width == 12
    assert eng.generate("noise", seed=10, size=6).same_content(eng.load("out/picture.png"))


def test_same_recipe_same_files(muse, test_plugin, in_tmp):
    recipe = write(GOOD)
    muse("run", recipe, "-o", "a")
    muse("run", recipe, "-o", "b")
    for name in ("picture.png", "negative.png", "words.md"):
        assert Path("a", name).read_bytes() == Path("b", name).read_bytes()


@pytest.mark.parametrize(
    "change, message",
    [
        (('generate = "noise"', 'generate = "nois"'), "step 'picture': unknown generator 'nois'; valid: arpeggio, "),
        (("size = 6", "size = 0"), "step 'picture' (noise): size=0 is out of range"),
        (("size = 6", "colour = 1"), "unknown parameter of step 'picture' (noise): 'colour'"),
        (('input = "picture"', 'input = "words"'), "step 'negative': input 'words' is not an earlier step (earlier: picture)"),
        (('save = "negative.png"', 'save = "negative.mid"'), "step 'negative': save 'negative.mid': unknown file type for an image"),
        (("render = { scale = 2 }", "render = { scale = 99 }"), "step 'negative': save 'negative.png': renderer png: scale=99 is out of range"),
        (('inputs = ["negative"]', 'inputs = []'), "step 'words': composer 'caption' takes (image), got (nothing)"),
        (("seed = 99", "sead = 99"), "step 'negative': unknown key 'sead'"),
        (("render = { scale = 2 }", "render = { scale = 2, tempo = 3 }"), "step 'negative': render parameter 'tempo' is not used by the formats it saves (they take: scale)"),
        (('stylize = "invert"', 'stylize = "invert"\ngenerate = "noise"'), "step 'negative': give exactly one of"),
    ],
)
def test_validation_names_step_and_key(test_plugin, in_tmp, change, message):
    with pytest.raises(RecipeError) as caught:
        Recipe.load(write(GOOD.replace(*change))).run(Engine(), Path("out"))
    assert message in str(caught.value)
    assert not Path("out/picture.png").exists()  # nothing ran


def test_existing_outputs_are_refused_up_front(muse, test_plugin, in_tmp):
    Path("out").mkdir()
    Path("out/words.txt").write_text("mine")
    result = muse("run", write(GOOD), "-o", "out")
    assert result.code == 1 and "save 'words.txt': out/words.txt already exists; use --force" in result.err
    assert not Path("out/picture.png").exists()


def test_bad_toml_and_missing_files(muse, test_plugin, in_tmp):
    assert "not valid TOML" in muse("run", write("[[steps]\n"), "-o", "x").err
    assert "no such recipe" in muse("run", "gone.toml").err
    assert "step 'photo': load: " in muse("run", write('[[steps]]\nname = "photo"\nload = "none.png"\n')).err


def test_check_only_validates(muse, test_plugin, in_tmp):
    result = muse("run", write(GOOD), "--check")
    assert result.code == 0 and "3 steps are valid" in result.out and not Path("recipe").exists()
