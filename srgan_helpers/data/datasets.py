"""Acquire raw images: CelebA (gdown), COCO (HTTP), a local folder or archive, or the embedded sample.

Every download is resumable and checksum-verified before use; every archive is checked member by
member and extracted into a temp folder that is renamed only when complete.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from ..fileio import file_digest, fsync_dir, temp_dir_beside
from ..images import save_png_atomic


class DownloadError(RuntimeError):
    """A download failed; the message names the URL and how to provide the file by hand."""


class ChecksumError(DownloadError):
    """A downloaded file does not match its published checksum (the file has been deleted)."""


class UnsafeArchiveError(ValueError):
    """An archive member would escape the target folder (absolute path, '..', or a link)."""


@dataclasses.dataclass(frozen=True)
class RemoteArchive:
    """A published archive: where it lives, its checksum (MD5 or SHA-256, as its publisher gives it), size."""

    name: str
    filename: str
    md5: str | None = None
    url: str | None = None
    gdrive_id: str | None = None
    sha256: str | None = None
    size: int | None = None  # bytes, when published (a wrong size fails before hashing)

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
# DIV2K's 800 training photos (2K, 3.5 GB); size and SHA-256 as tensorflow/datasets publishes them
# (tensorflow_datasets/url_checksums/div2k.txt).
DIV2K = RemoteArchive("div2k_train_hr", "DIV2K_train_HR.zip", url="https://data.vision.ee.ethz.ch/cvl/DIV2K/"
                      "DIV2K_train_HR.zip", sha256="9d0b9c463f6e35b6c62cc6a930ee2224f670b34c1df841a57670f9acf0f6c335",
                      size=3_530_603_713)
# The classic "291" training set: T91 (Yang et al.) + the 200 BSDS300 training images.
SET_291 = {"T91": 91, "BSD200": 200}

# Photos that ship inside scikit-image's wheel: the offline sample (grayscale ones included on purpose).
SAMPLE_PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png",
                 "hubble_deep_field.jpg", "ihc.png", "retina.jpg", "color.png", "camera.png", "coins.png")


def checksum_matches(path: Path, md5: str | None = None, sha256: str | None = None, size: int | None = None) -> bool:
    """True when `path` exists and matches every checksum given (none given: it exists)."""
    if not path.is_file() or (size is not None and path.stat().st_size != size):
        return False
    return all(file_digest(path, algo) == want.lower() for algo, want in (("md5", md5), ("sha256", sha256)) if want)


def _gdown_download(url, gdrive_id, dest: Path, quiet: bool, timeout: float) -> None:
    """gdown.download with resume; `timeout` only where this gdown has it (5.2.2, Colab's, has not)."""
    import inspect

    import gdown  # imported here: acquiring is the only thing that needs it

    kwargs = {"url": url, "id": gdrive_id, "output": str(dest), "quiet": quiet, "resume": True}
    accepted = inspect.signature(gdown.download).parameters
    kwargs.update({k: v for k, v in (("timeout", timeout), ("retries", 0)) if k in accepted})
    gdown.download(**kwargs)


def download(url: str | None, dest: str | Path, md5: str | None = None, *, gdrive_id: str | None = None,
             sha256: str | None = None, size: int | None = None, timeout: float = 15.0, quiet: bool = False) -> Path:
    """Fetch `url` (or a Google Drive file id) to `dest` with gdown: resumable, checksum-verified.

    A verified `dest` is reused without any network access. A partial download is resumed on the next
    call. A file that does not match its checksum is deleted and ChecksumError raised. Network failures
    raise DownloadError (within about `timeout` seconds where gdown supports it), naming the URL and the
    manual alternative.
    """
    dest = Path(dest)
    source = url or f"https://drive.google.com/uc?id={gdrive_id}"
    if checksum_matches(dest, md5, sha256, size):
        return dest
    if dest.exists():  # present but wrong: never used, never silently kept
        dest.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        _gdown_download(url, gdrive_id, dest, quiet, timeout)
    except Exception as exc:  # gdown raises requests/OS/its own errors; all mean "no file"
        raise DownloadError(
            f"Could not download {source} ({type(exc).__name__}: {exc}). If you are offline or the "
            f"link is blocked, download it by hand and put it at {dest} (or pass archive=<path>); "
            f"a partial download is resumed on the next try."
        ) from exc
    if not dest.is_file():
        raise DownloadError(f"Downloading {source} produced no file at {dest}; download it by hand.")
    if not checksum_matches(dest, md5, sha256, size):
        got = file_digest(dest, "sha256" if sha256 else "md5")
        dest.unlink()
        raise ChecksumError(f"{dest.name} from {source}: checksum {got} does not match the published "
                            f"{sha256 or md5}; the file was deleted. Try again, or download it by hand and check it.")
    return dest


@dataclasses.dataclass(frozen=True)
class ArchiveLimits:
    """What an archive may declare before anything is extracted (override for a bigger data set).

    Args:
        max_entries: members in the archive (CelebA has 202,599; COCO train2017 118,287).
        max_total_bytes: uncompressed size, counting at least one 4 KiB disk block per member.
        max_ratio: uncompressed / archive size (photos barely compress: a ratio of 1,000 is a bomb).
    """

    max_entries: int = 500_000
    max_total_bytes: int = 64 * 2**30
    max_ratio: float = 100.0


BLOCK = 4096


def _check_member_name(name: str, archive: Path) -> None:
    if not name:
        raise UnsafeArchiveError(f"{archive}: a member has an empty name ({name!r}); refusing to extract")
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchiveError(f"{archive}: member {name!r} has an absolute path; refusing to extract")
    if ".." in posix.parts:
        raise UnsafeArchiveError(f"{archive}: member {name!r} contains '..'; refusing to extract")


def _zip_members(archive: Path) -> list[tuple[str, int]]:
    with zipfile.ZipFile(archive) as zf:
        members = []
        for info in zf.infolist():
            _check_member_name(info.filename, archive)
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise UnsafeArchiveError(f"{archive}: member {info.filename!r} is a symbolic link; refusing")
            members.append((info.filename, info.file_size))
        return members


def _tar_members(archive: Path) -> list[tuple[str, int]]:
    with tarfile.open(archive) as tf:
        members = []
        for member in tf:
            _check_member_name(member.name, archive)
            if member.issym() or member.islnk():
                raise UnsafeArchiveError(f"{archive}: member {member.name!r} is a link; refusing")
            if not (member.isfile() or member.isdir()):
                raise UnsafeArchiveError(f"{archive}: member {member.name!r} is a device or pipe; refusing")
            members.append((member.name, member.size))
        return members


def _checked_members(archive: Path, limits: ArchiveLimits) -> tuple[list[str], int]:
    """(member names, bytes they unpack to) after every safety check and limit."""
    if zipfile.is_zipfile(archive):
        members = _zip_members(archive)
    elif tarfile.is_tarfile(archive):
        members = _tar_members(archive)
    else:
        raise ValueError(f"{archive}: not a zip or tar archive")
    total = sum(max(size, BLOCK) for _, size in members)
    ratio = total / max(1, archive.stat().st_size)
    problems = []
    if len(members) > limits.max_entries:
        problems.append(f"{len(members):,} members (limit {limits.max_entries:,})")
    if total > limits.max_total_bytes:
        problems.append(f"{total / 2**30:.1f} GiB unpacked (limit {limits.max_total_bytes / 2**30:.1f} GiB)")
    if ratio > limits.max_ratio:
        problems.append(f"it unpacks to {ratio:,.0f} x its size (limit {limits.max_ratio:g} x)")
    if problems:
        raise UnsafeArchiveError(f"{archive}: refusing to extract: {'; '.join(problems)}. If you trust it, raise "
                                 f"the limits (limits=ArchiveLimits(...)); nothing was written.")
    return [name for name, _ in members], total


def safe_extract(archive: str | Path, target: str | Path, limits: ArchiveLimits | None = None) -> Path:
    """Extract into a temp folder beside `target`, rename it to `target` when complete.

    Refuses the whole archive (nothing written) if any member is unsafe or the declared sizes exceed
    `limits` or the free space. An existing `target` is taken as a finished extraction, untouched.
    """
    archive, target = Path(archive), Path(target)
    if target.is_dir():
        return target
    names, need = _checked_members(archive, limits or ArchiveLimits())
    target.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(target.parent).free
    if need > free:
        raise OSError(f"{archive} unpacks to {need / 2**30:.2f} GiB ({len(names):,} files) but {target.parent} has "
                      f"only {free / 2**30:.2f} GiB free; free some space first (nothing was written)")
    tmp = temp_dir_beside(target)
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
                   timeout: float = 15.0, limits: ArchiveLimits | None = None) -> Path:
    """Download (or take the user's `archive`), verify and extract a published archive; return the folder."""
    raw_root = Path(raw_root)
    target = raw_root / remote.name
    if target.is_dir():
        return target
    if archive is None:
        archive = download(remote.url, raw_root / "downloads" / remote.filename, remote.md5,
                           gdrive_id=remote.gdrive_id, sha256=remote.sha256, size=remote.size, timeout=timeout)
    elif not Path(archive).is_file():
        raise FileNotFoundError(f"archive={archive}: no such file; upload {remote.filename} or fix the path")
    return safe_extract(archive, target, limits)


