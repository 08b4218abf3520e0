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
# # 03 · Train Model B on CelebA faces
#
# SRGAN at 44 -> 176 px as the original project's Model B, with what it lacked: SRResNet MSE
# pre-training, VGG input preprocessing, exact resume after a Colab disconnect, checkpoints that are never
# deleted, a loss log that never duplicates or loses an epoch. Headless:
#
#     papermill notebooks/03_train_celeba.ipynb out.ipynb -p epochs 2500
#
# Any other training setting (`srgan_helpers/config.py`) can be passed the same way, e.g. `-p keep_last 5`.
# This notebook is generated from `notebooks/templates/training.py.in` (`python scripts/notebooks.py`).

# %% tags=["parameters"]
run_name = "model_b_celeba"  # the run folder name
drive_dir = ""  # Colab: e.g. /content/drive/MyDrive/srgan keeps the run on Drive (empty: outputs/)
backend = "tensorflow"  # tensorflow, or jax (the faster GPU path); chosen before Keras loads
dataset = "celeba"  # what to prepare into data_dir if it is not there yet (sample works offline)
archive = ""  # an archive you uploaded yourself (img_align_celeba.zip) instead of downloading
data_dir = "data/celeba"  # the prepared HR/LR pairs (notebook 01; made here if missing)
n_images = 2500  # faces to prepare: 2,000 train + 500 test, as the original
hr_size = 176  # HR side of the pairs (LR: hr_size / 4)
crop_size = None  # train on random HR crops of this side (None: the whole 176-px pair)
epochs = 2500  # GAN epochs (phase 2)
pretrain_epochs = 100  # SRResNet MSE epochs first (phase 1: the paper does this, the original did not)
batch_size = 16  # global batch (split across devices)
n_res_blocks = 16  # residual blocks in the generator (paper: 16)
vgg_weights = "imagenet"  # imagenet, a path to VGG19 no-top weights, or None (random: tests only)
vgg_layer = "block5_conv4"  # content-loss features: block5_conv4 (VGG54, the paper's SRGAN) or block2_conv2 (VGG22)
mixed_precision = None  # None, mixed_float16 (T4) or mixed_bfloat16 (A100/H100)
upsample = "pixel_shuffle"  # pixel_shuffle (paper) or upsampling_lrelu (the original project)
d_head = "flatten"  # flatten as the original (Dense on the 11x11 maps), or pool
devices = "auto"  # auto: every GPU / TPU core (one device on CPU), or a count
seed = 0
install_from = "git+https://github.com/srgan-notebooks/srgan-suite"  # where Colab installs the package from

# %% [markdown]
# ## Setup
# On Colab this installs the package (with the TensorFlow, JAX and Keras Colab already has: nothing of
# theirs is replaced), then chooses the backend. Locally, `pip install -e .` has done the install.

# %%
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("srgan_helpers") is None:  # Colab / a fresh kernel
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", install_from])

# %%
# %matplotlib inline
from srgan_helpers import analysis, runs, workflows

workflows.setup_notebook(backend, mount_drive=bool(drive_dir))

# %% [markdown]
# ## The method
# **Phase 1, SRResNet pre-training** (`pretrain_epochs`): the generator learns the pixel mean squared
# error between its 176-px output and the HR face. This gives a good PSNR and a stable start for the GAN
# (the original project skipped it).
#
# **Phase 2, SRGAN** (`epochs`): each step first updates the discriminator D on real HR faces (label
# 0.9 +- 0.05, as the original) and generated ones (label 0.1 +- 0.05), then the generator G on the
# *perceptual loss*
#
# $$ l^{SR} = \underbrace{\tfrac{1}{12.75^2}\,
#   \mathrm{MSE}\big(\phi_{5,4}(G(x)),\ \phi_{5,4}(y)\big)}_{\text{VGG54 content}}
#   \;+\; 10^{-3}\,\underbrace{\mathrm{BCE}\big(D(G(x)),\ 0.9\big)}_{\text{adversarial}} $$
#
# where $\phi_{5,4}$ are the VGG19 features before the 5th pooling layer (ImageNet weights) and the
# 1/12.75 rescaling is the paper's. Checkpoints are saved every epoch; the run resumes by itself.

# %% [markdown]
# ## The networks and the settings

# %%
cfg = workflows.config_from_parameters(globals())
workflows.describe_models(cfg)  # the settings, then both networks

# %% [markdown]
# ## One GAN step, as the package runs it
# Read-only: printed from the installed package, so what you read is what trains. First the generator's
# loss arithmetic (content + `adv_weight` x adversarial; `pixel_weight` x MSE when set) and the
# discriminator's, shared by both backends; then the active backend's step: D is updated on real and
# generated patches, then G on the perceptual loss against the updated D.

# %%
print(workflows.training_step_source())

# %% [markdown]
# ## Data
# Centre crops of the aligned faces, 176 px HR / 44 px LR (Pillow bicubic), 80 % train / 20 % test.

# %%
data_dir = workflows.ensure_prepared(data_dir, dataset, n_images=n_images, hr_size=hr_size, archive=archive)
workflows.pair_grid(data_dir, "train", n=6, seed=seed)

# %% [markdown]
# ## Train
# Resumes from the newest verified checkpoint in the run folder: after a disconnect, run the notebook
# again (or use 04_resume). Nothing in the run folder is ever deleted; one trainer at a time.

# %%
from srgan_helpers.training import train

result = train(cfg.replace(data_dir=str(data_dir)), runs.run_dir(run_name, drive_dir))

# %% [markdown]
# ## Losses
# Grey: SRResNet pre-training (MSE). Right: discriminator loss with the mean D(real) and D(fake).

# %%
analysis.plot_training_curves(result.history())

# %% [markdown]
# ## Newest sample strip: LR | SR | HR on held-out images

# %%
workflows.show_image(workflows.latest_sample(result.run_dir))

# %% [markdown]
# ## The face test split: bicubic and Model B (PSNR / SSIM on the Y channel)

# %%
print(workflows.benchmark_table(result.generator_path, [data_dir]))
