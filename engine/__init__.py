"""Muse: a plugin-based creative engine.

The stable public API is what ``__all__`` lists; see docs/api.md. Importing this package does
not import torch or numpy: models load when a component first needs them.
"""

from .api import Engine, PluginWarning, Reproduction
from .components import Component, Composer, Generator, Renderer, Stylizer, TrainJob
from .errors import BadInput, MuseError, OutputExists, ParamError, PluginError, UnknownName
from .hookspecs import hookimpl
from .params import Param
from .works import Audio, Image, Lyric, Note, Score, Text, Track, Work

__all__ = [
    "Engine", "Reproduction", "PluginWarning",
    "Component", "Generator", "Stylizer", "Composer", "Renderer", "TrainJob",
    "Param", "hookimpl",
    "Work", "Image", "Score", "Track", "Note", "Lyric", "Audio", "Text",
    "MuseError", "UnknownName", "ParamError", "OutputExists", "BadInput", "PluginError",
]
