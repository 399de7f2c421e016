# Shared cell: edit tools/snippets/resnet30.py and run tools/stamp_notebooks.py.
STAGES = [(64, 2), (128, 5), (256, 5), (512, 2)]  # (filters, blocks) per stage


def residual_block(x, filters, downsample, shortcut, name):
    """One block: conv-ReLU-BN-conv, (+ shortcut), ReLU-BN."""
    strides = 2 if downsample else 1
    y = layers.Conv2D(filters, 3, strides=strides, padding="same",
                      name=f"{name}_conv1")(x)
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv2")(y)
    if shortcut:
        if downsample:  # match the branch's shape: halve the size, more channels
            x = layers.Conv2D(filters, 1, strides=2, padding="same",
                              name=f"{name}_shortcut")(x)
        y = layers.Add(name=f"{name}_add")([y, x])
    y = layers.ReLU(name=f"{name}_relu2")(y)
    return layers.BatchNormalization(name=f"{name}_bn2")(y)


def build_network(shortcuts=True, name=None):
    """The 30-layer ResNet (shortcuts=True) or its plain twin (False)."""
    name = name or ("resnet30" if shortcuts else "plainnet30")
    inputs = keras.Input(shape=(32, 32, 3), name="image")
    x = layers.BatchNormalization(name="stem_bn_input")(inputs)
    x = layers.Conv2D(64, 3, padding="same", name="stem_conv")(x)
    x = layers.ReLU(name="stem_relu")(x)
    x = layers.BatchNormalization(name="stem_bn")(x)
    for stage, (filters, num_blocks) in enumerate(STAGES, start=1):
        for block in range(1, num_blocks + 1):
            downsample = stage > 1 and block == 1
            x = residual_block(x, filters, downsample, shortcuts,
                               name=f"stage{stage}_block{block}")
    x = layers.AveragePooling2D(4, name="head_pool")(x)
    x = layers.Flatten(name="head_flatten")(x)
    # float32 softmax even under mixed precision: stable probabilities and loss
    outputs = layers.Dense(10, activation="softmax", dtype="float32",
                           name="class_probabilities")(x)
    return keras.Model(inputs, outputs, name=name)
