"""The poem plugin: prosody helpers, the form checker, training (dry run), constrained generation
in every form with a tiny model trained here, determinism, evaluation and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

# Verse written for these tests: many rhyme families the CMU dictionary knows, repeated so a
# tiny model learns the spellings and the lexicon keeps the words (seen twice or more).
ENGLISH_VERSE = """\
The morning light is on the hill today,
And all the birds are singing on the way.
I walk along the river to the sea,
Where every wave is calling out to me.
The night is long, the stars are burning bright,
I hold my love and wait for morning light.
My heart will sing a song of hope again,
And wash away the sorrow and the pain.
The wind is cold upon the hills of home,
Across the fields and far away I roam.
We sing and play beneath the summer sky,
And watch the little birds that sing and fly.
The rain will fall and then the sun will rise,
With light and love and laughter in her eyes.
A man who lived alone beside a tree,
Was happy when the day was bright and free.
The flowers grow and all the children play,
And say a word of love to start the day.
"""

CHINESE_VERSE = """\
床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。
白日依山盡，黃河入海流。欲窮千里目，更上一層樓。
春眠不覺曉，處處聞啼鳥。夜來風雨聲，花落知多少。
秦時明月漢時關，萬里長征人未還。但使龍城飛將在，不教胡馬度陰山。
朝辭白帝彩雲間，千里江陵一日還。兩岸猿聲啼不住，輕舟已過萬重山。
"""


def _train(engine, corpus: Path, out: Path, **params):
    settings = dict(steps=40, hidden=48, layers=1, embed=16, seq_len=32, batch_size=8, sample_every=0,
                    checkpoint_every=1000)
    settings.update(params)
    return engine.train("poem", data=corpus, out=out, seed=0, progress=False, force=True, **settings)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A tiny English and a tiny Chinese model, trained once for the whole module."""
    from engine import Engine

    folder = tmp_path_factory.mktemp("poem")
    (folder / "en.txt").write_text(ENGLISH_VERSE * 12, encoding="utf-8")
    (folder / "zh.txt").write_text(CHINESE_VERSE * 12, encoding="utf-8")
    engine = Engine()
    _train(engine, folder / "en.txt", folder / "en.safetensors")
    _train(engine, folder / "zh.txt", folder / "zh.safetensors")
    return {"en": folder / "en.safetensors", "zh": folder / "zh.safetensors", "folder": folder, "engine": engine}


# -- prosody ------------------------------------------------------------------------------------
def test_syllables_from_the_dictionary_and_the_fallback():
    from plugins.poem import english

    assert english.syllables("summer") == 2
    assert english.syllables("beautiful") == 3
    assert english.syllables("self-same") == 2
    assert english.syllables("Zorblaxia") >= 3  # not in the dictionary: the heuristic counts it
    assert english.line_syllables("Shall I compare thee to a summer's day?") == 10


def test_rhymes_by_pronunciation():
    from plugins.poem import english

    assert english.rhymes("day", "away")
    assert english.rhymes("light", "bright")
    assert english.rhymes("morning", "warning")  # the unstressed syllable after the stress rhymes too
    assert english.rhymes("bright", "night") and english.rhymes("compare", "air")
    assert not english.rhymes("day", "die")
    assert not english.rhymes("day", "day")  # the same word is not a rhyme
    assert not english.rhymes("zorblaxia", "day")  # unknown words never promise a rhyme


@pytest.mark.parametrize("a, b", [("he", "thirty"), ("he", "company"), ("light", "delight"), ("sea", "see"),
                                  ("himself", "yourself"), ("good", "hid")])
def test_weak_and_identical_rhymes_are_refused(a, b):
    """he/thirty and he/company share only an unstressed or secondary-stressed vowel; light/delight
    and sea/see are the same sounds, not rhymes."""
    from plugins.poem import english

    assert not english.perfect_rhyme(a, b)


