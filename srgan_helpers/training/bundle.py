"""The models of a run in one object (both networks, both optimizers, the content network), how they are built, and the
public way to get the training steps for the active backend."""

from __future__ import annotations

import dataclasses
import warnings

from .steps import TrainingSteps


@dataclasses.dataclass
class GanModels:
    """Generator, discriminator, their Adam optimizers, and the content loss's frozen feature network (VGG19
    features, say; built only when the GAN phase starts: pre-training needs no VGG weights; None when the content
    loss has no network)."""

    generator: object
    discriminator: object
    g_optimizer: object
    d_optimizer: object
    content_network: object = None
    generator_average: object = None  # LDL (cfg.artifact_weight): a copy of the generator holding the average
    content_network_stale: bool = False  # a kept run's (kept_steps): its values are set anew when next needed


def make_optimizer(cfg, model):
    """Adam(learning_rate, beta_1) built on `model`'s variables (loss-scaled for mixed_float16)."""
    import keras

    opt = keras.optimizers.Adam(learning_rate=cfg.learning_rate, beta_1=cfg.beta_1)
    if cfg.mixed_precision == "mixed_float16":
        opt = keras.optimizers.LossScaleOptimizer(opt)
    opt.build(model.trainable_variables)
    return opt


def build_models(cfg, placement=None) -> GanModels:
    """Both networks and optimizers for `cfg`, inside `placement`'s scope (several devices)."""
    from .. import networks

    sync_bn = placement is not None and placement.strategy is not None and placement.distributed
    scope = placement.scope() if placement is not None else _null()
    with scope:
        generator = networks.build("generator", cfg, sync_bn)
        if cfg.generator_from:
            start_from(generator, cfg.generator_from)
        if cfg.freeze_batchnorm:
            freeze_batchnorm(generator)
        discriminator = networks.build("discriminator", cfg, sync_bn)
        return GanModels(generator, discriminator, make_optimizer(cfg, generator), make_optimizer(cfg, discriminator))


def start_from(generator, source: str) -> None:
    """Copy the weights of `source` (a shipped model's name, a run folder or a .keras file) into `generator`;
    the architectures must match."""
    generator.set_weights(check_same_architecture(generator, source).get_weights())


def check_same_architecture(generator, source: str):
    """The generator `source` names, loaded; ValueError when its weights do not fit `generator`'s shapes."""
    from ..inference import load_generator

    trained = load_generator(source)
    if [w.shape for w in generator.get_weights()] != [w.shape for w in trained.get_weights()]:
        raise ValueError(f"generator_from={source!r}: its network ({trained.count_params():,} parameters) differs "
                         f"from this config's ({generator.count_params():,}): set n_res_blocks, scale and upsample "
                         f"as it was trained")
    return trained


def freeze_batchnorm(model) -> None:
    """Every BatchNormalization layer of `model` keeps its moving statistics and its scale and offset: it
    normalises in training exactly as in inference (Keras 3 runs a non-trainable BatchNorm in inference mode)."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


def ensure_content_network(models: GanModels, cfg, placement=None) -> None:
    """Build the content loss's feature extractor once (the GAN phase's content loss). A kept run's network
    (kept_steps) is built anew and its values copied into the one the kept steps run, so that a run draws the
    same random numbers and reads the same weights file whether or not its steps were kept."""
    if models.content_network is not None and not models.content_network_stale:
        return
    from .. import networks

    with placement.scope() if placement is not None else _null(), warnings.catch_warnings():
        warnings.simplefilter("always")
        built = networks.build("content_loss", cfg)
    if models.content_network is None:
        models.content_network = built
    else:
        models.content_network.set_weights(built.get_weights())
    models.content_network_stale = False


def build_steps(models: GanModels, cfg, placement=None) -> TrainingSteps:
    """The training steps of the active Keras backend ('tensorflow' or 'jax')."""
    import keras

    name = keras.backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        from .tf_steps import TFSteps

        jit = cfg.jit_compile if cfg.jit_compile is not None else bool(tf.config.list_physical_devices("GPU"))
        return TFSteps(models, cfg, jit_compile=jit, strategy=placement.strategy if placement else None)
    if name == "jax":
        from .jax_steps import JaxSteps

        return JaxSteps(models, cfg, distribution=placement.distribution if placement else None)
    raise RuntimeError(f"KERAS_BACKEND={name!r} has no GAN training step; use 'tensorflow' or 'jax'")


def _null():
    import contextlib

    return contextlib.nullcontext()
