"""Input corruption for denoising autoencoders (Vincent et al., 2008, "Extracting and
Composing Robust Features with Denoising Autoencoders").

A noise spec is ``KIND:LEVEL``:

* ``gaussian:s``  x~ = clip(x + s * eps, low, high), eps ~ N(0, I)   (additive Gaussian noise)
* ``masking:p``   x~ = x * m, m ~ Bernoulli(1 - p)                      (each value zeroed with prob. p)
* ``salt_pepper:p`` each value set to low or high with probability p    (impulse noise)

The range is the model's value range (the data pipeline scales; the layer only clips).
"""

from __future__ import annotations

import keras
from keras import ops

from genlab.layers.specs import parse_noise



@keras.saving.register_keras_serializable(package="genlab")
class ImageCorruption(keras.layers.Layer):
    """Corrupts its input with the noise of :func:`parse_noise`, every call (train or not)."""

    def __init__(self, noise: str = "gaussian:0.5", value_range=(0.0, 1.0), seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.noise = noise
        self.kind, self.level = parse_noise(noise)
        self.value_range = tuple(float(v) for v in value_range)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        low, high = self.value_range
        if self.kind == "gaussian":
            noise = keras.random.normal(ops.shape(inputs), seed=self.seed_generator, dtype=inputs.dtype)
            return ops.clip(inputs + self.level * (high - low) * noise, low, high)
        uniform = keras.random.uniform(ops.shape(inputs), seed=self.seed_generator, dtype=inputs.dtype)
        if self.kind == "masking":
            return ops.where(uniform < self.level, ops.full_like(inputs, low), inputs)
        # salt and pepper: half of the hit values go to low, half to high
        hit_low = uniform < self.level / 2
        hit_high = ops.logical_and(uniform >= self.level / 2, uniform < self.level)
        return ops.where(hit_low, ops.full_like(inputs, low), ops.where(hit_high, ops.full_like(inputs, high), inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"noise": self.noise, "value_range": list(self.value_range), "seed": self.seed})
        return config