def test_a_rhyme_word_carries_its_stress_on_the_beat():
    """The rhyme sits on a strong position with only weak ones after it: "away" ends WS, "morning"
    a feminine SW; "royalty" would carry its rhyme on a promoted "-ty", "us" is not U.S."""
    from plugins.poem import english

    assert english.ends_line("01", "WS") and english.ends_line("10", "SW") and english.ends_line("1", "S")
    assert not english.ends_line("100", "SWS") and not english.ends_line("1", "W") and not english.ends_line("10", "WS")
    assert not english.perfect_rhyme("us", "confess")
    assert "the" in english.FUNCTION_WORDS  # never a rhyme word


def test_slant_rhymes_are_offered_apart():
    from plugins.poem import english

    assert english.slant_rhyme("time", "mine") and not english.perfect_rhyme("time", "mine")
    assert english.slant_rhyme("day", "away")  # a true rhyme is a slant rhyme too
    assert not english.slant_rhyme("day", "moon") and not english.slant_rhyme("day", "day")


def test_the_lexicon_holds_real_words_only():
    """Decoding only writes words of the lexicon: corpus words the dictionary pronounces (and the
    corpus's own monosyllables), never an invented one, even one the corpus happened to hold."""
    import string

    from plugins.poem import english

    lexicon = english.Lexicon(["morning", "huspined", "messerning", "canst", "tonguest", "more", "light"],
                              set(string.ascii_lowercase))
    assert "morning" in lexicon and "canst" in lexicon and "light" in lexicon
    assert "huspined" not in lexicon and "messerning" not in lexicon and "tonguest" not in lexicon
    assert [c for c, _, _ in lexicon.children("mor")] == ["e", "n"]  # "more", "morning": nothing else
    assert lexicon.children("hus") == []


PENTAMETER_PASS = [
    "The morning light is on the hill today,",
    "The morning light is on the hill of heaven",  # feminine ending
    "Never the morning light is on the hill",  # initial inversion
]


@pytest.mark.parametrize("line", PENTAMETER_PASS)
def test_iambic_lines_that_scan_pass(line):
    from plugins.poem.forms import FORMS, line_specs, scans

    assert scans(line, line_specs(FORMS["sonnet"], "en", None)[0])


def test_a_stress_on_a_weak_position_is_refused():
    from plugins.poem.forms import FORMS, deviations, line_specs, scans

    spec = line_specs(FORMS["sonnet"], "en", None)[0]
    line = "The happy children are singing on the way"  # SING- falls on a weak position
    assert deviations(line, spec.templates) == 1 and not scans(line, spec)
    assert scans(line, spec, allowed=1)  # the eval's "at most one deviation"
    assert deviations("The light is on the hill today", spec.templates) is None  # 8 syllables: no template


def test_limerick_is_anapaestic():
    from plugins.poem.forms import FORMS, line_specs, scans

    specs = line_specs(FORMS["limerick"], "en", None)
    assert scans("There was a young lady of Niger", specs[0])  # headless first foot, feminine ending
    assert scans("And the light of the morning was gay", specs[0])
    assert not scans("The morning light is on the hill today", specs[0])
    assert scans("Who smiled as she rode", specs[2]) and not scans("Who smiled as she rode on a tiger", specs[2])


# 平仄 of these characters by their modern readings: 月水日 仄; 山花春風天間 平 (天, 間 in 寒)
TONAL_OK = ["月水山花日", "春風月水天", "山花春月水", "月水日花間"]  # 仄起首句不入韻, exactly


def test_jueju_tonal_pattern_passes_and_breaks():
    from plugins.poem import chinese

    assert chinese.tonal_problems(TONAL_OK) == []
    assert chinese.best_pattern(TONAL_OK)[0].name == "仄起首句不入韻"
    assert chinese.nian_dui_kept(TONAL_OK) == 3
    free = ["山水花花日", "春風山水天", "月花春月水", "山水日花間"]  # only 一三五 positions changed
    assert chinese.tonal_problems(free) == []
    gu = TONAL_OK[:1] + ["月風月水天"] + TONAL_OK[2:]  # 仄平仄仄平: 孤平
    assert any("孤平" in p for p in chinese.tonal_problems(gu))
    san = TONAL_OK[:3] + ["月水花山間"]  # ends 平平平
    assert any("三平尾" in p for p in chinese.tonal_problems(san))
    unglued = TONAL_OK[:2] + ["月水山花日", TONAL_OK[3]]  # line 3 takes line 2's opposite: 粘 broken
    assert chinese.tonal_problems(unglued) and chinese.nian_dui_kept(unglued) < 3
    unrhymed = TONAL_OK[:3] + ["月水日花風"]  # 風 (feng) is not in 天's group
    assert any("rhyme group" in p for p in chinese.tonal_problems(unrhymed))


