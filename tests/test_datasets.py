import hashlib
import io
import os
import tarfile
import threading
import time
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from srgan_helpers.data import datasets
from srgan_helpers.data.datasets import ChecksumError, DownloadError, UnsafeArchiveError


class RangeHandler(SimpleHTTPRequestHandler):
    """Static files with HTTP Range support (what resumable downloads need); counts requests."""

    ranges: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.translate_path(self.path)
        if not os.path.isfile(path):
            self.send_error(404)
            return
        data = open(path, "rb").read()
        start = 0
        header = self.headers.get("Range")
        RangeHandler.ranges.append(header)
        if header and header.startswith("bytes="):
            start = int(header[6:].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        self.wfile.write(data[start:])


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(RangeHandler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    RangeHandler.ranges = []
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def make_zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_download_verifies_checksum_and_is_reused(server, tmp_path):
    root, url = server
    payload = os.urandom(300_000)
    (root / "a.zip").write_bytes(payload)
    dest = tmp_path / "dl" / "a.zip"
    assert datasets.download(f"{url}/a.zip", dest, md5(payload), quiet=True).read_bytes() == payload
    n_requests = len(RangeHandler.ranges)
    datasets.download(f"{url}/a.zip", dest, md5(payload), quiet=True)  # verified file: no network
    assert len(RangeHandler.ranges) == n_requests


def test_download_with_wrong_checksum_is_deleted(server, tmp_path):
    root, url = server
    (root / "a.zip").write_bytes(b"x" * 1000)
    dest = tmp_path / "a.zip"
    with pytest.raises(ChecksumError, match="does not match"):
        datasets.download(f"{url}/a.zip", dest, "0" * 32, quiet=True)
    assert not dest.exists()


def test_partial_download_is_resumed(server, tmp_path):
    root, url = server
    payload = os.urandom(200_000)
    (root / "big.zip").write_bytes(payload)
    dest = tmp_path / "big.zip"
    (tmp_path / "big.zipab12cd34.part").write_bytes(payload[:50_000])  # a partial file as gdown names it
    datasets.download(f"{url}/big.zip", dest, md5(payload), quiet=True)
    assert dest.read_bytes() == payload
    assert "bytes=50000-" in RangeHandler.ranges


def test_offline_fails_fast_with_url_and_manual_route(tmp_path):
    start = time.monotonic()
    with pytest.raises(DownloadError) as info:
        datasets.download("http://127.0.0.1:9/val2017.zip", tmp_path / "val2017.zip", "0" * 32, timeout=3, quiet=True)
    assert time.monotonic() - start < 10
    message = str(info.value)
    assert "http://127.0.0.1:9/val2017.zip" in message and "by hand" in message


def test_acquire_remote_downloads_verifies_and_extracts(server, tmp_path):
    root, url = server
    archive = make_zip(root / "faces.zip", {"img/000001.jpg": b"1", "img/000002.jpg": b"2"})
    remote = datasets.RemoteArchive("faces", "faces.zip", md5(archive.read_bytes()), url=f"{url}/faces.zip")
    folder = datasets.acquire_remote(remote, tmp_path / "raw")
    assert sorted(p.name for p in (folder / "img").iterdir()) == ["000001.jpg", "000002.jpg"]
    assert datasets.acquire_remote(remote, tmp_path / "raw") == folder  # done: no second download


def test_published_sources_are_the_known_ones():
    assert datasets.CELEBA.gdrive_id == "0B7EVK8r0v71pZjFTYXZWM3FlRnM"
    assert datasets.CELEBA.md5 == "00d2c5bc6d35e252742224ab0c1e8fcb"
    assert datasets.COCO["val2017"].url == "http://images.cocodataset.org/zips/val2017.zip"


@pytest.mark.parametrize("evil", ["../evil.txt", "/tmp/evil_abs.txt", "a/../../evil.txt"])
def test_zip_with_escaping_member_is_refused(tmp_path, evil):
    archive = make_zip(tmp_path / "evil.zip", {"ok.txt": b"fine", evil: b"pwned"})
    with pytest.raises(UnsafeArchiveError):
        datasets.safe_extract(archive, tmp_path / "out" / "target")
    assert not (tmp_path / "out" / "target").exists()
    assert not (tmp_path / "out" / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()
    assert not list((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else True


def test_tar_with_dotdot_absolute_or_link_is_refused(tmp_path):
    for name, kind in (("../evil.txt", tarfile.REGTYPE), ("/abs.txt", tarfile.REGTYPE), ("link", tarfile.SYMTYPE)):
        archive = tmp_path / "evil.tar"
        with tarfile.open(archive, "w") as tf:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.SYMTYPE:
                info.linkname = "/etc/passwd"
                tf.addfile(info)
            else:
                info.size = 5
                tf.addfile(info, io.BytesIO(b"pwned"))
        with pytest.raises(UnsafeArchiveError):
            datasets.safe_extract(archive, tmp_path / "target")
        assert not (tmp_path / "target").exists() and not (tmp_path.parent / "evil.txt").exists()


def test_user_archive_and_folder_are_accepted(tmp_path, sample_raw):
    members = {f"p/{p.name}": p.read_bytes() for p in sorted(sample_raw.glob("*.png"))[:3]}
    archive = make_zip(tmp_path / "mine.zip", members)
    folder = datasets.acquire(str(archive), tmp_path / "raw")
    assert len(list(folder.rglob("*.png"))) == 3
    assert datasets.acquire(str(sample_raw)) == sample_raw
    with pytest.raises(ValueError, match="use one of 'sample', '291', 'div2k', 'celeba', 'coco'"):
        datasets.acquire("no/such/thing")


def test_an_archive_named_with_a_leading_dot_extracts_into_its_own_folder(tmp_path, sample_raw):
    members = {f"p/{p.name}": p.read_bytes() for p in sorted(sample_raw.glob("*.png"))[:2]}
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "other").mkdir()
    folder = datasets.acquire(str(make_zip(tmp_path / ".hidden.zip", members)), raw)
    assert folder == raw / "hidden" and len(list(folder.rglob("*.png"))) == 2
    assert datasets.extraction_name(Path("faces.v2.tar.gz")) == "faces.v2"
    with pytest.raises(ValueError, match="no folder name"):
        datasets.extraction_name(Path("..zip"))


def test_every_named_dataset_is_one_entry_of_one_table():
    """The names acquire takes, the names its error lists and the prepared sets' folder names are DATASETS."""
    from srgan_helpers.workflows import set_name

    for name in datasets.DATASETS:
        assert set_name(name) == name
    with pytest.raises(ValueError) as error:
        datasets.acquire("nothing-like-it")
    assert all(repr(name) in str(error.value) for name in datasets.DATASETS)
    with pytest.raises(ValueError, match="needs folder="):
        datasets.acquire("291")


def test_embedded_sample_is_offline_and_deterministic(sample_raw, tmp_path):
    files = sorted(p.name for p in sample_raw.glob("*.png"))
    assert len(files) == len(datasets.SAMPLE_PHOTOS) * 4
    again = datasets.build_sample(tmp_path)
    assert [(again / f).read_bytes() for f in files[:5]] == [(sample_raw / f).read_bytes() for f in files[:5]]


def test_a_zip_bomb_and_too_many_members_are_refused_before_anything_is_written(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.bin", b"\0" * 50_000_000)  # 50 MB of zeros in ~50 kB
    with pytest.raises(UnsafeArchiveError, match="unpacks to .* x its size"):
        datasets.safe_extract(bomb, tmp_path / "out")
    many = make_zip(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(3000)})
    with pytest.raises(UnsafeArchiveError, match="3,000 members"):
        datasets.safe_extract(many, tmp_path / "out", datasets.ArchiveLimits(max_entries=1000))
    assert not (tmp_path / "out").exists() and not [p for p in tmp_path.iterdir() if ".partial" in p.name]
    assert datasets.safe_extract(many, tmp_path / "out", datasets.ArchiveLimits(max_entries=5000)).is_dir()


def test_an_archive_larger_than_the_free_space_is_refused(tmp_path, monkeypatch):
    archive = make_zip(tmp_path / "a.zip", {"a.png": os.urandom(10_000)})

    class Usage:
        free = 1000

    monkeypatch.setattr(datasets.shutil, "disk_usage", lambda path: Usage)
    with pytest.raises(OSError, match="only 0.00 GiB free"):
        datasets.safe_extract(archive, tmp_path / "out")


def test_div2k_is_verified_by_its_published_sha256_and_size(server, tmp_path):
    root, url = server
    payload = make_zip(root / "DIV2K_train_HR.zip", {"DIV2K_train_HR/0001.png": b"png"}).read_bytes()
    remote = datasets.RemoteArchive("div2k_train_hr", "DIV2K_train_HR.zip", url=f"{url}/DIV2K_train_HR.zip",
                                    sha256=hashlib.sha256(payload).hexdigest(), size=len(payload))
    folder = datasets.acquire_remote(remote, tmp_path / "raw")
    assert (folder / "DIV2K_train_HR" / "0001.png").read_bytes() == b"png"
    wrong = datasets.RemoteArchive("x", "DIV2K_train_HR.zip", url=f"{url}/DIV2K_train_HR.zip", sha256="0" * 64)
    with pytest.raises(ChecksumError, match="does not match"):
        datasets.acquire_remote(wrong, tmp_path / "raw2")
    assert datasets.DIV2K.size == 3_530_603_713 and datasets.DIV2K.sha256.startswith("9d0b9c46")


def test_the_291_set_from_a_local_folder(tmp_path):
    from conftest import shared_data

    shared_data("T91")
    folder = datasets.acquire("291", tmp_path / "raw", folder=shared_data("T91").parent)
    assert len(list(folder.iterdir())) == 291
    with pytest.raises(FileNotFoundError, match="T91"):
        datasets.acquire_291(tmp_path, tmp_path / "raw2")
    with pytest.raises(ValueError, match="folder="):
        datasets.acquire("291", tmp_path / "raw3")


def test_gdown_without_a_timeout_argument_is_called_without_one(monkeypatch, tmp_path):
    """gdown 5.2.2 (Colab's) has no `timeout` parameter; newer ones have: both must work."""
    import gdown

    calls = []

    def old_download(url=None, output=None, quiet=False, proxy=None, speed=None, use_cookies=True, verify=True,
                     id=None, fuzzy=False, resume=False, format=None, user_agent=None, log_messages=None):
        calls.append({"url": url, "resume": resume})
        Path(output).write_bytes(b"data")
        return output

    monkeypatch.setattr(gdown, "download", old_download)
    assert datasets.download("http://example.invalid/x.zip", tmp_path / "x.zip", md5(b"data")).is_file()
    assert calls == [{"url": "http://example.invalid/x.zip", "resume": True}]


def zip_with_an_empty_member_name(path):
    """A zip whose only member has an empty name (zipfile cannot write one: the name bytes are cut out)."""
    import struct

    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("X", b"data")
    raw = bytearray(path.read_bytes())
    local = raw.index(b"PK\x03\x04")
    central = raw.index(b"PK\x01\x02")
    end = raw.index(b"PK\x05\x06")
    struct.pack_into("<H", raw, end + 12, struct.unpack_from("<I", raw, end + 12)[0] - 1)  # directory size
    struct.pack_into("<I", raw, end + 16, struct.unpack_from("<I", raw, end + 16)[0] - 1)  # directory offset
    struct.pack_into("<H", raw, central + 28, 0)
    del raw[central + 46]  # the name in the central directory ...
    struct.pack_into("<H", raw, local + 26, 0)
    del raw[local + 30]  # ... and in the local header
    path.write_bytes(bytes(raw))
    return path


def test_a_zip_member_with_an_empty_name_is_refused_in_one_line(tmp_path):
    archive = zip_with_an_empty_member_name(tmp_path / "empty-name.zip")
    assert [i.filename for i in zipfile.ZipFile(archive).infolist()] == [""]
    with pytest.raises(UnsafeArchiveError, match="a member has an empty name"):
        datasets.safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name, people", [("faces_essex", 153), ("faces_lfw", 10)])
def test_the_face_sets_are_named_local_sets_with_their_licence(tmp_path, name, people):
    from conftest import shared_data

    root = shared_data(name).parent
    entry = datasets.DATASETS[name]
    assert entry.split_by == "folder" and "research" in entry.licence
    for folder in (root, root / name):  # the folder holding the set, or the set itself
        source = datasets.acquire(name, tmp_path / "raw", folder=folder)
        assert source == root / name
        assert len({p.parent for p in source.rglob("*.jpg")}) == people
    assert not (tmp_path / "raw").exists()  # read where they are: nothing copied
    with pytest.raises(ValueError, match="needs folder="):
        datasets.acquire(name, tmp_path / "raw")
    with pytest.raises(FileNotFoundError, match=f"no {name}/ folder"):
        datasets.acquire(name, tmp_path / "raw", folder=tmp_path)
