"""Neural style transfer that needs no pretrained network (see plugin.py)."""
