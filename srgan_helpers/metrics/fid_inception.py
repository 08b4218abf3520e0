"""The standard FID network in Keras: pytorch-fid's InceptionV3 (TensorFlow's 2015-12-05 graph, the one
papers, pytorch-fid, clean-fid and torch-fidelity report), layer for layer, loading its weights file
`pt_inception-2015-12-05-6726825d.pth` (or the same arrays as .npz).

It differs from keras.applications' InceptionV3 (the original project's FID network) in its weights and in
four places: 1008 classes and no auxiliary head (neither is used here), average pooling that does not count
the padding in the A, C and first E blocks, max pooling in the last E block, and its input: bilinear resize
to 299 x 299 (align_corners=False, no antialiasing) of images in [0, 1], then scaled to [-1, 1].
benchmarks/fid_port.py builds pytorch-fid's network and this one with the same random weights and compares
the 2,048 pool features on real images.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

FID_INCEPTION_SIZE = 299
STANDARD_WEIGHTS_URL = ("https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
                        "pt_inception-2015-12-05-6726825d.pth")
STANDARD_WEIGHTS_SHA256_PREFIX = "6726825d"  # PyTorch hub's check: the name carries the hash's first digits
BN_EPSILON = 1e-3  # torchvision's BasicConv2d


def basic_conv(x, filters: int, kernel, name: str, strides: int = 1, padding: str = "valid",
               kernel_initializer="glorot_uniform"):
    """torchvision's BasicConv2d: conv (no bias) -> BatchNorm (eps 1e-3) -> ReLU; `name` is its module path."""
    from keras import layers

    x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False, name=f"{name}.conv",
                      kernel_initializer=kernel_initializer)(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}.bn")(x)
    return layers.ReLU(name=f"{name}.relu")(x)


def _avg_pool(x, name: str):
    """3x3 average pool, stride 1, padding not counted (TensorFlow's, and pytorch-fid's patch)."""
    from keras import layers

    return layers.AveragePooling2D(3, strides=1, padding="same", name=f"{name}.pool")(x)


def inception_a(x, pool_features: int, name: str, conv=basic_conv):
    from keras import layers

    b1 = conv(x, 64, 1, f"{name}.branch1x1")
    b5 = conv(conv(x, 48, 1, f"{name}.branch5x5_1"), 64, 5, f"{name}.branch5x5_2", padding="same")
    b3 = conv(x, 64, 1, f"{name}.branch3x3dbl_1")
    b3 = conv(b3, 96, 3, f"{name}.branch3x3dbl_2", padding="same")
    b3 = conv(b3, 96, 3, f"{name}.branch3x3dbl_3", padding="same")
    bp = conv(_avg_pool(x, name), pool_features, 1, f"{name}.branch_pool")
    return layers.Concatenate(name=f"{name}.cat")([b1, b5, b3, bp])


def inception_b(x, name: str, conv=basic_conv):
    from keras import layers

    b3 = conv(x, 384, 3, f"{name}.branch3x3", strides=2)
    bd = conv(x, 64, 1, f"{name}.branch3x3dbl_1")
    bd = conv(bd, 96, 3, f"{name}.branch3x3dbl_2", padding="same")
    bd = conv(bd, 96, 3, f"{name}.branch3x3dbl_3", strides=2)
    bp = layers.MaxPooling2D(3, strides=2, name=f"{name}.pool")(x)
    return layers.Concatenate(name=f"{name}.cat")([b3, bd, bp])


def inception_c(x, channels_7x7: int, name: str, conv=basic_conv):
    from keras import layers

    c = channels_7x7
    b1 = conv(x, 192, 1, f"{name}.branch1x1")
    b7 = conv(x, c, 1, f"{name}.branch7x7_1")
    b7 = conv(b7, c, (1, 7), f"{name}.branch7x7_2", padding="same")
    b7 = conv(b7, 192, (7, 1), f"{name}.branch7x7_3", padding="same")
    bd = conv(x, c, 1, f"{name}.branch7x7dbl_1")
    for i, (kernel, filters) in enumerate((((7, 1), c), ((1, 7), c), ((7, 1), c), ((1, 7), 192)), start=2):
        bd = conv(bd, filters, kernel, f"{name}.branch7x7dbl_{i}", padding="same")
    bp = conv(_avg_pool(x, name), 192, 1, f"{name}.branch_pool")
    return layers.Concatenate(name=f"{name}.cat")([b1, b7, bd, bp])


def inception_d(x, name: str, conv=basic_conv):
    from keras import layers

    b3 = conv(conv(x, 192, 1, f"{name}.branch3x3_1"), 320, 3, f"{name}.branch3x3_2", strides=2)
    b7 = conv(x, 192, 1, f"{name}.branch7x7x3_1")
    b7 = conv(b7, 192, (1, 7), f"{name}.branch7x7x3_2", padding="same")
    b7 = conv(b7, 192, (7, 1), f"{name}.branch7x7x3_3", padding="same")
    b7 = conv(b7, 192, 3, f"{name}.branch7x7x3_4", strides=2)
    bp = layers.MaxPooling2D(3, strides=2, name=f"{name}.pool")(x)
    return layers.Concatenate(name=f"{name}.cat")([b3, b7, bp])


