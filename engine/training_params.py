"""The training parameters every trainable model shares, declared once.

A model's ``train_params`` is ``common_train_params(epochs=..., batch_size=..., ...)`` (the model
picks its defaults, nothing else) followed by the parameters only it has. The names, help,
types and ranges live here, so `muse train gan` and `muse train poem` describe ``lr`` alike.
No torch here: ``plugin.py`` modules import this at start-up (``muse list`` shows them).
"""

from __future__ import annotations

import dataclasses

from .params import Param

#: Each shared parameter, with a placeholder default a model replaces.
COMMON: dict[str, Param] = {p.name: p for p in (
    Param("epochs", int, 1, "passes over the training data (a resumed run continues to this count)", min=1, max=100_000),
    Param("steps", int, 1, "optimizer steps in all (a resumed run continues to this count)", min=1, max=100_000_000),
    Param("batch_size", int, 32, "training examples per optimizer step", min=1, max=4096),
    Param("lr", float, 1e-3, "learning rate (the peak, for models with a warm-up + cosine schedule)", min=1e-6, max=1.0),
    Param("checkpoint_every", int, 500, "save weights and resume state every this many steps", min=1),
    Param("sample_every", int, 500, "write a preview (samples, a held-out score) every this many steps (0 = never)",
          min=0),
)}


def common_train_params(**defaults: object) -> tuple[Param, ...]:
    """The shared parameters a model uses, in a fixed order, with the model's own defaults.

    ``common_train_params(epochs=8, batch_size=64, lr=2e-4, checkpoint_every=500, sample_every=500)``;
    a name not in :data:`COMMON` is a TypeError (a model's own parameter is declared by the model).
    """
    unknown = set(defaults) - set(COMMON)
    if unknown:
        raise TypeError(f"not shared training parameters: {', '.join(sorted(unknown))}; valid: {', '.join(COMMON)}")
    if "epochs" in defaults and "steps" in defaults:
        raise TypeError("a model counts its run in epochs or in steps, not both")
    return tuple(dataclasses.replace(COMMON[name], default=defaults[name]) for name in COMMON if name in defaults)
