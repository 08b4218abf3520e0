"""The content loss with no feature network: the pixel MSE itself (the SRGAN paper's SRGAN-MSE).

Entry of `networks.CONTENT_LOSSES` ("pixel"): SETTINGS, check, build (None: no network), loss, describe, LAYERS.
"""

from __future__ import annotations

from .common import mse

SETTINGS = ()
LAYERS = ()


def check(cfg) -> list[str]:
    return []


def build(cfg, synchronized_bn: bool = False):
    return None


def loss(sr, hr, features_sr, features_hr, cfg):
    return mse(sr, hr)


def describe(cfg) -> str:
    return "pixel MSE"
