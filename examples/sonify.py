"""Hear an image: a VAE sample becomes a melody with chords, rendered to FLAC.

Run: python examples/sonify.py [OUT_FOLDER]
"""

import sys
from pathlib import Path

from engine import Engine

out = Path(sys.argv[1] if len(sys.argv) > 1 else "sonify-example")
eng = Engine()

picture = eng.generate("vae", seed=21, label="sneaker")
heard = eng.compose("sonify", picture, seed=22, bars=8, drums=True)

print("wrote", eng.render(picture, out / "picture.png", force=True, scale=4))
print("wrote", eng.render(heard, out / "heard.mid", force=True))
print("wrote", eng.render(heard, out / "heard.flac", force=True, reverb=0.3))
