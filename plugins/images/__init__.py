"""The `classifier` plugin: the FID feature network (plugins/imagekit) as a component."""
