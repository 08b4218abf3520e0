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
# # 07 · Upscale your own photos
#
# Any size (tiled, seams cross-faded), any common format (RGB, grayscale, palette, transparent, CMYK,
# 16-bit; EXIF orientation applied, ICC profiles kept). The default model, `srresnet-x4`, ships with the
# package, so this works with no training; or give a run folder of yours or a `.keras` file. On Colab,
# upload files into `my_photos/` (Files pane) or point `inputs` at a Drive folder. Headless:
#
#     papermill notebooks/07_upscale.ipynb out.ipynb -p inputs my_photos -p model srresnet-x4

# %% tags=["parameters"]
inputs = "my_photos"  # a file, a folder or a glob; several separated by commas
mount_drive = False  # Colab: mount Google Drive first (for inputs on Drive)
model = "srresnet-x4"  # a shipped model's name, a run folder (its generator.keras) or a .keras file
model_b = ""  # optional second model: then each image is shown as LR | Bicubic | SR-A | SR-B | HR
out_dir = "upscaled"  # where the results go
layout = "sr"  # sr (upscaled image), lr-sr-hr (downscale your image, upscale it back, compare), compare
tile = 192  # tile side in input pixels (lower it if memory runs out)
overlap = 32  # context pixels around each tile (8 to tile); seams are cross-faded over this width
output_format = "png"  # png, jpg or webp
overwrite = False  # replace results that already exist
n_show = 3  # before/after pairs shown below
backend = "tensorflow"  # tensorflow or jax (chosen before Keras loads)
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
from srgan_helpers import workflows

workflows.setup_notebook(backend, mount_drive=mount_drive, keras="later")  # Keras loads to upscale

# %% [markdown]
# ## Upscale
# One line per file that could not be done (with the reason); the others are still processed.

# %%
exit_code = workflows.upscale_photos(inputs, model, model_b, out_dir, layout=layout, tile=tile, overlap=overlap,
                                    output_format=output_format, overwrite=overwrite)

# %% [markdown]
# ## Before and after

# %%
workflows.before_after(inputs, out_dir, n_show)
