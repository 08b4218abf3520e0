"""NIQE (no-reference naturalness, lower is more natural) as the authors' MATLAB code computes it: their
number on the reference image, and it rises as real photos are blurred or made noisy."""

import numpy as np
import pytest
from conftest import shared_data
from PIL import Image, ImageFilter

from srgan_helpers.metrics.niqe import matlab_halve, niqe


def photo(folder, name):
    return Image.open(shared_data(folder) / name).convert("RGB")


def test_the_reference_image_scores_what_matlab_gives():
    """MATLAB R2021a (the authors' release) on baboon.png, Y channel, no border: 5.72957 (SOURCES.md)."""
    assert niqe(np.asarray(photo("niqe", "baboon.png")), crop_border=0) == pytest.approx(5.72957, abs=0.01)


@pytest.mark.parametrize("folder, name", [("BSD100/HR", "8023.png"), ("Set14/HR", "lenna.png")])
def test_niqe_rises_along_a_blur_ladder_and_a_noise_ladder(folder, name):
    img = photo(folder, name)
    blurred = [niqe(np.asarray(img.filter(ImageFilter.GaussianBlur(r))), 4) for r in (0, 1, 2, 3)]
    rng, pixels = np.random.default_rng(0), np.asarray(img).astype(float)
    noisy = [niqe(np.clip(np.round(pixels + rng.normal(0, s, pixels.shape)), 0, 255).astype(np.uint8), 4)
             for s in (0, 5, 15, 30)]
    assert blurred == sorted(blurred) and blurred[-1] > blurred[0] + 3
    assert noisy == sorted(noisy) and noisy[-1] > noisy[0] + 3


def test_an_image_smaller_than_two_blocks_gets_one_clear_message():
    with pytest.raises(ValueError, match=r"NIQE needs two 96x96 blocks .* this image is 150x100"):
        niqe(np.zeros((108, 158, 3), np.uint8), crop_border=4)
    assert np.isfinite(niqe(np.random.default_rng(0).integers(0, 256, (96, 192, 3), dtype=np.uint8)))


def test_matlab_halving_keeps_a_flat_image_and_averages_a_checkerboard():
    flat = np.full((10, 14), 7.0)
    np.testing.assert_allclose(matlab_halve(flat), np.full((5, 7), 7.0))
    checker = np.indices((16, 16)).sum(axis=0) % 2 * 255.0
    assert matlab_halve(checker).shape == (8, 8) and np.allclose(matlab_halve(checker)[2:-2, 2:-2], 127.5, atol=1)
