"""The `poem` plugin: a character-level RNN that writes poems in fixed forms, English and Chinese."""
