"""The image toolkit: a library the image plugins share, which registers nothing.

Loading (IDX files, image folders), contact sheets and latent walks, training previews, and the
FID feature network with its Fréchet distances live here once, so the `gan`, `vae` and
`classifier` plugins only hold what makes them different. It has no ``plugin.py``: Muse does not
load it as a plugin, and no plugin imports another plugin's modules (tests/test_layers.py).
"""
