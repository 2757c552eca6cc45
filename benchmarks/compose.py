"""How well the composers' musical choices match people's, against simple baselines, in one run.

1. Key: the Krumhansl-Schmuckler tonic against the annotated root of the Irish dance tunes of
   Ceol Rince na hEireann (``roots.csv``), beside two baselines: the last note's pitch class and
   the most-played pitch class.
2. Downbeats: Nottingham tunes (read from their ABC, so the bar lines are known) stripped of meter
   information and started at a random point of the bar; how often the downbeat finder puts the
   bar lines back where the ABC has them, beside counting bars from t=0.
3. Harmony: the same tunes harmonised from their melody alone by `accompany`'s HMM; how often our
   chord root is the root of the chord symbol a person wrote (sampled every eighth note), and the
   share of strong-beat melody notes that are chord tones; beside the HMM on bars counted from
   t=0, a greedy harmoniser (the best-fitting chord per segment, no transitions) and "always the
   tonic". By default the held-out half of Nottingham: the harmoniser's settings were only ever
   tried on the other half (``--harmony development``). Nottingham is GPLv3: it is read here for
   evaluation only, and nothing of it is shipped.
4. Text setting: sonnet quatrains set to Nottingham tunes and to tunes of the `melody` generator:
   syllables a second within a line, the share of syllables shorter than 0.2 s, stressed syllables
   on strong beats (metric weight >= 0.5) and unstressed ones off them, and lines that end in a
   rest; for a naive setter, `song` as it is, and (``--before DIR``) the `song` of an earlier
   checkout run on the same inputs.

    MUSE_THREADS=1 nice python benchmarks/compose.py [--data /work/shared/data] [--before DIR]
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
from engine.downbeat import phase_candidates, score_downbeat
from engine.theory import Chord, Key, find_key, metric_weight, pitch_class_durations
from plugins.compose.accompany import AccompanimentOptions, accompaniment_for
from plugins.compose.harmony import (ChordSpan, chord_tone_rate, harmony_states, note_evidence,
                                     pitch_class_probabilities, segment_bounds)
from plugins.compose.plugin import SongComposer
from plugins.compose.scoretools import Grid, melody_grid, monophonic

sys.path.insert(0, str(Path(__file__).resolve().parent))
from abc_chords import AbcTune, read_abc_file  # noqa: E402  (a sibling script, not a package)
from plugins.compose.song import make_song, sung_rate
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


# -- 2. downbeats and 3. harmony, on Nottingham ---------------------------------------------------
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


def downbeat_benchmark(data: Path, which: str) -> None:
    """Nottingham tunes with their meter info removed (pickup not stated) and started at a random
    point of the bar: how often the downbeat finder puts the bar lines where the ABC has them,
    beside counting bars from t=0 (what a composer without it does)."""
    import random

    rng = random.Random(0)
    tunes = [t for t in nottingham(data) if which == "all" or held_out(t) == (which == "held-out")]
    found = naive = kept = 0
    by_meter: dict[tuple[int, int], list[int]] = {}
    for tune in tunes:
        score, melody, _ = tune_score(tune)
        candidates = phase_candidates(score.seconds_per_beat, score.time_signature)
        shift = rng.choice(candidates)
        notes = [Note(n.pitch, n.start + shift, n.end + shift, n.velocity) for n in melody]
        truth = (score.first_downbeat + shift) % score.seconds_per_bar
        bare = Score([Track(notes)], tempo=score.tempo, time_signature=score.time_signature)
        phase = score_downbeat(bare, notes).phase
        hit = abs(phase - truth) < 1e-6 or abs(phase - truth) > score.seconds_per_bar - 1e-6
        found += hit
        naive += abs(truth) < 1e-6 or abs(truth - score.seconds_per_bar) < 1e-6
        # the same tune as a file that wrote its meter would hold it: a pickup padded to a full
        # bar, so the bar lines counted from t=0 are right; the finder should leave them there
        pad = (score.seconds_per_bar - score.first_downbeat) % score.seconds_per_bar
        padded = [Note(n.pitch, n.start + pad, n.end + pad, n.velocity) for n in melody]
        on_grid = Score([Track(padded)], tempo=score.tempo, time_signature=score.time_signature)
        kept += abs(score_downbeat(on_grid, padded).phase) < 1e-6
        counts = by_meter.setdefault(score.time_signature, [0, 0])
        counts[0] += hit
        counts[1] += 1
    print(f"\n2. Downbeats of {len(tunes)} Nottingham tunes ({which}) with no meter information, started at a "
          "random point of the bar")
    print(f"   downbeat finder {found / len(tunes):.1%}; bars counted from t=0 {naive / len(tunes):.1%}")
    print(f"   the same tunes on their written grid from t=0 (pickup padded to a bar): kept {kept / len(tunes):.1%}")
    print("   by meter: " + ", ".join(f"{n}/{d} {h / c:.0%} of {c}" for (n, d), (h, c) in sorted(by_meter.items())))


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
    print(f"\n3. Chord roots against Nottingham's human chord symbols: {len(tunes)} tunes ({which}), "
          "sampled every eighth note")
    print(f"   {'method':22s} {'root = human root':>18s} {'strong-beat chord tones':>24s}")
    for name in names:
        rate = statistics.mean(x for x in fit[name] if x == x)
        same = f"{agree[name][0] / agree[name][1]:.1%}" if name in agree else "-"
        print(f"   {name:22s} {same:>18s} {rate:>24.1%}")
    ours, tonic_rate = (agree[n][0] / agree[n][1] for n in ("HMM (ours)", "always the tonic"))
    print(f"   root agreement, ours / always the tonic: {ours / tonic_rate:.2f}x")


# -- 4. text setting -----------------------------------------------------------------------------
#: The `song` composer's declared defaults, without the accompaniment (only the voice is measured).
SONG_DEFAULTS = {**{param.name: param.default for param in SongComposer.params}, "accompaniment": False}
SETTERS = ("naive (a syllable a note)", "song before (--before)", "song (default)")
#: Run in a checkout of an earlier Muse (``--before DIR``): its `song` composer sets the same
#: quatrains to the same tunes, and reports each line's (onset, duration, rest after) per syllable.
BEFORE_SCRIPT = """
import json, math, sys
import pretty_midi
from engine import Score, Text
from plugins.compose.song import make_song
jobs = json.load(sys.stdin)
out = []
for path, quatrain in jobs:
    score = Score.from_midi(pretty_midi.PrettyMIDI(path))
    song = make_song(Text(quatrain), score, {"phrase_bars": 0, "melisma": False, "extend": "repeat",
                     "voice_program": None, "accompaniment": False, "key": None}, 0)
    voice = {round(n.start, 6): n for n in song.tracks[0].notes}
    lines, index = [], 0
    for line in song.meta["lines"]:
        lyrics = song.lyrics[index:index + line["syllables"]]
        index += line["syllables"]
        notes = [voice[round(lyric.time, 6)] for lyric in lyrics]
        following = song.lyrics[index].time if index < len(song.lyrics) else 1e9
        lines.append([(n.start, n.end - n.start, following - notes[-1].end) for n in notes])
    out.append(lines)
