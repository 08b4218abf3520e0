# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Prepare a training set
#
# The original project's Stage 1, corrected. Two kinds of set:
# - **fixed** (the original's): a seeded choice of `n_images`, each centre-cropped to `hr_size` (176) and
#   downsampled with Pillow bicubic by `scale` (to 44), split into train and test;
# - **whole** (for a general model: COCO, DIV2K, the "291" set): whole images, their LR made once by the
#   same bicubic and kept in a memory-mapped pack from which training cuts random patches.
#
# Every image is converted to RGB (grayscale, palette, alpha, CMYK, 16-bit) with its EXIF orientation
# applied. Broken, non-image or too small files are skipped and listed with the reason; animated files give
# their first frame (noted). Your own folder is never written to. Headless:
#
#     papermill notebooks/01_preprocess.ipynb out.ipynb -p dataset celeba -p n_images 2500

# %% tags=["parameters"]
dataset = "sample"  # sample, celeba, coco, coco_train2017, div2k, 291, faces_essex, faces_lfw, a folder or archive
source_folder = ""  # 291, faces_essex, faces_lfw: the folder holding T91/ + BSD200/ or the set (../shared/data)
archive = ""  # an archive you uploaded yourself (e.g. img_align_celeba.zip) instead of downloading
data_root = "data"  # raw downloads go to <data_root>/raw, the prepared set to <data_root>/<name>
name = ""  # name of the prepared set (empty: the dataset's name)
mode = "fixed"  # fixed (centre crops, the original) or whole (whole images for random patches)
n_images = 2500  # images chosen (seeded; None: all): the original used 2500, i.e. 2000 train + 500 test
hr_size = 176  # fixed mode: HR crop side in pixels
min_size = 96  # whole mode: images with a side below this are skipped
scale = 4  # the LR side is the HR side divided by this
test_fraction = 0.2  # share of the chosen images held out for testing
split_by = ""  # image, or folder (a whole folder to one split: one folder per person); empty: the dataset's own
seed = 0  # the random choice of images
preview_degradation = True  # show what the realistic degradation (TrainConfig degradation realistic) makes
overwrite = False  # replace a set this notebook made earlier with other parameters
mount_drive = False  # Colab: mount Google Drive first (then point data_root at /content/drive/MyDrive/...)
install_from = "git+https://github.com/srgan-notebooks/srgan-suite"  # where Colab installs the package from

# %% [markdown]
# ## Setup
# On Colab this installs the package (with the TensorFlow, JAX and Keras Colab already has: nothing of
# theirs is replaced). Locally, `pip install -e .` has done it already.

# %%
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("srgan_helpers") is None:  # Colab / a fresh kernel
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", install_from])

# %%
# %matplotlib inline
from srgan_helpers import workflows
from srgan_helpers.data import preprocess

workflows.setup_notebook(mount_drive=mount_drive, keras="never")  # no network runs here

# %% [markdown]
# ## Acquire and preprocess
# Downloads are resumable and checksum-verified; re-running with the same parameters does nothing.

# %%
data_dir, manifest = workflows.prepare(dataset, data_root, name, n_images=n_images, hr_size=hr_size,
                                       scale=scale, test_fraction=test_fraction, seed=seed, archive=archive,
                                       overwrite=overwrite, mode=mode, min_size=min_size, folder=source_folder,
                                       split_by=split_by or None)
manifest["counts"]

# %% [markdown]
# ## A few pairs (LR shown enlarged, nearest neighbour)

# %%
workflows.pair_grid(data_dir, "train", n=6, seed=seed)

# %% [markdown]
# ## Photos from phones and the web: the realistic degradation
# Trained with `degradation="realistic"`, a model never sees the clean bicubic LR above: each LR is made
# from its HR patch on the fly by blur, resizing, noise and JPEG, twice, then a sinc filter (Real-ESRGAN's
# published ranges; `degradation_ranges` changes them). One patch, eight seeds, each with what was drawn:

# %%
workflows.degradation_preview(data_dir, seed=seed) if preview_degradation else None

# %% [markdown]
# ## Skipped files and notes

# %%
print(preprocess.skipped_report(manifest) or "No file was skipped.")
