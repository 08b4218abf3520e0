"""A step is traced once per process for the networks and losses it computes (training/step_spec.py): a second
training of the same networks reuses it, and nothing the spec leaves out can change what a step computes."""

import keras
import numpy as np
import pytest
from conftest import log_columns

from srgan_helpers.config import TrainConfig
from srgan_helpers.training.step_spec import NOT_IN_STEP, StepSpec

pytestmark = pytest.mark.backend


def _needs_jax():
    if keras.backend.backend() != "jax":
        pytest.skip("the jitted steps are JAX's; TensorFlow traces a tf.function per run")


def test_the_spec_is_the_step_and_not_the_run(tiny_config, monkeypatch):
    import types

    from srgan_helpers import networks
    from srgan_helpers.training.bundle import build_models, ensure_content_network

    cfg = tiny_config.replace(artifact_weight=1.0, ema_decay=0.999)
    first, second = build_models(cfg), build_models(cfg.replace(epochs=7, learning_rate=3e-4, data_dir="elsewhere"))
    assert StepSpec(first, cfg, False) == StepSpec(second, cfg.replace(epochs=7), False)
    assert hash(StepSpec(first, cfg, False)) == hash(StepSpec(second, cfg, False))
    for changed in (dict(adv_weight=0.5), dict(vgg_layer="block1_conv2"), dict(n_res_blocks=2), dict(seed=4),
                    dict(freeze_batchnorm=True), dict(mixed_precision="mixed_bfloat16")):
        assert StepSpec(first, cfg, False) != StepSpec(second, cfg.replace(**changed), False), changed
    before = StepSpec(first, cfg, False)
    monkeypatch.setitem(networks.GENERATORS, "srresnet", types.SimpleNamespace(build=lambda *a: None))
    assert StepSpec(first, cfg, False) != before  # a network registered anew under the old name
    monkeypatch.undo()
    ensure_content_network(first, cfg)  # the GAN step's spec says whether it runs the feature network
    assert StepSpec(first, cfg, True) != StepSpec(first, cfg, False)


def test_building_the_networks_and_tracing_both_steps_read_no_field_the_spec_leaves_out(tiny_config, monkeypatch):
    _needs_jax()
    import jax

    from srgan_helpers.training import jax_steps
    from srgan_helpers.training.averaging import WeightAverage
    from srgan_helpers.training.bundle import build_models, build_steps, ensure_content_network

    cfg = tiny_config.replace(artifact_weight=1.0, ema_decay=0.999, pixel_weight=0.5)
    built, traced = set(), set()
    reads = built
    original = TrainConfig.__getattribute__

    def recording(self, name):
        reads.add(name)
        return original(self, name)

    monkeypatch.setattr(TrainConfig, "__getattribute__", recording)
    models = build_models(cfg)
    ensure_content_network(models, cfg)
    models.generator_average = WeightAverage(cfg.ema_decay, models.generator, True).model
    steps = build_steps(models, cfg)
    gan_spec = StepSpec(models, cfg, with_content_network=True)
    reads = traced  # both steps traced afresh (the jitted steps may hold traces of this spec already)
    lr, hr, *labels = _batch(cfg)
    jax.make_jaxpr(lambda s, a, b: jax_steps._pretrain_fn(steps.pretrain_spec, s, a, b))(steps.state, lr, hr)
    content = [v.value for v in models.content_network.non_trainable_variables]
    average = ([v.value for v in models.generator_average.trainable_variables],
               [v.value for v in models.generator_average.non_trainable_variables])
    jax.make_jaxpr(lambda s, c, v, *a: jax_steps._gan_fn(gan_spec, s, c, v, *a))(steps.state, content, average, lr,
                                                                                   hr, *labels)
    monkeypatch.undo()
    assert {"adv_weight", "pixel_weight", "artifact_weight", "vgg_rescale"} <= traced  # it recorded
    assert {"n_res_blocks", "vgg_layer", "d_head"} <= built
    assert not traced & NOT_IN_STEP, sorted(traced & NOT_IN_STEP)
    # Building reads one: the learning rate, which the optimizers hold as a variable (a value of the state).
    assert built & NOT_IN_STEP == {"learning_rate"}, sorted(built & NOT_IN_STEP)
    assert [v.path for v in models.g_optimizer.variables if v.path.endswith("learning_rate")]


def _batch(cfg):
    rng = np.random.default_rng(0)
    lr = rng.uniform(-1, 1, (cfg.batch_size, cfg.crop_size // 4, cfg.crop_size // 4, 3)).astype(np.float32)
    hr = rng.uniform(-1, 1, (cfg.batch_size, cfg.crop_size, cfg.crop_size, 3)).astype(np.float32)
    labels = np.full((cfg.batch_size, 1), 0.9, np.float32)
    return lr, hr, labels, labels, labels


def test_a_second_training_of_the_same_networks_traces_no_step(tiny_config, tmp_path):
    _needs_jax()
    from srgan_helpers.training import jax_steps, train

    cfg = tiny_config.replace(sample_every=100)
    train(cfg, tmp_path / "first", progress=False)
    traced = jax_steps.jitted_pretrain._cache_size(), jax_steps.jitted_gan._cache_size()
    train(cfg.replace(epochs=3), tmp_path / "second", progress=False)  # other epochs: the same step
    assert (jax_steps.jitted_pretrain._cache_size(), jax_steps.jitted_gan._cache_size()) == traced
    first, second = log_columns(tmp_path / "first" / "loss_log.csv"), log_columns(tmp_path / "second" / "loss_log.csv")
    for key in ("g_loss", "d_loss", "content_loss", "adv_loss"):  # the reused step, to the last digit
        np.testing.assert_array_equal(second[key][:3], first[key], err_msg=key)
    # (Another loss is another spec, test_the_spec_is_the_step_and_not_the_run; jax.jit traces each spec once.)
