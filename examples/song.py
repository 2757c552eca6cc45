"""A poem, a melody for it, and a song that sets the words to the notes: MIDI with lyrics + audio.

Run: python examples/song.py [OUT_FOLDER]
"""

import sys
from pathlib import Path

from engine import Engine

out = Path(sys.argv[1] if len(sys.argv) > 1 else "song-example")
eng = Engine()

poem = eng.generate("poem", seed=11, form="quatrain", model="en")
tune = eng.generate("melody", seed=12, bars=8, key="G major", time_signature="3/4", tempo=96)
song = eng.compose("song", poem, tune, seed=13, style="arpeggio")

for work, name in ((poem, "poem.md"), (tune, "melody.mid"), (song, "song.mid"), (song, "song.wav")):
    print("wrote", eng.render(work, out / name, force=True))
print("\n".join(poem.lines))
