"""Turning the LSTM into tunes: loading a checkpoint, primers, constrained sampling, beam search.

Every tune is sampled in the normalised key (tonic C) with its LSTM state carried from step to
step, then shifted to the requested key. Constraints keep the meter exact: no note crosses a
bar line, the tune fills exactly ``bars`` bars, and with ``end_on_tonic`` the last beat is
reserved for the tonic. All tunes of a batch (and all hypotheses of a beam) run as one LSTM
batch; each tune draws its random numbers from its own generator, seeded by its seed, so tune i
of a batch is the tune ``generate(params, seeds[i])`` makes alone.
"""

from __future__ import annotations

import contextlib
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import torch

from engine import BadInput, Note, ParamError, Score, Track
from engine.io import shipped_model
from engine.checkpoints import Field, cached_model
from engine.theory import Key, find_key, parse_key, pitch_class_histogram
from engine.training import Checkpoint, build_within_limit, load_checkpoint, load_module

from .data import read_midi
from .events import (
    COLUMN,
    DEFAULT_KEY,
    N_DURATION_IDS,
    N_PITCH_IDS,
    PART_BARS,
    PITCH_REST,
    RHYTHMS,
    UNITS_PER_QUARTER,
    Meter,
    Timeline,
    normalised_pitch_id,
    off_beat_sixteenth,
    parse_meter,
    pickup_units,
    pitch_of_id,
    rhythm_range,
    tonic_pitch_ids,
)
from .form import AUTO, FREE, SAME_PART, echoed_pitches, fit_plan, replayed_event, similarity
from .habits import Habits
from .model import MelodyLSTM

PRIMER_NOTE_UNITS = UNITS_PER_QUARTER // 2  # primer pitch lists are eighth notes
#: What a melody checkpoint's config must say, bounded to what loads in reasonable memory.
CONFIG = (Field("hidden", int, 1, 4096), Field("layers", int, 1, 16),
          Field("pickups", list, 0, 64, required=False), Field("forms", list, 0, 1024, required=False),
          Field("rhythms", list, 0, 1024, required=False))


# -- the model -----------------------------------------------------------------------------------
@dataclass
class Melodist:
    """A loaded checkpoint: the LSTM and the corpus habits it was trained with."""

    model: MelodyLSTM
    habits: Habits
    checkpoint: Checkpoint


def load_model(value: str | Path, weights_dir: Path) -> Melodist:
    """The LSTM of a shipped checkpoint name or a path (cached while the file is unchanged)."""
    return _load(shipped_model(value, weights_dir, "melody"))


@cached_model
def _load(path: Path) -> Melodist:
    checkpoint = load_checkpoint(path, model="melody", schema=CONFIG, config={
        "pitch_ids": N_PITCH_IDS, "duration_ids": N_DURATION_IDS, "features": len(COLUMN)})
    config = checkpoint.config
    model = build_within_limit(lambda: MelodyLSTM(hidden=config["hidden"], layers=config["layers"]), path)
    load_module(model, checkpoint, "model")
    model.eval()
    return Melodist(model, Habits.from_config(config, path), checkpoint)


# -- primers, pickups and forms -------------------------------------------------------------------
@dataclass
class Primer:
    """Opening events to continue, in absolute pitch, with the pickup they start with."""

    pitches: list[int | None] = field(default_factory=list)
    durations: list[int] = field(default_factory=list)
    pickup: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def units(self) -> int:
        return sum(self.durations)

    def key(self) -> Key:
        """The primer's key, by the engine's one key finder (duration-weighted pitch classes)."""
        sounding = [(p, d) for p, d in zip(self.pitches, self.durations) if p is not None]
        return find_key(pitch_class_histogram([p for p, _ in sounding], [d for _, d in sounding]))

    def pitch_ids(self, key: Key) -> list[int]:
        return [normalised_pitch_id(p, key.shift) for p in self.pitches]


