"""Built-in plugin: `muse plugin new`, the scaffold for new plugin packages."""
