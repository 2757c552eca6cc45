"""Parameters the image models share, declared once (imports only `engine`, so plugin modules
can use it at the top and `muse --help` stays fast)."""

from __future__ import annotations

from typing import Any

from engine import Param

#: The image shape a model trains at: `gan`, `vae` and `classifier`.
SHAPE = (
    Param("size", int, 28, "image side in pixels (data is resized/cropped to it)", choices=(28, 32, 64)),
    Param("channels", int, 1, "1 = greyscale, 3 = RGB", choices=(1, 3)),
)
#: Whether a generative model conditions on class labels: `gan`, `vae`.
CONDITIONAL = Param("conditional", bool, True, "condition on class labels when the data has them")
#: How the shipped ``default`` classifier was trained (`muse train classifier`'s defaults), and so
#: what the Classification Accuracy Score trains on generated and on real images.
CLASSIFIER_RECIPE: dict[str, Any] = {"epochs": 5, "batch_size": 128, "lr": 1e-3, "flip": True, "shift": 0}

#: What `muse eval gan|vae` measures with: `imagekit.evaluation.generator_report` reads them.
FID = (
    Param("classifier", str, "default", "FID feature classifier: shipped name or a path from `muse train classifier`"),
    Param("samples", int, 10000, "generated and real images compared (FID is biased upward for small counts)", min=100),
    Param("shift_classifier", str, "shift", "shift-tolerant feature net for the second FID and precision/recall "
                                            "(shipped name or a path from `muse train classifier -p pooling=average`)"),
    Param("neighbours", int, 3, "k of the k-nearest-neighbour balls of precision/recall (Kynkaanniemi et al. use 3)",
          min=1, max=100),
    Param("cas_samples", int, 60000, "generated images a classifier trains on for the Classification Accuracy Score, "
                                     "an equal share per class; the real side trains on as many (0 = skip CAS)", min=0),
    Param("cas_epochs", int, CLASSIFIER_RECIPE["epochs"], "epochs of each CAS training (the shipped classifier's budget)",
          min=1, max=1000),
)
