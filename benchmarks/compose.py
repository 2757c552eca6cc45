"""How well the composers' musical choices match people's, against simple baselines.

1. Key: the Krumhansl-Schmuckler tonic against the annotated root of the Irish dance tunes of
   Ceol Rince na hEireann (``roots.csv``), beside two baselines: the last note's pitch class and
   the most-played pitch class.
2. Harmony: the 91 CRE tunes that come with a chord track (chords written by people, as ABC
   chord symbols) are re-harmonised from their melody alone, a chord per half bar. Reported:
   how often our chord's root is the human chord's root, and the share of strong-beat melody
   notes that are chord tones; for the Viterbi composer, a greedy one (the best-fitting chord
   per segment, no progression model) and "always the tonic". The human chords' own chord-tone
   rate is the reference.
3. Text setting: the first sonnets' lines set to Nottingham tunes by the `song` composer and by
   a naive setter (syllables on successive notes, the longest notes split or the last ones
   merged until the counts match). Reported: the share of stressed syllables on strong beats
   (metric weight >= 0.5) and of unstressed syllables off them.

    MUSE_THREADS=1 nice python benchmarks/compose.py [--data /work/shared/data] [--tunes 200]
"""

from __future__ import annotations

import argparse
import csv
import glob
import statistics
from pathlib import Path

import pretty_midi

from engine import Note, Score, Text
from engine.theory import Chord, Key, diatonic_chords, find_key, metric_weight, pitch_class_durations
from plugins.compose.accompany import AccompanimentOptions, Grid, accompaniment_for
from plugins.compose.harmony import ChordSpan, chord_tone_rate, melody_fit, segment_bounds
from plugins.compose.scoretools import bar_count, monophonic
from plugins.compose.song import make_song
from plugins.compose.syllables import syllabify

TEMPLATES = {"": (0, 4, 7), "m": (0, 3, 7), "dim": (0, 3, 6), "7": (0, 4, 7, 10)}


def load(path: str) -> Score:
    return Score.from_midi(pretty_midi.PrettyMIDI(path))


# -- 1. key --------------------------------------------------------------------------------------
def key_benchmark(data: Path, limit: int) -> None:
    roots = {row[""]: int(row["root"]) for row in csv.DictReader(open(data / "melody/cre_irish/roots.csv"))}
    hits = {"krumhansl-schmuckler": 0, "last note": 0, "most-played pitch class": 0}
    count = 0
    for path in sorted(glob.glob(str(data / "melody/cre_irish/midi/*.mid")))[:limit]:
        name = Path(path).stem
        if name not in roots:
            continue
        notes = monophonic(next(t for t in load(path).tracks if t.notes).notes)
        if not notes:
            continue
        durations = pitch_class_durations(notes)
        guesses = {
            "krumhansl-schmuckler": find_key(durations).tonic,
            "last note": notes[-1].pitch % 12,
            "most-played pitch class": durations.index(max(durations)),
        }
        for method, tonic in guesses.items():
            hits[method] += tonic == roots[name]
        count += 1
    print(f"\n1. Tonic accuracy on {count} CRE tunes (annotated root)")
    for method, hit in hits.items():
        print(f"   {method:26s} {hit / count:6.1%}")
    base = max(v for k, v in hits.items() if k != "krumhansl-schmuckler")
    print(f"   ratio to the best baseline: {hits['krumhansl-schmuckler'] / max(1, base):.2f}x")


# -- 2. harmony ----------------------------------------------------------------------------------
def human_root(notes: list[Note], start: float, end: float) -> int | None:
    """The root of the chord a person wrote for ``start..end`` (template matching)."""
    weights = [0.0] * 12
    for note in notes:
        overlap = min(note.end, end) - max(note.start, start)
        if overlap > 0:
            weights[note.pitch % 12] += overlap
    if not any(weights):
        return None
    best = max((sum(weights[(root + i) % 12] for i in shape) - 0.5 * sum(
        w for pc, w in enumerate(weights) if (pc - root) % 12 not in shape), root)
        for root in range(12) for shape in TEMPLATES.values())
    return best[1]


def greedy_chords(melody: list[Note], key: Key, bounds, seconds_per_beat: float, meter) -> list[ChordSpan]:
    chords = diatonic_chords(key, False)
    return [ChordSpan(s, e, max(chords, key=lambda c: melody_fit(c, key, melody, s, e, seconds_per_beat, meter)))
            for s, e in bounds]


