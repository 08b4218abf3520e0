import os
from pathlib import Path

import numpy as np
import pytest
from conftest import eventually

from srgan_helpers.data.loader import BatchLoader, PairSet, dihedral, load_pairs, prefetch


def nearest_pairs(n=6, lr_side=8, scale=4, seed=0):
    """HR = nearest-upscaled LR, so any aligned crop/flip keeps hr[::s, ::s] == lr exactly."""
    lr = np.random.default_rng(seed).integers(0, 256, (n, lr_side, lr_side, 3), dtype=np.uint8)
    hr = lr.repeat(scale, axis=1).repeat(scale, axis=2)
    return PairSet(hr=hr, lr=lr, names=[f"{i}.png" for i in range(n)])


def test_batches_are_aligned_crops_in_range():
    loader = BatchLoader(nearest_pairs(), batch_size=3, crop_size=16, augment=True, seed=1, steps_per_epoch=5)
    batches = list(loader.epoch(0))
    assert len(batches) == 5
    for lr, hr in batches:
        assert lr.shape == (3, 4, 4, 3) and hr.shape == (3, 16, 16, 3)
        assert lr.dtype == np.float32 and lr.min() >= -1 and hr.max() <= 1
        np.testing.assert_array_equal(hr[:, ::4, ::4], lr)


def test_deterministic_per_seed_and_epoch_and_resumable():
    make = lambda seed: BatchLoader(nearest_pairs(), 2, crop_size=16, augment=True, seed=seed)  # noqa: E731
    a, b, c = list(make(0).epoch(3)), list(make(0).epoch(3)), list(make(1).epoch(3))
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b))
    assert not all(np.array_equal(x[1], y[1]) for x, y in zip(a, c))
    assert not np.array_equal(a[0][1], list(make(0).epoch(4))[0][1])
    tail = list(make(0).epoch(3, start_step=1))
    assert all(np.array_equal(x[0], y[0]) for x, y in zip(a[1:], tail))


def test_epoch_visits_each_image_once_without_crop():
    pairs = nearest_pairs(n=6)
    loader = BatchLoader(pairs, 2, seed=0)
    seen = np.concatenate([lr for lr, _ in loader.epoch(0)])
    want = np.sort(((pairs.lr.astype(np.float32) / 127.5) - 1).reshape(6, -1), axis=0)
    np.testing.assert_allclose(np.sort(seen.reshape(6, -1), axis=0), want, atol=1e-6)


def test_dihedral_gives_eight_distinct_transforms():
    img = np.arange(2 * 2 * 1).reshape(2, 2, 1)
    assert len({dihedral(img, k).tobytes() for k in range(8)}) == 8


def test_prefetch_matches_and_propagates_errors():
    loader = BatchLoader(nearest_pairs(), 2, crop_size=16, augment=True, seed=0)
    direct, fetched = list(loader.epoch(0)), list(loader.prefetch(0))
    assert all(np.array_equal(x[0], y[0]) for x, y in zip(direct, fetched))

    def broken():
        yield 1
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        list(prefetch(broken()))


def test_an_abandoned_prefetch_leaves_no_thread_whatever_its_producer_was_doing():
    """Training that stops mid-epoch (Ctrl-C, a divergence rollback) abandons its batches: the producing
    thread must end, also when it was handing over the end of the epoch or an error to a full buffer."""
    import threading
    import time

    def failing():
        yield from range(3)
        raise OSError("disk gone")

    for items in (range(3), failing()):
        before = set(threading.enumerate())
        fetched = prefetch(items, buffer=2)
        next(fetched)
        time.sleep(0.5)  # the producer fills the buffer, then waits to hand over the end (or the error)
        fetched.close()
        assert eventually(lambda b=before: not set(threading.enumerate()) - b, timeout=10), \
            "the prefetch thread outlived its consumer"


def test_ctrl_c_ends_a_wait_for_a_batch_that_never_comes():
    """Made in the training process (no workers: the default on 2 cores), a batch whose pack sits on a hung
    drive (a stalled Drive mount) never comes: Ctrl-C under a command's handler still ends the wait."""
    import threading

    from srgan_helpers import interrupts

    def stuck():
        yield 0
        threading.Event().wait()  # a read that never returns

    outcome = []

    def consume():
        try:
            for _ in prefetch(stuck()):
                interrupts.request_stop()  # Ctrl-C while training waits for the next batch
        except interrupts.Interrupted as stopped:
            outcome.append(stopped)

    with interrupts.handled():  # (lowers the flag again after)
        consumer = threading.Thread(target=consume, daemon=True)
        consumer.start()
        consumer.join(timeout=30)
    assert not consumer.is_alive(), "Ctrl-C did not end the wait for a batch that never comes"
    assert outcome and "SIGINT" in str(outcome[0])


