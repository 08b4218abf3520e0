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
# # 02 · Train Model A on COCO photos (general images)
#
# SRGAN x4 on general photos, as the original project's Model A, with what it lacked: SRResNet
# pre-training, VGG input preprocessing, exact resume after a Colab disconnect, checkpoints that are never
# deleted. Unlike the original (one 176-px centre crop per photo), every step samples random 96-px
# patches from the *whole* photos, the standard way to train a general model. Headless:
#
#     papermill notebooks/02_train_coco.ipynb out.ipynb -p epochs 2500
#
# Any other training setting (`srgan_helpers/config.py`) can be passed the same way, e.g. `-p keep_last 5`.
# This notebook is generated from `notebooks/templates/training.py.in` (`python scripts/notebooks.py`).

# %% tags=["parameters"]
run_name = "model_a_coco"  # the run folder name
drive_dir = ""  # Colab: e.g. /content/drive/MyDrive/srgan keeps the run on Drive (empty: outputs/)
backend = "tensorflow"  # tensorflow, or jax (the faster GPU path); chosen before Keras loads
dataset = "coco"  # coco (val2017, 5,000 photos), coco_train2017, div2k, 291, sample (offline) or a folder
source_folder = ""  # dataset 291 only: a folder holding T91/ and BSD200/ (e.g. ../shared/data)
archive = ""  # an archive you uploaded yourself (e.g. val2017.zip) instead of downloading
data_dir = "data/coco_whole"  # the prepared set (whole images; made here if missing)
n_images = None  # images to prepare (None: all)
min_size = 96  # photos with a side below this are skipped
crop_size = 96  # HR patches cut at random from the whole photos every step
benchmark_dir = ""  # a folder holding Set5/, Set14/, BSD100/ (HR/ + LR_bicubic_x4/) to score the model on
epochs = 2500  # GAN epochs (phase 2)
pretrain_epochs = 100  # SRResNet MSE epochs first (phase 1: the paper does this, the original did not)
batch_size = 16  # global batch (split across devices)
n_res_blocks = 16  # residual blocks in the generator (paper: 16)
vgg_weights = "imagenet"  # imagenet, a path to VGG19 no-top weights, or None (random: tests only)
vgg_layer = "block5_conv4"  # content-loss features: block5_conv4 (VGG54, the paper's SRGAN) or block2_conv2 (VGG22)
mixed_precision = None  # None, mixed_float16 (T4) or mixed_bfloat16 (A100/H100)
d_head = "pool"  # the discriminator's head: pool (any patch size) or flatten (a fixed size)
devices = "auto"  # auto: every GPU / TPU core (one device on CPU), or a count
seed = 0
install_from = "git+https://github.com/srgan-notebooks/srgan-suite"  # where Colab installs the package from
# every other TrainConfig setting (config.py), at its default:
hr_size = 176  # HR side of the stored pairs of a fixed-crop set (whole-image sets: not used)
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
upsample = "pixel_shuffle"  # srresnet: or "upsampling_lrelu", the original project's UpSampling2D + LeakyReLU
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
# On Colab the first cell installs the package next to the TensorFlow, JAX and Keras Colab already has
# (none of theirs is replaced) and the second picks the backend (`backend`: JAX is the faster GPU path).
# Locally, `pip install -e .` has installed it already.

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
# **Phase 1, SRResNet pre-training** (`pretrain_epochs`): on random `crop_size` patches of the whole
# photos the generator G learns the pixel mean squared error to the HR patch: a good PSNR, and a stable
# start for the GAN.
#
# **Phase 2, SRGAN** (`epochs`): every step updates the discriminator D first (real patches labelled
# 0.9 +- 0.05, generated ones 0.1 +- 0.05; its pooled head accepts any patch size), then G on the
# *perceptual loss*
#
# $$ l^{SR} = \underbrace{\tfrac{1}{12.75^2}\,
#   \mathrm{MSE}\big(\phi_{5,4}(G(x)),\ \phi_{5,4}(y)\big)}_{\text{VGG54 content}}
#   \;+\; 10^{-3}\,\underbrace{\mathrm{BCE}\big(D(G(x)),\ 0.9\big)}_{\text{adversarial}} $$
#
# with $\phi_{5,4}$ the ImageNet VGG19 features before its 5th pooling layer, rescaled by the paper's
# 1/12.75. A checkpoint is written every epoch, and running this notebook again resumes the run.

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
# Whole photos, each with its LR made once by Pillow bicubic and cached in a memory-mapped pack (a set
# larger than RAM is fine); training samples random aligned patches (flips and rotations too).

# %%
data_dir = workflows.ensure_prepared(data_dir, dataset, mode="whole", n_images=n_images, min_size=min_size,
                                    folder=source_folder, archive=archive, test_fraction=0.02)
workflows.pair_grid(data_dir, "train", n=4)

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
# ## Benchmark: Set5, Set14, BSD100 (PSNR / SSIM on the Y channel, as papers report)
# Needs the benchmark folders (`HR/` + `LR_bicubic_x4/`); set `benchmark_dir` to where they are.

# %%
print(workflows.benchmark_table(result.generator_path, benchmark_dir))
