"""What a training corpus does by habit, per meter: how often (and how long) its pickups are, and
how often its tunes of each length are in each rhythm style and have each form.
Generation draws ``pickup=auto``, ``rhythm=auto`` and ``form=auto`` from these, so generated tunes
start, move and repeat as often as the corpus's do (a corpus of jigs that are 80% AABB gives 80%
AABB, not 100%).

The habits travel in the checkpoint's config as short strings (``"6/8 0:120 6:301"``, rhythms
``"2/4 4 0:40 1:33 2:20 3:64"``, ``"4/4 4 AABB:310 ABCD:52"``) and are read back, checked, at the
door (:meth:`Habits.from_config`).
A checkpoint from before form counts were kept says ``"4/4 4 AABB"``: its commonest form, alone.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import BadInput, ParamError

from .events import RHYTHMS, SUPPORTED_METERS, Meter, Tune, tune_rhythm
from .form import check_form, parts_needed, tune_form


#: The longest form a checkpoint may record (a corpus's longest tunes run to a hundred parts or so).
MAX_RECORDED_PARTS = 1024


@dataclass(frozen=True)
class Habits:
    """Pickup lengths (units) counted per meter; forms and rhythm styles per (meter, parts)."""

    pickups: dict[str, dict[int, int]] = field(default_factory=dict)
    forms: dict[tuple[str, int], dict[str, int]] = field(default_factory=dict)
    rhythms: dict[tuple[str, int], dict[int, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, tunes: list[Tune]) -> Habits:
        pickups: dict[str, Counter] = defaultdict(Counter)
        forms: dict[tuple[str, int], Counter] = defaultdict(Counter)
        rhythms: dict[tuple[str, int], Counter] = defaultdict(Counter)
        for tune in tunes:
            pickups[str(tune.meter)][tune.pickup] += 1
            forms[(str(tune.meter), parts_needed(tune.bars))][tune_form(tune)] += 1
            rhythms[(str(tune.meter), parts_needed(tune.bars))][tune_rhythm(tune)] += 1
        return cls({meter: dict(sorted(c.items())) for meter, c in pickups.items()},
                   {where: _commonest_first(counts) for where, counts in forms.items()},
                   {where: dict(sorted(c.items())) for where, c in rhythms.items()})

    def form_for(self, meter: Meter, bars: int, uniform: float) -> str | None:
        """A form drawn, with ``uniform`` in [0, 1), as often as the corpus's tunes of this meter and
        part count have it (failing those, tunes of any meter with that part count); None (a free
        form) when the corpus had no tune of that many parts."""
        parts = parts_needed(bars)
        counts = self.forms.get((str(meter), parts))
        if counts is None:
            counts = _commonest_first(_pooled(self.forms, lambda where: where[1] == parts))
        return _drawn(counts, uniform) if counts else None

    def draw_pickup(self, meter: Meter, uniform: float) -> int:
        """A pickup length (units) drawn from the corpus's, for this meter, with ``uniform`` in [0, 1)."""
        return _drawn(self.pickups.get(str(meter), {}), uniform) or 0

    def draw_rhythm(self, meter: Meter, bars: int, uniform: float) -> int:
        """A rhythm style (an index into RHYTHMS) drawn, with ``uniform`` in [0, 1), as often as the
        corpus's tunes of this meter and part count have it (failing those, its tunes of the meter
        of any length; plain for a meter the corpus never had). Length matters: of the 2/4 tunes of
        four parts or more 43% are busy or denser, of shorter ones (often songs) 16%."""
        counts = self.rhythms.get((str(meter), parts_needed(bars)))
        if counts is None:
            counts = dict(sorted(_pooled(self.rhythms, lambda where: where[0] == str(meter)).items()))
        return _drawn(counts, uniform) or 0

    def pickup_rate(self, meter: Meter) -> float:
        counts = self.pickups.get(str(meter), {})
        return sum(c for units, c in counts.items() if units) / max(sum(counts.values()), 1)

    # -- the checkpoint's config ---------------------------------------------------------------
    def to_config(self) -> dict[str, list[str]]:
        return {"pickups": [f"{meter} " + " ".join(f"{units}:{count}" for units, count in counts.items())
                            for meter, counts in sorted(self.pickups.items())],
                "forms": [f"{meter} {parts} " + " ".join(f"{form}:{count}" for form, count in counts.items())
                          for (meter, parts), counts in sorted(self.forms.items())],
                "rhythms": [f"{meter} {parts} " + " ".join(f"{style}:{count}" for style, count in counts.items())
                            for (meter, parts), counts in sorted(self.rhythms.items())]}

    @classmethod
    def from_config(cls, config: dict[str, Any], path: Path) -> Habits:
        """The habits a checkpoint records (none for one made before they were recorded)."""
        pickups: dict[str, dict[int, int]] = {}
        forms: dict[tuple[str, int], dict[str, int]] = {}
        rhythms: dict[tuple[str, int], dict[int, int]] = {}
        try:
            for line in config.get("pickups", []):
                meter, *pairs = line.split()
                bar = _meter(meter).bar_units
                counts = {int(u): int(c) for u, c in (pair.split(":") for pair in pairs)}
                if any(not 0 <= u < bar or c < 0 for u, c in counts.items()):
                    raise ValueError(line)
                pickups[meter] = counts
            for line in config.get("forms", []):
                meter, parts, *entries = line.split()
                _meter(meter)
                counts = {}
                for entry in entries:
                    form, _, count = entry.partition(":")
                    if check_form(form, max_parts=MAX_RECORDED_PARTS) != form or len(form) != int(parts):
                        raise ValueError(line)
                    counts[form] = int(count or 1)  # an older checkpoint names its commonest form alone
                if not counts or min(counts.values()) < 1:
                    raise ValueError(line)
                forms[(meter, int(parts))] = counts
            for line in config.get("rhythms", []):
                meter, parts, *pairs = line.split()
                _meter(meter)
                styles = {int(s): int(c) for s, c in (pair.split(":") for pair in pairs)}
                if any(not 0 <= s < len(RHYTHMS) or c < 0 for s, c in styles.items()) or not 0 < int(parts) <= MAX_RECORDED_PARTS:
                    raise ValueError(line)
                rhythms[(meter, int(parts))] = styles
        except (ValueError, TypeError, ParamError) as error:
            raise BadInput(f"{path}: checkpoint config has a malformed corpus habit ({error})") from None
        return cls(pickups, forms, rhythms)


def _pooled(table: dict[tuple[str, int], dict[Any, int]], keep: Callable[[tuple[str, int]], bool]) -> Counter:
    """The counts of every (meter, parts) entry ``keep`` accepts, added up: the fallback when the
    corpus had no tune of exactly that meter and length."""
    pooled: Counter = Counter()
    for where, counts in sorted(table.items()):
        if keep(where):
            pooled.update(counts)
    return pooled


def _commonest_first(counts: Counter) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _drawn(counts: dict, uniform: float):
    """The key whose share of ``counts`` (in order) holds ``uniform`` in [0, 1); None when empty."""
    target, total = uniform * sum(counts.values()), 0
    for key, count in counts.items():
        total += count
        if target < total:
            return key
    return next(reversed(counts), None)  # uniform at 1.0 or rounding: the last


def _meter(text: str) -> Meter:
    if text not in SUPPORTED_METERS:
        raise ValueError(f"meter {text}")
    numerator, denominator = (int(x) for x in re.split("/", text))
    return Meter(numerator, denominator)
