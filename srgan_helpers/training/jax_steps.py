"""JAX steps: stateless_call + jax.value_and_grad + optimizer.stateless_apply, jitted, buffers donated.

All state is passed explicitly and returned, as one typed record (a pytree, as flax's TrainState):

    TrainState(generator=NetworkState(trainable_variables, non_trainable_variables, optimizer_variables),
               discriminator=NetworkState(...))

VGG's frozen weights are passed beside it. `sync_to_models` writes the state back into the Keras
variables before a checkpoint, a sample strip or the export.

The step functions are jitted once, here, with what they compute apart from the values (the networks'
structure, the losses: a `StepSpec`) as a static argument: a second training of the same networks in one
process (a re-run notebook cell, a resume) reuses the traced and compiled steps instead of tracing again.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import keras

from . import losses
from .common import discriminator_terms, generator_terms
from .step_spec import StepSpec


def _scale(opt, optimizer_variables, loss):
    if not isinstance(opt, keras.optimizers.LossScaleOptimizer):
        return loss
    with keras.StatelessScope(state_mapping=list(zip(opt.variables, optimizer_variables))):
        return opt.scale_loss(loss)


class NetworkState(NamedTuple):
    """One network's state in the step: the values it differentiates, the ones it carries along (BatchNorm
    statistics) and its optimizer's."""

    trainable_variables: list
    non_trainable_variables: list
    optimizer_variables: list

    @classmethod
    def read(cls, model, optimizer) -> NetworkState:
        return cls([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables],
                   [v.value for v in optimizer.variables])

    def write(self, model, optimizer) -> None:
        for values, variables in ((self.trainable_variables, model.trainable_variables),
                                  (self.non_trainable_variables, model.non_trainable_variables),
                                  (self.optimizer_variables, optimizer.variables)):
            for value, variable in zip(values, variables):
                variable.assign(value)


class TrainState(NamedTuple):
    generator: NetworkState
    discriminator: NetworkState


class JaxSteps:
    """Pre-training (MSE) and GAN steps for the JAX backend (implements TrainingSteps)."""

    def __init__(self, models, cfg, distribution=None):
        self.models, self.cfg = models, cfg
        self.distribution = distribution  # keras.distribution.DataParallel: batches are sharded along axis 0
        self.replicated = None if distribution is None else jax.sharding.NamedSharding(  # (see _replicated)
            distribution.get_data_layout((1,)).backend_layout.mesh, jax.sharding.PartitionSpec())
        self.pretrain_spec = StepSpec(models, cfg, with_content_network=False)
        self.gan_spec = None  # made at the first GAN step: the content network is built when that phase starts
        self.content_variables = None
        self.load_from_models()

    # --- TrainingSteps -----------------------------------------------------------------------------
    def load_from_models(self) -> None:
        """(Re)read every variable's value into the explicit state (after building or loading)."""
        m = self.models
        self.state = self._replicated(TrainState(NetworkState.read(m.generator, m.g_optimizer),
                                                 NetworkState.read(m.discriminator, m.d_optimizer)))

    def generator_weights(self) -> list:
        g = self.state.generator
        return list(g.trainable_variables) + list(g.non_trainable_variables)

    def sync_to_models(self) -> None:
        m = self.models
        self.state.generator.write(m.generator, m.g_optimizer)
        self.state.discriminator.write(m.discriminator, m.d_optimizer)

    def set_learning_rate(self, value: float) -> None:
        for opt, network in ((self.models.g_optimizer, self.state.generator),
                             (self.models.d_optimizer, self.state.discriminator)):
            values = network.optimizer_variables
            for i, variable in enumerate(opt.variables):
                if variable.path.endswith("learning_rate"):
                    values[i] = self._replicated(jax.numpy.asarray(value, dtype=values[i].dtype))

    def pretrain_step(self, lr, hr) -> dict:
        self.state, metrics = jitted_pretrain(self.pretrain_spec, self.state, self._put(lr), self._put(hr))
        return metrics

    def gan_step(self, lr, hr, real_labels, fake_labels, gen_labels) -> dict:
        if self.gan_spec is None:
            network = self.models.content_network  # None: a content loss with no feature network (pixel MSE)
            self.content_variables = [] if network is None else self._replicated(
                [v.value for v in network.non_trainable_variables])
            self.gan_spec = StepSpec(self.models, self.cfg, with_content_network=True)
        args = [self._put(a) for a in (lr, hr, real_labels, fake_labels, gen_labels)]
        average = self.models.generator_average  # LDL: the averaged generator's output enters the loss
        average_variables = None if average is None else self._replicated(
            ([v.value for v in average.trainable_variables], [v.value for v in average.non_trainable_variables]))
        self.state, metrics = jitted_gan(self.gan_spec, self.state, self.content_variables, average_variables, *args)
        return metrics

    def _replicated(self, tree):
        """On several devices: every array of `tree` on all of them in the one form the steps return them in
        (NamedSharding, spec P()). Keras places variables as P(None, ...) and a new value on one device; jit
        takes either for another input sharding and compiles the step once more (a full compile on a GPU)."""
        return tree if self.replicated is None else jax.device_put(tree, self.replicated)

    def _put(self, array):
        """Shard a host batch across the devices (one SPMD program: BatchNorm sees the global batch)."""
        if self.distribution is None:
            return array
        return jax.device_put(array, self.distribution.get_data_layout(array.shape).backend_layout)


