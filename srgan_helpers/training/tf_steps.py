"""TensorFlow steps: tf.GradientTape inside tf.function; optimizers update the variables in place."""

from __future__ import annotations

import tensorflow as tf

from .. import losses
from .common import discriminator_terms, generator_terms, scaled


class TFSteps:
    """Pre-training (MSE) and GAN steps for the TensorFlow backend."""

    def __init__(self, generator, discriminator, vgg, g_opt, d_opt, cfg, jit_compile: bool = False, strategy=None):
        self.G, self.D, self.vgg, self.g_opt, self.d_opt, self.cfg = generator, discriminator, vgg, g_opt, d_opt, cfg
        self.strategy = strategy
        self.replicas = strategy.num_replicas_in_sync if strategy is not None else 1
        if self.replicas > 1:  # each replica runs on its slice; gradients are all-reduced (summed) by apply()
            self._pretrain_dist = tf.function(self._distributed(self._pretrain_step))
            self._gan_dist = tf.function(self._distributed(self._gan_step))
        else:
            self.pretrain_step = tf.function(self._pretrain_step, jit_compile=jit_compile)
            self.gan_step = tf.function(self._gan_step, jit_compile=jit_compile)

    # --- several devices: split the global batch, run per replica, average the metrics ------------------
    def _distributed(self, replica_fn):
        def run(*args):
            per_replica = self.strategy.run(replica_fn, args=args)
            return {k: self.strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None) for k, v in per_replica.items()}
        return run

    def _split(self, array):
        local = len(array) // self.replicas
        return self.strategy.experimental_distribute_values_from_function(
            lambda ctx: tf.constant(array[ctx.replica_id_in_sync_group * local:(ctx.replica_id_in_sync_group + 1) * local]))

    def pretrain_step(self, lr, hr):  # replaced by a tf.function on one device
        return self._pretrain_dist(self._split(lr), self._split(hr))

    def gan_step(self, lr, hr, real_labels, fake_labels, gen_labels):  # replaced by a tf.function on one device
        return self._gan_dist(*(self._split(a) for a in (lr, hr, real_labels, fake_labels, gen_labels)))

    # --- the steps (one replica's view; identical to one device when replicas == 1) ---------------------
    def _pretrain_step(self, lr, hr):
        with tf.GradientTape() as tape:
            sr = self.G(lr, training=True)
            loss = losses.mse(sr, hr)
            loss_for_grad = scaled(self.g_opt, loss / self.replicas)
        grads = tape.gradient(loss_for_grad, self.G.trainable_variables)
        self.g_opt.apply(grads, self.G.trainable_variables)
        return {"g_loss": loss, "content_loss": loss}

    def _gan_step(self, lr, hr, real_labels, fake_labels, gen_labels):
        """One D update on real and (detached) fake, then one G update against the updated D.
        The generator runs forward once; its tape stays open across the D update."""
        with tf.GradientTape() as g_tape:
            sr = self.G(lr, training=True)
            with g_tape.stop_recording():
                with tf.GradientTape() as d_tape:
                    real_logits = self.D(hr, training=True)
                    fake_logits = self.D(tf.stop_gradient(sr), training=True)
                    d_loss, d_real, d_fake = discriminator_terms(real_logits, fake_logits, real_labels, fake_labels)
                    d_for_grad = scaled(self.d_opt, d_loss / self.replicas)
                d_grads = d_tape.gradient(d_for_grad, self.D.trainable_variables)
                self.d_opt.apply(d_grads, self.D.trainable_variables)
                features_hr = self.vgg(hr, training=False)
            sr_logits = self.D(sr, training=True)
            features_sr = self.vgg(sr, training=False)
            g_loss, content, adversarial = generator_terms(sr, hr, features_sr, features_hr, sr_logits, gen_labels, self.cfg)
            g_for_grad = scaled(self.g_opt, g_loss / self.replicas)
        g_grads = g_tape.gradient(g_for_grad, self.G.trainable_variables)
        self.g_opt.apply(g_grads, self.G.trainable_variables)
        return {"d_loss": d_loss, "g_loss": g_loss, "content_loss": content, "adv_loss": adversarial,
                "d_real": d_real, "d_fake": d_fake}

    def set_learning_rate(self, value: float) -> None:
        for opt in (self.g_opt, self.d_opt):
            opt.learning_rate = value

    def sync_to_models(self) -> None:
        """Variables are updated in place on TensorFlow: nothing to do."""

    def load_from_models(self) -> None:
        """Variables are read in place on TensorFlow: nothing to do."""
