"""The standard FID network's port: its input, its pooling, its weights file (exactness against pytorch-fid
itself is benchmarks/fid_port.py's, which needs PyTorch)."""

import hashlib

import numpy as np
import pytest
from test_datasets import server  # noqa: F401 (a fixture: files served from 127.0.0.1)

from srgan_helpers.metrics import fid, fid_inception


def random_state(model, seed=0) -> dict:
    """A state dict in pytorch-fid's layout (conv kernels OIHW) for the port's layers."""
    rng = np.random.default_rng(seed)
    state = {}
    for layer in model.layers:
        if layer.name.endswith(".conv"):
            h, w, i, o = layer.get_weights()[0].shape
            state[f"{layer.name}.weight"] = rng.normal(0, (2 / (h * w * i)) ** 0.5, (o, i, h, w)).astype(np.float32)
        elif layer.name.endswith(".bn"):
            n = layer.get_weights()[0].shape[0]
            state.update({f"{layer.name}.weight": np.ones(n, np.float32), f"{layer.name}.bias": np.zeros(n, np.float32),
                          f"{layer.name}.running_mean": np.zeros(n, np.float32),
                          f"{layer.name}.running_var": np.ones(n, np.float32)})
    return state


@pytest.fixture(scope="module")
def weights_npz(tmp_path_factory):
    path = tmp_path_factory.mktemp("fidw") / "fid_inception.npz"
    np.savez(path, **random_state(fid_inception.build_fid_inception(random_weights=False)))
    return path


def test_the_input_is_torch_bilinear_without_antialiasing_in_minus_one_to_one():
    """torch's F.interpolate(bilinear, align_corners=False): 2 -> 4 px gives 0, .25, .75, 1; 4 -> 2 px takes
    the mean of each pair (no antialiasing); then x / 255 * 2 - 1 per channel, channels in order."""
    up = fid_inception.bilinear_resize(np.array([[[[0.0]], [[1.0]]]], np.float32).reshape(1, 2, 1, 1), size=4)
    np.testing.assert_allclose(up[0, :, 0, 0], [0, 0.25, 0.75, 1], atol=1e-7)
    down = fid_inception.bilinear_resize(np.arange(4, dtype=np.float32).reshape(1, 4, 1, 1), size=2)
    np.testing.assert_allclose(down[0, :, 0, 0], [0.5, 2.5], atol=1e-6)
    red = np.zeros((37, 50, 3), np.uint8)
    red[..., 0] = 255
    batch = fid_inception.fid_inception_input([red, np.full((20, 20, 3), 51, np.uint8)])
    assert batch.shape == (2, 299, 299, 3)
    np.testing.assert_allclose(batch[0, 150, 150], [1, -1, -1], atol=1e-6)
    np.testing.assert_allclose(batch[1], -0.6, atol=1e-6)


@pytest.mark.backend
def test_pooling_does_not_count_the_padding_on_this_backend():
    """pytorch-fid's A/C/E_1 blocks average 3x3 windows without the zero padding: on a constant image the
    border stays that constant (counting the padding would give 4/9 in the corners)."""
    import keras

    x = keras.Input((6, 6, 1))
    pooled = keras.Model(x, fid_inception._avg_pool(x, "t"))
    out = keras.ops.convert_to_numpy(pooled(np.ones((1, 6, 6, 1), np.float32)))
    np.testing.assert_allclose(out, 1.0, atol=1e-6)


@pytest.mark.backend
def test_a_weights_file_loads_into_the_port_and_gives_2048_features(weights_npz):
    network = fid.build_fid_network("standard", str(weights_npz))
    assert network.kind == "standard" and "pytorch-fid" in network.description
    conv = network.model.get_layer("Mixed_7c.branch3x3dbl_3b.conv").get_weights()[0]
    state = np.load(weights_npz)
    np.testing.assert_array_equal(conv, state["Mixed_7c.branch3x3dbl_3b.conv.weight"].transpose(2, 3, 1, 0))
    rng = np.random.default_rng(1)
    images = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8), rng.integers(0, 256, (90, 90, 3), dtype=np.uint8)]
    feats = fid.inception_features(images, network, batch_size=1, progress=False)
    assert feats.shape == (2, 2048) and np.all(feats >= 0) and feats.std() > 0
    batched = fid.inception_features(images, network, batch_size=2, progress=False)  # two sizes in one batch
    np.testing.assert_allclose(batched, feats, rtol=1e-5, atol=1e-5)  # oneDNN rounds batches of 1 and 2 apart


