"""Download one file from a Python package index as plain bytes, verified against a pinned sha256.

Why not `pip download`: for a source archive pip builds the package's metadata, which runs its `setup.py`
before anything can check the archive. Here the file is located through the index's simple API (PEP 691
JSON, or PEP 503 HTML), streamed to a temporary file with a size cap while it is hashed, and accepted only
when its sha256 equals the pinned one. Nothing from the download is imported or executed.

What the index says is untrusted too: only http(s) URLs on the index's own origin (PyPI's file host for PyPI, and
origins the user names) are followed, redirects included (a JSON index could otherwise point the downloader at any
`file://` path); and every request has a deadline for its whole body, not only for each read, so a server sending
one byte every two seconds cannot hold the download open.
"""

import hashlib
import json
import os
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable
from urllib.parse import urldefrag, urljoin, urlsplit

from lowlight_edge.errors import InputError

DEFAULT_INDEX = "https://pypi.org/simple"
INDEX_ENV = "LOWLIGHT_EDGE_INDEX_URL"  # then pip's own PIP_INDEX_URL, then PyPI
_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
ORIGINS_ENV = "LOWLIGHT_EDGE_DOWNLOAD_ORIGINS"  # comma-separated origins files may come from besides the index's
# PyPI lists its files on another host; a mirror's own origin, or one the user names, covers the rest
KNOWN_FILE_ORIGINS = {"https://pypi.org": ("https://files.pythonhosted.org",)}
_MAX_INDEX_PAGE = 8 * 1024 * 1024
_CHUNK = 1 << 20
INDEX_PAGE_SECONDS = 60  # an index page is small: its whole body within this


class Deadline:
    """A point in time a request (or a whole fetch) must finish by."""

    def __init__(self, seconds: float, what: str, hint: str = "") -> None:
        self.seconds, self.what, self.hint, self._at = seconds, what, hint, time.monotonic() + seconds

    def remaining(self, url: str) -> float:
        """Seconds left; past the deadline, one InputError naming the URL."""
        left = self._at - time.monotonic()
        if left <= 0:
            raise InputError(f"{url} did not finish within {self.what}'s deadline of {self.seconds:g} s; refused "
                             f"(a slow or stalled server{'; ' + self.hint if self.hint else ''})")
        return left

    def sooner(self, seconds: float, what: str) -> "Deadline":
        """This deadline or one `seconds` from now, whichever comes first."""
        other = Deadline(seconds, what)
        return other if other._at < self._at else self


@dataclass(frozen=True)
class IndexFile:
    filename: str
    url: str
    sha256: str | None  # as the index lists it; a hint only, the pinned hash decides


def index_url(explicit: str | None = None) -> str:
    return (explicit or os.environ.get(INDEX_ENV) or os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX).rstrip("/")


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(index: str, extra: tuple[str, ...] = ()) -> frozenset[str]:
    """The origins files may be fetched from: the index's, its known file host, $LOWLIGHT_EDGE_DOWNLOAD_ORIGINS and
    `extra` (--allow-origin)."""
    check_url(index, frozenset({origin(index)}), "the index")
    configured = [o.strip() for o in os.environ.get(ORIGINS_ENV, "").split(",") if o.strip()]
    return frozenset({origin(index), *KNOWN_FILE_ORIGINS.get(origin(index), ()),
                      *(origin(o) for o in (*configured, *extra))})


