# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Prepare HR/LR training pairs
#
# The original project's Stage 1, corrected: a seeded random choice of `n_images` from COCO, CelebA or your
# own folder; every image converted to RGB (grayscale, palette, alpha, CMYK, 16-bit) with its EXIF
# orientation applied; centre-cropped to `hr_size` (176) and downsampled with Pillow bicubic by `scale`
# (to 44); split into train and test. Files that are broken, not images or too small are skipped and
# listed with the reason. `dataset="sample"` uses photos that ship inside scikit-image: no network needed.

# %% tags=["parameters"]
dataset = "sample"  # sample (offline), celeba, coco, coco_train2017, or a folder / archive path
data_root = "data"  # raw downloads go to <data_root>/raw, the prepared set to <data_root>/<name>
name = ""  # name of the prepared set (empty: the dataset's name)
archive = ""  # an archive you uploaded yourself (e.g. img_align_celeba.zip) instead of downloading
n_images = 2500  # images chosen (seeded): the original used 2500 = 2000 train + 500 test
hr_size = 176  # HR crop side in pixels
scale = 4  # LR side = hr_size / scale
test_fraction = 0.2  # share of the chosen images held out for testing
seed = 0  # the random choice of images
mount_drive = False  # Colab: mount Google Drive first (then point data_root at /content/drive/MyDrive/...)
install_from = "git+https://github.com/srgan-notebooks/srgan-suite"  # where Colab installs the package from

# %% [markdown]
# ## Setup
# On Colab this installs the package from the repository (with the TensorFlow that Colab already has:
# never install `tensorflow-cpu` there). Locally, `pip install -e .` has done it already.

# %%
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("srgan_helpers") is None:  # Colab / a fresh kernel
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", install_from])

# %%
# %matplotlib inline
from srgan_helpers import preprocess, workflows

workflows.mount_drive(mount_drive)

# %% [markdown]
# ## Acquire and preprocess
# Downloads are resumable and checksum-verified; re-running with the same parameters does nothing.

# %%
data_dir, manifest = workflows.prepare(dataset, data_root, name, n_images=n_images, hr_size=hr_size,
                                       scale=scale, test_fraction=test_fraction, seed=seed, archive=archive)
manifest["counts"]

# %% [markdown]
# ## A few pairs (LR shown enlarged, nearest neighbour)

# %%
workflows.pair_grid(data_dir, "train", n=6, seed=seed)

# %% [markdown]
# ## Skipped files

# %%
print(preprocess.skipped_report(manifest) or "No file was skipped.")
