# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Bicubic vs Model A vs Model B
#
# The original project's Stage 4, corrected: FID and KID (InceptionV3 features of whole images, pixels in
# the right order), PSNR and SSIM (Y channel, 4-px border), a bar chart beside the original's published
# FID, and LR | Bicubic | SR-A | SR-B | HR strips. The test set can be a set prepared by notebook 01 (its
# test split), a benchmark folder (`HR/` + `LR_bicubic_x4/`, e.g. Set14) or a folder of HR images alone.
# Models: a run folder, a `.keras` file or a shipped model's name: `-p model_a srresnet-x4 -p model_b
# outputs/model_b_celeba` compares the shipped general model with your face run, and `-p model_a
# srresnet-x4 -p model_b srgan-x4 -p data_dir ../shared/data/BSD100` the perception-distortion trade-off:
# the SRGAN loses PSNR and wins NIQE.
#
# Which FID: `fid_network="standard"` (the default) is the FID papers and tools report (pytorch-fid's
# InceptionV3 with TensorFlow's 2015-12-05 weights, ported to Keras and proved exact against pytorch-fid:
# benchmarks/fid_port.py); `"keras"` is the original project's (Keras InceptionV3, ImageNet weights), the
# only one its published numbers compare with. The table and the chart name the one used. Each needs its
# weights: offline they cannot be had (random weights cannot separate models), and the table and chart
# then say so in one line; PSNR, SSIM and NIQE (no reference image,
# lower is more natural: how photo-like the result looks) are always measured. Each model is named by
# `label_a` / `label_b`, or by its model or run folder name; the original project's published FIDs keep
# their own names (its models, not these) and say whether the setup is comparable.
# Headless:
#
#     papermill notebooks/06_fid_comparison.ipynb out.ipynb -p data_dir data/celeba -p n_images 500

# %% tags=["parameters"]
data_dir = "data/celeba"  # the test set: a prepared set, a benchmark folder, or HR images
model_a = "outputs/model_a_coco"  # Model A: a run folder, a .keras file or a model name (empty: leave out)
model_b = "outputs/model_b_celeba"  # Model B: likewise
label_a = ""  # how Model A is named in the table, chart and strips (empty: its model or run folder name)
label_b = ""  # likewise for Model B
backend = "tensorflow"  # tensorflow or jax (chosen before Keras loads)
n_images = 500  # test images scored (the original used 500)
fid_network = "standard"  # standard (pytorch-fid's, as papers report) or keras (the original project's)
fid_weights = "auto"  # auto (the published weights when they can be had, else one line saying so), a path, or None
n_strips = 4  # random test images shown as LR | Bicubic | SR-A | SR-B | HR
strip_images = ""  # or a comma-separated list of test file names to show instead
out_dir = "outputs/comparison"  # CSV, markdown, bar chart and strips go here
seed = 0
mount_drive = False  # Colab: mount Google Drive first
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
from IPython.display import Markdown

from srgan_helpers import compare, workflows

workflows.setup_notebook(backend, mount_drive=mount_drive)
models = compare.labelled_models([model_a, model_b], [label_a, label_b])
result = compare.compare(data_dir, models, out_dir,
                         n_images=n_images, fid_weights=workflows.none_if_empty(fid_weights), n_strips=n_strips,
                         strip_images=workflows.name_list(strip_images), seed=seed, fid_network=fid_network)
Markdown(compare.comparison_markdown(result))

# %% [markdown]
# ## FID (like the original's performance.jpg), PSNR and NIQE

# %%
compare.fid_bar_chart(result)

# %% [markdown]
# ## LR | Bicubic | SR-A | SR-B | HR

# %%
workflows.show_image(result["paths"]["strips"])
