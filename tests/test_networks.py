"""The tables of networks a config names: each name builds its network; an unknown name is refused by the
config check before anything is built, naming the choices; adding an entry is all a new network needs."""

import keras
import numpy as np
import pytest

from srgan_helpers import networks
from srgan_helpers.config import TrainConfig


def test_each_table_entry_builds_from_a_config():
    cfg = TrainConfig(n_res_blocks=1, crop_size=32, d_head="pool", vgg_weights=None, vgg_layer="block1_conv2")
    generator = networks.build("generator", cfg)
    assert tuple(generator(np.zeros((1, 6, 5, 3), "float32")).shape) == (1, 24, 20, 3)
    assert tuple(networks.build("discriminator", cfg)(np.zeros((2, 32, 32, 3), "float32")).shape) == (2, 1)
    with pytest.warns(UserWarning, match="RANDOM weights"):
        features = networks.build("content_loss", cfg)
    assert features.output.shape[-1] == 64


@pytest.mark.parametrize("kind", sorted(networks.TABLES))
def test_an_unknown_name_is_refused_by_the_config_check_with_the_choices(kind):
    with pytest.raises(ValueError, match=rf"{kind}='nope': use one of \['"):
        TrainConfig(**{kind: "nope"})


def test_a_new_generator_is_one_table_entry(monkeypatch, tiny_config):
    """A registered builder is what build_models uses, and the config accepts its name."""
    from srgan_helpers.training import build_models

    def tiny_bicubic_net(cfg, synchronized_bn=False):
        lr = keras.Input((None, None, 3))
        return keras.Model(lr, keras.layers.UpSampling2D(cfg.scale)(keras.layers.Conv2D(3, 3, padding="same")(lr)))

    monkeypatch.setitem(networks.GENERATORS, "upsampling", tiny_bicubic_net)
    models = build_models(tiny_config.replace(generator="upsampling"))
    assert [layer.__class__.__name__ for layer in models.generator.layers][-1] == "UpSampling2D"
