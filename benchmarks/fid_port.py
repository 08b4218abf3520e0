"""Is the Keras port of the standard FID network exact? pytorch-fid's own InceptionV3 (its code: blocks, resize,
normalisation) and srgan_helpers' port get the same random weights, saved by PyTorch as a .pth and read by the
port's loader, and both compute the 2,048 pool features of real images, each at its own size (Set14, BSD100
and CelebA faces from ../shared/data). Target: max abs difference <= 1e-4.

The random weights keep the activations at a realistic scale: He-normal convolutions, BatchNorm scales and
shifts drawn around 1 and 0, and running statistics measured by PyTorch on the images themselves (so every
block's output is normalised as with the real weights, instead of shrinking to nothing through 94 layers).

Needs PyTorch, torchvision and pytorch-fid besides Keras (not in the package's extras):

    pip install torch torchvision pytorch-fid
    KERAS_BACKEND=jax python benchmarks/fid_port.py [--data ../shared/data] [--out benchmarks/results/fid_port_jax.json]
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]


def real_images(data: Path, per_set: int) -> list[np.ndarray]:
    folders = [data / "Set14" / "HR", data / "BSD100" / "HR", data / "faces"]
    images = []
    for folder in folders:
        files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))[:per_set]
        images += [np.asarray(Image.open(p).convert("RGB")) for p in files]
    return images


def pytorch_fid_inception():
    """pytorch_fid.inception. torchvision's PyPI wheel is built for CUDA PyTorch; with the CPU wheel its C ops
    (detection: nms, roi_align, ...) cannot load and registering their shapes fails at import. The FID
    network uses none of them: that registration is skipped only when the plain import fails."""
    try:
        from pytorch_fid import inception
    except RuntimeError:
        import types

        for name in [m for m in sys.modules if m.startswith("torchvision")]:
            del sys.modules[name]
        sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
        from pytorch_fid import inception
    return inception


def randomised_pytorch_fid(calibration: list[np.ndarray], seed: int):
    """(pytorch-fid's InceptionV3 with use_fid_inception=True, the torchvision Inception it was cut from): its
    one download replaced by random weights, then its running statistics measured on `calibration`."""
    pf = pytorch_fid_inception()

    built, plain_inception = [], pf._inception_v3
    pf._inception_v3 = lambda *a, **k: built.append(plain_inception(*a, **k)) or built[-1]
    pf.load_state_dict_from_url = lambda *a, **k: random_state(seed)  # the only network access it makes
    net = pf.InceptionV3([pf.InceptionV3.BLOCK_INDEX_BY_DIM[2048]])
    pf._inception_v3 = plain_inception
    calibrate(net, calibration)
    return net.eval(), built[0]


def random_state(seed: int) -> dict:
    """A state dict of the FID network's shapes: He-normal convs, BN scale ~ U(0.8, 1.2), shift ~ N(0, 0.1)."""
    import torch

    pf = pytorch_fid_inception()
    skeleton = pf.torchvision.models.inception_v3(num_classes=1008, aux_logits=False, weights=None,
                                                  init_weights=False)
    for name, cls, args in (("Mixed_5b", pf.FIDInceptionA, (192, 32)), ("Mixed_5c", pf.FIDInceptionA, (256, 64)),
                            ("Mixed_5d", pf.FIDInceptionA, (288, 64)), ("Mixed_6b", pf.FIDInceptionC, (768, 128)),
                            ("Mixed_6c", pf.FIDInceptionC, (768, 160)), ("Mixed_6d", pf.FIDInceptionC, (768, 160)),
                            ("Mixed_6e", pf.FIDInceptionC, (768, 192)), ("Mixed_7b", pf.FIDInceptionE_1, (1280,)),
                            ("Mixed_7c", pf.FIDInceptionE_2, (2048,))):
        setattr(skeleton, name, cls(*args))
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, value in skeleton.state_dict().items():
        if key.endswith("conv.weight"):
            fan_in = value[0].numel()
            value = torch.randn(value.shape, generator=generator) * (2.0 / fan_in) ** 0.5
        elif key.endswith("bn.weight"):
            value = 0.8 + 0.4 * torch.rand(value.shape, generator=generator)
        elif key.endswith("bn.bias"):
            value = 0.1 * torch.randn(value.shape, generator=generator)
        state[key] = value
    return state


def calibrate(net, images: list[np.ndarray]) -> None:
    """Running statistics measured on `images` (cumulative averages in train mode, no gradients)."""
    import torch

    for module in net.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None
    net.train()
    with torch.no_grad():
        net(torch.stack([to_tensor(img) for img in images_at(images, 160)]))


def images_at(images, side: int):
    return [np.asarray(Image.fromarray(img).resize((side, side), Image.Resampling.BICUBIC)) for img in images]


def to_tensor(img: np.ndarray):
    """As pytorch-fid's ImagePathDataset + ToTensor: CHW float in [0, 1]."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).float() / 255.0


def torch_features(net, images) -> np.ndarray:
    import torch

    with torch.no_grad():
        return np.concatenate([net(to_tensor(img)[None])[0].squeeze(-1).squeeze(-1).numpy() for img in images])


def float64_difference(net, weights: Path, images) -> float:
    """Largest |port - pytorch-fid| with both networks in float64 on the same 299-px inputs (the port's): what
    differs in structure shows here, float32 rounding does not. The port runs in a fresh process (float64
    must be chosen before Keras, and JAX, make anything)."""
    import os
    import subprocess

    import torch

    from srgan_helpers.metrics.fid_inception import fid_inception_input

    inputs = fid_inception_input(images[:6]).astype(np.float64)
    folder = weights.parent
    np.save(folder / "inputs.npy", inputs)
    subprocess.run([sys.executable, __file__, "--float64-features", str(weights), str(folder / "inputs.npy"),
                    str(folder / "ours64.npy")], check=True, env={**os.environ, "JAX_ENABLE_X64": "1"})
    x = torch.from_numpy(inputs.transpose(0, 3, 1, 2).copy())
    with torch.no_grad():
        for block in copy.deepcopy(net).double().blocks:
            x = block(x)
    return float(np.abs(np.load(folder / "ours64.npy") - x.squeeze(-1).squeeze(-1).numpy()).max())


def float64_features(weights: str, inputs: str, out: str) -> None:
    """The port in float64 (a fresh process): features of the saved inputs."""
    import keras

    from srgan_helpers.metrics.fid_inception import build_fid_inception, load_state_dict, read_state_dict

    keras.config.set_floatx("float64")
    model = build_fid_inception(random_weights=False)
    load_state_dict(model, read_state_dict(weights))
    np.save(out, keras.ops.convert_to_numpy(model(np.load(inputs), training=False)).astype(np.float64))


def resize_difference(images) -> float:
    """Largest |ours - torch's F.interpolate(bilinear, align_corners=False)| of the 299-px inputs."""
    import torch.nn.functional as F

    from srgan_helpers.metrics.fid_inception import fid_inception_input

    worst = 0.0
    for img in images:
        theirs = F.interpolate(to_tensor(img)[None], size=(299, 299), mode="bilinear", align_corners=False) * 2 - 1
        ours = fid_inception_input([img])[0].transpose(2, 0, 1)
        worst = max(worst, float(np.abs(ours - theirs[0].numpy()).max()))
    return worst


def keras_features(weights_path: Path, images) -> np.ndarray:
    from srgan_helpers.metrics.fid import build_fid_network, inception_features

    network = build_fid_network("standard", str(weights_path))
    return inception_features(images, network, batch_size=1, progress=False).astype(np.float32)


def fid_agreement(ours: np.ndarray, theirs: np.ndarray, per_set: int) -> dict:
    """FID between the photos (Set14 + BSD100) and the faces, from either network's features."""
    from srgan_helpers.metrics.fid import fid_from_features

    photos, faces = slice(0, 2 * per_set), slice(2 * per_set, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few images: biased, but the same for both
        values = [fid_from_features(f[photos].astype(np.float64), f[faces].astype(np.float64)) for f in (ours, theirs)]
    return {"fid_photos_vs_faces_keras": values[0], "fid_photos_vs_faces_pytorch_fid": values[1]}


def main(argv=None) -> dict:
    import keras
    import torch

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--per-set", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "benchmarks"))
    from record import write_result

    images = real_images(Path(args.data), args.per_set)
    net, inception = randomised_pytorch_fid(images, args.seed)
    with tempfile.TemporaryDirectory() as work:
        weights = Path(work) / "random_fid_inception.pth"
        torch.save(inception.state_dict(), weights)  # the published file's layout (fc.* included, unused)
        ours = keras_features(weights, images)
        network64 = float64_difference(net, weights, images)
    theirs = torch_features(net, images)
    diff = np.abs(ours - theirs)
    result = {"images": len(images), "sizes": sorted({f"{i.shape[1]}x{i.shape[0]}" for i in images})[:6],
              "feature_mean": float(theirs.mean()), "feature_max": float(np.abs(theirs).max()),
              "max_abs_diff": float(diff.max()), "mean_abs_diff": float(diff.mean()),
              "max_abs_diff_over_largest_feature": float(diff.max() / np.abs(theirs).max()),
              "float64_networks_max_abs_diff": network64,
              "resize_max_abs_diff": resize_difference(images),
              **fid_agreement(ours, theirs, args.per_set),
              "passed": bool(diff.max() <= 1e-4), "torch": torch.__version__, "keras_backend": keras.backend.backend()}
    r = result
    print(f"{len(images)} images: features mean {r['feature_mean']:.3f}, max {r['feature_max']:.3f}; max |keras - "
          f"pytorch-fid| {r['max_abs_diff']:.2e} (target <= 1e-4; {r['max_abs_diff_over_largest_feature']:.1e} of the "
          f"largest feature), mean {r['mean_abs_diff']:.2e}; both networks in float64 on the same inputs "
          f"{r['float64_networks_max_abs_diff']:.2e}; 299-px inputs {r['resize_max_abs_diff']:.2e}; FID photos vs "
          f"faces {r['fid_photos_vs_faces_keras']:.4f} (keras) / {r['fid_photos_vs_faces_pytorch_fid']:.4f}")
    out = args.out or REPO / "benchmarks" / "results" / f"fid_port_{keras.backend.backend()}.json"
    return write_result(out, "fid_port", result)


if __name__ == "__main__" and sys.argv[1:2] == ["--float64-features"]:
    float64_features(*sys.argv[2:5])
elif __name__ == "__main__":
    main()
