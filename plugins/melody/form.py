"""Tune form: 8-bar parts, when two parts are the same, form letters (AABB) and form plans.

A folk tune is built of 8-bar parts, each usually played twice (AABB); a second A may differ in
its last bar (a first and second ending) and still be the same part. Here two parts are *the
same* when at least half of their (position in bar, pitch) onsets match bar for bar: the share
of matches over the larger part's onsets is their similarity. Letters are given greedily: a part
takes the letter of the first earlier part it is the same as, or the next new letter.

The same definitions label the training tunes (so the model learns what "the second A" means)
and measure generated tunes in ``muse eval melody``; bars are counted from the first downbeat,
so a pickup belongs to no part.
"""

from __future__ import annotations

import bisect
import re
import string

from engine import ParamError

from .events import PART_BARS, PITCH_REST, Meter, Timeline, Tune, onsets_of

SAME_PART = 0.5
#: Plans the ``form`` parameter names in its help; any letter string of new letters in order works.
NAMED_FORMS = ("AABB", "ABAB", "AABA")
FREE, AUTO = "free", "auto"
MAX_PARTS = 32  # 256 bars, the longest tune the generator makes

Onsets = list[set[tuple[int, int]]]  # per bar: {(position in bar, pitch)}


def bar_onsets(onsets: list[int], pitches: list[int | None], meter: Meter, bars: int) -> Onsets:
    """The sounding onsets of each of ``bars`` bars from the first downbeat (onset 0); a pickup
    is left out, as is anything past the last bar."""
    bar = meter.bar_units
    found: Onsets = [set() for _ in range(bars)]
    for onset, pitch in zip(onsets, pitches):
        if pitch is not None and 0 <= onset < bars * bar:
            found[onset // bar].add((onset % bar, pitch))
    return found


def parts_of(bars: Onsets) -> list[Onsets]:
    """The 8-bar parts of a tune (the last may be shorter)."""
    return [bars[i:i + PART_BARS] for i in range(0, len(bars), PART_BARS)]


def similarity(first: Onsets, second: Onsets) -> float:
    """Matching onsets, bar for bar, over the larger part's onset count (0 when both are empty)."""
    matches = sum(len(a & b) for a, b in zip(first, second))
    larger = max(sum(map(len, first)), sum(map(len, second)))
    return matches / larger if larger else 0.0


def letters(parts: list[Onsets]) -> str:
    """Form letters, greedily: each part is the first earlier part it is the same as, or new."""
    labels: list[str] = []
    for index, part in enumerate(parts):
        for earlier in range(index):
            if similarity(parts[earlier], part) >= SAME_PART:
                labels.append(labels[earlier])
                break
        else:
            labels.append(string.ascii_uppercase[min(len(set(labels)), 25)])
    return "".join(labels)


def tune_form(tune: Tune) -> str:
    """The form letters of a real tune (absolute pitches: a transposed repeat is a new part)."""
    return letters(parts_of(bar_onsets(onsets_of(tune), tune.pitches, tune.meter, tune.bars)))


def parts_needed(bars: int) -> int:
    return -(-bars // PART_BARS)


# -- plans ---------------------------------------------------------------------------------------
def check_form(value: str, max_parts: int = MAX_PARTS) -> str:
    """A form parameter: ``auto``, ``free`` or part letters such as AABB (new letters in order)."""
    text = str(value).strip()
    if text.lower() in (AUTO, FREE):
        return text.lower()
    plan = text.upper()
    if not re.fullmatch(r"[A-Z]+", plan) or len(plan) > max_parts:
        raise ParamError(f"form={value!r} is not a form; use auto, free or part letters such as {', '.join(NAMED_FORMS)}")
    expected = 0
    for letter in plan:
        index = ord(letter) - ord("A")
        if index > expected:
            raise ParamError(f"form={value!r}: part {letter} comes before part {chr(ord('A') + expected)}; "
                             f"letters are introduced in order (AABB, ABAB, AABA ...)")
        expected = max(expected, index + 1)
    return plan


def fit_plan(plan: str, bars: int) -> str:
    """The plan checked against the tune's length: one letter per 8-bar part (the last may be short)."""
    parts = parts_needed(bars)
    if len(plan) != parts:
        low, high = (len(plan) - 1) * PART_BARS + 1, len(plan) * PART_BARS
        raise ParamError(f"form={plan} has {len(plan)} parts of {PART_BARS} bars: bars={bars} needs {parts} "
                         f"(ask for bars={low}..{high}, or form=free)")
    return plan


# -- repeats -------------------------------------------------------------------------------------
#: Bars at the end of a repeated part that the model writes itself rather than plays back: a
#: second ending, as an ABC tune writes ``|1 ... :|2 ...|``, leading on to the next part or home.
ENDING_BARS = 1


def replayed_event(timeline: Timeline) -> tuple[int, int] | None:
    """The event a repeated part plays now, (pitch id, duration), or None where the model writes.

    A part whose letter came before (the second A of AABB or AABA, B's repeat) is played back bar
    for bar from that letter's first statement, as a player reads a repeat sign, all but its last
    :data:`ENDING_BARS` (and the tune's closing, which is in them). An event that was held over
    into the source bar from before (a primer's tie) is replayed from where the bar cuts it.
    """
    plan, now, bar = timeline.plan, timeline.now, timeline.meter.bar_units
    if plan is None or now < 0:
        return None
    part = now // bar // PART_BARS
    if part >= len(plan) or plan.index(plan[part]) == part:
        return None
    part_end = min(timeline.total_bars, (part + 1) * PART_BARS) * bar
    if now >= part_end - ENDING_BARS * bar:
        return None
    source = now - (part - plan.index(plan[part])) * PART_BARS * bar
    index = bisect.bisect_right(timeline.onsets, source) - 1
    if index < 0:
        return None
    left = timeline.onsets[index] + timeline.durations[index] - source
    return timeline.pitch_ids[index], min(left, timeline.room_in_bar)


def echoed_pitches(timeline: Timeline) -> set[int]:
    """Pitch ids that would echo an earlier part, were the next event to take one: those that
    began exactly here (same bar of the part, same place in the bar) in an earlier part of
    another letter, while this part is its letter's first statement.

    An LSTM that has just played A twice finds A likeliest again, and writes a B that the form
    measure calls A (AABB came out AAAA in 4 tunes of 10). A real B departs from A: it shares about
    a quarter of its onsets with it, not half.
    """
    plan, now, bar = timeline.plan, timeline.now, timeline.meter.bar_units
    if plan is None or now < 0:
        return set()
    part = now // bar // PART_BARS
    if part >= len(plan) or plan.index(plan[part]) != part:
        return set()
    found = set()
    for earlier in range(part):
        if plan[earlier] == plan[part]:
            continue
        source = now - (part - earlier) * PART_BARS * bar
        index = bisect.bisect_left(timeline.onsets, source)
        if index < len(timeline.onsets) and timeline.onsets[index] == source and timeline.pitch_ids[index] > PITCH_REST:
            found.add(timeline.pitch_ids[index])
    return found