def test_the_port_built_for_a_weights_file_draws_no_random_kernels(weights_npz, monkeypatch):
    """A network whose weights are about to be loaded starts from zero kernels: no random draws, which on JAX
    compile once per kernel shape (~30 s for this network on 2 cores)."""
    monkeypatch.setattr(fid_inception, "load_state_dict", lambda model, state: None)  # the state before loading
    network = fid.build_fid_network("standard", str(weights_npz))
    kernels = [layer.get_weights()[0] for layer in network.model.layers if layer.name.endswith(".conv")]
    assert len(kernels) == 94 and not any(kernel.any() for kernel in kernels)


def test_a_wrong_weights_file_is_named_in_one_error(weights_npz, tmp_path):
    state = dict(np.load(weights_npz))
    model = fid_inception.build_fid_inception(random_weights=False)
    missing = {k: v for k, v in state.items() if not k.startswith("Mixed_7c.")}
    with pytest.raises(ValueError, match="lack .* arrays .*Mixed_7c"):
        fid_inception.load_state_dict(model, missing)
    state["Conv2d_1a_3x3.conv.weight"] = state["Conv2d_1a_3x3.conv.weight"][:, :, :2]
    with pytest.raises(ValueError, match="Conv2d_1a_3x3.conv has shapes"):
        fid_inception.load_state_dict(model, state)
    state["Conv2d_1a_3x3.conv.weight"] = np.zeros((32, 27))  # the attack: numpy's "axes don't match array"
    with pytest.raises(ValueError, match=r"Conv2d_1a_3x3.conv.weight has shape \(32, 27\), a convolution kernel"):
        fid_inception.load_state_dict(model, state)
    pth = tmp_path / "pt_inception.pth"
    pth.write_bytes(b"not read here")
    try:
        import torch  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="needs PyTorch"):
            fid_inception.read_state_dict(pth)
    with pytest.raises(ValueError, match="fid_network='inception'"):
        fid.build_fid_network("inception", None)


def test_the_published_file_is_downloaded_once_and_checked_by_its_hash_prefix(server, tmp_path,  # noqa: F811
                                                                               monkeypatch, capsys):
    """Downloaded into the cache, reused without a request, a tampered file deleted; a copy pytorch-fid
    already put in PyTorch's hub cache ($TORCH_HOME/hub/checkpoints) is used as it is."""
    root, url = server
    payload = b"weights" * 1000
    (root / "pt_inception-2015-12-05-6726825d.pth").write_bytes(payload)
    prefix = hashlib.sha256(payload).hexdigest()[:8]
    cache = tmp_path / "cache"
    published = f"{url}/pt_inception-2015-12-05-6726825d.pth"
    path = fid_inception.standard_weights("download", cache, published, prefix)
    assert path == cache / "pt_inception-2015-12-05-6726825d.pth" and path.read_bytes() == payload
    (root / "pt_inception-2015-12-05-6726825d.pth").unlink()  # reused: no second request
    assert fid_inception.standard_weights("download", cache, published, prefix) == path
    (root / "bad.pth").write_bytes(b"tampered")
    with pytest.raises(RuntimeError, match="bad.pth downloaded from .*does not begin with 00000000; deleted"):
        fid_inception.standard_weights("download", tmp_path / "c2", f"{url}/bad.pth", "00000000")
    assert not (tmp_path / "c2" / "bad.pth").exists()
    (tmp_path / "c4").mkdir()
    (tmp_path / "c4" / "pt_inception-2015-12-05-6726825d.pth").write_bytes(payload[:100])  # a truncated copy
    (root / "pt_inception-2015-12-05-6726825d.pth").write_bytes(payload)
    assert fid_inception.standard_weights("download", tmp_path / "c4", published, prefix).read_bytes() == payload
    assert "truncated or damaged) was deleted; downloading it anew" in capsys.readouterr().out
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    hub = tmp_path / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    (hub / "pt_inception-2015-12-05-6726825d.pth").write_bytes(payload)
    assert fid_inception.standard_weights("download", tmp_path / "c3", published, prefix) == hub / path.name


def test_a_pickled_weights_file_is_refused_saying_why_not_with_torchs_advice(tmp_path, monkeypatch):
    """torch's own refusal ends with advice to pass weights_only=False, i.e. to run the file's code: ours says
    why we never do. (A stand-in torch whose load refuses as the real one does: PyTorch is not installed here.)"""
    import pickle
    import sys
    import types

    def refusing_load(path, map_location=None, weights_only=True):
        assert weights_only
        raise pickle.UnpicklingError("Weights only load failed. ... you can pass weights_only=False ...")

    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(load=refusing_load))
    pth = tmp_path / "pt_inception.pth"
    pth.write_bytes(b"a pickle with code")
    with pytest.raises(RuntimeError, match="refused: it holds Python objects .* run code") as caught:
        fid_inception.read_state_dict(pth)
    assert "weights_only=False" not in str(caught.value)
