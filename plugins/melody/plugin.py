"""The `melody` generator: folk-style melodies from an LSTM trained here, as a Score.

No torch or numpy at import time: `muse list` reads the declarations below and nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine import Generator, Param, ParamError, Score, hookimpl
from engine.training_params import common_train_params
from engine.theory import parse_key

from .events import check_pickup, check_rhythm, parse_meter, rhythm_ranges
from .form import check_form

WEIGHTS = Path(__file__).parent / "weights"

#: The most bars x beam one melody may ask for: search cost grows with both. On two busy cores
#: (load 7) 64 bars x beam 8 takes 6 s and 256 x 2 takes 11 s; 256 x 16 ran for minutes.
MAX_BAR_BEAMS = 512


def check_budget(bars: int, beam: int) -> None:
    """Refuse, before any model loads, a request that would search for minutes with no output."""
    if bars * beam > MAX_BAR_BEAMS:
        raise ParamError(f"bars={bars} with beam={beam} asks for {bars * beam} bar-beams, over the {MAX_BAR_BEAMS} "
                         f"one melody may take (minutes of search); lower beam to {max(1, MAX_BAR_BEAMS // bars)} "
                         f"or bars to {MAX_BAR_BEAMS // beam}")


MODEL = Param("model", str, "default", "a shipped checkpoint name (default) or a path to a .safetensors file")


class MelodyGenerator(Generator):
    name = "melody"
    description = "monophonic folk-style melodies from an LSTM over note events (meter, key and bars on request)"
    output = Score
    params = (
        Param("bars", int, 16, "length in bars", min=1, max=256),
        Param("time_signature", str, "4/4", "meter: 4/4, 3/4, 6/8 (also 2/4, 2/2, 9/8, 12/8)", check=parse_meter),
        Param("key", str, None, "tonic and mode, e.g. 'D minor', 'Bb major', 'F#m' (default: the primer's key, "
              "found from its notes; D major without a primer)", check=parse_key),
        Param("form", str, "auto", "the parts' plan, one letter per 8 bars: AABB, ABAB, AABA ... (a repeated part is "
              "played back, with its own last bar; auto: drawn as often as the corpus's tunes of the meter and length "
              "have each form; free: no plan)", check=check_form),
        Param("pickup", str, "auto", "beats before the first bar line: auto (drawn as often and as long as the corpus's "
              "tunes of the meter have them; a MIDI primer keeps its own), none, or a number such as 1 or 0.5", check=check_pickup),
        Param("rhythm", str, "auto", f"rhythm style, by the share of notes on off-beat sixteenths: {rhythm_ranges()}; "
              "auto: drawn as often as the corpus's tunes of the meter and length have each", check=check_rhythm),
        Param("tempo", float, 120.0, "quarter notes per minute", min=20.0, max=400.0),
        Param("temperature", float, 0.85, "sampling temperature of pitches (lower: safer, higher: wilder; 0.85 matches the corpus statistics best); "
              "note lengths are drawn at the model's own odds", min=0.05, max=3.0),
        Param("top_k", int, 0, "sample only among the k likeliest choices (0: all)", min=0, max=128),
        Param("top_p", float, 1.0, "sample only within this much probability mass (nucleus)", min=0.01, max=1.0),
        Param("beam", int, 1, "stochastic beam search width (1: plain sampling; bars x beam at most 512)", min=1, max=16),
        Param("primer", str, None, "a MIDI file or space-separated MIDI pitches ('60 62 64 65', eighth notes) to continue"),
        Param("instrument", int, 40, "General MIDI program (40 violin, 73 flute, 0 piano)", min=0, max=127),
        Param("end_on_tonic", bool, True, "close on the tonic, held for the last beat (a cadence)"),
        MODEL,
    )
    train_params = (
        *common_train_params(epochs=40, batch_size=32, lr=3e-3, checkpoint_every=200, sample_every=100),
        Param("window", int, 256, "events per training window (longer tunes are cropped at random)", min=8),
        Param("hidden", int, 256, "LSTM width", min=8),
        Param("layers", int, 2, "LSTM layers", min=1, max=4),
        Param("dropout", float, 0.3, "dropout on LSTM inputs and outputs", min=0.0, max=0.9),
    )
    eval_params = (
        MODEL,
        Param("samples", int, 200, "tunes to generate for the music metrics", min=1, max=5000),
        Param("temperature", float, 0.85, "pitch sampling temperature of the generated tunes", min=0.05, max=3.0),
        Param("seed", int, 0, "seed of the generated tunes"),
        Param("form_samples", int, 200, "four-part tunes (25-32 bars, modelled on the held-out ones) to generate for "
              "the form measures (0: skip)", min=0, max=5000),
        Param("meter_samples", int, 100, "tunes to generate per meter, modelled on that meter's held-out tunes, for its "
              "onset-position distance and pickup rate", min=1, max=5000),
        Param("beam_samples", int, 10, "four-part tunes to generate with beam=4 and check for loops (0: skip)", min=0, max=200),
    )
    #: A jig that leads in with an eighth-note pickup, then a waltz in its own rhythm (both AABB).
    #: The form is asked for: ``auto`` draws one per seed, and may draw AAAA or ABCD as the corpus has them;
    #: so is the waltz's plain rhythm (quarters and halves), where ``auto`` may draw a 3/4 air in eighths.
    demo_params = [{"bars": 32, "time_signature": "6/8", "key": "E minor", "tempo": 110.0, "pickup": "1", "form": "AABB"},
                   {"bars": 32, "time_signature": "3/4", "key": "G major", "tempo": 150.0, "pickup": "1", "form": "AABB",
                    "rhythm": "plain"}]

    def generate(self, params: dict[str, Any], seed: int) -> Score:
        return self.generate_many(params, [seed])[0]

    def generate_many(self, params: dict[str, Any], seeds: list[int]) -> list[Score]:
        check_budget(params["bars"], params["beam"])  # before torch and the model load
        from .generate import generate_scores

        return generate_scores(params, seeds, WEIGHTS)

    def train(self, job) -> dict[str, Any]:
        from .train import train_melody

        return train_melody(job)

    def evaluate(self, data: Path | None, params: dict[str, Any]) -> dict[str, Any]:
        from .evaluate import evaluate_melody

        return evaluate_melody(data, params, WEIGHTS)


@hookimpl
def register_generators(register):
    register(MelodyGenerator())
