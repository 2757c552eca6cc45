"""Convolutional (optionally class-conditional) VAE image generator (`muse generate vae`)."""
