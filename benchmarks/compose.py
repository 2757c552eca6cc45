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
import hashlib
import math
import statistics
import sys
from pathlib import Path

import pretty_midi

from engine import Note, Score, Text, Track
from engine.theory import Chord, Key, find_key, metric_weight, pitch_class_durations
from plugins.compose.accompany import AccompanimentOptions, accompaniment_for
from plugins.compose.harmony import (ChordSpan, chord_tone_rate, harmony_states, note_evidence,
                                     pitch_class_probabilities, segment_bounds)
from plugins.compose.scoretools import Grid, melody_grid, monophonic

sys.path.insert(0, str(Path(__file__).resolve().parent))
from abc_chords import AbcTune, read_abc_file  # noqa: E402  (a sibling script, not a package)
from plugins.compose.song import make_song
from plugins.compose.syllables import syllabify



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
def held_out(tune: AbcTune) -> bool:
    """Half of Nottingham's tunes, chosen by a hash of the file and title: the harmoniser's
    settings were only ever tried on the other half, so these figures are held out."""
    digest = hashlib.sha256(f"{tune.collection}/{tune.number}/{tune.title}".encode()).digest()
    return digest[0] % 2 == 0


def nottingham(data: Path) -> list[AbcTune]:
    tunes = []
    for path in sorted((data / "melody/nottingham/abc").glob("*.abc")):
        for tune in read_abc_file(path.read_text(encoding="utf-8", errors="replace")):
            tune.collection = path.stem
            if len(tune.chords) >= 4 and len(tune.notes) >= 8 and tune.meter[1] in (2, 4, 8):
                tunes.append(tune)
    return tunes


def tune_score(tune: AbcTune) -> tuple[Score, list[Note], Key]:
    """The tune as a Score at 120 quarter notes a minute, its pickup stated as a MIDI file states it."""
    seconds = 0.5  # per quarter note
    notes = [Note(n.pitch, float(n.start) * seconds, float(n.start + n.length) * seconds, 90) for n in tune.notes]
    pickup = float(tune.pickup) * tune.meter[1] / 4
    if pickup >= tune.meter[0]:
        pickup = 0.0
    key = Key(*tune.key)
    score = Score([Track(notes)], tempo=120, time_signature=tune.meter, key=key.name, pickup=pickup)
    return score, monophonic(notes), key


def human_spans(tune: AbcTune, end: float) -> list[ChordSpan]:
    """The tune's chord symbols as spans (each until the next), with the chord's tones."""
    spans = []
    for index, (start, root, symbol) in enumerate(tune.chords):
        stop = float(tune.chords[index + 1][0]) * 0.5 if index + 1 < len(tune.chords) else end
        quality = symbol.strip("()")[1:].lstrip("#b")
        third = 3 if quality.startswith("m") and not quality.startswith("maj") else 4
        fifth = 6 if "dim" in quality or quality.startswith("d") else 7
        tones = (root, (root + third) % 12, (root + fifth) % 12) + (((root + 10) % 12,) if "7" in quality else ())
        spans.append(ChordSpan(float(start) * 0.5, stop, Chord(0, root, tones, quality)))
    return spans


def root_agreement(ours: list[ChordSpan], human: list[ChordSpan], step: float = 0.25) -> tuple[int, int]:
    """(agreeing, sampled) eighth-note instants from the first human chord to the last note's end."""
    agree = total = 0
    time = human[0].start
    h = o = 0
    while time < human[-1].end - 1e-9:
        while h + 1 < len(human) and human[h + 1].start <= time + 1e-9:
            h += 1
        while o < len(ours) and ours[o].end <= time + 1e-9:
            o += 1
        mine = ours[o] if o < len(ours) and ours[o].start <= time + 1e-9 else None
        agree += mine is not None and mine.chord.root == human[h].chord.root
        total += 1
        time += step
    return agree, total


def greedy_chords(melody: list[Note], key: Key, grid: Grid, per_bar: int) -> list[ChordSpan]:
    """The best-fitting chord for each segment alone: the emission model without transitions."""
    states = harmony_states(key, False)
    spans = []
    for s, e in segment_bounds(grid, per_bar):
        evidence = note_evidence(melody, grid, s, e)
        best = max(states, key=lambda state: sum(w * math.log(p) for w, p in
                                                   zip(evidence, pitch_class_probabilities(state[0], key))) + math.log(state[1]))
        spans.append(ChordSpan(s, e, best[0]))
    return spans


def harmony_benchmark(data: Path, which: str) -> None:
    tunes = [t for t in nottingham(data) if which == "all" or held_out(t) == (which == "held-out")]
    names = ["HMM (ours)", "HMM, bars from t=0", "greedy best fit", "always the tonic", "human chords"]
    agree = {name: [0, 0] for name in names[:-1]}
    fit: dict[str, list[float]] = {name: [] for name in names}
    for tune in tunes:
        score, melody, key = tune_score(tune)
        bars = math.ceil((melody[-1].end - score.first_downbeat) / score.seconds_per_bar - 1e-6)
        true_grid = Grid(score.seconds_per_beat, score.time_signature, bars, score.first_downbeat)  # as written
        found_grid, _ = melody_grid(score, melody)  # as `accompany` finds it
        naive_grid = Grid(score.seconds_per_beat, score.time_signature,
                          math.ceil(melody[-1].end / score.seconds_per_bar - 1e-6))
        per_bar = 2 if tune.meter[0] % 2 == 0 else 1
        tonic = next(c for c, _ in harmony_states(key, False) if c.degree == 0)
        options = AccompanimentOptions(drums=False)
        methods = {
            "HMM (ours)": accompaniment_for(melody, found_grid, key, options, 0).spans,
            "HMM, bars from t=0": accompaniment_for(melody, naive_grid, key, options, 0).spans,
            "greedy best fit": greedy_chords(melody, key, true_grid, per_bar),
            "always the tonic": [ChordSpan(s, e, tonic) for s, e in segment_bounds(true_grid, 1)],
        }
        human = human_spans(tune, melody[-1].end)
        fit["human chords"].append(chord_tone_rate(human, melody, true_grid))
        for name, spans in methods.items():
            hits, total = root_agreement(spans, human)
            agree[name][0] += hits
            agree[name][1] += total
            fit[name].append(chord_tone_rate(spans, melody, true_grid))
    print(f"\n2. Chord roots against Nottingham's human chord symbols: {len(tunes)} tunes ({which}), "
          "sampled every eighth note")
    print(f"   {'method':22s} {'root = human root':>18s} {'strong-beat chord tones':>24s}")
    for name in names:
        rate = statistics.mean(x for x in fit[name] if x == x)
        same = f"{agree[name][0] / agree[name][1]:.1%}" if name in agree else "-"
        print(f"   {name:22s} {same:>18s} {rate:>24.1%}")
    ours, tonic_rate = (agree[n][0] / agree[n][1] for n in ("HMM (ours)", "always the tonic"))
    print(f"   root agreement, ours / always the tonic: {ours / tonic_rate:.2f}x")


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
    parser.add_argument("--harmony", choices=("held-out", "development", "all"), default="held-out",
                        help="which half of Nottingham the harmony figures are measured on")
    parser.add_argument("--only", choices=("key", "harmony", "setting"), help="run one part")
    args = parser.parse_args()
    if args.only in (None, "key"):
        key_benchmark(args.data, args.tunes)
    if args.only in (None, "harmony"):
        harmony_benchmark(args.data, args.harmony)
    if args.only in (None, "setting"):
        setting_benchmark(args.data, args.tunes)


if __name__ == "__main__":
    main()
