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
# # 06 · Compare bicubic, Model A (COCO) and Model B (CelebA)
#
# The original project's Stage 4, fixed: on a test set, bicubic upsampling and both generators are scored
# against the HR images with FID (InceptionV3 pool features, 299 px, images kept NHWC), KID, and PSNR / SSIM
# on the Y channel. The original's published FID (bicubic 50.11, COCO model 11.10, CelebA model 6.98) is
# shown as a reference, marked as not comparable when weights or sets differ. FID on 500 images is biased
# upwards: compare numbers computed on equal set sizes only.

# %% tags=["parameters"]
data_dir = "data/celeba"  # prepared set whose test split is scored (notebook 01)
model_a = "outputs/model_a_coco"  # Model A: a run folder or generator .keras (empty: leave out)
model_b = "outputs/model_b_celeba"  # Model B: a run folder or generator .keras (empty: leave out)
n_images = 500  # test images scored (the original used 500)
fid_weights = "imagenet"  # imagenet, a path to InceptionV3 no-top weights, or None (random: tests only)
n_strips = 4  # random test images shown as LR | Bicubic | SR-A | SR-B | HR
strip_images = ""  # or a comma-separated list of test file names to show instead
out_dir = "outputs/comparison"  # CSV, markdown, bar chart and strips go here
seed = 0
mount_drive = False  # Colab: mount Google Drive first
install_from = "git+https://github.com/srgan-notebooks/srgan-suite"  # where Colab installs the package from

# %% [markdown]
# ## Setup
# On Colab this installs the package from the repository (with the TensorFlow that Colab already has).

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

workflows.mount_drive(mount_drive)
result = compare.compare(data_dir, {"Model A (COCO)": model_a, "Model B (CelebA)": model_b}, out_dir,
                         n_images=n_images, fid_weights=workflows.none_if_empty(fid_weights), n_strips=n_strips,
                         strip_images=workflows.name_list(strip_images), seed=seed)
Markdown(compare.comparison_markdown(result))

# %% [markdown]
# ## FID bar chart (like the original's performance.jpg)

# %%
compare.fid_bar_chart(result)

# %% [markdown]
# ## LR | Bicubic | SR-A | SR-B | HR

# %%
workflows.show_image(result["paths"]["strips"])
