"""Acquire raw images: CelebA (gdown), COCO (HTTP), a local folder or archive, or the embedded sample.

Every download is resumable and checksum-verified before use; every archive is checked member by
member and extracted into a temp folder that is renamed only when complete.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from .fileio import file_digest, fsync_dir
from .images import save_png_atomic


class DownloadError(RuntimeError):
    """A download failed; the message names the URL and how to provide the file by hand."""


class ChecksumError(DownloadError):
    """A downloaded file does not match its published checksum (the file has been deleted)."""


class UnsafeArchiveError(ValueError):
    """An archive member would escape the target folder (absolute path, '..', or a link)."""


@dataclasses.dataclass(frozen=True)
class RemoteArchive:
    """A published archive: where it lives and its MD5."""

    name: str
    filename: str
    md5: str
    url: str | None = None
    gdrive_id: str | None = None

    @property
    def source(self) -> str:
        return self.url or f"https://drive.google.com/uc?id={self.gdrive_id}"


# The id and md5 torchvision's CelebA dataset uses for the aligned & cropped faces (1.4 GB).
CELEBA = RemoteArchive("celeba", "img_align_celeba.zip", "00d2c5bc6d35e252742224ab0c1e8fcb",
                       gdrive_id="0B7EVK8r0v71pZjFTYXZWM3FlRnM")
COCO = {
    "val2017": RemoteArchive("coco_val2017", "val2017.zip", "442b8da7639aecaf257c1dceb8ba8c80",
                             url="http://images.cocodataset.org/zips/val2017.zip"),
    "train2017": RemoteArchive("coco_train2017", "train2017.zip", "cced6f7f71b7629ddf16f17bbcfab6b2",
                               url="http://images.cocodataset.org/zips/train2017.zip"),
}

# Photos that ship inside scikit-image's wheel: the offline sample (grayscale ones included on purpose).
SAMPLE_PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png",
                 "hubble_deep_field.jpg", "ihc.png", "retina.jpg", "color.png", "camera.png", "coins.png")


def md5_matches(path: Path, md5: str | None) -> bool:
    return path.is_file() and (md5 is None or file_digest(path, "md5") == md5.lower())


def download(url: str | None, dest: str | Path, md5: str | None = None, *, gdrive_id: str | None = None,
             timeout: float = 15.0, quiet: bool = False) -> Path:
    """Fetch `url` (or a Google Drive file id) to `dest` with gdown: resumable, MD5-verified.

    A verified `dest` is reused without any network access. A partial download is resumed on the next
    call. A file whose MD5 does not match is deleted and ChecksumError raised. Network failures raise
    DownloadError within about `timeout` seconds, naming the URL and the manual alternative.
    """
    import gdown  # imported here: acquiring is the only thing that needs it

    dest = Path(dest)
    source = url or f"https://drive.google.com/uc?id={gdrive_id}"
    if md5_matches(dest, md5):
        return dest
    if dest.exists():  # present but wrong: never used, never silently kept
        dest.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        gdown.download(url=url, id=gdrive_id, output=str(dest), quiet=quiet, resume=True,
                       timeout=timeout, retries=0)
    except Exception as exc:  # gdown raises requests/OS/its own errors; all mean "no file"
        raise DownloadError(
            f"Could not download {source} ({type(exc).__name__}: {exc}). If you are offline or the "
            f"link is blocked, download it by hand and put it at {dest} (or pass archive=<path>); "
            f"a partial download is resumed on the next try."
        ) from exc
    if not dest.is_file():
        raise DownloadError(f"Downloading {source} produced no file at {dest}; download it by hand.")
    if not md5_matches(dest, md5):
        got = file_digest(dest, "md5")
        dest.unlink()
        raise ChecksumError(f"{dest.name} from {source}: MD5 {got} does not match the published {md5}; "
                            f"the file was deleted. Try again, or download it by hand and check it.")
    return dest


def _check_member_name(name: str, archive: Path) -> None:
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(f"{archive}: member {name!r} has an absolute path; refusing to extract")
    if ".." in posix.parts:
        raise UnsafeArchiveError(f"{archive}: member {name!r} contains '..'; refusing to extract")


def check_archive(archive: str | Path) -> list[str]:
    """Member names of a zip or tar archive, after refusing absolute paths, '..' and links."""
    archive = Path(archive)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                _check_member_name(info.filename, archive)
                if (info.external_attr >> 16) & 0o170000 == 0o120000:
                    raise UnsafeArchiveError(f"{archive}: member {info.filename!r} is a symbolic link; refusing")
            return zf.namelist()
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            members = tf.getmembers()
            for member in members:
                _check_member_name(member.name, archive)
                if member.issym() or member.islnk():
                    raise UnsafeArchiveError(f"{archive}: member {member.name!r} is a link; refusing")
                if not (member.isfile() or member.isdir()):
                    raise UnsafeArchiveError(f"{archive}: member {member.name!r} is a device or pipe; refusing")
            return [m.name for m in members]
    raise ValueError(f"{archive}: not a zip or tar archive")


def safe_extract(archive: str | Path, target: str | Path) -> Path:
    """Extract into a temp folder beside `target`, rename it to `target` when complete.

    Refuses the whole archive (nothing written) if any member is unsafe. An existing `target` is
    taken as a finished extraction and returned untouched.
    """
    archive, target = Path(archive), Path(target)
    if target.is_dir():
        return target
    check_archive(archive)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)
        else:
            with tarfile.open(archive) as tf:
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(tmp, filter="data")
                else:  # Python < 3.12: members were checked above
                    tf.extractall(tmp)  # noqa: S202
        os.replace(tmp, target)
        fsync_dir(target.parent)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def acquire_remote(remote: RemoteArchive, raw_root: str | Path = "data/raw", archive: str | Path | None = None,
                   timeout: float = 15.0) -> Path:
    """Download (or take the user's `archive`), verify and extract a published archive; return the folder."""
    raw_root = Path(raw_root)
    target = raw_root / remote.name
    if target.is_dir():
        return target
    if archive is None:
        archive = download(remote.url, raw_root / "downloads" / remote.filename, remote.md5,
                           gdrive_id=remote.gdrive_id, timeout=timeout)
    elif not Path(archive).is_file():
        raise FileNotFoundError(f"archive={archive}: no such file; upload {remote.filename} or fix the path")
    return safe_extract(archive, target)


def acquire_celeba(raw_root: str | Path = "data/raw", archive: str | Path | None = None, **kw) -> Path:
    """CelebA aligned faces (202,599 JPEGs) from Google Drive, or from an archive you uploaded."""
    return acquire_remote(CELEBA, raw_root, archive, **kw)


def acquire_coco(raw_root: str | Path = "data/raw", split: str = "val2017", archive: str | Path | None = None,
                 **kw) -> Path:
    """COCO 2017 images over HTTP (`split` val2017: 5,000 images, 778 MB; or train2017)."""
    if split not in COCO:
        raise ValueError(f"split={split!r}: use one of {sorted(COCO)}")
    return acquire_remote(COCO[split], raw_root, archive, **kw)


def build_sample(raw_root: str | Path = "data/raw", crops_per_photo: int = 4, crop: int = 240,
                 seed: int = 0) -> Path:
    """The embedded offline sample: seeded crops of the photos inside scikit-image's wheel.

    Writes `<raw_root>/sample/*.png` (44 images by default). Idempotent: an existing sample is reused.
    """
    import importlib.resources

    target = Path(raw_root) / "sample"
    if target.is_dir() and any(target.glob("*.png")):
        return target
    tmp = Path(tempfile.mkdtemp(prefix=".sample.", suffix=".partial", dir=_mkdir(Path(raw_root))))
    rng = np.random.default_rng(seed)
    try:
        photos = importlib.resources.files("skimage.data")
        for name in SAMPLE_PHOTOS:
            with Image.open(photos / name) as img:
                img.load()
                photo = img.copy()
            side = min(crop, photo.width, photo.height)
            for k in range(crops_per_photo):
                left = int(rng.integers(0, photo.width - side + 1))
                top = int(rng.integers(0, photo.height - side + 1))
                save_png_atomic(photo.crop((left, top, left + side, top + side)),
                                tmp / f"{Path(name).stem}_{k}.png")
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def acquire(dataset: str, raw_root: str | Path = "data/raw", archive: str | Path | None = None, **kw) -> Path:
    """One entry point: 'sample', 'celeba', 'coco' (val2017) / 'coco_train2017', a folder, or an archive."""
    if dataset == "sample":
        return build_sample(raw_root)
    if dataset == "celeba":
        return acquire_celeba(raw_root, archive, **kw)
    if dataset in ("coco", "coco_val2017"):
        return acquire_coco(raw_root, "val2017", archive, **kw)
    if dataset == "coco_train2017":
        return acquire_coco(raw_root, "train2017", archive, **kw)
    path = Path(dataset)
    if path.is_dir():
        return path
    if path.is_file():
        return safe_extract(path, Path(raw_root) / path.name.split(".")[0])
    raise ValueError(f"dataset={dataset!r}: use 'sample', 'celeba', 'coco', 'coco_train2017', "
                     f"or the path of a folder or archive of images")
