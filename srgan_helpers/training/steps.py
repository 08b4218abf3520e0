"""The interface every backend's training steps implement (TensorFlow: tf_steps, JAX: jax_steps)."""

from __future__ import annotations

from typing import Protocol


class TrainingSteps(Protocol):
    """One optimisation step of each phase, plus moving state between the steps and the Keras models.

    Metrics come back as {name: scalar} on the device; the driver converts them once per epoch.
    """

    def pretrain_step(self, lr, hr) -> dict:
        """Phase 1: one generator update on the pixel MSE (SRResNet pre-training)."""

    def gan_step(self, lr, hr, real_labels, fake_labels, gen_labels) -> dict:
        """Phase 2: one discriminator update, then one generator update on the perceptual loss."""

    def set_learning_rate(self, value: float) -> None:
        """Set both optimizers' learning rate."""

    def generator_weights(self) -> list:
        """The generator's current weight values, trainable first (what the weight average follows)."""

    def sync_to_models(self) -> None:
        """Write the steps' state into the Keras variables (before a checkpoint, sample or export)."""

    def load_from_models(self) -> None:
        """Read the Keras variables into the steps' state (after building, restoring or rolling back)."""
