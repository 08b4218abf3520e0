"""The few calls each notebook (and the offline demo) makes: prepare a set, configure and run training,
show results. Notebooks stay a parameters cell, narrative, these calls and plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .config import TrainConfig
from .data.datasets import DATASETS, acquire, extraction_name
from .data.preprocess import MANIFEST, preprocess, read_manifest


def set_name(dataset: str) -> str:
    """Folder name of a prepared set: the dataset's name, or the folder/archive's stem."""
    if dataset in DATASETS:
        return dataset
    try:
        return extraction_name(Path(dataset))
    except ValueError:
        return "custom"


def prepare(dataset: str = "sample", data_root: str | Path = "data", name: str = "", n_images: int | None = 2500,
            hr_size: int = 176, scale: int = 4, test_fraction: float = 0.2, seed: int = 0,
            archive: str | None = None, overwrite: bool = False, mode: str = "fixed", min_size: int = 96,
            folder: str | None = None, split_by: str | None = None) -> tuple[Path, dict]:
    """Acquire `dataset` into <data_root>/raw and preprocess it into <data_root>/<name>; (folder, manifest).

    When the source is itself <data_root>/<name> (your photos in data/myphotos), the set goes to
    <data_root>/<name>_prepared: your folder is never written to. `split_by` None: the dataset's own
    ("folder" for the face sets of one folder per person, else "image")."""
    data_root = Path(data_root)
    split_by = split_by or (DATASETS[dataset].split_by if dataset in DATASETS else "image")
    source = acquire(dataset, data_root / "raw", archive=archive or None, folder=folder or None)
    out_dir = data_root / (name or set_name(dataset))
    if not name and out_dir.resolve() == Path(source).resolve():
        out_dir = out_dir.with_name(f"{out_dir.name}_prepared")
    manifest = preprocess(source, out_dir, n_images=n_images, hr_size=hr_size, scale=scale,
                          test_fraction=test_fraction, seed=seed, overwrite=overwrite, mode=mode, min_size=min_size,
                          split_by=split_by)
    c = manifest["counts"]
    kind = (f"whole images (>= {min_size} px)" if mode == "whole"
            else f"{hr_size}px HR / {hr_size // scale}px LR pairs")
    print(f"{out_dir}: {c['train']} train + {c['test']} test {kind}, {c['skipped']} skipped, from "
          f"{c['source_files']} files in {source}")
    return out_dir, manifest


def ensure_prepared(data_dir: str | Path, dataset: str, **prepare_kwargs) -> Path:
    """`data_dir` if it already holds a prepared set, else prepare `dataset` into it."""
    data_dir = Path(data_dir)
    if (data_dir / MANIFEST).is_file():
        return data_dir
    out_dir, _ = prepare(dataset, data_dir.parent, data_dir.name, **prepare_kwargs)
    return out_dir


def none_if_empty(value):
    """Papermill parameters arrive as strings; 'None', 'none' and '' mean None."""
    return None if value in (None, "", "None", "none", "null") else value


def pair_grid(data_dir: str | Path, split: str = "train", n: int = 8, seed: int = 0):
    """A figure of n HR/LR pairs (LR shown at HR size, nearest neighbour)."""
    from matplotlib.figure import Figure

    from .images import load_uint8

    manifest = read_manifest(data_dir)
    records = manifest[split]
    chosen = np.random.default_rng(seed).permutation(len(records))[:n]
    fig = Figure(figsize=(2 * len(chosen), 4.2))
    axes = fig.subplots(2, len(chosen), squeeze=False)
    for col, idx in enumerate(chosen):
        name = records[idx]["name"]
        hr = load_uint8(Path(data_dir) / split / "hr" / name)
        lr = load_uint8(Path(data_dir) / split / "lr" / name)
        for row, (img, label) in enumerate(((hr, f"HR {hr.shape[1]}px"), (lr, f"LR {lr.shape[1]}px"))):
            axes[row, col].imshow(img, interpolation="nearest", extent=(0, hr.shape[1], hr.shape[0], 0))
            axes[row, col].set_title(label, fontsize=8)
            axes[row, col].axis("off")
    fig.tight_layout()
    return fig


def train_config(**params) -> TrainConfig:
    """A TrainConfig from notebook parameters (unknown names are refused; 'None' strings mapped)."""
    return TrainConfig.from_dict({k: none_if_empty(v) for k, v in params.items()})


def config_from_parameters(namespace: dict, **overrides) -> TrainConfig:
    """The TrainConfig of a training notebook: every name in `namespace` (the notebook's globals) that is a
    TrainConfig field, so any field can be set with papermill's `-p name value`, plus `overrides`."""
    import dataclasses

    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    chosen = {k: v for k, v in namespace.items() if k in fields and not k.startswith("_")}
    return train_config(**{**chosen, **overrides})


KERAS_WHEN = ("now", "later", "never")


def setup_notebook(backend: str | None = None, mount_drive: bool = False, keras: str = "now") -> None:
    """A notebook's first call: the Keras backend and Google Drive on Colab. `keras`: "now" chooses the backend
    and loads Keras quietly; "later" only chooses it (the first call that needs Keras loads it: notebook 07
    says there is nothing to upscale before seconds of loading); "never" for a notebook that runs no network
    (preparing data, reading a loss log): its kernel never starts TensorFlow (seconds, and its memory)."""
    from .backend import load_keras, select_backend
    from .runs import mount_drive as mount

    if keras not in KERAS_WHEN:
        raise ValueError(f"keras={keras!r}: use one of {KERAS_WHEN}")
    if keras == "now":
        load_keras(none_if_empty(backend))
    elif keras == "later":
        select_backend(none_if_empty(backend))
    mount(bool(mount_drive))


def describe_models(cfg: TrainConfig) -> None:
    """Print the config's settings, then the generator's and discriminator's summaries."""
    from .networks import model_summary
    from .training import build_models

    print("\n".join(f"{k} = {v!r}" for k, v in cfg.to_dict().items()) + "\n")
    models = build_models(cfg)
    print(f"{model_summary(models.generator)}\n\n{model_summary(models.discriminator)}")


def training_step_source() -> str:
    """The code one training step runs, as the installed package has it: the loss arithmetic both backends
    share (training/common.py), then the active backend's GAN step."""
    import inspect

    import keras

    from .training import common

    if keras.backend.backend() == "jax":
        from .training import jax_steps as steps
        parts = [steps._gan_fn, steps._discriminator_update, steps._generator_loss_grad]
    else:
        from .training.tf_steps import TFSteps as steps
        parts = [steps._gan_replica, steps._discriminator_update]
    shown = [common.generator_terms, common.discriminator_terms, *parts]
    return "\n\n".join(f"# {inspect.getsourcefile(f).split('srgan_helpers')[-1]}\n{inspect.getsource(f)}"
                         for f in shown)


def latest_sample(run_dir: str | Path) -> Path | None:
    samples = sorted((Path(run_dir) / "samples").glob("epoch_*.png"))
    return samples[-1] if samples else None


def show_image(path: str | Path):
    """An image file as a matplotlib figure (renders in notebooks and papermill outputs)."""
    from matplotlib.figure import Figure
    from PIL import Image

    img = np.asarray(Image.open(path))
    fig = Figure(figsize=(min(14, img.shape[1] / 60), min(14, img.shape[0] / 60) + 0.3))
    ax = fig.subplots()
    ax.imshow(img, interpolation="nearest")
    ax.set_title(Path(path).name, fontsize=8)
    ax.axis("off")
    return fig


def resume_config(run_dir: str | Path, epochs=None, **changes) -> TrainConfig:
    """The run's saved config, with a new GAN epoch total (and other unlocked settings) if given."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run_dir must be a run folder made by notebook 02/03")
    cfg = TrainConfig.from_json(path)
    epochs = none_if_empty(epochs)
    changes = {k: none_if_empty(v) for k, v in changes.items()}
    return cfg.replace(**changes, **({"epochs": int(epochs)} if epochs is not None else {}))


def checkpoint_table(run_dir: str | Path) -> str:
    """The run's checkpoints as a markdown table (verified with epoch and step, or why they cannot be used)."""
    from .training.checkpoints import CheckpointManager

    rows = CheckpointManager(Path(run_dir) / "checkpoints", required=("config",)).describe()
    lines = ["| checkpoint | status |", "|---|---|"] + [f"| {name} | {status} |" for name, status in rows]
    return "\n".join(lines) if rows else "No checkpoint yet."


def loss_figure_paths(log_path: str | Path, out_dir: str | Path = "") -> list[Path]:
    """PNG and SVG paths for a log's loss figure: <out_dir or the log's folder>/loss_analysis.{png,svg}."""
    folder = Path(out_dir) if out_dir else Path(log_path).parent
    return [folder / "loss_analysis.png", folder / "loss_analysis.svg"]


def name_list(text: str | None) -> list[str] | None:
    """'a.png, b.png' -> ['a.png', 'b.png']; empty -> None."""
    names = [t.strip() for t in (text or "").split(",") if t.strip()]
    return names or None


def upscale_arguments(inputs: str, model: str, model_b: str = "", out_dir: str = "upscaled", layout: str = "sr",
                      tile: int = 192, overlap: int = 32, output_format: str = "png",
                      overwrite: bool = False) -> list[str]:
    """Notebook 07's parameters as `srgan-upscale` arguments."""
    args = [*(name_list(inputs) or []), "--model", str(model), "--out", str(out_dir), "--tile", str(tile),
            "--overlap", str(overlap), "--format", output_format]
    if none_if_empty(model_b):
        args += ["--model-b", str(model_b)]
        layout = "compare" if layout == "sr" else layout
    args += ["--layout", layout] + (["--overwrite"] if overwrite else [])
    return args


class NothingUpscaled(RuntimeError):
    """A notebook run that had nothing to upscale (no input found, or the model or options refused)."""


def upscale_photos(inputs: str, model: str, model_b: str = "", out_dir: str = "upscaled", **options) -> int:
    """Notebook 07's run of `srgan-upscale`; its exit status (1: some files failed, the rest are done).
    Raises NothingUpscaled, one line, when nothing could be upscaled, so a headless run fails."""
    from .inference.upscale import expand_inputs, main

    paths, problems = expand_inputs(name_list(inputs) or [])
    if not paths:
        raise NothingUpscaled(f"nothing was upscaled: {'; '.join(problems) or f'no images in {inputs!r}'}. Put "
                              f"photos there (on Colab: upload them in the Files pane) or set inputs")
    code = main(upscale_arguments(inputs, model, model_b, out_dir, **options))
    if code == 2:
        raise NothingUpscaled("nothing was upscaled: the model or an option was refused (the error line above)")
    print("all done" if code == 0 else f"finished with problems (exit status {code}): see the lines above")
    return code


def before_after(inputs: str, out_dir: str | Path, n: int = 3):
    """A figure of up to n inputs beside their newest result in `out_dir` (bicubic-free, as saved)."""
    from matplotlib.figure import Figure
    from PIL import Image

    from .inference.upscale import expand_inputs

    paths, _ = expand_inputs(name_list(inputs) or [])
    pairs = []
    for src in paths:
        results = sorted(Path(out_dir).glob(f"{src.stem}_x*.*"), key=lambda p: p.stat().st_mtime)
        if results:
            pairs.append((src, results[-1]))
        if len(pairs) == n:
            break
    fig = Figure(figsize=(10, 4 * max(1, len(pairs))))
    axes = fig.subplots(max(1, len(pairs)), 2, squeeze=False)
    for row, (src, result) in enumerate(pairs):
        for col, (path, title) in enumerate(((src, "input"), (result, "result"))):
            img = Image.open(path)
            axes[row, col].imshow(img.convert("RGBA") if img.mode not in ("RGB", "L") else img,
                                  cmap="gray" if img.mode == "L" else None)
            axes[row, col].set_title(f"{title}: {path.name} {img.width}x{img.height}", fontsize=8)
            axes[row, col].axis("off")
    if not pairs:
        axes[0, 0].text(0.5, 0.5, "no results to show", ha="center")
        axes[0, 0].axis("off")
        axes[0, 1].axis("off")
    fig.tight_layout()
    return fig


BENCHMARK_SETS = ("Set5", "Set14", "BSD100")


def benchmark_table(model, where) -> str:
    """PSNR / SSIM of bicubic and `model` (a name, run folder or .keras) on evaluation sets, as a markdown
    table. `where`: folders (a list, or comma-separated text) of any evaluation layout; a folder holding
    Set5/, Set14/ and BSD100/ stands for those three."""
    from .evaluate import evaluate, results_table
    from .inference import load_generator

    folders = [Path(f) for f in ((name_list(where) or []) if isinstance(where, str) else where or [])]
    expanded = [f / name for f in folders for name in BENCHMARK_SETS if (f / name).is_dir()] or folders
    if not expanded:
        return "No evaluation folder given (benchmark_dir is empty): nothing scored."
    generator = load_generator(model)
    return results_table([evaluate(generator, folder) for folder in expanded])


def degradation_preview(data_dir: str | Path, seed: int = 0, n: int = 8, ranges: dict | None = None,
                        side: int = 128):
    """One HR patch of a prepared set beside the LR the realistic degradation (data/degrade.py) makes of it
    with `n` seeds, each titled with what was drawn; `ranges`: overrides, as TrainConfig.degradation_ranges."""
    from matplotlib.figure import Figure

    from .data.degrade import DegradeRanges, degrade
    from .data.loader import open_split

    images = open_split(data_dir, "train")
    hr = np.asarray(images.image(0, "hr"))
    side = min(side, *hr.shape[:2]) // images.scale * images.scale
    y, x = (hr.shape[0] - side) // 2, (hr.shape[1] - side) // 2
    hr = np.ascontiguousarray(hr[y:y + side, x:x + side])
    panels = [(hr, f"HR {side} px")]
    for s in range(n):
        notes: list[str] = []
        lr = degrade(hr, np.random.default_rng([seed, s]), DegradeRanges.with_overrides(ranges), images.scale, notes)
        panels.append((lr, f"seed {s}\n" + "\n".join(notes)))
    cols = 3
    fig = Figure(figsize=(3.3 * cols, 4.9 * -(-len(panels) // cols)), layout="constrained")
    axes = fig.subplots(-(-len(panels) // cols), cols, squeeze=False).ravel()
    for ax, (image, title) in zip(axes, panels):
        ax.imshow(image, interpolation="nearest", extent=(0, side, side, 0))
        ax.set_title(title, fontsize=7, loc="left")
    for ax in axes:
        ax.axis("off")
    return fig
