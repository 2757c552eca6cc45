"""A GAN garment, painted with a fast style model, under a Chinese quatrain: image + text -> poster.

Run: python examples/poster.py [OUT_FOLDER]
"""

import sys
from pathlib import Path

from engine import Engine, MuseError

out = Path(sys.argv[1] if len(sys.argv) > 1 else "poster-example")
eng = Engine()

garment = eng.generate("gan", seed=5, label="dress")
painted = eng.stylize("style", garment, seed=6, model="default", size=256)
poem = eng.generate("poem", seed=7, form="jueju5")
try:
    poster = eng.compose("poster", painted, poem, seed=8, layout="beside")
except MuseError as error:  # no CJK font on this machine: say so, and set an English poem instead
    print(f"note: {error}")
    poster = eng.compose("poster", painted, eng.generate("poem", seed=7, form="couplet"), seed=8)

for work, name in ((garment, "garment.png"), (painted, "painted.png"), (poem, "poem.txt"), (poster, "poster.png")):
    print("wrote", eng.render(work, out / name, force=True))