def test_load_pairs_from_prepared_set(tiny_set):
    pairs = load_pairs(tiny_set, "train")
    assert pairs.hr.shape == (12, 64, 64, 3) and pairs.lr.shape == (12, 16, 16, 3) and pairs.scale == 4
    with pytest.raises(FileNotFoundError, match="run preprocess"):
        load_pairs(tiny_set / "nothing")
    with pytest.raises(ValueError, match="crop_size"):
        BatchLoader(pairs, 2, crop_size=30)


def test_tone_patches_lead_each_batch_seeded_per_step_with_bicubic_lr():
    """A quarter of each batch: flat fields or ramps (every row or every column equal), LR the package's
    bicubic of the HR; the same for the same (seed, epoch, step), and when resuming mid-epoch."""
    from PIL import Image

    from srgan_helpers.images import bicubic_resize, float_to_uint8

    make = lambda seed=0: BatchLoader(nearest_pairs(), 4, crop_size=16, augment=True, seed=seed,  # noqa: E731
                                      steps_per_epoch=6, tone_fraction=0.25)
    batches = list(make().epoch(2))
    assert make().n_tones == 1
    for lr, hr in batches:
        tone_hr, tone_lr = float_to_uint8(hr[0]), float_to_uint8(lr[0])
        flat_rows, flat_cols = (tone_hr == tone_hr[:1]).all(), (tone_hr == tone_hr[:, :1]).all()
        assert flat_rows or flat_cols
        np.testing.assert_array_equal(tone_lr, np.asarray(bicubic_resize(Image.fromarray(tone_hr), 4, 4)))
        np.testing.assert_array_equal(hr[1:, ::4, ::4], lr[1:])  # the rest: aligned crops, as without tones
    tail = list(make().epoch(2, start_step=3))
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(batches[3:], tail))
    assert not np.array_equal(batches[0][1][0], list(make(seed=1).epoch(2))[0][1][0])
    assert len({b[1][0].tobytes() for b in batches}) == len(batches)


def test_tone_patches_reach_pure_black_white_and_saturated_colours():
    from srgan_helpers.data.tones import tone_patch

    rng = np.random.default_rng(0)
    corners = {tuple(int(v) for v in tone_patch(rng, 8)[0, 0]) for _ in range(400)}
    for colour in ((0, 0, 0), (255, 255, 255), (0, 255, 255), (255, 0, 0)):
        assert colour in corners


def test_a_pack_truncated_while_training_is_a_named_error_not_sigbus(tmp_path):
    """The attack: `truncate -s 1000 <set>/train/pack/hr.u8` during a run killed a 0-worker trainer with SIGBUS
    (exit -7, nothing said). The pack's size is checked before every batch."""
    from conftest import shared_data

    from srgan_helpers.data.loader import BatchLoader, open_split
    from srgan_helpers.data.preprocess import preprocess

    out = tmp_path / "set"
    preprocess(shared_data("Set14/HR"), out, n_images=4, test_fraction=0, mode="whole", progress=False)
    loader = BatchLoader(open_split(out, "train"), 2, crop_size=48, seed=1, steps_per_epoch=3)
    first = loader.batch_uint8(0, 0)
    os.truncate(out / "train" / "pack" / "hr.u8", 1000)
    with pytest.raises(ValueError, match=r"hr.u8 now holds 1000 bytes, its index says \d+: the set was changed"):
        loader.batch_uint8(0, 1)
    assert first[1].shape == (2, 48, 48, 3)


def test_an_image_changed_after_preparation_is_refused_by_its_manifest_digest(tiny_set, tmp_path):
    import shutil

    from PIL import Image

    from srgan_helpers.data.loader import load_pairs

    data = Path(shutil.copytree(tiny_set, tmp_path / "set"))
    victim = sorted((data / "train" / "lr").glob("*.png"))[3]
    image = Image.open(victim).convert("RGB")
    image.putpixel((0, 0), (255, 0, 0))  # same size, same mode: only the digest tells
    image.save(victim)
    with pytest.raises(ValueError, match=rf"{victim.name}: changed after the set was prepared"):
        load_pairs(data, "train")
    assert len(load_pairs(tiny_set, "train").names) == 12  # the untouched set loads
