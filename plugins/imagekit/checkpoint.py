"""Loading an image model's shipped (fp16) checkpoint into its network: `gan` and `vae` alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar
from collections.abc import Callable, Sequence

import torch

from engine.checkpoints import Field, unpack_fp16
from engine.training import Checkpoint, build_within_limit, load_checkpoint, load_module

Network = TypeVar("Network", bound=torch.nn.Module)


def load_network(path: Path, *, model: str, schema: Sequence[Field], build: Callable[[dict[str, Any]], Network],
                 prefix: str) -> tuple[Network, Checkpoint]:
    """The network ``build(config)`` makes, with the checkpoint's weights (fp32) under ``prefix``,
    in eval mode; the config is checked against ``schema`` before anything is allocated."""
    checkpoint = load_checkpoint(path, model=model, schema=schema)
    network = build_within_limit(lambda: build(checkpoint.config), path)
    checkpoint.tensors = unpack_fp16(checkpoint.tensors)
    load_module(network, checkpoint, prefix).eval()
    return network, checkpoint
