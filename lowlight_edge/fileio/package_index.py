"""Download one file from a Python package index as plain bytes, verified against a pinned sha256.

Why not `pip download`: for a source archive pip builds the package's metadata, which runs its `setup.py`
before anything can check the archive. Here the file is located through the index's simple API (PEP 691
JSON, or PEP 503 HTML), streamed to a temporary file with a size cap while it is hashed, and accepted only
when its sha256 equals the pinned one. Nothing from the download is imported or executed.
"""

import hashlib
import json
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable
from urllib.parse import urldefrag, urljoin

from lowlight_edge.errors import InputError

DEFAULT_INDEX = "https://pypi.org/simple"
INDEX_ENV = "LOWLIGHT_EDGE_INDEX_URL"  # then pip's own PIP_INDEX_URL, then PyPI
_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
_MAX_INDEX_PAGE = 8 * 1024 * 1024
_CHUNK = 1 << 20


@dataclass(frozen=True)
class IndexFile:
    filename: str
    url: str
    sha256: str | None  # as the index lists it; a hint only, the pinned hash decides


def index_url(explicit: str | None = None) -> str:
    return (explicit or os.environ.get(INDEX_ENV) or os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX).rstrip("/")


def find_file(index: str, project: str, filename: str, timeout: float = 60) -> IndexFile:
    """The entry for `filename` on `project`'s page of the simple index at `index`."""
    page_url = f"{index.rstrip('/')}/{project}/"
    body, content_type = _get(page_url, _MAX_INDEX_PAGE, timeout)
    if "json" in content_type:
        files = _files_from_json(body, page_url)
    else:
        files = _files_from_html(body.decode("utf-8", "replace"), page_url)
    for entry in files:
        if entry.filename == filename:
            return entry
    raise InputError(f"{filename} is not listed on {page_url} ({len(files)} files there)")


def download_verified(entry: IndexFile, sha256: str, target: Path, max_bytes: int,
                      progress: Callable[[int, int], None] | None = None, timeout: float = 60) -> Path:
    """Stream `entry` to `target` (atomically), refusing it unless its bytes hash to `sha256`."""
    if entry.sha256 is not None and entry.sha256.lower() != sha256:
        raise InputError(f"the index lists sha256 {entry.sha256} for {entry.filename}, expected {sha256}; refusing "
                         "to download it")
    target = Path(target)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, _open(entry.url, timeout) as response:
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > max_bytes:
                raise InputError(f"{entry.url} is {declared} bytes, more than the {max_bytes} expected; refusing it")
            done = 0
            while chunk := response.read(_CHUNK):
                done += len(chunk)
                if done > max_bytes:
                    raise InputError(f"{entry.url} sent more than the {max_bytes} bytes expected; refusing it")
                digest.update(chunk)
                out.write(chunk)
                if progress:
                    progress(done, declared)
        if digest.hexdigest() != sha256:
            raise InputError(f"{entry.filename} downloaded with sha256 {digest.hexdigest()}, expected {sha256}; "
                             "refusing to use it")
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target


def _open(url: str, timeout: float, accept: str = "*/*"):
    request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "lowlight-edge"})
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - http(s)/file URLs of an index
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise InputError(f"cannot reach {url} ({getattr(exc, 'reason', exc)}); check the network or --index-url") from exc


def _get(url: str, max_bytes: int, timeout: float) -> tuple[bytes, str]:
    with _open(url, timeout, _ACCEPT) as response:
        body = response.read(max_bytes + 1)
        content_type = response.headers.get("Content-Type", "")
    if len(body) > max_bytes:
        raise InputError(f"the index page {url} is larger than {max_bytes} bytes; refusing it")
    return body, content_type


def _files_from_json(body: bytes, page_url: str) -> list[IndexFile]:
    try:
        files = json.loads(body)["files"]
        return [IndexFile(f["filename"], urljoin(page_url, f["url"]), (f.get("hashes") or {}).get("sha256"))
                for f in files]
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"the index page {page_url} is not a PEP 691 project page ({exc})") from exc


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (href, text)
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data):
        if self._href is not None:
            self.links.append((self._href, data.strip()))
            self._href = None


def _files_from_html(text: str, page_url: str) -> list[IndexFile]:
    parser = _Anchors()
    parser.feed(text)
    files = []
    for href, name in parser.links:
        url, fragment = urldefrag(urljoin(page_url, href))
        sha = fragment.removeprefix("sha256=") if fragment.startswith("sha256=") else None
        files.append(IndexFile(name or url.rsplit("/", 1)[-1], url, sha))
    return files