def _split_pair(x, name: str, prefix: str, conv=basic_conv):
    """The E block's 1x3 and 3x1 convolutions side by side."""
    from keras import layers

    a = conv(x, 384, (1, 3), f"{name}.{prefix}a", padding="same")
    b = conv(x, 384, (3, 1), f"{name}.{prefix}b", padding="same")
    return layers.Concatenate(name=f"{name}.{prefix}cat")([a, b])


def inception_e(x, name: str, max_pool: bool, conv=basic_conv):
    """InceptionE; pytorch-fid's first E block average-pools (padding not counted), its second max-pools."""
    from keras import layers

    b1 = conv(x, 320, 1, f"{name}.branch1x1")
    b3 = _split_pair(conv(x, 384, 1, f"{name}.branch3x3_1"), name, "branch3x3_2", conv)
    bd = conv(conv(x, 448, 1, f"{name}.branch3x3dbl_1"), 384, 3, f"{name}.branch3x3dbl_2", padding="same")
    bd = _split_pair(bd, name, "branch3x3dbl_3", conv)
    pooled = (layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}.pool")(x) if max_pool
              else _avg_pool(x, name))
    bp = conv(pooled, 192, 1, f"{name}.branch_pool")
    return layers.Concatenate(name=f"{name}.cat")([b1, b3, bd, bp])


def build_fid_inception(random_weights: bool = True):
    """pytorch-fid's InceptionV3 up to the 2,048-d average pool, on 299 x 299 inputs in [-1, 1]; layer names
    are the PyTorch module paths (Conv2d_1a_3x3.conv, Mixed_5b.branch1x1.bn, ...). `random_weights=False`:
    zero kernels for weights about to be loaded (no random draws: on JAX each kernel shape is a compilation,
    ~30 s on a 2-core CPU)."""
    import functools

    import keras
    from keras import layers

    conv = functools.partial(basic_conv, kernel_initializer="glorot_uniform" if random_weights else "zeros")
    inputs = keras.Input((FID_INCEPTION_SIZE, FID_INCEPTION_SIZE, 3))
    x = conv(inputs, 32, 3, "Conv2d_1a_3x3", strides=2)
    x = conv(x, 32, 3, "Conv2d_2a_3x3")
    x = conv(x, 64, 3, "Conv2d_2b_3x3", padding="same")
    x = layers.MaxPooling2D(3, strides=2, name="maxpool1")(x)
    x = conv(x, 80, 1, "Conv2d_3b_1x1")
    x = conv(x, 192, 3, "Conv2d_4a_3x3")
    x = layers.MaxPooling2D(3, strides=2, name="maxpool2")(x)
    for name, pool_features in (("Mixed_5b", 32), ("Mixed_5c", 64), ("Mixed_5d", 64)):
        x = inception_a(x, pool_features, name, conv)
    x = inception_b(x, "Mixed_6a", conv)
    for name, channels in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
        x = inception_c(x, channels, name, conv)
    x = inception_d(x, "Mixed_7a", conv)
    x = inception_e(x, "Mixed_7b", max_pool=False, conv=conv)
    x = inception_e(x, "Mixed_7c", max_pool=True, conv=conv)
    outputs = layers.GlobalAveragePooling2D(name="avgpool")(x)
    return keras.Model(inputs, outputs, name="fid_inception_v3")


def state_dict_keys(model) -> list[str]:
    """The PyTorch state-dict keys this model's weights take, in load order."""
    keys = []
    for layer in model.layers:
        if layer.name.endswith(".conv"):
            keys.append(f"{layer.name}.weight")
        elif layer.name.endswith(".bn"):
            keys += [f"{layer.name}.{k}" for k in ("weight", "bias", "running_mean", "running_var")]
    return keys


def load_state_dict(model, state: dict[str, np.ndarray]) -> None:
    """Put a pytorch-fid state dict (numpy arrays by key; fc.* ignored) into the port. Conv kernels go from
    OIHW to HWIO; BatchNorm takes gamma, beta, running mean and variance. A missing or mis-shaped array
    raises ValueError naming it."""
    missing = [k for k in state_dict_keys(model) if k not in state]
    if missing:
        raise ValueError(f"the FID Inception weights lack {len(missing)} arrays (first: {missing[0]}): not a "
                         f"pytorch-fid pt_inception-2015-12-05 state dict")
    for layer in model.layers:
        if layer.name.endswith(".conv"):
            kernel = np.asarray(state[f"{layer.name}.weight"])
            if kernel.ndim != 4:
                raise ValueError(f"FID Inception weights: {layer.name}.weight has shape {tuple(kernel.shape)}, a "
                                 f"convolution kernel has 4 axes: not a pytorch-fid pt_inception-2015-12-05 file")
            _assign(layer, [np.transpose(kernel, (2, 3, 1, 0))], layer.name)
        elif layer.name.endswith(".bn"):
            _assign(layer, [state[f"{layer.name}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")],
                    layer.name)