def check_url(url: str, allowed: frozenset[str], what: str) -> None:
    """Refuse a URL that is not http(s), or not on an allowed origin."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise InputError(f"{what} {url[:200]!r} is not an http(s) URL; refused")
    if origin(url) not in allowed:
        raise InputError(f"{what} {url[:200]!r} is on {origin(url)[:100]}, not on the index's origin or one allowed "
                         f"({', '.join(sorted(allowed))}); refused (${ORIGINS_ENV} or --allow-origin allows one)")


def find_file(index: str, project: str, filename: str, timeout: float = 60, deadline: Deadline | None = None,
              allowed: frozenset[str] | None = None) -> IndexFile:
    """The entry for `filename` on `project`'s page of the simple index at `index`; its URL must be on `allowed`
    (default: allowed_origins(index))."""
    allowed = allowed if allowed is not None else allowed_origins(index)
    page_url = f"{index.rstrip('/')}/{project}/"
    page_deadline = (deadline.sooner(INDEX_PAGE_SECONDS, "the index page") if deadline
                     else Deadline(INDEX_PAGE_SECONDS, "the index page"))
    body, content_type = _get(page_url, _MAX_INDEX_PAGE, timeout, page_deadline, allowed)
    if "json" in content_type:
        files = _files_from_json(body, page_url)
    else:
        files = _files_from_html(body.decode("utf-8", "replace"), page_url)
    for entry in files:
        if entry.filename == filename:
            check_url(entry.url, allowed, f"the index lists {filename} at")
            return entry
    raise InputError(f"{filename} is not listed on {page_url} ({len(files)} files there)")


def download_verified(entry: IndexFile, sha256: str, target: Path, max_bytes: int,
                      progress: Callable[[int, int], None] | None = None, timeout: float = 60,
                      deadline: Deadline | None = None, allowed: frozenset[str] | None = None) -> Path:
    """Stream `entry` to `target` (atomically), refusing it unless its bytes hash to `sha256`, it comes from an
    `allowed` origin (default: the entry's own, redirects included) and it finishes before `deadline`."""
    if entry.sha256 is not None and entry.sha256.lower() != sha256:
        raise InputError(f"the index lists sha256 {entry.sha256} for {entry.filename}, expected {sha256}; refusing "
                         "to download it")
    allowed = allowed if allowed is not None else frozenset({origin(entry.url)})
    deadline = deadline or Deadline(30 * 60, "the download")
    target = Path(target)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, _open(entry.url, timeout, allowed, deadline) as response:
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > max_bytes:
                raise InputError(f"{entry.url} is {declared} bytes, more than the {max_bytes} expected; refusing it")
            done = 0
            while chunk := _read_some(response, deadline, entry.url):
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


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to an allowed origin."""

    def __init__(self, allowed: frozenset[str]) -> None:
        super().__init__()
        self.allowed = allowed

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        check_url(newurl, self.allowed, f"{req.full_url[:200]} redirects to")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _open(url: str, timeout: float, allowed: frozenset[str], deadline: Deadline, accept: str = "*/*"):
    check_url(url, allowed, "the download")
    request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "lowlight-edge"})
    opener = urllib.request.build_opener(_CheckedRedirects(allowed))
    try:
        return opener.open(request, timeout=min(timeout, deadline.remaining(url)))  # noqa: S310 - http(s) only
    except InputError:
        raise
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise InputError(f"cannot reach {url} ({getattr(exc, 'reason', exc)}); check the network or --index-url") from exc


def _read_some(response, deadline: Deadline, url: str) -> bytes:
    """What has arrived, up to _CHUNK bytes (one read from the socket: a trickle returns, so the deadline is seen)."""
    deadline.remaining(url)
    try:
        return response.read1(_CHUNK)
    except (OSError, ValueError) as exc:  # a socket timeout or reset mid-body
        raise InputError(f"{url} stopped sending ({exc}); check the network") from exc


def _get(url: str, max_bytes: int, timeout: float, deadline: Deadline, allowed: frozenset[str]) -> tuple[bytes, str]:
    body = bytearray()
    with _open(url, timeout, allowed, deadline, _ACCEPT) as response:
        while chunk := _read_some(response, deadline, url):
            body += chunk
            if len(body) > max_bytes:
                raise InputError(f"the index page {url} is larger than {max_bytes} bytes; refusing it")
        content_type = response.headers.get("Content-Type", "")
    return bytes(body), content_type


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

