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
# # 05 · Loss analysis
#
# Reads a run's `loss_log.csv` or a log in the original project's format
# (`EPOCH 12  d_loss 7.9721  gan_loss [0.0571, 0.0555, 1.6012]`: perceptual, content, adversarial), every
# line of it (the original parser read only every 10th). Plots perceptual, content, 1e-3 x adversarial and
# discriminator loss per epoch with a zoomed window, and finds a saturated discriminator: D(real) and
# D(fake) pinned near 1 and 0, or an adversarial loss flat for many epochs, as in the original logs
# (d_loss flat near 8 and adversarial near 1.6 for 2,500 epochs). Malformed lines are listed, never fatal.

# %% tags=["parameters"]
log_path = "outputs/model_b_celeba/loss_log.csv"  # our CSV log, or an original-format text log
zoom_start = 1500  # first epoch of the zoomed panel
zoom_end = 1750  # last epoch of the zoomed panel
smooth_window = 1  # moving average over this many epochs (1: none)
log_scale = True  # generator losses on a log axis
saturation_window = 50  # epochs a pinned / flat discriminator must last to be reported
out_dir = ""  # where the figures go (empty: beside the log)
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
from srgan_helpers import analysis, workflows

workflows.mount_drive(mount_drive)
log = analysis.load_log(log_path)
print(f"{len(log)} epochs read ({log.format} format); {len(log.problems)} malformed line(s)")
for line_no, text, reason in log.problems[:20]:
    print(f"  line {line_no}: {reason}: {text[:80]!r}")

# %% [markdown]
# ## Saturated discriminator?

# %%
spans = analysis.detect_saturation(log, window=saturation_window)
print(analysis.saturation_report(spans))

# %% [markdown]
# ## Loss curves, with the zoomed window
# Saved as PNG and SVG; shaded red: saturated spans; shaded grey: SRResNet pre-training.

# %%
figure_paths = workflows.loss_figure_paths(log_path, out_dir)
analysis.plot_training_curves(log, figure_paths, zoom=(zoom_start, zoom_end), smooth_window=smooth_window,
                              log_scale=log_scale, saturation=spans)
