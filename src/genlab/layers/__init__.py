"""Every serializable layer genlab's networks use (image ops, sampling, noise, StyleGAN's
style layers, augmentation, backbones and EfficientNet-Lite), one module per theme:
``from genlab.layers.image import PixelShuffle``. The package itself imports nothing, so that
the keras-free :mod:`genlab.layers.specs` (what configs validate) stays light."""