def test_titles_are_whole_phrases():
    from plugins.poem.generate import default_title

    lines = ["Shall I compare thee to a summer's day and night?", "Thou art more lovely and more temperate:"]
    assert default_title(lines, "en") == "Thou art more lovely and more temperate"
    assert default_title(["And all the birds, the morning light and the,"], "en") == "All the birds"
    assert default_title(["This arms and the"], "en") == "This arms and the"  # no phrase: the whole line


def test_chinese_rhyme_groups_and_level_tones():
    from plugins.poem import chinese

    assert chinese.rhymes("山", "關") and chinese.rhymes("天", "間")
    assert not chinese.rhymes("山", "明")
    assert chinese.is_level("山") and not chinese.is_level("盡")
    assert chinese.rhyme_group("A") is None


def test_checker_names_each_broken_constraint():
    from plugins.poem.forms import FORMS, check, line_specs

    couplet = line_specs(FORMS["couplet"], "en", None, "iambic-pentameter")
    assert check(couplet, ["The morning light is on the hill today,", "And all the birds are singing on the way."], "en") == []
    problems = check(couplet, ["The morning light is on the hill today,", "And all the birds are singing on the hill."], "en")
    assert any("rhyme" in p for p in problems)
    problems = check(couplet, ["The light is on the hill today,", "And all the birds are singing on the way."], "en")
    assert any("line 1: 8 syllables" in p for p in problems)
    jueju = line_specs(FORMS["jueju5"], "zh", None)
    assert check(jueju, ["床前明月光，", "疑是地上霜。", "舉頭望明月，", "低頭思故鄉。"], "zh") == []
    assert any("rhyme" in p for p in check(jueju, ["床前明月光，", "疑是地上霜。", "舉頭望明月，", "低頭思故人。"], "zh"))
    assert check(jueju, ["床前明月光，"], "zh") == ["1 lines, the form has 4"]


# -- training -----------------------------------------------------------------------------------
def test_train_dry_run_through_the_cli(muse, in_tmp):
    Path("corpus.txt").write_text(ENGLISH_VERSE, encoding="utf-8")
    result = muse("train", "poem", "--data", "corpus.txt", "--out", "m.safetensors", "--dry-run", "--hidden", "16",
                  "--layers", "1", "--seq-len", "16", "--batch-size", "4")
    assert result.code == 0, result.err
    assert Path("m.safetensors").is_file()


def test_checkpoint_is_small_half_precision_and_records_validation_loss(models):
    from engine.training import read_metadata
    from safetensors.torch import load_file

    tensors = load_file(str(models["en"]))
    assert tensors["lm.head.weight"].dtype.is_floating_point and tensors["lm.head.weight"].element_size() == 2
    meta = read_metadata(models["en"])
    assert meta["config"]["language"] == "en" and meta["info"]["metrics"]["val_loss"] > 0
    assert read_metadata(models["zh"])["config"]["language"] == "zh"


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"\x00\x01\x02binary\x00", "binary"),
    (b"\xff\xfe\xfa not utf8", "not UTF-8"),
    (b"tiny", "too small"),
])
def test_bad_corpora_are_clear_errors(muse, in_tmp, content, message):
    Path("corpus.txt").write_bytes(content)
    result = muse("train", "poem", "--data", "corpus.txt", "--out", "m.safetensors", "--dry-run")
    assert result.code != 0
    assert message in result.err and "Traceback" not in result.err


# -- generation ---------------------------------------------------------------------------------
@pytest.mark.parametrize("form, count", [("couplet", 2), ("quatrain", 4), ("limerick", 5), ("sonnet", 14), ("free", 8)])
def test_english_forms_are_met(models, form, count):
    from plugins.poem.forms import FORMS, check, line_specs

    for seed in (0, 1):
        poem = models["engine"].generate("poem", seed=seed, form=form, model=str(models["en"]))
        assert len(poem.lines) == count and poem.language == "en" and poem.title
        assert check(line_specs(FORMS[form], "en", None), poem.lines, "en") == []
        assert poem.meta["checkpoint"] and poem.meta["form"] == form


