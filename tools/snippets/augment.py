# Shared cell: edit tools/snippets/augment.py and run tools/stamp_notebooks.py.
# He et al.'s augmentation, written with keras.ops and keras.random only, so that
# the whole training step compiles (XLA on TensorFlow and JAX) on every backend.
class RandomShiftAndFlip(layers.Layer):
    """In training: flip left-right with probability 1/2, then shift by up to
    `pad` pixels in each direction, filling with zeros (pad by `pad`, crop back at
    a random place). Every image gets its own draw. At inference: the identity."""

    def __init__(self, pad=4, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.pad = pad
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        batch = keras.ops.shape(images)[0]
        height, width, channels = images.shape[1], images.shape[2], images.shape[3]
        # Flip: choose, per image, between the image and its mirror.
        flip = keras.random.uniform((batch, 1, 1, 1), seed=self.seed_generator) < 0.5
        images = keras.ops.where(flip, keras.ops.flip(images, axis=2), images)
        # Shift: pad, then gather a window that starts at a random row and column.
        padded = keras.ops.pad(
            images, [[0, 0], [self.pad, self.pad], [self.pad, self.pad], [0, 0]])
        size_h, size_w = height + 2 * self.pad, width + 2 * self.pad
        top = keras.random.randint((batch, 1, 1), 0, 2 * self.pad + 1,
                                   seed=self.seed_generator)
        left = keras.random.randint((batch, 1, 1), 0, 2 * self.pad + 1,
                                    seed=self.seed_generator)
        rows = top + keras.ops.reshape(keras.ops.arange(height), (1, height, 1))
        columns = left + keras.ops.reshape(keras.ops.arange(width), (1, 1, width))
        first = keras.ops.reshape(keras.ops.arange(batch) * (size_h * size_w),
                                  (-1, 1, 1))
        index = keras.ops.reshape(first + rows * size_w + columns, (-1,))
        flat = keras.ops.reshape(padded, (-1, channels))
        window = keras.ops.take(flat, index, axis=0)
        return keras.ops.reshape(window, (batch, height, width, channels))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "pad": self.pad}


def build_augmenter(seed=None):
    # float32 under mixed precision too: unchanged images stay exactly unchanged.
    return keras.Sequential(
        [RandomShiftAndFlip(pad=4, seed=seed, dtype="float32", name="shift_and_flip")],
        name="augment")
