"""Analytic FLOP counts (multiply-add = 2 FLOPs) of the SRGAN models at concrete sizes."""

from __future__ import annotations


def model_flops(model, input_shape) -> int:
    """Forward FLOPs of Conv2D and Dense layers of a functional model for one input of `input_shape` (H, W, C)."""
    import keras

    clone = keras.models.clone_model(model, input_tensors=keras.Input(tuple(input_shape)))
    total = 0
    for layer in _leaf_layers(clone):
        if isinstance(layer, keras.layers.Conv2D):
            kh, kw, cin, cout = layer.kernel.shape
            _, h, w, _ = layer.output.shape
            total += 2 * kh * kw * cin * cout * h * w
        elif isinstance(layer, keras.layers.Dense):
            cin, cout = layer.kernel.shape
            total += 2 * cin * cout
    return int(total)


def _leaf_layers(model):
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _leaf_layers(layer)
        else:
            yield layer


def srgan_step_flops(g_fwd: int, d_fwd: int, vgg_fwd: int) -> dict:
    """FLOPs per image of one GAN step (forward + backward ~ 3x forward where weights are trained):
    G fwd+bwd (3), D on real and fake fwd+bwd (2 x 3), D in the G step fwd + input backward (2),
    VGG on HR fwd (1) and on SR fwd + input backward (2). And of one MSE pre-training step (G: 3)."""
    return {"gan_step": 3 * g_fwd + 8 * d_fwd + 3 * vgg_fwd, "mse_step": 3 * g_fwd,
            "g_fwd": g_fwd, "d_fwd": d_fwd, "vgg_fwd": vgg_fwd}


def vgg_flops(layer: str, hr_size: int) -> int:
    import keras

    vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(hr_size, hr_size, 3))
    total = 0
    for lyr in vgg.layers:
        if isinstance(lyr, keras.layers.Conv2D):
            kh, kw, cin, cout = lyr.kernel.shape
            _, h, w, _ = lyr.output.shape
            total += 2 * kh * kw * cin * cout * h * w
        if lyr.name == layer:
            break
    return int(total)
