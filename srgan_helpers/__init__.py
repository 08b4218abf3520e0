"""SRGAN notebook suite: x4 photo-realistic super-resolution with a GAN, in Keras 3.

Subpackages follow the data flow: `data` (acquire, preprocess, pack, loader) -> `training` (with
`checkpoints`) -> `inference` (generators by name, tiles, the release check) and `metrics` / `evaluate` /
`analysis`.
Importing the package imports neither Keras nor TensorFlow; only `training`, the network builders (when
called) and `inference` do. It sets TF_NUM_INTEROP_THREADS=1 (unless already set) so that seeded TensorFlow runs on a
CPU agree under load (to 1e-4; JAX runs are bit-identical): see `determinism`.
"""

from . import networks
from .config import register_problem_finder
from .determinism import prepare_environment

prepare_environment()
register_problem_finder(networks.problems)  # a config is checked by the tables of the networks it names

__version__ = "0.3.0"  # the one place the version is written (pyproject.toml reads it)
