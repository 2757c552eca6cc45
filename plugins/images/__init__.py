"""Shared image-model plumbing for the GAN, the VAE and the FID classifier.

Loading (IDX files, image folders), contact sheets, latent walks and Fréchet distances live here
once, so the models only hold what makes them different.
"""
