# @title The epoch timer
# Shared cell: edit tools/snippets/epoch_timer.py and run tools/stamp_notebooks.py.
import time


class EpochTimer(keras.callbacks.Callback):
    # Wall-clock seconds of every epoch, its validation pass included.
    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def compile_seconds(epoch_seconds):
    # The first epoch also compiles the steps: its excess over the later epochs.
    if len(epoch_seconds) < 2:
        return None
    return max(0.0, epoch_seconds[0] - float(np.median(epoch_seconds[1:])))