def parse_primer(value: str | None, pickup: str, meter: Meter) -> Primer:
    """A primer from a note list ('60 62 r 64', eighth notes; r is a rest) or a MIDI file.

    A MIDI primer keeps its own pickup (its short first bar, or its accents); ``pickup=N`` says
    where the first downbeat falls instead, and ``pickup=none`` starts the bars at its first note.
    """
    if value is None or not str(value).strip():
        return Primer()
    text = str(value).strip()
    asked = pickup_units(pickup, meter)
    if re.fullmatch(r"[\d\sr,]+", text):
        primer = Primer(pickup=asked or 0)
        for item in re.split(r"[\s,]+", text):
            if item == "r":
                primer.pitches.append(None)
            else:
                pitch = int(item)
                if not 0 <= pitch <= 127:
                    raise ParamError(f"primer: {pitch} is not a MIDI pitch (0-127)")
                primer.pitches.append(pitch)
            primer.durations.append(PRIMER_NOTE_UNITS)
        return primer
    path = Path(text).expanduser()
    if not path.is_file():
        raise BadInput(f"primer {text!r}: no such file, and not a list of MIDI pitches such as '60 62 64 65'")
    tune = read_midi(path, find_downbeat=pickup == "auto")
    found = tune.pickup if asked is None else asked
    if found >= meter.bar_units:
        raise BadInput(f"primer {path.name}: its pickup of {found} units is not shorter than a bar of {meter}")
    return Primer(list(tune.pitches), list(tune.durations), found, list(tune.notes))


def plan_for(form: str, meter: Meter, bars: int, habits: Habits, uniform: float) -> str | None:
    """The form plan of a tune: the one asked for, or (auto) one drawn with ``uniform`` as often as
    the corpus's tunes of that meter and length have it; None is free."""
    if form == FREE:
        return None
    if form == AUTO:
        return habits.form_for(meter, bars, uniform)
    return fit_plan(form, bars)


def tune_draws(seed: int) -> tuple[float, float, float]:
    """The uniforms a tune's seed gives its pickup, its form and its rhythm style under ``auto``."""
    rng = random.Random(seed)
    return rng.random(), rng.random(), rng.random()


def rhythm_for(rhythm: str, meter: Meter, bars: int, habits: Habits, uniform: float) -> int:
    """The rhythm style of a tune (an index into RHYTHMS): the one asked for, or (auto) one drawn
    with ``uniform`` as often as the corpus's tunes of that meter and length have it."""
    return habits.draw_rhythm(meter, bars, uniform) if rhythm == AUTO else RHYTHMS.index(rhythm)


# -- sampling ------------------------------------------------------------------------------------
#: Style adherence: the most nats added to (or taken from) the note lengths whose next onset would
#: land on an off-beat sixteenth while a tune's share of such onsets so far is below (above) its
#: rhythm style's range. Told "dense" (30-40%), the model drifted to the middle of the styles once it
#: had written a few eighths (24%; 2/4 tunes 11.8% against the held-out 18.1%). The nudge grows
#: with the gap, reaching ADHERENCE at ADHERENCE_SPAN outside the range, and waits for
#: ADHERENCE_AFTER events, before which a share says little.
ADHERENCE, ADHERENCE_SPAN, ADHERENCE_AFTER = 1.0, 0.05, 8


@dataclass
class Settings:
    meter: Meter
    key: Key
    bars: int
    temperature: float
    top_k: int
    top_p: float
    beam: int
    end_on_tonic: bool
    adherence: float = ADHERENCE  # 0: lengths at the model's own odds, whatever the style's range


    @property
    def final_units(self) -> int:
        """Units reserved for the closing tonic: the last beat."""
        return self.meter.beat_units if self.end_on_tonic else 0


def filtered_probabilities(logits: torch.Tensor, temperature: float, top_k: int, top_p: float) -> torch.Tensor:
    """Softmax at ``temperature`` restricted to the top-k and the top-p nucleus (rows of logits)."""
    probs = torch.softmax(logits / temperature, dim=-1)
    if top_k and top_k < probs.shape[-1]:
        kth = probs.topk(top_k, dim=-1).values[..., -1:]
        probs = probs.masked_fill(probs < kth, 0.0)
    if top_p < 1.0:
        ordered, order = probs.sort(dim=-1, descending=True)
        before = ordered.cumsum(-1) - ordered  # mass of the likelier choices
        keep = before < top_p * ordered.sum(-1, keepdim=True)
        probs = torch.zeros_like(probs).scatter(-1, order, ordered * keep)
    return probs


