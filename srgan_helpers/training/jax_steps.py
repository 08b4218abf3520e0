"""JAX steps: stateless_call + jax.value_and_grad + optimizer.stateless_apply, jitted, buffers donated.

All state (both models, both optimizers, VGG) is passed explicitly and returned; `sync_to_models`
writes it back into the Keras variables before a checkpoint or export.
"""

from __future__ import annotations

import jax
import keras

from .. import losses
from .common import discriminator_terms, generator_terms


def _scale(opt, opt_vars, loss):
    if not isinstance(opt, keras.optimizers.LossScaleOptimizer):
        return loss
    with keras.StatelessScope(state_mapping=list(zip(opt.variables, opt_vars))):
        return opt.scale_loss(loss)


class JaxSteps:
    """Pre-training (MSE) and GAN steps for the JAX backend."""

    def __init__(self, generator, discriminator, vgg, g_opt, d_opt, cfg, distribution=None):
        self.G, self.D, self.vgg, self.g_opt, self.d_opt, self.cfg = generator, discriminator, vgg, g_opt, d_opt, cfg
        self.distribution = distribution  # keras.distribution.DataParallel: batches are sharded along axis 0
        self._pretrain = jax.jit(self._pretrain_fn, donate_argnums=(0,))
        self._gan = jax.jit(self._gan_fn, donate_argnums=(0,))
        self.load_from_models()

    # --- state -----------------------------------------------------------------------------------
    def load_from_models(self) -> None:
        """(Re)read every variable's value into the explicit state (after building or loading)."""
        self.state = {
            "g_tv": [v.value for v in self.G.trainable_variables],
            "g_ntv": [v.value for v in self.G.non_trainable_variables],
            "d_tv": [v.value for v in self.D.trainable_variables],
            "d_ntv": [v.value for v in self.D.non_trainable_variables],
            "g_ov": [v.value for v in self.g_opt.variables],
            "d_ov": [v.value for v in self.d_opt.variables],
        }
        self.vgg_vars = [v.value for v in self.vgg.non_trainable_variables]

    def sync_to_models(self) -> None:
        s = self.state
        for values, variables in ((s["g_tv"], self.G.trainable_variables), (s["g_ntv"], self.G.non_trainable_variables),
                                  (s["d_tv"], self.D.trainable_variables), (s["d_ntv"], self.D.non_trainable_variables),
                                  (s["g_ov"], self.g_opt.variables), (s["d_ov"], self.d_opt.variables)):
            for value, variable in zip(values, variables):
                variable.assign(value)

    def set_learning_rate(self, value: float) -> None:
        for opt, key in ((self.g_opt, "g_ov"), (self.d_opt, "d_ov")):
            for i, variable in enumerate(opt.variables):
                if variable.path.endswith("learning_rate"):
                    self.state[key][i] = jax.numpy.asarray(value, dtype=self.state[key][i].dtype)

    # --- steps -----------------------------------------------------------------------------------
    def _put(self, array):
        """Shard a host batch across the devices (one SPMD program: BatchNorm sees the global batch)."""
        if self.distribution is None:
            return array
        return jax.device_put(array, self.distribution.get_data_layout(array.shape).backend_layout)

    def pretrain_step(self, lr, hr):
        self.state, metrics = self._pretrain(self.state, self._put(lr), self._put(hr))
        return metrics

    def gan_step(self, lr, hr, real_labels, fake_labels, gen_labels):
        args = [self._put(a) for a in (lr, hr, real_labels, fake_labels, gen_labels)]
        self.state, metrics = self._gan(self.state, self.vgg_vars, *args)
        return metrics

    def _pretrain_fn(self, state, lr, hr):
        def loss_fn(g_tv):
            sr, g_ntv = self.G.stateless_call(g_tv, state["g_ntv"], lr, training=True)
            loss = losses.mse(sr, hr)
            return _scale(self.g_opt, state["g_ov"], loss), (loss, g_ntv)

        (_, (loss, g_ntv)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state["g_tv"])
        g_tv, g_ov = self.g_opt.stateless_apply(state["g_ov"], grads, state["g_tv"])
        return {**state, "g_tv": g_tv, "g_ntv": g_ntv, "g_ov": g_ov}, {"g_loss": loss, "content_loss": loss}

    def _gan_fn(self, state, vgg_vars, lr, hr, real_labels, fake_labels, gen_labels):
        """Same order as the TF step: G forward once (vjp kept), D update, then G update via the vjp."""
        def g_forward(g_tv):
            sr, g_ntv = self.G.stateless_call(g_tv, state["g_ntv"], lr, training=True)
            return sr, g_ntv

        sr, g_vjp, g_ntv = jax.vjp(g_forward, state["g_tv"], has_aux=True)

        def d_loss_fn(d_tv, d_ntv):
            real_logits, d_ntv = self.D.stateless_call(d_tv, d_ntv, hr, training=True)
            fake_logits, d_ntv = self.D.stateless_call(d_tv, d_ntv, jax.lax.stop_gradient(sr), training=True)
            d_loss, d_real, d_fake = discriminator_terms(real_logits, fake_logits, real_labels, fake_labels)
            return _scale(self.d_opt, state["d_ov"], d_loss), (d_loss, d_real, d_fake, d_ntv)

        (_, (d_loss, d_real, d_fake, d_ntv)), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(
            state["d_tv"], state["d_ntv"])
        d_tv, d_ov = self.d_opt.stateless_apply(state["d_ov"], d_grads, state["d_tv"])

        features_hr, _ = self.vgg.stateless_call([], vgg_vars, hr, training=False)

        def g_loss_fn(sr, d_ntv):
            sr_logits, d_ntv = self.D.stateless_call(d_tv, d_ntv, sr, training=True)
            features_sr, _ = self.vgg.stateless_call([], vgg_vars, sr, training=False)
            g_loss, content, adversarial = generator_terms(sr, hr, features_sr, features_hr, sr_logits, gen_labels, self.cfg)
            return _scale(self.g_opt, state["g_ov"], g_loss), (g_loss, content, adversarial, d_ntv)

        (_, (g_loss, content, adversarial, d_ntv)), d_sr = jax.value_and_grad(g_loss_fn, has_aux=True)(sr, d_ntv)
        (g_grads,) = g_vjp(d_sr)
        g_tv, g_ov = self.g_opt.stateless_apply(state["g_ov"], g_grads, state["g_tv"])
        new_state = {"g_tv": g_tv, "g_ntv": g_ntv, "d_tv": d_tv, "d_ntv": d_ntv, "g_ov": g_ov, "d_ov": d_ov}
        metrics = {"d_loss": d_loss, "g_loss": g_loss, "content_loss": content, "adv_loss": adversarial,
                   "d_real": d_real, "d_fake": d_fake}
        return new_state, metrics
