"""Muse's built-in plugins: each sub-package's ``plugin`` module is loaded like any third-party plugin."""