def draw(probs: torch.Tensor, uniforms: torch.Tensor) -> torch.Tensor:
    """Inverse-CDF sampling of one index per row from unnormalised ``probs`` with given uniforms."""
    cdf = probs.cumsum(-1)
    index = (cdf < uniforms[:, None] * cdf[:, -1:]).sum(-1)
    return index.clamp(max=probs.shape[-1] - 1)


@dataclass
class Hypothesis:
    timeline: Timeline
    row: int  # which LSTM state row holds its state
    log_prob: float = 0.0

    @property
    def score(self) -> float:
        """Mean log-probability per event: tunes of equal length in bars differ in event counts."""
        return self.log_prob / max(len(self.timeline.durations), 1)


def _limits(timeline: Timeline, settings: Settings) -> tuple[int, bool]:
    """The longest duration allowed now, and whether this is the forced closing tonic."""
    remaining = timeline.end - timeline.now
    if settings.end_on_tonic and remaining <= settings.final_units:
        return remaining, True
    return min(timeline.room_in_bar, remaining - settings.final_units), False


#: Note lengths are drawn at the model's own odds, whatever ``temperature`` the pitches take: a
#: meter's corpus mixes rhythms (2/4 holds sixteenth-note polkas and eighth-note songs), and a
#: temperature below 1 kept only the commonest (2/4 onset-position distance 0.24 at 0.85, 0.18
#: with lengths at 1; 4/4 0.10 and 0.09).
RHYTHM_TEMPERATURE = 1.0
#: Nats taken from a pitch that would echo an earlier part's onset in a new part (see
#: :func:`echoed_pitches`): enough that B departs from A as a real B does.
ECHO_PENALTY = 0.75


def style_bias(timeline: Timeline, strength: float) -> float:
    """Nats for the lengths that put the next onset on an off-beat sixteenth: positive while the
    tune's share of such onsets is below its style's range, negative above it, 0 inside (see ADHERENCE)."""
    events = len(timeline.onsets)
    if not strength or events < ADHERENCE_AFTER:
        return 0.0
    share = timeline.off_beat_onsets / events
    low, high = rhythm_range(timeline.rhythm)
    gap = low - share if share < low else high - share if share > high else 0.0
    return strength * max(-1.0, min(1.0, gap / ADHERENCE_SPAN))


def _expand(model: MelodyLSTM, h: Hypothesis, hidden: torch.Tensor, pitch_logits: torch.Tensor, settings: Settings,
            generator: torch.Generator) -> list[tuple[float, int, int]]:
    """Up to ``beam`` distinct sampled next events of one hypothesis, with their total log-probs.

    Candidates are drawn with temperature (pitches; lengths at RHYTHM_TEMPERATURE), top-k and
    top-p, but scored by the model's own (temperature 1) probabilities under the meter
    constraints, as Magenta's beam search does; a pitch that would echo an old part in a new one
    is ECHO_PENALTY less likely in both, and a length that keeps the tune in its rhythm style
    :func:`style_bias` likelier.
    """
    beam = settings.beam
    longest, closing = _limits(h.timeline, settings)
    pitch_mask = torch.zeros(N_PITCH_IDS, dtype=torch.bool)
    if closing:
        pitch_mask[tonic_pitch_ids()] = True
    else:
        pitch_mask[PITCH_REST:] = True
    logits = pitch_logits.masked_fill(~pitch_mask, float("-inf"))
    echoes = list(echoed_pitches(h.timeline))
    if echoes and not closing:
        logits[echoes] -= ECHO_PENALTY
    probs = filtered_probabilities(logits[None], settings.temperature, settings.top_k, settings.top_p)
    pitches = draw(probs.expand(beam, -1), torch.rand(beam, generator=generator))
    axis = torch.arange(N_DURATION_IDS)
    allowed = axis == longest if closing else (axis >= 1) & (axis <= longest)
    duration_logits = model.duration_logits(hidden.expand(beam, -1), pitches).masked_fill(~allowed, float("-inf"))
    bias = 0.0 if closing else style_bias(h.timeline, settings.adherence)
    if bias:
        now = h.timeline.now
        duration_logits[:, torch.tensor([off_beat_sixteenth(now + d) for d in range(N_DURATION_IDS)])] += bias
    duration_probs = filtered_probabilities(duration_logits, RHYTHM_TEMPERATURE, settings.top_k, settings.top_p)
    durations = draw(duration_probs, torch.rand(beam, generator=generator))
    log_probs = logits.log_softmax(-1)[pitches] + duration_logits.log_softmax(-1).gather(-1, durations[:, None]).squeeze(-1)
    found: dict[tuple[int, int], float] = {}
    for p, d, lp in zip(pitches.tolist(), durations.tolist(), log_probs.tolist()):
        found.setdefault((p, d), h.log_prob + lp)
    return [(lp, p, d) for (p, d), lp in found.items()]


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Sampling is thousands of tiny sequential ops: one thread. With a thread pool each op pays
    for waking it, which on a busy two-core machine made 32 bars x beam 8 take 26 s instead of 2-4 s."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@torch.no_grad()
