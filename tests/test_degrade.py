"""The degradation model: seeded, each stage's effect measurable on real photos (blur takes out high
frequencies, JPEG leaves 8x8 block edges, noise has the asked sigma), the loader's realistic LR resumable,
and the fixed mild / strong evaluation sets built once and cached."""

import numpy as np
import pytest
from conftest import shared_data
from PIL import Image

from srgan_helpers.data import degrade as d
from srgan_helpers.data.evalsets import read_degraded_set, read_eval_set


@pytest.fixture(scope="module")
def photo():
    return np.asarray(Image.open(shared_data("Set14/HR") / "lenna.png").convert("RGB"))[:192, :192]


def high_frequency_energy(image):
    gray = np.asarray(image, np.float64).mean(axis=-1)
    return float(np.mean((gray[1:-1, 1:-1] * 4 - gray[:-2, 1:-1] - gray[2:, 1:-1] - gray[1:-1, :-2]
                          - gray[1:-1, 2:]) ** 2))


def test_same_seed_same_lr_and_another_seed_another(photo):
    hr = photo[:96, :96]
    first, again, other = (d.degrade(hr, np.random.default_rng(s)) for s in (7, 7, 8))
    assert first.shape == (24, 24, 3) and first.dtype == np.uint8
    assert np.array_equal(first, again) and not np.array_equal(first, other)


def test_every_blur_kernel_is_normalised_and_takes_out_high_frequencies(photo):
    """Random kernels of both stages never add high frequencies (sigma 0.2, the range's low end, is nearly
    no blur); a kernel of each family with a wider spread takes out most of them."""
    rng, image = np.random.default_rng(0), photo.astype(np.float32) / 255
    kernels = [d.random_kernel(rng, d.StageRanges(sinc_prob=p), (7, 21)) for p in (0.0, 1.0) for _ in range(6)]
    assert all(abs(k.sum() - 1) < 1e-6 and k.shape[0] % 2 == 1 for k in kernels)
    before = high_frequency_energy(photo)
    assert all(high_frequency_energy(d.to_uint8(d.blur(image, k))) <= 1.01 * before for k in kernels)
    families = [d.gaussian_family_kernel(21, 1.5, 1.5, 0.0), d.gaussian_family_kernel(21, 2.0, 0.8, 0.7),
                d.gaussian_family_kernel(21, 1.5, 1.5, 0.0, beta=2.0), d.gaussian_family_kernel(21, 1.5, 1.5, 0.0,
                                                                                                  1.5, plateau=True),
                d.sinc_kernel(21, np.pi / 3)]
    for kernel in families:
        assert high_frequency_energy(d.to_uint8(d.blur(image, kernel))) < 0.5 * before
    rotated = d.gaussian_family_kernel(15, 3.0, 0.8, np.pi / 4)
    assert not np.allclose(rotated, rotated.T[::-1])  # anisotropic and turned


def test_jpeg_leaves_8x8_block_boundaries(photo):
    decoded = d.to_uint8(d.jpeg(photo.astype(np.float32) / 255, 20)).astype(np.float64).mean(axis=-1)
    steps = np.abs(np.diff(decoded, axis=1)).mean(axis=0)  # column-to-column change, per column gap
    at_edges, inside = steps[7::8].mean(), np.delete(steps, np.s_[7::8]).mean()
    assert at_edges > 1.3 * inside
    original = np.abs(np.diff(photo.astype(np.float64).mean(axis=-1), axis=1)).mean(axis=0)
    assert original[7::8].mean() < 1.1 * np.delete(original, np.s_[7::8]).mean()  # not so before


@pytest.mark.parametrize("sigma", [3.0, 10.0, 25.0])
def test_gaussian_noise_has_the_asked_sigma_colour_or_gray(sigma):
    flat = np.full((256, 256, 3), 0.5, np.float32)
    colour = d.gaussian_noise(flat, np.random.default_rng(0), sigma, gray=False) - 0.5
    gray = d.gaussian_noise(flat, np.random.default_rng(0), sigma, gray=True) - 0.5
    assert colour.std() * 255 == pytest.approx(sigma, rel=0.02) and gray.std() * 255 == pytest.approx(sigma, rel=0.02)
    assert np.array_equal(gray[..., 0], gray[..., 2]) and not np.array_equal(colour[..., 0], colour[..., 2])


