"""Speed of the `poem` model against a naive loop of the same model, run side by side.

Sampling (characters per second, one poem at a time, the same sampler and random stream):
  carried  ours (plugins/poem/sampling.py): the LSTM state is carried from character to
           character, so each new character costs one model step
  naive    no carried state: every new character re-runs the model over the whole text so far
Training (characters scored per second, one optimiser step per batch of random windows):
  batched  ours (plugins/poem/train.py): one forward pass over each window scores every position
  naive    each position is scored by re-running the model over the window's prefix up to it
           (the same loss and gradient, accumulated prefix by prefix)

Constrained decoding (seconds per poem, the shipped en and zh models, one thread):
  constrained    generation as `muse generate poem` does it, for each form
  unconstrained  free sampling of as many characters as the poem has, with the same model
  the ratio is what the real words, rhymes, metre and tonal patterns cost (goal: a sonnet <= 2 s)

Both sides are checked to compute the same thing first (same text for the same seed, same loss).
The naive loop costs grow with the square of the length, so the ratios depend on it: sampling is
timed at a couplet's and a sonnet's length, training at 128-character windows (the shipped
`seq_len`) in batches of 8 (the shipped 32 works too, with a naive step of a minute or more).

The model is randomly initialised at the shipped size (hidden 384, 2 layers, embed 64) with the
vocabulary of the --data text; speed does not depend on the weights. --model times a trained one
(a shipped name or a .safetensors path) for sampling, and a fresh network of its shape for training.

    MUSE_THREADS=1 python benchmarks/poem.py
    python benchmarks/poem.py --data ../shared/data/text/tang_qiyan_jueju.txt   # a Chinese vocabulary
    python benchmarks/poem.py --model en --lengths 100 300 600 --batch-size 32
    python benchmarks/poem.py --only decoding --poems 5              # seconds per poem per form
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from collections.abc import Callable

import torch

from engine import MuseError
from engine.io import shipped_model
from engine.training import configure_threads
from plugins.poem.checkpoint import COMPONENT, load_poem_model
from plugins.poem.data import Vocabulary, read_text, window_batches
from plugins.poem.generate import WEIGHTS
from plugins.poem.model import CharRNN, ModelConfig
from plugins.poem.sampling import filter_logits, sample_free

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "text" / "tiny_shakespeare.txt"
PRIME = "\n"
TEMPERATURE, TOP_P = 0.8, 0.95

Sampler = Callable[[CharRNN, Vocabulary, int, int], str]


def carried(model: CharRNN, vocab: Vocabulary, length: int, seed: int) -> str:
    """Ours: the function `muse train poem` previews with and `muse eval poem` samples with."""
    return sample_free(model, vocab, PRIME, length, torch.Generator().manual_seed(seed), TEMPERATURE, 0, TOP_P)


@torch.no_grad()
def naive(model: CharRNN, vocab: Vocabulary, length: int, seed: int) -> str:
    """The baseline: the same sampler, but the model re-reads the whole prefix for every character."""
    generator = torch.Generator().manual_seed(seed)
    ids = vocab.encode(PRIME).tolist()
    for _ in range(length):
        logits = model(torch.tensor([ids]))[0][0, -1]
        logits[0] = float("-inf")
        probs = torch.softmax(filter_logits(logits, TEMPERATURE, 0, TOP_P), dim=-1)
        ids.append(int(torch.multinomial(probs, 1, generator=generator)))
    return vocab.decode(ids[len(PRIME):])


def chars_per_second(sampler: Sampler, model: CharRNN, vocab: Vocabulary, length: int, repeats: int) -> float:
    started = time.perf_counter()
    for seed in range(repeats):
        sampler(model, vocab, length, seed)
    return length * repeats / (time.perf_counter() - started)


def sampling(model: CharRNN, vocab: Vocabulary, lengths: list[int]) -> None:
    model.eval()
    carried(model, vocab, 20, 0)  # warm-up: the first calls pay for allocator and kernel set-up
    ours, theirs = carried(model, vocab, 200, 7), naive(model, vocab, 200, 7)
    agree = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), len(ours))
    print(f"\n== sampling, characters per second (same seed: {agree} of 200 characters identical) ==")
    print(f"{'length':>6} {'carried':>9} {'naive':>9}  carried/naive")
    for length in lengths:
        fast = chars_per_second(carried, model, vocab, length, repeats=3)
        slow = chars_per_second(naive, model, vocab, length, repeats=1)
        print(f"{length:>6} {fast:>9.0f} {slow:>9.1f}  {fast / slow:.1f}x")


def batched_loss(model: CharRNN, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Ours, as in train.py: one pass over the windows, every position scored."""
    logits, _ = model(inputs)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def naive_backward(model: CharRNN, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """The baseline: position t is scored by running the prefix 0..t from a zero state; gradients
    are accumulated prefix by prefix (backpropagating the sum at once would hold every graph)."""
    width, total = inputs.shape[1], 0.0
    for t in range(width):
        logits, _ = model(inputs[:, :t + 1])
        loss = torch.nn.functional.cross_entropy(logits[:, -1], targets[:, t]) / width
        loss.backward()
        total += float(loss.detach())
    return total


def check_same_loss(model: CharRNN, ids: torch.Tensor) -> float:
    model.eval()  # no dropout, so both sides see the same network
    inputs, targets = next(window_batches(ids, 24, 2, 1, seed=1, epoch=0))
    with torch.no_grad():
        ours = float(batched_loss(model, inputs, targets))
    theirs = naive_backward(model, inputs, targets)
    model.zero_grad(set_to_none=True)
    return abs(ours - theirs)


def training(config: ModelConfig, ids: torch.Tensor, seq_len: int, batch_size: int, steps: int) -> None:
    model = CharRNN(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    difference = check_same_loss(model, ids)
    model.train()

    def run(backward: Callable[[torch.Tensor, torch.Tensor], None], count: int) -> float:
        started = time.perf_counter()
        for inputs, targets in window_batches(ids, seq_len, batch_size, count, seed=0, epoch=0):
            optimizer.zero_grad(set_to_none=True)
            backward(inputs, targets)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        return count * seq_len * batch_size / (time.perf_counter() - started)

    run(lambda i, t: batched_loss(model, i, t).backward(), 1)  # warm-up
    ours = run(lambda i, t: batched_loss(model, i, t).backward(), steps)
    theirs = run(lambda i, t: naive_backward(model, i, t), 1)
    print(f"\n== training, characters per second (batches of {batch_size} windows of {seq_len}; "
          f"loss difference {difference:.1e}) ==")
    print(f"{'batched':>9} {'naive':>9}  batched/naive")
    print(f"{ours:>9.0f} {theirs:>9.1f}  {ours / theirs:.1f}x")


FORMS_TIMED = ("couplet", "quatrain", "sonnet", "limerick", "free", "jueju5", "jueju7")


def decoding(forms: list[str], poems: int) -> None:
    """Seconds per poem for each form, constrained against free sampling of the same length."""
    from plugins.poem.decode import Decoder, write_poem
    from plugins.poem.forms import FORMS, line_specs
    from plugins.poem.generate import form_seed, resolve_model

    print(f"\n== constrained decoding, seconds per poem (seeds 0..{poems - 1}, after one warm-up poem) ==")
    print(f"{'form':>9} {'constrained':>12} {'unconstrained':>14}  constrained/unconstrained")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for form in forms:
            loaded = resolve_model("auto", form)
            specs = line_specs(FORMS[form], loaded.language, None)

            def one(seed: int, loaded=loaded, specs=specs, form=form) -> str:  # bound: called in this pass only
                decoder = Decoder(loaded, torch.Generator().manual_seed(form_seed(seed, form)), TEMPERATURE, 0, TOP_P)
                return "\n".join(write_poem(decoder, specs, loaded.language, "", form))

            one(10_000)  # warm-up: the lexicon, the fit tables and the tone masks are built once per model
            started = time.perf_counter()
            texts = [one(seed) for seed in range(poems)]
            ours = (time.perf_counter() - started) / poems
            started = time.perf_counter()
            for seed, text in enumerate(texts):
                sample_free(loaded.model, loaded.vocab, PRIME, len(text) + 1, torch.Generator().manual_seed(seed),
                            TEMPERATURE, 0, TOP_P)
            free = (time.perf_counter() - started) / poems
            print(f"{form:>9} {ours:>11.2f}s {free:>13.2f}s  {ours / free:.1f}x")
    finally:
        torch.set_num_threads(threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a shipped model name (en, zh) or a .safetensors path (default: random, shipped size)")
    parser.add_argument("--data", type=Path, default=DATA, help="UTF-8 text for the vocabulary and training windows")
    parser.add_argument("--lengths", type=int, nargs="+", default=[150, 600],
                        help="characters to sample (a couplet is ~90, a sonnet ~600)")
    parser.add_argument("--seq-len", type=int, default=128, help="training window length")
    parser.add_argument("--batch-size", type=int, default=8, help="training windows per step")
    parser.add_argument("--steps", type=int, default=3, help="batched training steps to time (naive: 1)")
    parser.add_argument("--only", choices=("all", "sampling", "training", "decoding"), default="all")
    parser.add_argument("--forms", nargs="+", default=list(FORMS_TIMED), help="forms to time constrained decoding on")
    parser.add_argument("--poems", type=int, default=5, help="poems per form for the decoding timings")
    args = parser.parse_args()
    print(f"threads: {configure_threads()}")
    try:
        text = read_text(args.data)
        loaded = load_poem_model(shipped_model(args.model, WEIGHTS, COMPONENT)) if args.model else None
    except MuseError as error:
        parser.error(str(error))
    torch.manual_seed(0)
    if loaded:
        model, vocab, source = loaded.model, loaded.vocab, f"model {loaded.path}"
    else:
        vocab = Vocabulary.build(text)
        model, source = CharRNN(ModelConfig(vocab_size=len(vocab))), f"random weights, vocabulary of {args.data.name}"
    config = model.config
    print(f"{config.cell} hidden {config.hidden} x {config.layers} layers, embed {config.embed}, "
          f"vocabulary {len(vocab)} ({source})")
    if args.only in ("all", "sampling"):
        sampling(model, vocab, args.lengths)
    if args.only in ("all", "training"):
        training(config, vocab.encode(text), args.seq_len, args.batch_size, args.steps)
    if args.only in ("all", "decoding"):
        decoding(args.forms, args.poems)


if __name__ == "__main__":
    main()