def sample_events(model: MelodyLSTM, settings: Settings, primer: list[tuple[int, int]], seeds: list[int],
                  pickups: list[int], plans: list[str | None], rhythms: list[int] | None = None) -> list[Timeline]:
    with one_thread():
        return _sample_events(model, settings, primer, seeds, pickups, plans, rhythms or [0] * len(seeds))


#: What a beam hypothesis pays (nats) for playing its last two bars again straight away: an exact
#: two-bar loop is the likeliest thing an LSTM can write, and the thing a beam must not settle in.
#: A near loop pays in proportion to how near it is above LOOP_FREE (bars that are 80% the same
#: pay 10 nats); a loose sequence, as reels have, pays nothing.
LOOP_PENALTY, LOOP_FREE = 50.0, 0.75
#: What a bar pays for each earlier bar of its part it is LOOP_FREE alike to. Without it a beam
#: found 3-4 distinct bars in a part of 8 by coming back to a bar every other bar or two (no loop
#: to the penalty above); real parts have 6.8 (80% of their bars match no earlier bar of the part).
RECURRENCE_PENALTY = 20.0


@dataclass
class Repetition:
    """How much the bar just finished repeats what it should not (see :func:`loop_similarity`)."""

    loop: float = 0.0
    copy: float = 0.0
    recurrences: int = 0


def loop_similarity(timeline: Timeline) -> Repetition:
    """How much the bar just finished repeats what it should not: (loop, 0-1) the last two bars
    against the two before, or the last bar against each of the two before; (copy, 0-1) in a part
    the plan says is new (the first B), the last bar against the same bar of each earlier part of
    another letter; (recurrences) how many earlier bars of its part it is LOOP_FREE alike to.
    Nothing except on a bar line; a repeat the form plan asks for (the second A) never counts."""
    bar = timeline.meter.bar_units
    found = Repetition()
    if timeline.now % bar or timeline.now <= 0:
        return found
    last = timeline.now // bar - 1

    def onsets(index: int) -> set[tuple[int, int]]:
        return {(position, pitch) for position, pitch, _ in timeline.bar_events(index)}

    if last >= 3:
        bars = [onsets(last - k) for k in range(4)]
        pairs = similarity(bars[1::-1], bars[3:1:-1])
        triple = min(similarity(bars[:1], bars[1:2]), similarity(bars[1:2], bars[2:3]))
        found.loop = max(pairs, triple)
    part = last // PART_BARS
    plan = timeline.plan
    if plan and part < len(plan) and plan[part] not in plan[:part]:  # a new part must not copy an old one
        for earlier in range(part):
            if plan[earlier] != plan[part]:
                found.copy = max(found.copy, similarity([onsets(last)], [onsets(last - (part - earlier) * PART_BARS)]))
    mine = [onsets(last)]
    found.recurrences = sum(similarity(mine, [onsets(index)]) >= LOOP_FREE for index in range(part * PART_BARS, last))
    return found