def _assign(layer, arrays: list[np.ndarray], name: str) -> None:
    expected = [tuple(w.shape) for w in layer.get_weights()]
    got = [tuple(a.shape) for a in arrays]
    if expected != got:
        raise ValueError(f"FID Inception weights: {name} has shapes {got}, the network needs {expected}")
    layer.set_weights([np.asarray(a, np.float32) for a in arrays])


def bilinear_resize(images: np.ndarray, size: int = FID_INCEPTION_SIZE) -> np.ndarray:
    """float32 NHWC -> (N, size, size, C) as torch's F.interpolate(mode="bilinear", align_corners=False)
    without antialiasing, to float32 rounding: source = (dst + 0.5) * in / out - 0.5 (clamped at 0) rounded
    once, as PyTorch's fused multiply-add does (rounding twice moves weights by up to 1.4e-5 at 500 px), and
    the two nearest neighbours weighted by the fraction."""
    def weights(n_in: int):
        scale = np.float32(n_in) / np.float32(size)
        centres = np.arange(size, dtype=np.float32) + np.float32(0.5)
        src = np.maximum(np.float32(np.float64(scale) * centres - 0.5), np.float32(0))  # one rounding, as an FMA
        low = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        return low, np.minimum(low + 1, n_in - 1), np.clip(src - low, 0, 1).astype(np.float32)

    y0, y1, wy = weights(images.shape[1])
    x0, x1, wx = weights(images.shape[2])
    cols = images[:, :, x0] * (1 - wx)[None, None, :, None] + images[:, :, x1] * wx[None, None, :, None]
    return cols[:, y0] * (1 - wy)[None, :, None, None] + cols[:, y1] * wy[None, :, None, None]


def fid_inception_input(images) -> np.ndarray:
    """uint8 HxWx3 images (any sizes) -> the standard network's input (N, 299, 299, 3): /255, bilinear to
    299 (each image on its own, as pytorch-fid), then 2x - 1."""
    out = np.empty((len(images), FID_INCEPTION_SIZE, FID_INCEPTION_SIZE, 3), np.float32)
    for i, img in enumerate(images):
        out[i] = bilinear_resize(np.asarray(img, dtype=np.float32)[None] / np.float32(255.0))[0]
    return out * np.float32(2.0) - np.float32(1.0)


def read_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """The arrays of a pytorch-fid weights file: the published .pth (read with PyTorch, weights only: no
    code runs) or an .npz of the same keys (no PyTorch needed)."""
    path = Path(path)
    if path.suffix == ".npz":
        with np.load(path) as arrays:
            return {k: arrays[k] for k in arrays.files}
    try:
        import torch
    except ImportError as exc:
        raise RuntimeError(f"{path.name}: reading a .pth needs PyTorch (pip install torch; Colab has it), or "
                           f"pass the same arrays as an .npz") from exc
    import pickle

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError) as exc:
        raise RuntimeError(f"{path}: refused: it holds Python objects beyond plain arrays, and loading those would "
                           f"run code from the file (this package never loads weights that way); use pytorch-fid's "
                           f"published pt_inception-2015-12-05 file, or an .npz of its arrays") from exc
    return {k: v.numpy() for k, v in state.items()}


def standard_weights(weights: str | Path, cache_dir: str | Path | None = None, url: str = STANDARD_WEIGHTS_URL,
                     sha256_prefix: str = STANDARD_WEIGHTS_SHA256_PREFIX, timeout: float = 15.0) -> Path:
    """The weights file: `weights` as a path, or "download": pytorch-fid's published file, taken from
    PyTorch's hub cache when pytorch-fid put it there, else downloaded into `cache_dir` (KERAS_HOME/models)
    and checked as PyTorch's hub checks it (the SHA-256 begins with the hash in the name)."""
    from ..data.datasets import download
    from ..fileio import file_digest

    if weights != "download":
        if not Path(weights).is_file():
            raise FileNotFoundError(f"fid_weights={weights}: no such file")
        return Path(weights)
    name = url.rsplit("/", 1)[-1]
    for folder in (Path(cache_dir or _keras_models_dir()), _torch_hub_dir()):
        if (folder / name).is_file() and file_digest(folder / name).startswith(sha256_prefix):
            return folder / name
    target = Path(cache_dir or _keras_models_dir()) / name
    if target.is_file():  # a complete-looking copy with the wrong hash (truncated, damaged): never resumed from
        target.unlink()
        print(f"{target}: a cached copy whose SHA-256 does not begin with {sha256_prefix} (truncated or damaged) "
              f"was deleted; downloading it anew")
    path = download(url, target, timeout=timeout, quiet=False)  # 91 MB: a progress bar
    if not file_digest(path).startswith(sha256_prefix):
        path.unlink()
        raise RuntimeError(f"{name} downloaded from {url}: its SHA-256 does not begin with {sha256_prefix}; deleted")
    return path


def _keras_models_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"


def _torch_hub_dir() -> Path:
    """Where pytorch-fid (torch.hub) keeps the file: $TORCH_HOME/hub/checkpoints, ~/.cache/torch by default."""
    return Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch")) / "hub" / "checkpoints"