json.dump(out, sys.stdout)
"""


def naive_onsets(notes: list[Note], count: int) -> list[tuple[float, float]]:
    """One syllable per note in order; split the longest notes in two, or drop the last onsets."""
    spans = [(n.start, n.end) for n in notes]
    while len(spans) < count:
        i = max(range(len(spans)), key=lambda k: spans[k][1] - spans[k][0])
        a, b = spans[i]
        spans[i:i + 1] = [(a, (a + b) / 2), ((a + b) / 2, b)]
    return spans[:count]


def generated_tunes(count: int, folder: Path) -> list[str]:
    """``count`` tunes from the `melody` generator with its defaults (seeds 0..count-1), as MIDI files."""
    from engine import Engine

    muse = Engine()
    paths = []
    for seed in range(count):
        path = folder / f"generated{seed}.mid"
        muse.generate("melody", seed=seed).to_midi().write(str(path))
        paths.append(str(path))
    return paths


def setting_benchmark(data: Path, tunes: int, before: Path | None) -> None:
    import tempfile

    nottingham_paths = sorted(glob.glob(str(data / "melody/nottingham/midi_melody/*.mid")))[:tunes:max(1, tunes // 20)]
    with tempfile.TemporaryDirectory() as folder:
        for label, paths in (("Nottingham tunes (120 qpm)", nottingham_paths),
                             ("tunes of the `melody` generator (its defaults)", generated_tunes(20, Path(folder)))):
            setting_table(data, label, paths, before)


def setting_table(data: Path, label: str, paths: list[str], before: Path | None) -> None:
    """Sonnet quatrains set to Nottingham tunes: the singing rate, short syllables, stress on the
    beat, and rests at line ends, for a naive setter, the `song` composer of an earlier checkout
    (``before``, run in a child process on the same inputs), and `song` as it is."""
    lines = [line for line in (data / "text/shakespeare_sonnets.txt").read_text().splitlines() if line.strip()][:28]
    results = {name: {"rates": [], "short": [], "strong": [], "light": [], "rests": []} for name in SETTERS}
    used = 0
    jobs: list[tuple[str, list[str]]] = []
    for path in paths:
        score = load(path)
        melody = monophonic(next(t for t in score.tracks if t.notes).notes)
        if score.time_signature[1] not in (4, 8) or len(melody) < 8:
            continue
        used += 1
        beat, meter = score.seconds_per_beat, score.time_signature
        for start in range(0, len(lines), 4):
            quatrain = lines[start:start + 4]
            syllables = [s for line in quatrain for s in syllabify(line)]
            _measure(results[SETTERS[0]], _naive_setting(quatrain, melody, score), syllables, beat, meter)
            song = make_song(Text(quatrain), score, SONG_DEFAULTS, 0)
            _measure(results[SETTERS[2]], _sung_lines(song), syllables, beat, meter)
            jobs.append((path, quatrain))
    if before is not None:
        import json
        import os
        import subprocess

        env = {**os.environ, "PYTHONPATH": str(before)}
        done = subprocess.run([sys.executable, "-c", BEFORE_SCRIPT], input=json.dumps(jobs), capture_output=True,
                              text=True, cwd=before, env=env, check=True)
        for (path, quatrain), sung in zip(jobs, json.loads(done.stdout)):
            score = load(path)
            syllables = [s for line in quatrain for s in syllabify(line)]
            _measure(results[SETTERS[1]], sung, syllables, score.seconds_per_beat, score.time_signature)
    else:
        del results[SETTERS[1]]
    print(f"\n4. Setting {len(lines)} sonnet lines (7 quatrains) to {used} {label}")
    print(f"   {'setter':30s} {'syll/s mean':>11s} {'p90':>5s} {'< 0.2 s':>8s} {'stressed on strong':>19s} "
          f"{'unstressed off':>15s} {'line ends in a rest':>20s}")
    for name, r in results.items():
        rates = sorted(r["rates"])
        print(f"   {name:30s} {statistics.mean(rates):>11.2f} {rates[int(0.9 * len(rates))]:>5.2f} "
              f"{statistics.mean(r['short']):>8.1%} {statistics.mean(r['strong']):>19.1%} "
              f"{statistics.mean(r['light']):>15.1%} {statistics.mean(r['rests']):>20.1%}")


def _sung_lines(song: Score) -> list[list[tuple[float, float, float]]]:
    """Per line: (onset, duration, rest after the line) of each syllable, from a song's voice
    track and lyrics (a line is the lyrics the composer set for one poem line)."""
    voice = {round(n.start, 6): n for n in song.tracks[0].notes}
    lines, index = [], 0
    for line in song.meta["lines"]:
        lyrics = song.lyrics[index:index + line["syllables"]]
        index += line["syllables"]
        notes = [voice[round(lyric.time, 6)] for lyric in lyrics]
        following = song.lyrics[index].time if index < len(song.lyrics) else math.inf
        rest = following - notes[-1].end
        lines.append([(n.start, n.end - n.start, rest) for n in notes])
    return lines


def _naive_setting(quatrain: list[str], melody: list[Note], score: Score) -> list[list[tuple[float, float, float]]]:
    bar = score.seconds_per_bar
    bars = max(1, round(len(melody) / max(1, len(quatrain)) / score.time_signature[0]))  # notes per line
    spans = []
    for index, line in enumerate(quatrain):
        phrase = [n for n in melody if index * bars * bar <= n.start < (index + 1) * bars * bar] or melody[:8]
        spans.append(naive_onsets(phrase, len(syllabify(line))))
    lines = []
    for index, line in enumerate(spans):
        following = spans[index + 1][0][0] if index + 1 < len(spans) else math.inf
        lines.append([(a, b - a, following - line[-1][1]) for a, b in line])
    return lines


def _measure(bucket, lines, syllables, beat, meter) -> None:
    onsets = [onset for line in lines for onset, _, _ in line]
    weights = [metric_weight(t / beat, meter) for t in onsets]
    stressed = [w >= 0.5 for w, s in zip(weights, syllables) if s.stress == 1.0]
    light = [w < 0.5 for w, s in zip(weights, syllables) if s.stress == 0.0]
    bucket["strong"].append(sum(stressed) / max(1, len(stressed)))
    bucket["light"].append(sum(light) / max(1, len(light)))
    for line in lines:
        bucket["rates"].append(sung_rate([onset for onset, _, _ in line]))
        bucket["short"].append(sum(duration < 0.2 - 1e-9 for _, duration, _ in line) / len(line))
        bucket["rests"].append(line[-1][2] >= beat * 0.5 - 1e-6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--tunes", type=int, default=400, help="key benchmark: tunes to read; setting: range sampled")
    parser.add_argument("--harmony", choices=("held-out", "development", "all"), default="held-out",
                        help="which half of Nottingham the harmony figures are measured on")
    parser.add_argument("--before", type=Path, help="a checkout of an earlier Muse whose `song` composer is "
                        "measured beside this one (e.g. git worktree add /tmp/before f0cd15e)")
    parser.add_argument("--only", choices=("key", "harmony", "setting"), help="run one part")
    args = parser.parse_args()
    if args.only in (None, "key"):
        key_benchmark(args.data, args.tunes)
    if args.only in (None, "harmony"):
        downbeat_benchmark(args.data, args.harmony)
        harmony_benchmark(args.data, args.harmony)
    if args.only in (None, "setting"):
        setting_benchmark(args.data, args.tunes, args.before)


if __name__ == "__main__":
    main()