def loop_penalty(timeline: Timeline) -> float:
    """LOOP_PENALTY scaled by how far a loop is above LOOP_FREE alike, or a new part's bar above
    SAME_PART alike to an old part's (the form measure's "the same"); RECURRENCE_PENALTY for each
    earlier bar of the part it comes back to."""
    found = loop_similarity(timeline)
    scaled = max(max(0.0, found.loop - LOOP_FREE) / (1 - LOOP_FREE), max(0.0, found.copy - SAME_PART) / (1 - SAME_PART))
    return LOOP_PENALTY * scaled + RECURRENCE_PENALTY * found.recurrences


def _event_log_prob(model: MelodyLSTM, hidden: torch.Tensor, pitch_logits: torch.Tensor, pitch: int, duration: int) -> float:
    """The model's log-probability of one given event (a replayed one, which it did not choose)."""
    duration_lp = model.duration_logits(hidden[None], torch.tensor([pitch])).log_softmax(-1)[0, duration]
    return float(pitch_logits.log_softmax(-1)[pitch] + duration_lp)


def _sample_events(model: MelodyLSTM, settings: Settings, primer: list[tuple[int, int]], seeds: list[int],
                   pickups: list[int], plans: list[str | None], rhythms: list[int]) -> list[Timeline]:
    """One finished timeline per seed (pitch ids in the normalised key, durations in units).

    ``primer`` holds (pitch id, duration) events every tune starts with, from its first note
    (``pickups[i]`` units before tune i's first downbeat); ``plans[i]`` is tune i's form and
    ``rhythms[i]`` its rhythm style. A repeated
    part is played back (:func:`replayed_event`), the LSTM reading it as it goes. With ``beam`` 1
    the rest is plain ancestral sampling; wider, each live hypothesis proposes ``beam`` sampled
    continuations and the best ``beam`` by mean log-probability survive, a hypothesis that loops
    paying :func:`loop_penalty`.
    """
    beam = settings.beam
    generators = [torch.Generator().manual_seed(int(seed)) for seed in seeds]
    starts = []
    for pickup, plan, rhythm in zip(pickups, plans, rhythms):
        start = Timeline(settings.meter, settings.key.mode, settings.bars, pickup, plan, rhythm)
        rows = []
        for pitch_id, duration in primer:
            rows.append(start.features())
            start.add(pitch_id, duration)
        starts.append((start, rows))
    total_rows = len(seeds) * beam
    state = tuple(torch.zeros(model.lstm.num_layers, total_rows, model.lstm.hidden_size) for _ in range(2))
    if primer:
        _, _, primed = model(torch.tensor([rows for _, rows in starts]))
        state = tuple(s.repeat_interleave(beam, dim=1).contiguous() for s in primed)
    width = len(starts[0][0].features())
    beams = [[Hypothesis(start.copy(), s * beam)] for s, (start, _) in enumerate(starts)]
    while any(h.timeline.now < h.timeline.end for hyps in beams for h in hyps):
        features = torch.zeros(total_rows, 1, width, dtype=torch.long)
        for hyps in beams:
            for h in hyps:
                features[h.row, 0] = torch.tensor(h.timeline.features())
        hidden, pitch_logits, new_state = model(features, state)
        order = torch.arange(total_rows)
        next_beams = []
        for s, hyps in enumerate(beams):
            candidates: list[tuple[float, Hypothesis, int, int, float]] = []
            for h in hyps:
                if h.timeline.now >= h.timeline.end:
                    candidates.append((h.score, h, -1, -1, h.log_prob))
                    continue
                replayed = replayed_event(h.timeline)
                if replayed is not None:
                    p, d = replayed
                    lp = h.log_prob + _event_log_prob(model, hidden[h.row, 0], pitch_logits[h.row, 0], p, d)
                    candidates.append((lp / (len(h.timeline.durations) + 1), h, p, d, lp))
                    continue
                for lp, p, d in _expand(model, h, hidden[h.row, 0], pitch_logits[h.row, 0], settings, generators[s]):
                    if beam > 1 and (h.timeline.now + d) % settings.meter.bar_units == 0:
                        trial = h.timeline.copy()
                        trial.add(p, d)
                        lp -= loop_penalty(trial)
                    candidates.append((lp / (len(h.timeline.durations) + 1), h, p, d, lp))
            candidates.sort(key=lambda c: -c[0])
            survivors = []
            for rank, (_, h, p, d, lp) in enumerate(candidates[:beam]):
                timeline = h.timeline if beam == 1 else h.timeline.copy()
                if p >= 0:
                    timeline.add(p, d)
                row = s * beam + rank
                order[row] = h.row
                survivors.append(Hypothesis(timeline, row, lp))
            next_beams.append(survivors)
        state = tuple(x[:, order] for x in new_state)
        beams = next_beams
    return [max(hyps, key=lambda h: h.score).timeline for hyps in beams]


