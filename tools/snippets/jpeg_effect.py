# @title The JPEG copy's measured effect
# Shared cell: edit tools/snippets/jpeg_effect.py and run tools/stamp_notebooks.py.
# Its numbers are written by tools/jpeg_effect.py from the stored measurement,
# tools/jpeg_effect_training.json: change that tool, not the numbers here.
# What training on the JPEG copy of CIFAR-10 did in a small setting, measured on a
# CPU: official minus JPEG, in points of test accuracy, as (mean, low, high) of the
# 95 % interval over seeds, each seed training one network on either version.
JPEG_EFFECT = {
    "trained on the copy, tested on official images": (-0.6, -2.1, +0.9),
    "trained and tested on the copy": (-0.3, -1.4, +0.8),
}
JPEG_EFFECT_SETTING = ("chapter 5's toy ResNet, 10 seeds, 5,397 training images, "
                       "15 epochs")
JPEG_EFFECT_PAGE = ("https://github.com/residual-networks-book/residual-networks-keras/"
                    "blob/main/book/numbers.md#the-jpeg-copy-of-cifar-10")


def print_jpeg_effect(data_names):
    # Beside a comparison with a paper's or a reader's run: where the records compared
    # read the JPEG copy (data_names: one data name, or several), say what the copy
    # was measured to do. Prints nothing for other data; returns whether it printed.
    names = [data_names] if isinstance(data_names, str) else list(data_names)
    if not any(name.startswith("JPEG copy") for name in names):
        return False
    print("These results read the JPEG copy of CIFAR-10; papers and readers' runs "
          "read the official files.")
    print("Measured effect of the copy (official minus JPEG, points of test accuracy, "
          "95 % interval),")
    print(f"for {JPEG_EFFECT_SETTING}:")
    for what, (mean, low, high) in JPEG_EFFECT.items():
        print(f"  {what + ':':<48}{mean:+.1f} ({low:+.1f} to {high:+.1f})")
    print("A bound for that small setting only, not for this run's: "
          f"{JPEG_EFFECT_PAGE}")
    return True
