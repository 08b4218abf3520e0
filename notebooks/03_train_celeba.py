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
# SRGAN at 44 -> 176 px as the original project, with what it lacked: SRResNet MSE pre-training, VGG input
# preprocessing, exact resume after a Colab disconnect, checkpoints that are never deleted, a loss log
# that never duplicates or loses an epoch. Headless:
#
#     papermill notebooks/03_train_celeba.ipynb out.ipynb -p epochs 2500

# %% tags=["parameters"]
dataset = "celeba"  # what to prepare into data_dir if it is not there yet (sample works offline)
data_dir = "data/celeba"  # the prepared HR/LR set (notebook 01)
n_images = 2500  # images to prepare when data_dir does not exist yet
run_name = "model_b_celeba"  # the run folder name
drive_dir = ""  # Colab: e.g. /content/drive/MyDrive/srgan keeps checkpoints on Drive (empty: outputs/)
epochs = 2500  # GAN epochs (the original trained 2500)
pretrain_epochs = 100  # SRResNet MSE epochs first (the paper does this; the original did not)
batch_size = 16
n_res_blocks = 16  # residual blocks in the generator (paper: 16)
hr_size = 176  # HR side of the prepared pairs
scale = 4
crop_size = None  # train on random HR crops of this side (None: whole 176px pairs)
steps_per_epoch = None  # None: one pass over the training set
d_head = "flatten"  # flatten as the original; pool for any image size
vgg_weights = "imagenet"  # imagenet, a path to VGG19 no-top weights, or None (random: tests only)
mixed_precision = None  # None, mixed_float16 (T4) or mixed_bfloat16 (A100/H100)
devices = "auto"  # auto: every GPU / TPU core (one device on CPU), or a count; batch_size is the global batch
save_every = 1  # checkpoint every N epochs
keep_last = 3  # checkpoints kept (plus every keep_every-th for good)
keep_every = 100
sample_every = 10  # LR | SR | HR strip every N epochs
seed = 0
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
from srgan_helpers import analysis, checkpoints, workflows
from srgan_helpers.training import train

data_dir = workflows.ensure_prepared(data_dir, dataset, n_images=n_images, hr_size=hr_size, scale=scale)
run_dir = checkpoints.run_dir(run_name, drive_dir)
cfg = workflows.train_config(data_dir=str(data_dir), epochs=epochs, pretrain_epochs=pretrain_epochs,
                             batch_size=batch_size, n_res_blocks=n_res_blocks, hr_size=hr_size, scale=scale,
                             crop_size=crop_size, steps_per_epoch=steps_per_epoch, d_head=d_head,
                             vgg_weights=vgg_weights, mixed_precision=mixed_precision, devices=devices, save_every=save_every,
                             keep_last=keep_last, keep_every=keep_every, sample_every=sample_every, seed=seed)
cfg

# %% [markdown]
# ## Train
# Resumes automatically from the newest verified checkpoint in the run folder: after a disconnect,
# just run the notebook again (or use 04_resume). Nothing in the run folder is ever deleted.

# %%
result = train(cfg, run_dir)
result.run_dir

# %% [markdown]
# ## Losses
# Grey: SRResNet pre-training (MSE). Right: discriminator loss with the mean D(real) and D(fake).

# %%
analysis.plot_training_curves(result.history(), note=workflows.random_vgg_note(cfg))

# %% [markdown]
# ## Newest sample strip: LR | SR | HR on held-out images

# %%
workflows.show_image(workflows.latest_sample(result.run_dir))

