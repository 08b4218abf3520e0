import numpy as np
import pytest
from conftest import shared_data

from srgan_helpers.data.evalsets import read_paired_folder
from srgan_helpers.metrics import bicubic_upscale, psnr, rgb_to_y, ssim


def test_y_channel_is_matlab_bt601():
    assert rgb_to_y(np.array([[[0, 0, 0]]], np.uint8))[0, 0] == pytest.approx(16.0)
    assert rgb_to_y(np.array([[[255, 255, 255]]], np.uint8))[0, 0] == pytest.approx(235.0)


def test_psnr_known_value_and_border_crop():
    hr = np.full((16, 16, 3), 100, np.uint8)
    sr = hr.copy()
    sr[:4] = 0  # damage only the border rows
    assert psnr(hr, sr, crop_border=4) == float("inf")
    sr = hr + np.uint8(1)
    # Y difference of a +1 step in R, G and B = (65.481 + 128.553 + 24.966) / 255
    step = 219.0 / 255
    assert psnr(hr, sr, crop_border=0) == pytest.approx(10 * np.log10(255 ** 2 / step ** 2))
    big = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    assert ssim(big, big) == pytest.approx(1.0) and ssim(big, 255 - big) < 0.5
    with pytest.raises(ValueError, match="shapes differ"):
        psnr(hr, hr[:8])


@pytest.mark.parametrize("name, expected", [("Set5", 28.42), ("BSD100", 25.96)])
def test_bicubic_reproduces_the_published_baseline(name, expected):
    pairs = read_paired_folder(shared_data(name), scale=4)
    mean = np.mean([psnr(hr, bicubic_upscale(lr, 4), crop_border=4) for _, hr, lr in pairs])
    assert mean == pytest.approx(expected, abs=0.05)