@pytest.mark.parametrize("form, size", [("jueju5", 5), ("jueju7", 7)])
def test_jueju_are_met(models, form, size):
    from plugins.poem import chinese
    from plugins.poem.forms import FORMS, check, line_specs

    for seed in (0, 1, 2):
        poem = models["engine"].generate("poem", seed=seed, form=form, model=str(models["zh"]))
        assert [len(line) for line in poem.lines] == [size + 1] * 4 and poem.title == "無題"
        assert check(line_specs(FORMS[form], "zh", None), poem.lines, "zh", tonal=True) == []
        assert chinese.tonal_problems([line[:-1] for line in poem.lines]) == []
        assert poem.meta["tonal_pattern"] in {p.name for p in chinese.tonal_patterns(size)}


def test_every_english_word_written_is_a_real_one(models):
    from engine.io import shipped_model  # noqa: F401  (the same loader generation uses)
    from plugins.poem import english
    from plugins.poem.checkpoint import load_poem_model
    from plugins.poem.decode import english_tables

    loaded = load_poem_model(models["en"])
    lexicon = english_tables(loaded).lexicon
    for form in ("sonnet", "limerick", "free"):
        poem = models["engine"].generate("poem", seed=3, form=form, model=str(models["en"]))
        words = [w.lower() for line in poem.lines for w in english.words_of(line)]
        assert words and all(w in lexicon for w in words), [w for w in words if w not in lexicon]


def test_metre_and_slant_choices(models):
    from plugins.poem.forms import FORMS, check, line_specs

    engine, model = models["engine"], str(models["en"])
    poem = engine.generate("poem", seed=2, form="couplet", model=model, metre="iambic-pentameter")
    assert check(line_specs(FORMS["couplet"], "en", None, "iambic-pentameter"), poem.lines, "en") == []
    assert poem.meta["metre"] == "iambic-pentameter"
    slant = engine.generate("poem", seed=2, form="quatrain", model=model, rhyme="slant")
    assert check(line_specs(FORMS["quatrain"], "en", None), slant.lines, "en", "slant") == []


def test_same_seed_same_poem_and_prime_starts_it(models):
    engine = models["engine"]
    a = engine.generate("poem", seed=5, form="quatrain", model=str(models["en"]), prime="The night")
    b = engine.generate("poem", seed=5, form="quatrain", model=str(models["en"]), prime="The night")
    c = engine.generate("poem", seed=6, form="quatrain", model=str(models["en"]), prime="The night")
    assert a.lines == b.lines and a.lines != c.lines
    assert a.lines[0].startswith("The night")
    zh = engine.generate("poem", seed=1, form="jueju5", model=str(models["zh"]), prime="明月")
    assert zh.lines[0].startswith("明月")


def test_each_form_is_its_own_poem_at_one_seed(models):
    """The demo asks for a quatrain and a sonnet at one seed: they must not share their opening."""
    engine = models["engine"]
    pairs = [(engine.generate("poem", seed=seed, form="couplet", model=str(models["en"])).lines[0],
              engine.generate("poem", seed=seed, form="quatrain", model=str(models["en"])).lines[0])
             for seed in (0, 1, 2)]
    assert any(couplet != quatrain for couplet, quatrain in pairs), pairs


