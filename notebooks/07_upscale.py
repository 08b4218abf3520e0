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
# # 07 · Upscale your own images
#
# Point `inputs` at a photo, a folder or a glob (on Colab: upload files into /content/my_photos, or a
# Drive folder), choose a trained generator (a run folder or a `.keras` file) and get x4 images of any
# size: the image is processed tile by tile with cross-faded seams, so memory stays bounded. Grayscale,
# palette, transparent (alpha is kept), CMYK and 16-bit images all work; a broken file is reported and
# skipped. The same as the command line: `srgan-upscale INPUTS --model MODEL --out DIR`.

# %% tags=["parameters"]
inputs = "my_photos"  # a file, a folder or a glob; several separated by commas
model = "outputs/model_b_celeba"  # a run folder (its generator.keras) or a .keras file
model_b = ""  # optional second model: then each image is shown as LR | Bicubic | SR-A | SR-B | HR
out_dir = "upscaled"  # where the results go
layout = "sr"  # sr (upscaled image), lr-sr-hr (downscale your image, upscale it back, compare), compare
tile = 192  # tile side in input pixels (lower it if memory runs out)
overlap = 32  # context pixels around each tile; seams are cross-faded over this width
output_format = "png"  # png, jpg or webp
overwrite = False  # replace results that already exist
n_show = 3  # before/after pairs shown below
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
from srgan_helpers import upscale, workflows

workflows.mount_drive(mount_drive)

# %% [markdown]
# ## Upscale
# One line per file that could not be done (with the reason); the others are still processed.

# %%
exit_code = upscale.main(workflows.upscale_arguments(inputs, model, model_b, out_dir, layout, tile, overlap,
                                                     output_format, overwrite))
print("all done" if exit_code == 0 else f"finished with problems (exit status {exit_code})")

# %% [markdown]
# ## Before and after

# %%
workflows.before_after(inputs, out_dir, n_show)