def build_sample(raw_root: str | Path = "data/raw", crops_per_photo: int = 4, crop: int = 240,
                 seed: int = 0) -> Path:
    """The embedded offline sample: seeded crops of the photos inside scikit-image's wheel.

    Writes `<raw_root>/sample/*.png` (44 images by default). Idempotent: an existing sample is reused.
    """
    import importlib.resources

    target = Path(raw_root) / "sample"
    if target.is_dir() and any(target.glob("*.png")):
        return target
    tmp = temp_dir_beside(target)
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


def _images_of(folder: Path) -> list[Path]:
    from ..images import list_images

    return list_images(folder / "HR" if (folder / "HR").is_dir() else folder)


def acquire_291(folder: str | Path, raw_root: str | Path = "data/raw") -> Path:
    """The "291" set from a local `folder` holding T91/ and BSD200/ (each with its images, or an HR/ of them,
    as ../shared/data does): linked (copied where links are impossible) into <raw_root>/291."""
    folder, target = Path(folder), Path(raw_root) / "291"
    if target.is_dir() and any(target.iterdir()):
        return target
    parts = {name: _images_of(folder / name) if (folder / name).is_dir() else [] for name in SET_291}
    short = {name: (len(parts[name]), want) for name, want in SET_291.items() if len(parts[name]) != want}
    if short:
        raise FileNotFoundError(f"{folder}: expected T91/ (91 images) and BSD200/ (200 images); found "
                                f"{ {k: v[0] for k, v in short.items()} }. Point folder= at where they are.")
    tmp = temp_dir_beside(target)
    try:
        for name, paths in parts.items():
            for path in paths:
                link = tmp / f"{name}_{path.name}"
                try:
                    link.symlink_to(path.resolve())
                except OSError:
                    shutil.copyfile(path, link)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A dataset known by name: what it is, and how it is acquired into `raw_root`."""

    what: str
    fetch: object  # (raw_root, archive, folder, **kw) -> the folder of its images
    licence: str = ""  # the terms its images come under (and so do weights trained on them)
    split_by: str = "image"  # "folder": one folder per person; preprocess keeps a person in one split


def _need_folder(folder) -> Path:
    if not folder:
        raise ValueError("dataset='291' needs folder=<a folder holding T91/ and BSD200/>")
    return Path(folder)


def local_set(name: str):
    """The fetch of a set kept in a local folder: `folder` is the set itself or holds it as `name`/
    (../shared/data does). Its images are read where they are; nothing is copied."""

    def fetch(raw_root, archive, folder, **kw) -> Path:
        if not folder:
            raise ValueError(f"dataset={name!r} needs folder=<the folder {name}/ is in (e.g. ../shared/data)>")
        for candidate in (Path(folder) / name, Path(folder)):
            if candidate.is_dir() and candidate.name == name:
                return candidate
        raise FileNotFoundError(f"{folder}: no {name}/ folder there; point folder= at the folder holding it")

    return fetch


def _remote(remote: RemoteArchive):
    """The fetch of a published archive (downloaded, or the user's own copy given as `archive`)."""
    return lambda raw_root, archive, folder, **kw: acquire_remote(remote, raw_root, archive, **kw)


# Every dataset known by name: `acquire`, its error message and the prepared sets' folder names read this.
DATASETS = {
    "sample": Dataset("the embedded offline sample (photos inside scikit-image)",
                      lambda raw_root, archive, folder, **kw: build_sample(raw_root)),
    "291": Dataset("T91 + BSD200 from a local folder (folder=...)",
                   lambda raw_root, archive, folder, **kw: acquire_291(_need_folder(folder), raw_root)),
    "div2k": Dataset("DIV2K's 800 training photos (HTTP, 3.5 GB)", _remote(DIV2K)),
    "celeba": Dataset("CelebA aligned faces (Google Drive, 1.4 GB)", _remote(CELEBA),
                      "CelebA: non-commercial research purposes only (its agreement)"),
    "coco": Dataset("COCO val2017 (HTTP, 5,000 images, 778 MB)", _remote(COCO["val2017"])),
    "coco_val2017": Dataset("the same as 'coco'", _remote(COCO["val2017"])),
    "coco_train2017": Dataset("COCO train2017 (HTTP, 118,287 images, 18 GB)", _remote(COCO["train2017"])),
    "faces_essex": Dataset("Essex Faces94: 3,059 frontal faces of 153 people, 180x200, one folder per person "
                           "(local folder: folder=...)", local_set("faces_essex"),
                           "Essex Faces94 (L. Spacek, University of Essex): free for research use with credit to "
                           "the collection; no open licence", split_by="folder"),
    "faces_lfw": Dataset("Labeled Faces in the Wild: 100 news photos of 10 people, 250x250 (local folder: "
                         "folder=...)", local_set("faces_lfw"),
                         "LFW (Huang et al. 2007): research use; the photos' copyrights stay with their owners",
                         split_by="folder"),
}


ARCHIVE_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".txz", ".tar", ".zip")


def extraction_name(archive: Path) -> str:
    """The folder an archive of the user's unpacks into: its name without the archive suffix and leading
    dots ('.hidden.zip' -> 'hidden', 'faces.v2.tar.gz' -> 'faces.v2'); never empty, never the raw folder."""
    name = archive.name
    for suffix in ARCHIVE_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    name = name.lstrip(".").strip()
    if not name:
        raise ValueError(f"{archive}: its name leaves no folder name to extract into; rename it (e.g. photos.zip)")
    return name


def acquire(dataset: str, raw_root: str | Path = "data/raw", archive: str | Path | None = None,
            folder: str | Path | None = None, **kw) -> Path:
    """One entry point: a name of DATASETS ('sample', '291', 'div2k', 'celeba', 'coco', ...), a folder of
    images, or an archive of them."""
    if dataset in DATASETS:
        return DATASETS[dataset].fetch(raw_root, archive, folder, **kw)
    path = Path(dataset)
    if path.is_dir():
        return path
    if path.is_file():
        return safe_extract(path, Path(raw_root) / extraction_name(path), kw.get("limits"))
    raise ValueError(f"dataset={dataset!r}: use one of {', '.join(repr(n) for n in DATASETS)}, or the path of a "
                     f"folder or archive of images")