# --- the step functions: `spec` gives the networks' structure and the config; every value is an argument ---
def _pretrain_fn(spec, state, lr, hr):
    G, g_opt, g = spec.models.generator, spec.models.g_optimizer, state.generator

    def loss_fn(trainable_variables):
        sr, non_trainable_variables = G.stateless_call(trainable_variables, g.non_trainable_variables, lr,
                                                       training=True)
        loss = losses.mse(sr, hr)
        return _scale(g_opt, g.optimizer_variables, loss), (loss, non_trainable_variables)

    (_, (loss, non_trainable)), grads = jax.value_and_grad(loss_fn, has_aux=True)(g.trainable_variables)
    trainable, optimizer_variables = g_opt.stateless_apply(g.optimizer_variables, grads, g.trainable_variables)
    new_g = NetworkState(trainable, non_trainable, optimizer_variables)
    return state._replace(generator=new_g), {"g_loss": loss, "content_loss": loss}


def _gan_fn(spec, state, content_variables, average_variables, lr, hr, real_labels, fake_labels, gen_labels):
    """Same order as the TF step: G forward once (vjp kept), D update, then G update via the vjp."""
    G, g = spec.models.generator, state.generator
    sr_average = None if average_variables is None else G.stateless_call(*average_variables, lr, training=False)[0]

    def g_forward(trainable_variables):
        return G.stateless_call(trainable_variables, g.non_trainable_variables, lr, training=True)

    sr, g_vjp, g_non_trainable = jax.vjp(g_forward, g.trainable_variables, has_aux=True)
    d, d_metrics = _discriminator_update(spec, state.discriminator, hr, sr, real_labels, fake_labels)
    g_metrics, d_sr, d_non_trainable = _generator_loss_grad(spec, d, content_variables, sr, hr, gen_labels, g,
                                                            sr_average)
    (g_grads,) = g_vjp(d_sr)
    trainable, optimizer_variables = spec.models.g_optimizer.stateless_apply(
        g.optimizer_variables, g_grads, g.trainable_variables)
    new_state = TrainState(NetworkState(trainable, g_non_trainable, optimizer_variables),
                           d._replace(non_trainable_variables=d_non_trainable))
    return new_state, {**d_metrics, **g_metrics}


def _discriminator_update(spec, d, hr, sr, real_labels, fake_labels):
    D, d_opt = spec.models.discriminator, spec.models.d_optimizer

    def d_loss_fn(trainable_variables, non_trainable_variables):
        real_logits, non_trainable_variables = D.stateless_call(trainable_variables, non_trainable_variables, hr,
                                                                training=True)
        fake_logits, non_trainable_variables = D.stateless_call(trainable_variables, non_trainable_variables,
                                                                jax.lax.stop_gradient(sr), training=True)
        d_loss, d_real, d_fake = discriminator_terms(real_logits, fake_logits, real_labels, fake_labels)
        return _scale(d_opt, d.optimizer_variables, d_loss), (d_loss, d_real, d_fake, non_trainable_variables)

    (_, (d_loss, d_real, d_fake, non_trainable)), grads = jax.value_and_grad(d_loss_fn, has_aux=True)(
        d.trainable_variables, d.non_trainable_variables)
    trainable, optimizer_variables = d_opt.stateless_apply(d.optimizer_variables, grads, d.trainable_variables)
    new_d = NetworkState(trainable, non_trainable, optimizer_variables)
    return new_d, {"d_loss": d_loss, "d_real": d_real, "d_fake": d_fake}


def _generator_loss_grad(spec, d, content_variables, sr, hr, gen_labels, g, sr_average=None):
    """The perceptual loss against the updated D, and its gradient with respect to SR."""
    D, content = spec.models.discriminator, spec.models.content_network
    features = (lambda x: None) if content is None else (
        lambda x: content.stateless_call([], content_variables, x, training=False)[0])
    features_hr = features(hr)

    def g_loss_fn(sr, non_trainable_variables):
        sr_logits, non_trainable_variables = D.stateless_call(d.trainable_variables, non_trainable_variables, sr,
                                                              training=True)
        features_sr = features(sr)
        g_loss, content, adversarial = generator_terms(sr, hr, features_sr, features_hr, sr_logits, gen_labels,
                                                       spec.cfg, sr_average)
        scaled = _scale(spec.models.g_optimizer, g.optimizer_variables, g_loss)
        return scaled, (g_loss, content, adversarial, non_trainable_variables)

    (_, (g_loss, content, adversarial, non_trainable)), d_sr = jax.value_and_grad(g_loss_fn, has_aux=True)(
        sr, d.non_trainable_variables)
    return {"g_loss": g_loss, "content_loss": content, "adv_loss": adversarial}, d_sr, non_trainable


# Jitted once per process; jax.jit keeps one trace per distinct StepSpec (and input shapes and shardings).
jitted_pretrain = jax.jit(_pretrain_fn, static_argnums=0, donate_argnums=1)
jitted_gan = jax.jit(_gan_fn, static_argnums=0, donate_argnums=1)