# -- scores --------------------------------------------------------------------------------------
def to_score(timeline: Timeline, settings: Settings, tempo: float, instrument: int) -> Score:
    """A Score in the requested key, its pickup set, with accented downbeats as a player gives them."""
    seconds_per_unit = 60.0 / tempo / UNITS_PER_QUARTER
    meter = settings.meter
    notes = []
    for onset, pitch_id, duration in zip(timeline.onsets, timeline.pitch_ids, timeline.durations):
        pitch = pitch_of_id(pitch_id, settings.key.shift)
        if pitch is None:
            continue
        in_bar = onset % meter.bar_units
        velocity = 100 if in_bar == 0 else 90 if in_bar % meter.beat_units == 0 else 78
        start = (onset + timeline.pickup) * seconds_per_unit
        notes.append(Note(int(pitch), start, start + duration * seconds_per_unit, velocity))
    track = Track(notes=notes, program=instrument, name="melody")
    units_per_beat = 4 * UNITS_PER_QUARTER / meter.denominator
    return Score(tracks=[track], tempo=tempo, time_signature=(meter.numerator, meter.denominator), key=settings.key.name,
                 pickup=timeline.pickup / units_per_beat)


def generate_scores(params: dict[str, Any], seeds: list[int], weights_dir: Path) -> list[Score]:
    """The generator's work: check the request, sample every seed in one batch, build Scores.

    The key is the one asked for; without one, the primer's key (found, not assumed), and D
    major when there is no primer either.
    """
    meter = parse_meter(params["time_signature"])
    primer = parse_primer(params["primer"], params["pickup"], meter)
    key = parse_key(params["key"]) if params["key"] else primer.key() if primer.pitches else parse_key(DEFAULT_KEY)
    melodist = load_model(params["model"], weights_dir)
    settings = Settings(meter, key, params["bars"], params["temperature"], params["top_k"], params["top_p"], params["beam"],
                        params["end_on_tonic"])
    plans = [plan_for(params["form"], meter, params["bars"], melodist.habits, tune_draws(seed)[1]) for seed in seeds]
    rhythms = [rhythm_for(params["rhythm"], meter, params["bars"], melodist.habits, tune_draws(seed)[2]) for seed in seeds]
    total = settings.bars * meter.bar_units
    if primer.units - primer.pickup >= total:
        raise BadInput(f"primer lasts {(primer.units - primer.pickup) / meter.bar_units:.1f} bars of {meter} after its pickup, "
                       f"not less than bars={settings.bars}; ask for more bars or give a shorter primer")
    for note in primer.notes:
        print(f"muse: note: primer {note}", file=sys.stderr)
    if primer.pitches:
        pickups = [primer.pickup] * len(seeds)
    else:
        asked = pickup_units(params["pickup"], meter)
        pickups = [melodist.habits.draw_pickup(meter, tune_draws(seed)[0]) if asked is None else asked for seed in seeds]
    events = list(zip(primer.pitch_ids(key), primer.durations))
    timelines = sample_events(melodist.model, settings, events, seeds, pickups, plans, rhythms)
    scores = []
    for timeline in timelines:
        score = to_score(timeline, settings, params["tempo"], params["instrument"])
        score.meta = {"checkpoint": melodist.checkpoint.sha256, "form": timeline.plan or FREE, "rhythm": RHYTHMS[timeline.rhythm],
                      **({"notes": primer.notes} if primer.notes else {})}
        scores.append(score)
    return scores
