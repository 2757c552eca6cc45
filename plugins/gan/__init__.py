"""Class-conditional DCGAN image generator (`muse generate gan`)."""
