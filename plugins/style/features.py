"""Choosing the feature network: the built-in random encoder, or a user's own VGG-19 file."""

from __future__ import annotations

from pathlib import Path

import torch

from engine import BadInput, ParamError

from .model import Encoder, RandomEncoder, VGG19Encoder


def make_encoder(features: str, weights: Path | None) -> Encoder:
    """``random`` needs nothing; ``vgg19`` needs ``weights`` (a .pth or .safetensors state dict)."""
    if features == "random":
        if weights is not None:
            raise ParamError("weights= only applies with features=vgg19")
        return RandomEncoder()
    if weights is None:
        raise ParamError("features=vgg19 needs weights=PATH to a VGG-19 state dict (.pth or .safetensors); "
                         "none can be downloaded here")
    state = load_state_dict(weights)
    try:
        return VGG19Encoder(state, source=str(weights))
    except ValueError as error:
        raise BadInput(str(error)) from None


def load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Tensors from a .safetensors file or a torch.save'd dict, never unpickling arbitrary code."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise BadInput(f"{path}: no such weights file")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # pickle, zip and safetensors each raise their own kinds
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BadInput(f"{path}: not a readable state dict ({first[:200]})") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise BadInput(f"{path}: expected a dict of tensors (a state dict)")
    return {key.removeprefix("module."): value for key, value in state.items()}
