"""The networks a config can name, one table each: generators (`TrainConfig.generator`), discriminators
(`TrainConfig.discriminator`) and content losses (`TrainConfig.content_loss`).

An entry is one module (or any object with the same names) that owns its settings:
  SETTINGS   the TrainConfig fields it reads;
  check(cfg) what is wrong with them, one line each (TrainConfig refuses a config with any);
  build(cfg, synchronized_bn) the keras.Model (a content loss: its feature network, or None);
  LAYERS     the modules holding its custom Keras layers (imported before a saved model loads);
and a content loss also
  loss(sr, hr, features_sr, features_hr, cfg) its formula, and describe(cfg) its name in words;
and any entry may add preflight(cfg), checks on this machine before training (a weights file exists).
Adding a network is its module plus one line here. Entry modules import Keras only inside their
functions, so a config is checked without it.
"""

from __future__ import annotations

import importlib

from . import discriminator, pixel, random_vgg, rrdb, srresnet, unet_discriminator, vgg

GENERATORS = {"srresnet": srresnet, "rrdb": rrdb}  # SRResNet (Ledig et al. 2017); RRDBNet (ESRGAN, Wang et al. 2018)
DISCRIMINATORS = {"srgan": discriminator,  # the SRGAN discriminator (8 conv blocks + dense head)
                  "unet": unet_discriminator}  # Real-ESRGAN's U-Net with spectral norm: one logit per pixel
CONTENT_LOSSES = {
    "vgg19": vgg,  # VGG19 features up to cfg.vgg_layer (weights: cfg.vgg_weights; ImageNet by default)
    "random_vgg19": random_vgg,  # VGG19 with random weights, five layers (Liu et al. 2021): works offline
    "pixel": pixel,  # pixel MSE + adversarial (SRGAN-MSE): no feature network
}
TABLES = {"generator": GENERATORS, "discriminator": DISCRIMINATORS, "content_loss": CONTENT_LOSSES}


def _unknown(kind: str, name) -> str:
    return f"{kind}={name!r}: use one of {sorted(TABLES[kind])}"


def entry(kind: str, cfg):
    """The entry of table `kind` that `cfg` names."""
    table, name = TABLES[kind], getattr(cfg, kind)
    if name not in table:
        raise ValueError(_unknown(kind, name))
    return table[name]


def build(kind: str, cfg, synchronized_bn: bool = False):
    """The network of `kind` ("generator", "discriminator", "content_loss") that `cfg` names."""
    return entry(kind, cfg).build(cfg, synchronized_bn)


def problems(cfg) -> list[str]:
    """Every unknown network name in `cfg`, and what each named entry finds wrong with its settings."""
    found = []
    for kind, table in TABLES.items():
        name = getattr(cfg, kind)
        found += table[name].check(cfg) if name in table else [_unknown(kind, name)]
    return found


def preflight(cfg) -> None:
    """The checks the named networks make on this machine before training (a weights file exists, say):
    each entry's optional preflight(cfg), which raises ValueError."""
    for kind in TABLES:
        check = getattr(entry(kind, cfg), "preflight", None)
        if check:
            check(cfg)


def content_loss(sr, hr, features_sr, features_hr, cfg):
    """The content term of the generator's loss: the formula of the content-loss entry `cfg` names."""
    return entry("content_loss", cfg).loss(sr, hr, features_sr, features_hr, cfg)


def figure_note(cfg) -> str | None:
    """The warning every figure of the run carries (untrained weights where trained ones were meant), or None."""
    note = getattr(entry("content_loss", cfg), "figure_note", None)
    return note(cfg) if note else None


def content_loss_name(cfg) -> str:
    """What the generator's GAN-phase loss is, in words, for cards, figures and summaries."""
    name = entry("content_loss", cfg).describe(cfg)
    if cfg.pixel_weight and cfg.content_loss != "pixel":
        name += f" + {cfg.pixel_weight:g} x pixel MSE"
    return f"{name} + {cfg.adv_weight:g} x adversarial"


def register_layers() -> None:
    """Import the module of every custom layer any entry uses, so Keras finds each class when a model loads."""
    for table in TABLES.values():
        for network in table.values():
            for module in network.LAYERS:
                importlib.import_module(module)


def model_summary(model) -> str:
    lines: list[str] = []
    model.summary(print_fn=lambda line, **_: lines.append(line), expand_nested=False)
    return "\n".join(lines)