def test_poisson_noise_grows_with_brightness():
    rng = np.random.default_rng(0)
    ramp = np.repeat(np.linspace(0.05, 0.95, 2)[:, None, None], 64 * 64, axis=1).reshape(2, 64, 64)
    noisy = [d.poisson_noise(np.repeat(level[..., None], 3, -1), rng, 1.0, gray=False) - level[..., None]
             for level in ramp]
    assert noisy[1].std() > 2 * noisy[0].std()


def test_ranges_can_be_replaced_by_name():
    ranges = d.DegradeRanges.with_overrides({"first": {"noise_range": [1, 5]}, "final_sinc_prob": 0.0})
    assert ranges.first.noise_range == (1, 5) and ranges.final_sinc_prob == 0.0
    assert ranges.second == d.DegradeRanges().second
    with pytest.raises(TypeError):
        d.DegradeRanges.with_overrides({"first": {"noise": 1}})


def test_a_clean_share_gives_the_plain_bicubic_lr_and_leaves_the_other_draws_alone(photo):
    from srgan_helpers.images import bicubic_resize

    hr = photo[:96, :96]
    bicubic = np.asarray(bicubic_resize(Image.fromarray(hr), 24, 24))
    always = d.DegradeRanges.with_overrides({"clean_prob": 1.0})
    assert np.array_equal(d.degrade(hr, np.random.default_rng(0), always), bicubic)
    outputs = [d.degrade(hr, np.random.default_rng(s), d.DegradeRanges.with_overrides({"clean_prob": 0.3}))
               for s in range(40)]
    clean = sum(np.array_equal(o, bicubic) for o in outputs)
    assert 4 <= clean <= 22  # about 30% of 40
    assert np.array_equal(d.degrade(hr, np.random.default_rng(5), d.DegradeRanges()),  # 0: no extra draw
                          d.degrade(hr, np.random.default_rng(5), d.DegradeRanges.with_overrides({"clean_prob": 0})))


def test_the_loaders_realistic_lr_is_seeded_per_step_and_resumable():
    from test_loader import nearest_pairs

    from srgan_helpers.data.loader import BatchLoader

    make = lambda: BatchLoader(nearest_pairs(lr_side=12), 2, crop_size=32, augment=True, seed=4,  # noqa: E731
                               steps_per_epoch=3, degradation=d.DegradeRanges())
    batches = list(make().epoch(1))
    stored = list(BatchLoader(nearest_pairs(lr_side=12), 2, crop_size=32, augment=True, seed=4,
                              steps_per_epoch=3).epoch(1))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(batches, stored))  # the same HR patches ...
    assert not any(np.array_equal(a[0], b[0]) for a, b in zip(batches, stored))  # ... with other LR
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(batches[1:], make().epoch(1, start_step=1)))


def test_a_degraded_set_is_built_once_then_read_from_its_cache(tmp_path):
    set5 = shared_data("Set5")
    name, pairs = read_degraded_set(set5, "strong", cache=tmp_path)
    cached = sorted((tmp_path / "Set5-strong-x4").glob("*.png"))
    assert name == "Set5 (strong)" and len(cached) == 5 and (tmp_path / "Set5-strong-x4" / "recipe.json").is_file()
    stamps = [p.stat().st_mtime_ns for p in cached]
    again = read_degraded_set(set5, "strong", cache=tmp_path)[1]
    assert [p.stat().st_mtime_ns for p in cached] == stamps  # read from the cache, not rebuilt
    assert all(np.array_equal(a[2], b[2]) for a, b in zip(pairs, again))
    clean = {n: lr for n, _, lr in read_eval_set(set5)[1]}
    assert all(lr.shape == clean[n].shape for n, _, lr in pairs)
    with pytest.raises(ValueError, match="use one of"):
        read_degraded_set(set5, "medium", cache=tmp_path)


def test_evaluate_scores_degraded_inputs_against_the_clean_hr(tmp_path, monkeypatch, capsys):
    from srgan_helpers import evaluate

    monkeypatch.chdir(tmp_path)  # the cache goes to data/degraded/ under the working folder
    psnr = {level: evaluate.evaluate(None, shared_data("Set5"), progress=False, degrade=level)["mean"]["bicubic_psnr"]
            for level in ("mild", "strong")}
    clean = evaluate.evaluate(None, shared_data("Set5"), progress=False)["mean"]["bicubic_psnr"]
    assert clean > psnr["mild"] > psnr["strong"]
    assert (tmp_path / "data" / "degraded" / "Set5-mild-x4" / "recipe.json").is_file()
    assert evaluate.main([str(shared_data("Set5")), "--degrade", "strong"]) == 0
    assert "| Set5 (strong) | 5 |" in capsys.readouterr().out


