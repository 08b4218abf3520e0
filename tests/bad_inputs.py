"""Twenty-four kinds of awkward input files, made on the fly: (file name, expected: 'ok' or a reason word)."""

import io
import os

import numpy as np
from PIL import Image


def _rgb(w=120, h=100, seed=0):
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8))


def make_bad_inputs(folder) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    rgb = _rgb()
    jpeg = io.BytesIO()
    rgb.save(jpeg, "JPEG")
    png = io.BytesIO()
    rgb.save(png, "PNG")
    kinds = {}

    def put(name, expected, writer):
        writer(folder / name)
        kinds[name] = expected

    put("plain.png", "ok", lambda p: rgb.save(p))
    put("truncated.jpg", "truncated", lambda p: p.write_bytes(jpeg.getvalue()[: len(jpeg.getvalue()) // 2]))
    put("truncated.png", "truncated", lambda p: p.write_bytes(png.getvalue()[: len(png.getvalue()) // 2]))
    put("zero.png", "empty", lambda p: p.write_bytes(b""))
    put("text.jpg", "not an image", lambda p: p.write_text("just some text"))
    put("page.png", "not an image", lambda p: p.write_text("<html><body>404</body></html>"))
    put("noise.png", "not an image", lambda p: p.write_bytes(os.urandom(4096)))
    put("cmyk.jpg", "ok", lambda p: rgb.convert("CMYK").save(p))
    gray16 = (np.arange(12000).reshape(100, 120) * 5).astype(np.uint16)
    put("gray16.png", "ok", lambda p: Image.fromarray(gray16).save(p))
    put("palette.png", "ok", lambda p: rgb.convert("P").save(p))
    put("palette_transparent.png", "ok", lambda p: rgb.convert("P").save(p, transparency=0))
    put("rgba.png", "ok", lambda p: rgb.convert("RGBA").save(p))
    put("la.png", "ok", lambda p: rgb.convert("LA").save(p))
    put("gray.png", "ok", lambda p: rgb.convert("L").save(p))
    put("bilevel.png", "ok", lambda p: rgb.convert("1").save(p))
    floats = np.linspace(0, 1, 12000, dtype=np.float32).reshape(100, 120)
    put("float.tif", "ok", lambda p: Image.fromarray(floats).save(p))

    def exif_rotated(p):
        img = _rgb(100, 120, seed=2)
        exif = img.getexif()
        exif[0x0112] = 8
        img.save(p, exif=exif)

    put("exif_rotated.jpg", "ok", exif_rotated)
    put("small.png", "smaller", lambda p: _rgb(40, 30).save(p))
    put("one_pixel.png", "smaller", lambda p: _rgb(1, 1).save(p))
    put("animated.gif", "ok", lambda p: rgb.save(p, save_all=True, append_images=[_rgb(seed=5)], duration=100))
    put("image.bmp", "ok", lambda p: rgb.save(p))
    put("image.webp", "ok", lambda p: rgb.save(p, quality=80))
    put("png_named.jpg", "ok", lambda p: p.write_bytes(png.getvalue()))

    def corrupted_middle(p):
        data = bytearray(png.getvalue())
        data[len(data) // 2: len(data) // 2 + 64] = os.urandom(64)
        p.write_bytes(bytes(data))

    put("corrupted_middle.png", "unreadable", corrupted_middle)
    return kinds