def harmony_benchmark(data: Path) -> None:
    import mido

    files = [f for f in sorted(glob.glob(str(data / "melody/cre_irish/midi/*.mid")))
             if mido.MidiFile(f).type == 1 and len(mido.MidiFile(f).tracks) >= 3]
    agree = {"viterbi (ours)": [], "greedy best fit": [], "always the tonic": []}
    fit = {name: [] for name in [*agree, "human chords"]}
    for path in files:
        score = load(path)
        pitched = [t for t in score.tracks if t.notes]
        melody = monophonic(pitched[0].notes)
        accompaniment = max(pitched[1:], key=lambda t: len({n.pitch for n in t.notes}))
        meter, beat = score.time_signature, score.seconds_per_beat
        bars = bar_count(score, melody[-1].end)
        key = find_key(pitch_class_durations(melody))
        grid = Grid(beat, meter, bars)
        per_bar = 2 if meter[0] % 2 == 0 else 1
        bounds = segment_bounds(bars, score.seconds_per_bar, per_bar)
        tonic = next(c for c in diatonic_chords(key, False) if c.degree == 0)
        methods = {
            "viterbi (ours)": accompaniment_for(melody, grid, key, AccompanimentOptions(chord_rate="half", drums=False), 0).spans,
            "greedy best fit": greedy_chords(melody, key, bounds, beat, meter),
            "always the tonic": [ChordSpan(s, e, tonic) for s, e in bounds],
        }
        human_spans = []
        for s, e in bounds:
            root = human_root(accompaniment.notes, s, e)
            if root is not None:
                pcs = {n.pitch % 12 for n in accompaniment.notes if min(n.end, e) - max(n.start, s) > 0}
                human_spans.append(ChordSpan(s, e, Chord(0, root, tuple(sorted(pcs)), "")))
        fit["human chords"].append(chord_tone_rate(human_spans, melody, beat, meter))
        for name, spans in methods.items():
            pairs = [(span.chord.root, human_root(accompaniment.notes, span.start, span.end)) for span in spans]
            pairs = [(ours, theirs) for ours, theirs in pairs if theirs is not None]
            agree[name].append(sum(a == b for a, b in pairs) / max(1, len(pairs)))
            fit[name].append(chord_tone_rate(spans, melody, beat, meter))
    print(f"\n2. Harmonising {len(files)} CRE tunes that have human chords (a chord per half bar)")
    print(f"   {'method':20s} {'root = human root':>18s} {'strong-beat chord tones':>24s}")
    for name in fit:
        rate = statistics.mean(x for x in fit[name] if x == x)
        same = f"{statistics.mean(agree[name]):.1%}" if name in agree else "-"
        print(f"   {name:20s} {same:>18s} {rate:>24.1%}")
    ours, greedy = statistics.mean(agree["viterbi (ours)"]), statistics.mean(agree["greedy best fit"])
    print(f"   root agreement, ours / greedy: {ours / greedy:.2f}x; ours / tonic: "
          f"{ours / statistics.mean(agree['always the tonic']):.2f}x")


# -- 3. text setting -----------------------------------------------------------------------------
def naive_onsets(notes: list[Note], count: int) -> list[float]:
    """One syllable per note in order; split the longest notes in two, or drop the last onsets."""
    spans = [(n.start, n.end) for n in notes]
    while len(spans) < count:
        i = max(range(len(spans)), key=lambda k: spans[k][1] - spans[k][0])
        a, b = spans[i]
        spans[i:i + 1] = [(a, (a + b) / 2), ((a + b) / 2, b)]
    return [a for a, _ in spans[:count]]


def setting_benchmark(data: Path, tunes: int) -> None:
    lines = [line for line in (data / "text/shakespeare_sonnets.txt").read_text().splitlines() if line.strip()][:28]
    paths = sorted(glob.glob(str(data / "melody/nottingham/midi_melody/*.mid")))[:tunes:max(1, tunes // 20)]
    scores = {"song composer": [[], []], "naive": [[], []]}
    for path in paths:
        score = load(path)
        melody = monophonic(next(t for t in score.tracks if t.notes).notes)
        if score.time_signature[1] not in (4, 8) or len(melody) < 8:
            continue
        beat, meter = score.seconds_per_beat, score.time_signature
        for start in range(0, len(lines), 4):
            quatrain = lines[start:start + 4]
            song = make_song(Text(quatrain), score, {"phrase_bars": 0, "melisma": False, "extend": "repeat",
                                                     "voice_program": None, "accompaniment": False, "key": None}, 0)
            syllables = [s for line in quatrain for s in syllabify(line)]
            bar = score.seconds_per_bar  # metric weight repeats every bar, so an intro bar changes nothing
            _score_onsets(scores["song composer"], [lyric.time for lyric in song.lyrics], syllables, beat, meter)
            phrase_bars = song.meta["phrase_bars"]
            naive = []
            for index, line in enumerate(quatrain):
                count = len(syllabify(line))
                phrase_start = index * phrase_bars * bar
                phrase = [n for n in melody if phrase_start <= n.start < phrase_start + phrase_bars * bar] or melody[:8]
                naive += naive_onsets(phrase, count)
            _score_onsets(scores["naive"], naive, syllables, beat, meter)
    print(f"\n3. Setting {len(lines)} sonnet lines to {len(paths)} Nottingham tunes")
    print(f"   {'setter':16s} {'stressed on strong beats':>26s} {'unstressed off them':>22s}")
    for name, (strong, weak) in scores.items():
        print(f"   {name:16s} {statistics.mean(strong):>26.1%} {statistics.mean(weak):>22.1%}")
    ratio = statistics.mean(scores["song composer"][0]) / statistics.mean(scores["naive"][0])
    print(f"   stressed-on-strong, ours / naive: {ratio:.2f}x")


def _score_onsets(bucket, onsets, syllables, beat, meter) -> None:
    weights = [metric_weight(t / beat, meter) for t in onsets]
    stressed = [w >= 0.5 for w, s in zip(weights, syllables) if s.stress == 1.0]
    light = [w < 0.5 for w, s in zip(weights, syllables) if s.stress == 0.0]
    bucket[0].append(sum(stressed) / max(1, len(stressed)))
    bucket[1].append(sum(light) / max(1, len(light)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--tunes", type=int, default=400, help="key benchmark: tunes to read; setting: range sampled")
    args = parser.parse_args()
    key_benchmark(args.data, args.tunes)
    harmony_benchmark(args.data)
    setting_benchmark(args.data, args.tunes)


if __name__ == "__main__":
    main()
