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
# # 04 · Resume a run after a disconnect
#
# Point `run_dir` at any run folder (on Drive or in outputs/). The run's own `config.json` is used, so
# nothing has to be re-entered; only `epochs` (the new GAN total) may be raised. Training continues at the
# next epoch from the newest checkpoint that verifies: a checkpoint cut off mid-write is ignored and the
# previous one used; loss-log rows written after that checkpoint are replaced, never duplicated.
# The original project's continue-notebooks deleted the Drive checkpoint folder here. This one deletes nothing.

# %% tags=["parameters"]
run_dir = "outputs/model_b_celeba"  # the run to continue (e.g. /content/drive/MyDrive/srgan/model_b_celeba)
epochs = None  # new total of GAN epochs (None: the run's own target)
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
from srgan_helpers.training import train

workflows.mount_drive(mount_drive)
cfg = workflows.resume_config(run_dir, epochs)
workflows.checkpoint_table(run_dir)

# %% [markdown]
# ## Continue training

# %%
result = train(cfg, run_dir, resume=True)
print(f"{result.epochs_run} epochs run in this session; checkpoint {result.checkpoint}")

# %% [markdown]
# ## Losses over the whole run

# %%
analysis.plot_training_curves(result.history(), note=workflows.random_vgg_note(cfg))

# %% [markdown]
# ## Newest sample strip

# %%
workflows.show_image(workflows.latest_sample(result.run_dir))
