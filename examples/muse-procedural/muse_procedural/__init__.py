"""muse-procedural: procedural art for Muse, and a worked example of a third-party plugin.

The components live in :mod:`muse_procedural.plugin`; the drawing, rhythm and palette code in
the modules beside it.
"""

__version__ = "0.1.0"
