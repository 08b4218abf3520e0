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
# # 04 · Resume a run
#
# Continues any run of notebook 02 or 03 from its newest verified checkpoint, with the run's own saved
# config (so nothing can be mixed up), optionally with a new GAN epoch target. After a Colab disconnect
# just run this (or the training notebook itself) again: the loss log is cut back to the checkpoint, so
# no epoch is lost or logged twice. A run another session still holds is refused (one trainer at a time);
# a lock left by a disconnected session counts as stale after two minutes. Headless:
#
#     papermill notebooks/04_resume.ipynb out.ipynb -p run_dir outputs/model_b_celeba -p epochs 3000

# %% tags=["parameters"]
run_dir = "outputs/model_b_celeba"  # the run to continue (e.g. /content/drive/MyDrive/srgan/model_b_celeba)
epochs = None  # new total of GAN epochs (None: the run's own target)
backend = "tensorflow"  # tensorflow or jax (chosen before Keras loads); checkpoints move between them
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

workflows.setup_notebook(backend, mount_drive=mount_drive)
cfg = workflows.resume_config(run_dir, epochs)
print(workflows.checkpoint_table(run_dir))

# %% [markdown]
# ## Continue training

# %%
from srgan_helpers.training import train

result = train(cfg, run_dir, resume=True)
print(f"{result.epochs_run} epochs run in this session; checkpoint {result.checkpoint}")

# %% [markdown]
# ## Losses over the whole run

# %%
analysis.plot_training_curves(result.history())

# %% [markdown]
# ## Newest sample strip

# %%
workflows.show_image(workflows.latest_sample(result.run_dir))
