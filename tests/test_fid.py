import numpy as np
import pytest
from scipy import linalg

from srgan_helpers.metrics import fid


def test_identical_sets_give_zero():
    feats = np.random.default_rng(0).normal(size=(200, 8))
    assert fid.fid_from_features(feats, feats) == pytest.approx(0.0, abs=1e-6)


def test_two_gaussians_match_the_closed_form():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    s1, s2 = a @ a.T + np.eye(5), b @ b.T + 0.5 * np.eye(5)
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * linalg.sqrtm(s1 @ s2).real)
    assert fid.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-6)
    # diagonal case by hand: sum (sqrt(v1) - sqrt(v2))^2
    v1, v2 = np.array([1.0, 4.0]), np.array([9.0, 1.0])
    assert fid.frechet_distance(np.zeros(2), np.diag(v1), np.ones(2), np.diag(v2)) == pytest.approx(2 + 4 + 1)


def test_the_eigenvalue_route_matches_scipys_sqrtm_also_when_covariances_are_singular():
    """Tr((S1 S2)^1/2) through two symmetric eigendecompositions equals scipy's general matrix square root,
    on full-rank covariances and on the rank-deficient ones of fewer images than feature dimensions."""
    rng = np.random.default_rng(3)
    for n in (400, 60):  # 60 images of 128 features: both covariances have rank 59
        x, y = rng.normal(size=(n, 128)), 1.3 * rng.normal(size=(n, 128)) + 0.2
        s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
        expected = np.trace(linalg.sqrtm(s1 @ s2).real)
        assert fid.trace_sqrt_product(s1, s2) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("n_real, n_fake", [(60, 60), (7, 30), (2, 2)])
def test_fewer_images_than_features_give_the_covariance_route_s_distance(n_real, n_fake):
    """The images'-space route (fid_of_few) is the covariance route's number (which the square roots of its
    rounding-noise eigenvalues move by ~1e-8 of it), also for two images; exact where the answer is known: a
    set against itself scaled by c is (1 - c)^2 (|mu|^2 + Tr S)."""
    rng = np.random.default_rng(n_real)
    x, y = rng.normal(size=(n_real, 128)), 1.3 * rng.normal(size=(n_fake, 128)) + 0.2
    expected = fid.frechet_distance(x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False))
    assert fid.fid_of_few(x, y) == pytest.approx(expected, rel=1e-7)
    with pytest.warns(UserWarning, match="biased"):
        assert fid.fid_from_features(x, y) == fid.fid_of_few(x, y)
    known = 0.49 * (x.mean(0) @ x.mean(0) + np.trace(np.atleast_2d(np.cov(x, rowvar=False))))
    assert fid.fid_of_few(x, 1.7 * x) == pytest.approx(known, rel=1e-12)


def test_the_route_is_the_smaller_space():
    """Images' space while n1 n2 <= d^2, covariances beyond (10 x 40 images of 16 features: the 16 x 16
    covariances), the same number either way."""
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(10, 16)), rng.normal(size=(40, 16)) + 0.3
    by_covariance = fid.frechet_distance(x.mean(0), np.cov(x, rowvar=False), y.mean(0), np.cov(y, rowvar=False))
    with pytest.warns(UserWarning, match="biased"):
        assert fid.fid_from_features(x, y) == by_covariance
    assert fid.fid_of_few(x, y) == pytest.approx(by_covariance, rel=1e-7)


def test_singular_covariances_and_small_set_warning():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(10, 64)), rng.normal(size=(10, 64)) + 1
    with pytest.warns(UserWarning, match="biased"):
        value = fid.fid_from_features(x, y)
    assert np.isfinite(value) and value > 0


def test_kid_is_near_zero_for_same_distribution_and_grows_with_shift():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(300, 16)), rng.normal(size=(300, 16))
    same, _ = fid.kid_from_features(x, y, subset_size=100)
    shifted, _ = fid.kid_from_features(x, y + 1.0, subset_size=100)
    assert abs(same) < 0.05 < shifted


def test_inception_pipeline_keeps_pixels_nhwc_and_labels_random_weights():
    images = np.zeros((2, 40, 30, 3), np.uint8)
    images[0, :, :, 0] = 255  # pure red image
    batch = fid.resize_for_inception(images)
    assert batch.shape == (2, 299, 299, 3)
    np.testing.assert_allclose(batch[0, 100, 100], [1.0, -1.0, -1.0])  # channels not scrambled
    with pytest.warns(UserWarning, match="RANDOM"):
        model = fid.build_inception(None)
    feats = fid.inception_features(images, model, batch_size=1, progress=False)
    assert feats.shape == (2, 2048)
    assert "RANDOM" in fid.random_weights_note(None) and fid.random_weights_note("imagenet") is None


def test_inception_imagenet_offline_gives_a_clear_message(monkeypatch):
    import keras.src.applications.inception_v3 as inception_module

    def no_network(*args, **kwargs):
        raise Exception("URL fetch failure: no network")

    monkeypatch.setattr(inception_module.file_utils, "get_file", no_network)
    with pytest.raises(RuntimeError, match="fid_weights=<path"):
        fid.build_inception("imagenet")