def test_cli_writes_txt_and_md(muse, in_tmp, models):
    result = muse("generate", "poem", "-p", "form=couplet", "-p", f"model={models['en']}", "-p", "title=Test",
                  "--seed", "3", "-o", "poem.txt")
    assert result.code == 0, result.err
    text = Path("poem.txt").read_text(encoding="utf-8")
    assert "Test" in text
    assert muse("generate", "poem", "-p", "form=jueju7", "-p", f"model={models['zh']}", "--seed", "3", "-o", "p.md").code == 0
    assert "無題" in Path("p.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("params, message", [
    (["form=villanelle"], "villanelle"),
    (["form=jueju5", "model=EN"], "needs a Chinese"),
    (["form=sonnet", "model=ZH"], "needs an English"),
    (["form=sonnet", "lines=3", "model=EN"], "only applies to form=free"),
    (["form=couplet", "prime=Zürich ☃", "model=EN"], "never saw"),
    (["form=couplet", "prime=the morning light is on the hill today and", "model=EN"], "syllables"),
    (["form=jueju5", "prime=床前明月光", "model=ZH"], "leave room"),
    (["form=jueju5", "prime=山山山山", "model=ZH"], "none of the four tonal patterns"),
    (["form=couplet", "prime=The happy children are singing", "model=EN"], "does not start a line of the metre"),
    (["form=sonnet", "metre=iambic-tetrameter", "model=EN"], "has its own metre"),
    (["form=couplet", "metre=hexameter", "model=EN"], "hexameter"),
    (["form=couplet", "rhyme=eye", "model=EN"], "eye"),
    (["model=/nowhere/x.safetensors"], "no such checkpoint"),
])
def test_bad_generation_requests_are_clear_errors(muse, in_tmp, models, params, message):
    args = []
    for item in params:
        args += ["-p", item.replace("model=EN", f"model={models['en']}").replace("model=ZH", f"model={models['zh']}")]
    result = muse("generate", "poem", *args, "--seed", "1", "-o", "p.txt")
    assert result.code != 0
    assert message in result.err and "Traceback" not in result.err


def test_impossible_constraint_says_which_line_failed(models, monkeypatch):
    from engine import MuseError
    from plugins.poem import decode

    monkeypatch.setattr(decode, "FINAL_WORD_SYLLABLES", 0)  # no rhyme word may end a line: impossible
    with pytest.raises(MuseError, match=r"line 1 could not meet its constraint \(10-11 syllables, ending on a "
                                        r"rhymable word\): no word this model knows can open a rhyme.*gave up after"):
        models["engine"].generate("poem", seed=0, form="sonnet", model=str(models["en"]))


# -- evaluation ---------------------------------------------------------------------------------
def test_eval_reports_loss_adherence_and_variety(models):
    from plugins.poem.evaluate import evaluate

    corpus = models["folder"] / "en.txt"
    scores = evaluate(corpus, {"model": str(models["en"]), "samples": 2, "forms": "couplet,free", "holdout": 0.1,
                               "pattern": "*.txt", "temperature": 0.8, "top_p": 0.95})
    # the loss is the model's own on held-out text: lower on verse like its training than on that verse reversed
    backwards = models["folder"] / "backwards.txt"
    backwards.write_text("\n".join(line[::-1] for line in corpus.read_text(encoding="utf-8").splitlines()), encoding="utf-8")
    reversed_scores = evaluate(backwards, {"model": str(models["en"]), "samples": 0, "forms": "couplet", "holdout": 0.1,
                                           "pattern": "*.txt", "temperature": 0.8, "top_p": 0.95})
    assert 0 < scores["val_loss"] < reversed_scores["val_loss"] and "nanogpt_cpu_val_loss" in scores
    assert scores["couplet_adherence"] == 1.0 and 0 < scores["couplet_distinct4"] <= 1
    assert "couplet_unconstrained_adherence" in scores and "free_adherence" in scores
    assert scores["couplet_invented_words"] == 0.0 and scores["couplet_perfect_rhymes"] == 1.0
    assert scores["couplet_metre"] == 1.0 and "couplet_unconstrained_metre" in scores
    assert "couplet_unconstrained_invented_words" in scores


def test_eval_reports_tonal_adherence(models):
    from plugins.poem.evaluate import evaluate

    scores = evaluate(models["folder"] / "zh.txt", {"model": str(models["zh"]), "samples": 2, "forms": "jueju5",
                                                   "holdout": 0.1, "pattern": "*.txt", "temperature": 0.8,
                                                   "top_p": 0.95})
    assert scores["jueju5_tonal"] == 1.0 and scores["jueju5_nian_dui"] == 1.0 and scores["jueju5_rhymes"] == 1.0
    assert 0 <= scores["jueju5_unconstrained_tonal"] <= 1 and "jueju5_corpus_tonal" in scores
