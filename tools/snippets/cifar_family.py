# Shared cell: edit tools/snippets/cifar_family.py and run tools/stamp_notebooks.py.
# He et al.'s CIFAR-10 family: 6n + 2 layers, plain or residual, option A shortcuts.
WEIGHT_DECAY = 1e-4  # He et al.'s, applied as an L2 penalty of WEIGHT_DECAY / 2


class ZeroPadShortcut(layers.Layer):
    """He et al.'s option A shortcut: keep every second pixel, append zero channels.

    It has no weights, so a network with these shortcuts has exactly as many
    parameters as the same network without them.
    """

    def __init__(self, extra_channels, **kwargs):
        super().__init__(**kwargs)
        self.extra_channels = extra_channels

    def call(self, x):
        x = x[:, ::2, ::2, :]
        before = self.extra_channels // 2
        after = self.extra_channels - before
        return keras.ops.pad(x, [[0, 0], [0, 0], [0, 0], [before, after]])

    def get_config(self):
        return {**super().get_config(), "extra_channels": self.extra_channels}


def conv_bn(x, filters, strides, name):
    # 3 x 3 convolution (no bias: batch norm adds one) followed by batch norm
    x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False,
                      kernel_initializer="he_normal",
                      kernel_regularizer=keras.regularizers.L2(WEIGHT_DECAY / 2),
                      name=f"{name}_conv")(x)
    return layers.BatchNormalization(name=f"{name}_bn")(x)


def residual_branch(x, filters, downsample, name):
    """F(x) of a block: conv-BN-ReLU-conv-BN, the part that has weights."""
    y = conv_bn(x, filters, 2 if downsample else 1, name=f"{name}_1")
    y = layers.ReLU(name=f"{name}_1_relu")(y)
    return conv_bn(y, filters, 1, name=f"{name}_2")


def cifar_block(x, filters, downsample, shortcuts, name):
    """conv-BN-ReLU-conv-BN, plus the shortcut if any, then ReLU."""
    y = residual_branch(x, filters, downsample, name)
    if shortcuts:
        if downsample:
            x = ZeroPadShortcut(filters - x.shape[-1], name=f"{name}_shortcut")(x)
        y = layers.Add(name=f"{name}_add")([y, x])
    return layers.ReLU(name=f"{name}_out")(y)


def build_cifar_net(blocks_per_stage, shortcuts=True, block=cifar_block,
                    after_stem=None):
    """He et al.'s CIFAR-10 network with 6n + 2 weight layers (n = blocks_per_stage).

    `block` builds each block (same arguments as cifar_block); `after_stem`, if given,
    is applied to the stem's output. Their defaults give the network of the paper.
    """
    depth = 6 * blocks_per_stage + 2
    family = "resnet" if shortcuts else "plain"
    inputs = keras.Input(shape=(32, 32, 3), name="image")
    x = conv_bn(inputs, 16, 1, name="stem")
    x = layers.ReLU(name="stem_relu")(x)
    if after_stem is not None:
        x = after_stem(x)
    for stage, filters in enumerate((16, 32, 64), start=1):
        for index in range(1, blocks_per_stage + 1):
            downsample = stage > 1 and index == 1
            x = block(x, filters, downsample, shortcuts,
                      name=f"stage{stage}_block{index}")
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = layers.Dense(10, activation="softmax", dtype="float32",
                           kernel_regularizer=keras.regularizers.L2(WEIGHT_DECAY / 2),
                           name="probabilities")(x)
    return keras.Model(inputs, outputs, name=f"{family}{depth}")
