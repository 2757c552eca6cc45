"""Built-in renderers: PNG/JPEG/WebP/GIF images, MIDI scores, WAV/FLAC/OGG audio, text."""
