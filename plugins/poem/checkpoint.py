"""Saving and loading a poem model: fp16 weights, the vocabulary as code points, the config.

Shipped files store weights in half precision (half the megabytes, no measurable loss change for
a character model) and are loaded back into float32 for CPU inference.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from engine import BadInput
from engine.checkpoints import MAX_ITEMS, Field, cached_model, check_code_points, pack_fp16, unpack_fp16, validate_config
from engine.training import build_within_limit, load_checkpoint, load_module, read_metadata

from .data import Vocabulary
from .model import CharRNN, ModelConfig

COMPONENT = "poem"


@dataclass
class LoadedModel:
    """A ready-to-sample model with its vocabulary, language and provenance."""

    model: CharRNN
    vocab: Vocabulary
    language: str
    sha256: str
    info: dict[str, Any]
    path: Path
    lexicon: list[str]


def export_tensors(model: CharRNN, vocab: Vocabulary, lexicon: list[str]) -> dict[str, torch.Tensor]:
    """What a shipped checkpoint holds: half-precision weights, the vocabulary, and the words seen in
    training (rhyme candidates are drawn from these, so a poem never rhymes on a word the model never read)."""
    tensors = pack_fp16({f"lm.{k}": v for k, v in model.state_dict().items()})
    tensors["vocab.codepoints"] = vocab.to_tensor()
    tensors["lexicon.utf8"] = torch.tensor(list("\n".join(lexicon).encode("utf-8")) or [10], dtype=torch.uint8)
    return tensors


def model_config(config: dict[str, Any]) -> ModelConfig:
    fields = ModelConfig.__dataclass_fields__
    return ModelConfig(**{k: v for k, v in config.items() if k in fields})


#: What a poem checkpoint's config must say, bounded to what loads in reasonable memory.
CONFIG = (Field("vocab_size", int, 1, MAX_ITEMS), Field("embed", int, 1, 4096), Field("hidden", int, 1, 4096),
          Field("layers", int, 1, 16), Field("cell", str, choices=("lstm", "gru")),
          Field("dropout", float, 0, 1, required=False), Field("language", str, required=False))


@cached_model
def load_poem_model(path: Path) -> LoadedModel:
    """Load (and cache while the file is unchanged) a poem checkpoint for sampling."""
    meta = read_metadata(path)
    if meta["model"] != COMPONENT:
        raise BadInput(f"{path} is a {meta['model']!r} checkpoint, not a {COMPONENT!r} one")
    meta["config"] = validate_config(meta["config"], CONFIG, path, COMPONENT)
    config = model_config(meta["config"])
    checkpoint = load_checkpoint(path, model=COMPONENT, config=config.shape_keys())
    if "vocab.codepoints" not in checkpoint.tensors:
        raise BadInput(f"{path}: poem checkpoint has no vocabulary")
    codes = checkpoint.tensors["vocab.codepoints"].flatten().tolist()
    check_code_points(codes, path)
    vocab = Vocabulary.from_tensor(checkpoint.tensors["vocab.codepoints"])
    if len(vocab) != config.vocab_size:
        raise BadInput(f"{path}: vocabulary has {len(vocab)} characters but the network expects {config.vocab_size}")
    model = build_within_limit(lambda: CharRNN(config), path)
    checkpoint.tensors = unpack_fp16(checkpoint.tensors)
    load_module(model, checkpoint, "lm").eval()
    words = checkpoint.tensors.get("lexicon.utf8")
    lexicon = bytes(words.tolist()).decode("utf-8").split() if words is not None else []
    loaded = LoadedModel(model, vocab, meta["config"].get("language", "en"), checkpoint.sha256, meta["info"], Path(path),
                         lexicon)
    return loaded
