"""SRGAN notebook suite: x4 photo-realistic super-resolution with a GAN, in Keras 3.

Modules (one arrow of the data flow each):
acquire (`datasets`) -> `preprocess` -> `loader` -> `training` -> `checkpoints` / `analysis`.
Importing the package imports neither Keras nor TensorFlow; only `models`, `losses` and
`training` do.
"""

__version__ = "0.1.0"
