"""Registers the `poem` generator. Torch and the model code are imported only when used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine import Generator, Param, ParamError, Text, TrainJob, hookimpl
from engine.training_params import common_train_params

WEIGHTS = Path(__file__).parent / "weights"
#: Kept here (not imported from forms.py) so `muse list` does not import the model code.
FORM_NAMES = ("free", "couplet", "quatrain", "sonnet", "limerick", "jueju5", "jueju7")
METRE_NAMES = ("auto", "iambic-tetrameter", "iambic-pentameter", "iambic-trimeter", "trochaic-tetrameter",
               "anapaestic-tetrameter", "anapaestic-trimeter")


#: The longest prime: longer than any first line a form holds, short enough to check at once.
MAX_PRIME = 100


def check_prime_length(prime: str) -> None:
    """A prime is the start of line 1: a paragraph is refused when parameters are resolved."""
    if len(prime) > MAX_PRIME:
        raise ParamError(f"prime has {len(prime)} characters; it starts line 1, so at most {MAX_PRIME}")


class PoemGenerator(Generator):
    name = "poem"
    description = "Poems from a character-level LSTM, in free verse or fixed forms (sonnet, limerick, jueju...)"
    output = Text
    demo_params = [{"form": "quatrain"}, {"form": "jueju7"}, {"form": "sonnet"}]
    params = (
        Param("form", str, "free", "Poem form: free, couplet, quatrain, sonnet, limerick (English); jueju5, jueju7 (Chinese).",
              choices=FORM_NAMES),
        Param("model", str, "auto", "Shipped model (en, zh), a .safetensors path, or auto: zh for jueju, else en."),
        Param("prime", str, "", f"First words of line 1 (every character must be one the model has seen; at most {MAX_PRIME} characters).",
              check=check_prime_length),
        Param("title", str, "", "Title; empty: a whole phrase chosen from the poem (English) or 無題 (Chinese)."),
        Param("metre", str, "auto", "English metre: auto (the form's own: sonnet iambic pentameter, limerick anapaestic, "
              "couplet/quatrain iambic tetrameter); couplet and quatrain may choose another.", choices=METRE_NAMES),
        Param("rhyme", str, "perfect", "English rhymes: perfect (same stressed vowel and all after it) or slant "
              "(also assonance or consonance).", choices=("perfect", "slant")),
        Param("lines", int, None, "Number of lines for form=free (default 8).", min=1, max=200),
        Param("temperature", float, 0.8, "Sampling temperature: lower is safer, higher is wilder.", min=0.05, max=3.0),
        Param("top_k", int, 0, "Sample only among the k likeliest characters/words (0: all).", min=0),
        Param("top_p", float, 0.95, "Sample from the smallest set holding this probability mass (1: all).", min=0.01, max=1.0),
    )
    train_params = (
        *common_train_params(steps=3000, batch_size=32, lr=2e-3, checkpoint_every=250, sample_every=250),
        Param("hidden", int, 384, "Recurrent units per layer.", min=8, max=4096),
        Param("layers", int, 2, "Recurrent layers.", min=1, max=8),
        Param("embed", int, 64, "Character embedding size.", min=4, max=2048),
        Param("cell", str, "lstm", "Recurrent cell.", choices=("lstm", "gru")),
        Param("dropout", float, 0.15, "Dropout between layers and before the softmax.", min=0.0, max=0.9),
        Param("seq_len", int, 128, "Characters per training window (backpropagation length).", min=2, max=4096),
        Param("min_count", int, 1, "Characters seen fewer times become 'unknown' (keeps big vocabularies small).", min=1),
        Param("holdout", float, 0.1, "Fraction at the end of every file kept for validation.", min=0.0, max=0.5),
        Param("pattern", str, "*.txt", "Which files of a --data folder to read."),
        Param("language", str, "", "Language code to record (en, zh); empty: detect from the text."),
    )

    eval_params = (
        Param("model", str, "en", "Shipped model (en, zh) or a .safetensors path."),
        Param("samples", int, 200, "Poems per form for the adherence and variety scores (0: skip).", min=0),
        Param("forms", str, "all", "Comma-separated forms to score, or all (those of the model's language)."),
        Param("holdout", float, 0.1, "Fraction at the end of every --data file scored for validation loss.", min=0.01, max=0.5),
        Param("pattern", str, "*.txt", "Which files of a --data folder to read."),
        Param("temperature", float, 0.8, "Sampling temperature for the poems.", min=0.05, max=3.0),
        Param("top_p", float, 0.95, "Nucleus mass for the poems.", min=0.01, max=1.0),
    )

    def generate(self, params: dict[str, Any], seed: int) -> Text:
        from .generate import generate_poem

        return generate_poem(params, seed)

    def evaluate(self, data: Path | None, params: dict[str, Any]) -> dict[str, Any]:
        from .evaluate import evaluate

        return evaluate(data, params)

    def train(self, job: TrainJob) -> dict[str, Any]:
        from .train import train

        return train(job)


@hookimpl
def register_generators(register):
    register(PoemGenerator())
