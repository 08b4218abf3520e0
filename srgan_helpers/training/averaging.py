"""An exponential moving average of the generator's weights (BasicSR's `ema_decay`, 0.999 there): updated
after every training step, kept in every checkpoint (a resumed run continues the same average), and what the
run exports, samples and evaluates instead of the raw weights. The average smooths the step-to-step
oscillation of a GAN's generator, where swirls and wavy edges come and go."""

from __future__ import annotations

import numpy as np

GROUP = "generator_average"  # its arrays' group in a checkpoint


class WeightAverage:
    """average <- decay x average + (1 - decay) x weights, over every weight of the generator (trainable
    first, then the rest, as `TrainingSteps.generator_weights` gives them), in float32 numpy."""

    def __init__(self, decay: float, generator, follow_every_step: bool = False):
        """The average starts at `generator`'s weights; its copy (`model`) is made once, here, so that a run
        and its resume draw the same random numbers (a copy made later would shift what the random
        initialisers of later networks draw). `follow_every_step`: keep `model` equal to the average after
        every update (LDL runs it in every step); otherwise it is set when asked for (`averaged_model`)."""
        import keras

        self.decay, self.follow_every_step = decay, follow_every_step
        self.arrays = [np.array(w, dtype=np.float32) for w in model_weights(generator)]
        self.model = keras.models.clone_model(generator)
        self.apply_to(self.model)

    def update(self, weights) -> None:
        for average, value in zip(self.arrays, weights):
            average *= self.decay
            average += (1.0 - self.decay) * np.asarray(value, dtype=np.float32)
        if self.follow_every_step:
            self.apply_to(self.model)

    def load(self, arrays) -> None:
        """Continue the average kept in a checkpoint."""
        self.arrays = [np.array(a, np.float32) for a in arrays]
        self.apply_to(self.model)

    def apply_to(self, model) -> None:
        """Set `model` (the generator's architecture) to the averaged weights."""
        for variable, value in zip(model.trainable_variables + model.non_trainable_variables, self.arrays):
            variable.assign(value)

    def averaged_model(self):
        """The generator's copy, holding the average."""
        self.apply_to(self.model)
        return self.model


def model_weights(model) -> list:
    """The values of `model`'s weights in WeightAverage's order (trainable first)."""
    return [v.value for v in model.trainable_variables + model.non_trainable_variables]
