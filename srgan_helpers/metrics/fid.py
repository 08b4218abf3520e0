"""FID and KID with InceptionV3 pool features (2048-d, 299x299 inputs), from one of two networks:

- "standard": pytorch-fid's InceptionV3 (TensorFlow's 2015-12-05 weights), the FID papers and tools report
  (fid_inception.py: the Keras port, its weights file and its input);
- "keras": keras.applications' InceptionV3 with ImageNet weights, the original project's FID network (its
  published numbers are comparable only with this one).

The original project's FID script reshaped NHWC to NCHW instead of transposing (scrambling pixels) and
crashed on its last line; here images stay NHWC. FID is biased upwards for small sets: compare numbers only
at equal set sizes.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable

import numpy as np
from PIL import Image
from scipy import linalg

from ..networks.pretrained import load_application
from ..progress import progress_bar as tqdm

INCEPTION_SIZE = 299


FID_NETWORKS = {"standard": "standard FID (pytorch-fid's InceptionV3, 2015-12-05 weights)",
                "keras": "Keras InceptionV3 (ImageNet weights), as the original project"}


@dataclasses.dataclass
class FidNetwork:
    """A feature network with the input it expects: `to_input` maps uint8 HxWx3 images to its batch."""

    model: object
    to_input: Callable
    kind: str  # a key of FID_NETWORKS

    @property
    def description(self) -> str:
        return FID_NETWORKS[self.kind]


def build_fid_network(kind: str = "standard", weights: str | None = "download") -> FidNetwork:
    """The `kind` network: "standard" with weights "download" (pytorch-fid's file), a .pth/.npz path or None;
    "keras" with weights "imagenet", a no-top .h5 path or None. None: random weights, tests only."""
    if kind == "keras":
        return FidNetwork(build_inception("imagenet" if weights == "download" else weights), resize_for_inception,
                          kind)
    if kind != "standard":
        raise ValueError(f"fid_network={kind!r}: use one of {', '.join(map(repr, FID_NETWORKS))}")
    from . import fid_inception

    model = fid_inception.build_fid_inception(random_weights=weights is None)
    if weights is None:
        warnings.warn("FID Inception with RANDOM weights: FID values are a pipeline test only", stacklevel=2)
    else:
        fid_inception.load_state_dict(model, fid_inception.read_state_dict(fid_inception.standard_weights(weights)))
    return FidNetwork(model, fid_inception.fid_inception_input, kind)


def random_weights_note(weights) -> str | None:
    return "InceptionV3 RANDOM WEIGHTS: pipeline test, not a real FID" if weights is None else None


def build_inception(weights: str | None = "imagenet"):
    """InceptionV3 up to global average pooling; weights "imagenet" (Keras download, cached), a path to a
    no-top weights file, or None (random: tests only, labelled in every output)."""
    import keras

    if weights is None:
        warnings.warn("InceptionV3 with RANDOM weights: FID values are a pipeline test only", stacklevel=2)
    return load_application(keras.applications.InceptionV3, weights,
                            "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", "fid_weights",
                            include_top=False, pooling="avg", input_shape=(INCEPTION_SIZE, INCEPTION_SIZE, 3))


def resize_for_inception(images) -> np.ndarray:
    """uint8 NHWC images (any size) -> float32 (N, 299, 299, 3) in [-1, 1] (InceptionV3's preprocessing)."""
    out = np.empty((len(images), INCEPTION_SIZE, INCEPTION_SIZE, 3), np.float32)
    for i, img in enumerate(images):
        pil = Image.fromarray(np.asarray(img, dtype=np.uint8))
        out[i] = np.asarray(pil.resize((INCEPTION_SIZE, INCEPTION_SIZE), Image.Resampling.BICUBIC), np.float32)
    return out / 127.5 - 1.0


def inception_features(images, model, batch_size: int = 32, progress: bool = True, desc: str = "FID features"):
    """(N, 2048) float64 pool features of uint8 images (a list or array of HxWx3); `model` is a FidNetwork,
    or a keras.applications InceptionV3 (its own preprocessing)."""
    from ..inference import predict

    to_input = model.to_input if isinstance(model, FidNetwork) else resize_for_inception
    model = model.model if isinstance(model, FidNetwork) else model
    feats = []
    for start in tqdm(range(0, len(images), batch_size), disable=not progress, desc=desc, leave=False):
        batch = to_input(images[start:start + batch_size])
        feats.append(predict(model, batch).astype(np.float64))
    return np.concatenate(feats) if feats else np.zeros((0, 2048))


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^1/2) for covariance matrices S1, S2 (symmetric, PSD)."""
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt_product(sigma1, sigma2))


def trace_sqrt_product(sigma1, sigma2) -> float:
    """Tr((S1 S2)^1/2) for symmetric PSD S1, S2. S1 S2 has the eigenvalues of the symmetric S1^1/2 S2 S1^1/2
    (real, >= 0), so two symmetric eigendecompositions replace the general matrix square root (scipy's
    sqrtm: 12 s for 2048 x 2048 on 2 cores, against under 2 s), and singular products need no offset."""
    values, vectors = linalg.eigh(sigma1)
    root = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    product = root @ sigma2 @ root
    return float(np.sqrt(np.clip(linalg.eigvalsh((product + product.T) / 2), 0, None)).sum())


def fid_from_features(real: np.ndarray, fake: np.ndarray) -> float:
    """FID of two sets of features (one row per image): in the images' space (fid_of_few) when that is the
    smaller one (n1 n2 <= d^2: a notebook's few hundred images), else from the d x d covariance matrices."""
    if len(real) < 2 or len(fake) < 2:
        raise ValueError("FID needs at least 2 images per set")
    if min(len(real), len(fake)) < real.shape[1]:
        warnings.warn(f"FID on {min(len(real), len(fake))} images (< {real.shape[1]} feature dimensions) is biased "
                      f"upwards and its covariance singular: compare only numbers computed on equal set sizes",
                      stacklevel=2)
    if len(real) * len(fake) <= real.shape[1] ** 2:
        return fid_of_few(real, fake)
    return frechet_distance(real.mean(0), np.cov(real, rowvar=False), fake.mean(0), np.cov(fake, rowvar=False))


def fid_of_few(real: np.ndarray, fake: np.ndarray) -> float:
    """The Frechet distance of the sets' Gaussians without forming a covariance: with centred features A1, A2,
    S = A^T A / (n - 1), Tr(S) is the sum of squares over n - 1, and the nonzero eigenvalues of S1 S2 are those
    of M M^T for M = A1 A2^T (n1 x n2), so Tr((S1 S2)^1/2) is the sum of M's singular values over
    sqrt((n1 - 1)(n2 - 1)). Exact; n1 n2 d work, not d^3 (2 images of 2048 features: milliseconds, not
    seconds)."""
    mean_real, mean_fake = real.mean(0), fake.mean(0)
    centred_real, centred_fake = real - mean_real, fake - mean_fake
    n_real, n_fake = len(real) - 1, len(fake) - 1
    diff = mean_real - mean_fake
    cross = linalg.svdvals(centred_real @ centred_fake.T).sum() / np.sqrt(n_real * n_fake)
    return float(diff @ diff + np.sum(centred_real ** 2) / n_real + np.sum(centred_fake ** 2) / n_fake - 2 * cross)


def kid_from_features(real: np.ndarray, fake: np.ndarray, n_subsets: int = 10, subset_size: int = 1000,
                      seed: int = 0) -> tuple[float, float]:
    """Kernel Inception Distance (unbiased MMD^2, cubic polynomial kernel): (mean, std) over subsets."""
    rng = np.random.default_rng(seed)
    m = min(len(real), len(fake), subset_size)
    if m < 2:
        raise ValueError("KID needs at least 2 images per set")
    d = real.shape[1]
    values = []
    for _ in range(n_subsets):
        x = real[rng.choice(len(real), m, replace=False)]
        y = fake[rng.choice(len(fake), m, replace=False)]
        kxx, kyy, kxy = ((x @ x.T) / d + 1) ** 3, ((y @ y.T) / d + 1) ** 3, ((x @ y.T) / d + 1) ** 3
        mmd = ((kxx.sum() - np.trace(kxx)) + (kyy.sum() - np.trace(kyy))) / (m * (m - 1)) - 2 * kxy.mean()
        values.append(mmd)
    return float(np.mean(values)), float(np.std(values))
