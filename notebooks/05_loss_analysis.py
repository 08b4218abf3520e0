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
# # 05 · Loss analysis
#
# Reads a run's `loss_log.csv` or a log in the original project's format
# (`EPOCH 12  d_loss 7.9721  gan_loss [0.0571, 0.0555, 1.6012]`: perceptual, content, adversarial), every
# line of it. Plots perceptual, content, 1e-3 x adversarial and discriminator loss per epoch with a zoomed
# window, and finds a saturated discriminator from what the values imply:
# - in the original's logs, Keras 2's cross-entropy clips probabilities at 1e-7, so a discriminator whose
#   output is pinned gives losses fixed by the clip level and the labels alone (a D that calls every image
#   real: d_loss = 8.06, adversarial = 1.61, moving only by label noise);
# - in ours, D(real) and D(fake) are logged, and pinned ones are reported.
#
# Malformed lines are listed, never fatal. Headless:
#
#     papermill notebooks/05_loss_analysis.ipynb out.ipynb -p log_path coco.log -p zoom_start 1500

# %% tags=["parameters"]
log_path = "outputs/model_b_celeba/loss_log.csv"  # our CSV log, or an original-format text log
zoom_start = 1500  # first epoch of the zoomed panel
zoom_end = 1750  # last epoch of the zoomed panel
smooth_window = 1  # moving average over this many epochs (1: none)
log_scale = True  # generator losses on a log axis
saturation_window = 50  # epochs a saturated state must last to be reported
out_dir = ""  # where the figures go (empty: beside the log)
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
from srgan_helpers import analysis, workflows

workflows.setup_notebook(mount_drive=mount_drive, keras="never")  # no network runs here
log = analysis.load_log(log_path, warn=False)
print(f"{len(log)} epochs read ({log.format} format); {len(log.problems)} malformed line(s)")
for line_no, text, reason in log.problems[:20]:
    print(f"  line {line_no} skipped: {reason}: {text[:80]!r}")
for line_no, note in log.notes[:20]:
    print(f"  line {line_no} read: {note}")

# %% [markdown]
# ## Saturated discriminator?

# %%
spans = analysis.detect_saturation(log, window=saturation_window, model=analysis.loss_model_for(log))
print(analysis.saturation_report(spans, log))

# %% [markdown]
# ## Loss curves, with the zoomed window
# Saved as PNG and SVG; shaded red: saturated spans; shaded grey: SRResNet pre-training.

# %%
figure_paths = workflows.loss_figure_paths(log_path, out_dir)
analysis.plot_training_curves(log, figure_paths, zoom=(zoom_start, zoom_end), smooth_window=smooth_window,
                              log_scale=log_scale, saturation=spans)
