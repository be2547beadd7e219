"""History of generated images for the discriminators (Shrivastava et al., 2017, "Learning from
Simulated and Unsupervised Images through Adversarial Training", section 2.3; CycleGAN keeps 50).

Updating a discriminator with images from older generators as well as the newest ones damps
the oscillation between generator and discriminator. For each generated image:

* while the buffer is not full, store it and return it;
* once full, with probability 0.5 return a random stored image and store the new one in its
  place, otherwise return the new image.

The buffer lives in non-trainable variables, so it is part of the model's training state and
a resumed run continues with the same history. Deviation from the one-image-at-a-time
reference code: a batch is handled at once, so two images of one batch that draw the same
slot both return its old content, and the later one is stored.
"""

from __future__ import annotations

import keras
from keras import ops

from genlab.core.errors import GenlabError


@keras.saving.register_keras_serializable(package="genlab")
class ImageHistory(keras.layers.Layer):
    """A buffer of ``capacity`` images shaped ``image_shape``; :meth:`exchange` implements the rule above."""

    def __init__(self, capacity: int = 50, image_shape=(32, 32, 3), **kwargs):
        super().__init__(**kwargs)
        if capacity <= 0:
            raise GenlabError(f"history capacity must be > 0, got {capacity}")
        self.capacity = int(capacity)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.images = self.add_weight(shape=(self.capacity, *self.image_shape), initializer="zeros",
                                      trainable=False, name="images")
        self.count = self.add_weight(shape=(), initializer="zeros", dtype="int32", trainable=False, name="count")
        self.built = True

    def exchange(self, generated, seed_generator):
        """Return the images a discriminator should see in place of ``generated``, and update the buffer."""
        generated = ops.cast(generated, self.images.dtype)
        batch = ops.shape(generated)[0]
        slots = self.count + ops.arange(batch, dtype="int32")  # next free slots while filling
        filling = slots < self.capacity
        swap = ops.logical_and(ops.logical_not(filling),
                               keras.random.uniform((batch,), seed=seed_generator) < 0.5)  # p = 0.5 once full
        drawn = ops.cast(keras.random.uniform((batch,), seed=seed_generator) * self.capacity, "int32")
        drawn = ops.minimum(drawn, self.capacity - 1)
        stored = ops.take(self.images, drawn, axis=0)
        mask = ops.reshape(swap, (-1, 1, 1, 1))
        returned = ops.where(mask, stored, generated)
        # where each generated image is written: its free slot, the slot it swapped with, or nowhere (-1);
        # a slot written twice in one batch keeps the later image (no scatter: deterministic on every device)
        targets = ops.where(filling, slots, ops.where(swap, drawn, ops.full_like(drawn, -1)))
        writes = ops.cast(ops.equal(ops.expand_dims(targets, 1), ops.arange(self.capacity, dtype="int32")), "int32")
        order = ops.expand_dims(ops.arange(1, batch + 1, dtype="int32"), 1)  # 1-based image index
        writer = ops.max(writes * order, axis=0) - 1  # last image written to each slot, -1 if none
        fresh = ops.take(generated, ops.maximum(writer, 0), axis=0)
        self.images.assign(ops.where(ops.reshape(writer >= 0, (-1, 1, 1, 1)), fresh, self.images))
        self.count.assign(ops.minimum(self.count + batch, self.capacity))
        return returned

    def get_config(self):
        config = super().get_config()
        config.update({"capacity": self.capacity, "image_shape": list(self.image_shape)})
        return config
