"""Melody: an LSTM language model of folk melodies, trained and evaluated here."""
