"""What a training corpus does by habit, per meter: how often (and how long) its pickups are, and
which form its tunes of each length have most often. Generation draws ``pickup=auto`` and picks
``form=auto`` from these, so a generated tune starts and repeats like the corpus's tunes.

The habits travel in the checkpoint's config as short strings (``"6/8 0:120 6:301"``,
``"4/4 4 AABB"``) and are read back, checked, at the door (:meth:`Habits.from_config`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import BadInput, ParamError

from .events import SUPPORTED_METERS, Meter, Tune
from .form import check_form, parts_needed, tune_form


#: The longest form a checkpoint may record (a corpus's longest tunes run to a hundred parts or so).
MAX_RECORDED_PARTS = 1024


@dataclass(frozen=True)
class Habits:
    """Pickup lengths (units) counted per meter, and the commonest form per (meter, parts)."""

    pickups: dict[str, dict[int, int]] = field(default_factory=dict)
    forms: dict[tuple[str, int], str] = field(default_factory=dict)

    @classmethod
    def of(cls, tunes: list[Tune]) -> Habits:
        pickups: dict[str, Counter] = defaultdict(Counter)
        forms: dict[tuple[str, int], Counter] = defaultdict(Counter)
        for tune in tunes:
            pickups[str(tune.meter)][tune.pickup] += 1
            forms[(str(tune.meter), parts_needed(tune.bars))][tune_form(tune)] += 1
        commonest = {where: max(sorted(counts), key=lambda form: counts[form]) for where, counts in forms.items()}
        return cls({meter: dict(sorted(c.items())) for meter, c in pickups.items()}, commonest)

    def form_for(self, meter: Meter, bars: int) -> str | None:
        """The commonest form of the corpus's tunes of this meter and part count (then of any
        meter with that part count); None (a free form) when the corpus had no such tunes."""
        parts = parts_needed(bars)
        if (str(meter), parts) in self.forms:
            return self.forms[(str(meter), parts)]
        others = Counter(form for (_, count), form in sorted(self.forms.items()) if count == parts)
        return others.most_common(1)[0][0] if others else None

    def draw_pickup(self, meter: Meter, uniform: float) -> int:
        """A pickup length (units) drawn from the corpus's, for this meter, with ``uniform`` in [0, 1)."""
        counts = self.pickups.get(str(meter))
        if not counts:
            return 0
        target, total = uniform * sum(counts.values()), 0
        for units, count in counts.items():
            total += count
            if target < total:
                return units
        return 0

    def pickup_rate(self, meter: Meter) -> float:
        counts = self.pickups.get(str(meter), {})
        return sum(c for units, c in counts.items() if units) / max(sum(counts.values()), 1)

    # -- the checkpoint's config ---------------------------------------------------------------
    def to_config(self) -> dict[str, list[str]]:
        return {"pickups": [f"{meter} " + " ".join(f"{units}:{count}" for units, count in counts.items())
                            for meter, counts in sorted(self.pickups.items())],
                "forms": [f"{meter} {parts} {form}" for (meter, parts), form in sorted(self.forms.items())]}

    @classmethod
    def from_config(cls, config: dict[str, Any], path: Path) -> Habits:
        """The habits a checkpoint records (none for one made before they were recorded)."""
        pickups: dict[str, dict[int, int]] = {}
        forms: dict[tuple[str, int], str] = {}
        try:
            for line in config.get("pickups", []):
                meter, *pairs = line.split()
                bar = _meter(meter).bar_units
                counts = {int(u): int(c) for u, c in (pair.split(":") for pair in pairs)}
                if any(not 0 <= u < bar or c < 0 for u, c in counts.items()):
                    raise ValueError(line)
                pickups[meter] = counts
            for line in config.get("forms", []):
                meter, parts, form = line.split()
                _meter(meter)
                if check_form(form, max_parts=MAX_RECORDED_PARTS) != form or len(form) != int(parts):
                    raise ValueError(line)
                forms[(meter, int(parts))] = form
        except (ValueError, TypeError, ParamError) as error:
            raise BadInput(f"{path}: checkpoint config has a malformed corpus habit ({error})") from None
        return cls(pickups, forms)


def _meter(text: str) -> Meter:
    if text not in SUPPORTED_METERS:
        raise ValueError(f"meter {text}")
    numerator, denominator = (int(x) for x in re.split("/", text))
    return Meter(numerator, denominator)
