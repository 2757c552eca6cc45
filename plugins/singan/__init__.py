"""SinGAN: a generator (and two stylizers) learnt from one painting; see plugin.py."""