def test_the_preview_shows_one_patch_and_eight_seeds_each_titled_with_what_was_drawn(tiny_set):
    from srgan_helpers.workflows import degradation_preview

    fig = degradation_preview(tiny_set, seed=2, ranges={"clean_prob": 0.0})
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.images]
    assert len(titles) == 9 and titles[0].startswith("HR ")
    assert [t.splitlines()[0] for t in titles[1:]] == [f"seed {s}" for s in range(8)]
    notes: list[str] = []
    hr = np.asarray(fig.axes[0].images[0].get_array())
    d.degrade(np.ascontiguousarray(hr), np.random.default_rng([2, 3]), d.DegradeRanges(), 4, notes)
    assert titles[4].splitlines()[1:] == notes  # each title is what that seed drew
    assert any("JPEG" in line for line in notes) and any("noise" in line or "Poisson" in line for line in notes)


ATTACK = [  # the outside attack's values: 18 of 19 were accepted before
    ({"first": {"blur_sigma": [-1, 2]}}, "first.blur_sigma"),
    ({"second": {"noise_range": [-5, 10]}}, "second.noise_range"),
    ({"first": {"jpeg_range": [0, 90]}}, "first.jpeg_range"),
    ({"second": {"jpeg_range": [30, 101]}}, "second.jpeg_range"),
    ({"first": {"jpeg_range": [-5, 50]}}, "first.jpeg_range"),
    ({"first": {"noise_range": [20, 10]}}, "first.noise_range"),
    ({"second": {"resize_range": [1.2, 0.3]}}, "second.resize_range"),
    ({"kernel_sizes": [0, 21]}, "kernel_sizes"),
    ({"kernel_sizes": [-7, 21]}, "kernel_sizes"),
    ({"kernel_sizes": [7, 2001]}, "kernel_sizes"),
    ({"kernel_sizes": [8, 20]}, "kernel_sizes"),
    ({"first": {"resize_prob": [0.5, 0.5, 0.5]}}, "first.resize_prob"),
    ({"first": {"kernel_prob": [0, 0, 0, 0, 0, 0]}}, "first.kernel_prob"),
    ({"first": {"sinc_prob": float("nan")}}, "first.sinc_prob"),
    ({"clean_prob": 2}, "clean_prob"),
    ({"final_sinc_prob": -0.1}, "final_sinc_prob"),
    ({"second": {"poisson_scale_range": [0, float("inf")]}}, "second.poisson_scale_range"),
    ({"first": {"gray_noise_prob": 1.5}}, "first.gray_noise_prob"),
    ({"first": {"blur_sigma": [1]}}, "first.blur_sigma"),
]


@pytest.mark.parametrize("ranges, field", ATTACK, ids=[f for _, f in ATTACK])
def test_every_degradation_range_is_checked_before_anything_is_written(tmp_path, ranges, field):
    """Refused by TrainConfig itself (so before a run folder, config or log exists), naming the field and
    its allowed range; the defaults and the attack's in-range neighbours pass."""
    from srgan_helpers.config import TrainConfig

    with pytest.raises(ValueError, match=rf"degradation_ranges: {field}=.*(probabilit|numbers|weights)") as error:
        TrainConfig(degradation="realistic", degradation_ranges=ranges, crop_size=96)
    assert str(error.value).count("degradation_ranges: ") == 1  # exactly the bad field, no collateral
    assert not list(tmp_path.iterdir())


def test_in_range_degradation_settings_pass():
    from srgan_helpers.config import TrainConfig

    assert not d.DegradeRanges().problems()
    TrainConfig(degradation="realistic", crop_size=96, degradation_ranges={
        "first": {"jpeg_range": [1, 100], "noise_range": [0, 0], "resize_prob": [0, 1, 0]}, "kernel_sizes": [3, 41],
        "clean_prob": 1.0, "final_sinc_prob": 0})
