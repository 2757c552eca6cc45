"""Parameters the image models share, declared once (imports only `engine`, so plugin modules
can use it at the top and `muse --help` stays fast)."""

from __future__ import annotations

from engine import Param

#: The image shape a model trains at: `gan`, `vae` and `classifier`.
SHAPE = (
    Param("size", int, 28, "image side in pixels (data is resized/cropped to it)", choices=(28, 32, 64)),
    Param("channels", int, 1, "1 = greyscale, 3 = RGB", choices=(1, 3)),
)
#: Whether a generative model conditions on class labels: `gan`, `vae`.
CONDITIONAL = Param("conditional", bool, True, "condition on class labels when the data has them")
#: What `muse eval gan|vae` compares FID with: `imagekit.evaluation.fid_report` reads them.
FID = (
    Param("classifier", str, "default", "FID feature classifier: shipped name or a path from `muse train classifier`"),
    Param("samples", int, 10000, "generated and real images compared (FID is biased upward for small counts)", min=100),
)
