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
# every other TrainConfig setting (config.py), at its default:
scale = 4
augment = True  # random flips and 90-degree rotations
tone_patches = 0.0  # fraction of every batch replaced by flat fields and ramps of random colours (tones.py)
degradation = "bicubic"  # LR of training pairs: bicubic (stored) or realistic (blur, noise, JPEG: degrade.py)
degradation_ranges = None  # realistic: ranges replaced, e.g. {"first": {"noise_range": [1, 10]}}
loader_workers = None  # processes making batches (same batches for any number); None: by the LR kind
generator = "srresnet"  # or "rrdb" (ESRGAN's RRDBNet)
discriminator = "srgan"  # or "unet" (Real-ESRGAN's U-Net with spectral norm: one logit per pixel)
content_loss = "vgg19"  # or "random_vgg19" (offline, Liu et al. 2021) or "pixel" (SRGAN-MSE)
generator_options = None  # the generator's own settings, e.g. rrdb: {"blocks": 23, "filters": 64}
discriminator_options = None  # the discriminator's own settings, e.g. unet: {"features": 32}
init = "torch"  # weight initialisation: "torch" (PyTorch's default; see networks/blocks.py) or "keras"
generator_from = None  # start the generator from a shipped model's name, a run folder or a .keras
freeze_batchnorm = False  # BatchNorm keeps its statistics and scales (fine-tuning: train as inference)
ema_decay = 0.0  # average of the generator's weights over steps, exported instead (0: off; BasicSR: 0.999)
vgg_rescale = 12.75  # content loss vgg19: features divided by this before the MSE (the paper's 1/12.75)
adv_weight = 0.001
pixel_weight = 0.0  # optional pixel-MSE term in the GAN generator loss (keeps colours when VGG is random)
artifact_weight = 0.0  # LDL: GAN detail where the residual says it is fake is penalised (needs ema_decay)
real_label_mean = 0.9
fake_label_mean = 0.1
gen_label_mean = 0.9
label_std = 0.05
learning_rate = 0.0001
beta_1 = 0.9
learning_rate_schedule = "constant"  # constant, step (decay at a GAN epoch) or cosine (training/schedules.py)
warmup_epochs = 0  # linear warm-up at the start of each phase
learning_rate_decay_epoch = None  # schedule "step": multiply by the factor from this GAN epoch on
learning_rate_decay_factor = 0.1
steps_per_epoch = None  # None: one pass over the training set
jit_compile = None  # TensorFlow: XLA-compile the steps (None: only when TF sees a GPU)
deterministic = True  # seeded runs bit-identical on CPU (TF op determinism); False: faster GPU runs
nan_policy = "stop"  # on a NaN/Inf loss: "stop", or "rollback" to an earlier checkpoint with a lower lr
nan_learning_rate_factor = 0.5  # learning-rate multiplier applied at each rollback
nan_max_rollbacks = 3  # give up (stop) after this many rollbacks
save_every = 1  # checkpoint every N epochs (and always at the end)
keep_last = 3  # newest verified checkpoints kept
keep_every = 100  # every M-th epoch's checkpoint is kept for good (0: never)
sample_every = 10  # write an LR | SR | HR strip every N epochs
n_samples = 4  # images in each sample strip

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
