"""What keeps the studio a local tool: who may talk to it, and which files it may touch.

- Host: every request's ``Host`` must be one of the studio's own names (the address it binds and,
  on loopback, ``localhost``/``127.0.0.1``), so a page on another site that rebinds its DNS name
  to 127.0.0.1 gets nothing (DNS rebinding).
- Origin: a request that changes anything (POST, DELETE) must come from the studio's own page:
  an ``Origin`` header, when present, must be the studio's, and the request must carry the
  ``X-Muse-Studio`` header, which a cross-site form or ``fetch`` cannot add without a CORS
  preflight the studio never grants.
- Token: with ``--token`` (required to bind any non-loopback address) every request needs it,
  as ``?token=`` (which sets an HttpOnly cookie), a cookie, or ``Authorization: Bearer``.
- Paths: a browser names files only as workspace-relative paths (``works/ID/work.png``,
  ``uploads/...``); :func:`inside` refuses absolute paths, ``..`` and symlinks that lead out,
  and :func:`check_values` refuses any parameter value that names a path outside the workspace.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Iterable

from ..errors import MuseError

#: The header the studio's own page sends with every state-changing request.
CSRF_HEADER = "x-muse-studio"
COOKIE = "muse_studio_token"
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 80


class Refused(MuseError):
    """A request or a path the studio will not serve; the message says why, in one line."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class Guard:
    """The request checks for one studio: the host names it answers to and its token."""

    host: str
    port: int
    token: str | None = None
    extra_hosts: tuple[str, ...] = ()
    hosts: set[str] = field(init=False)

    def __post_init__(self) -> None:
        names = {self.host, *self.extra_hosts}
        if is_loopback(self.host):
            names |= {"localhost", "127.0.0.1", "[::1]"}
        if ":" in self.host and not self.host.startswith("["):
            names.add(f"[{self.host}]")
        self.hosts = {f"{name}:{self.port}" for name in names} | set(self.extra_hosts)
        if self.port == 80:
            self.hosts |= names

    def check_host(self, host_header: str | None) -> None:
        if not host_header or host_header.lower() not in self.hosts:
            raise Refused(f"host {host_header!r} is not this studio's (expected one of {', '.join(sorted(self.hosts))})")

    def check_origin(self, method: str, headers: Any) -> None:
        """State-changing requests come from the studio's page, never from another site."""
        if method in ("GET", "HEAD", "OPTIONS"):
            origin = headers.get("origin")
            if origin and origin != "null" and _host_of(origin) not in self.hosts:
                raise Refused(f"origin {origin!r} is not this studio's")
            # another site (or another port of localhost) may link to the studio, not embed or fetch from it
            if headers.get("sec-fetch-site") not in (None, "same-origin", "none") and headers.get("sec-fetch-mode") != "navigate":
                raise Refused("cross-site request refused")
            return
        origin = headers.get("origin")
        if origin is not None and _host_of(origin) not in self.hosts:
            raise Refused(f"origin {origin!r} is not this studio's; requests from other sites are refused")
        if headers.get("sec-fetch-site") not in (None, "same-origin", "none"):
            raise Refused("cross-site request refused")
        if headers.get(CSRF_HEADER) != "1":
            raise Refused(f"missing the {CSRF_HEADER} header that the studio's page sends")

    def check_token(self, headers: Any, query: Any, cookies: Any) -> bool:
        """True when the request may proceed; with a token it must be given one of three ways."""
        if self.token is None:
            return True
        auth = headers.get("authorization", "")
        given = [query.get("token"), cookies.get(COOKIE), auth[7:] if auth.lower().startswith("bearer ") else None]
        return any(g is not None and hmac.compare_digest(g.encode(), self.token.encode()) for g in given)


def _host_of(origin: str) -> str:
    scheme, sep, rest = origin.partition("://")
    if not sep or scheme not in ("http", "https"):
        return ""
    return rest.split("/", 1)[0].lower()


def safe_name(name: str, default: str = "file") -> str:
    """A file name reduced to letters, digits, ``.``, ``_`` and ``-`` (no path, no leading dot)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = SAFE_NAME.sub("-", stem).strip("-.") or default
    suffix = SAFE_NAME.sub("", suffix).lower()[:12]
    return stem[:MAX_NAME] + (f".{suffix}" if suffix else "")


def inside(workspace: Path, relative: str | os.PathLike[str]) -> Path:
    """``workspace / relative`` resolved, refused unless it stays inside the workspace."""
    text = str(relative)
    if not text or "\x00" in text:
        raise Refused("an empty or invalid path")
    path = Path(text)
    if path.is_absolute() or text.startswith(("~", "\\")) or re.match(r"^[A-Za-z]:", text):
        raise Refused(f"{text!r}: paths must be inside the studio's workspace (pick a work or upload one)")
    if ".." in path.parts or ".." in text.replace("\\", "/").split("/"):
        raise Refused(f"{text!r}: '..' is not allowed in a path")
    root = workspace.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root):
        raise Refused(f"{text!r} leads outside the studio's workspace")
    return target


def looks_like_path(text: str) -> bool:
    """A value that names a file: absolute, home-relative, dotted, with ``..`` or a backslash, or
    a relative ``folder/name.ext``. A meter such as ``4/4`` or ``6/8`` is not one; a relative
    name without a suffix stays relative to the workspace (the workers' working folder)."""
    if text.startswith(("/", "~", ".")) or "\\" in text or re.match(r"^[A-Za-z]:", text):
        return True
    parts = text.split("/")
    return ".." in parts or (len(parts) > 1 and bool(re.search(r"\.[A-Za-z][A-Za-z0-9]{0,11}$", parts[-1])))


def check_values(workspace: Path, values: dict[str, Any], path_names: Iterable[str]) -> dict[str, Any]:
    """Form values with workspace paths made absolute (the server's and the workers' working
    folders differ); any value naming a path outside the workspace is refused.

    ``path_names`` are the parameters whose values are files (Path params, and those a component
    marks as files): they resolve through :func:`inside`. Every other string that looks like a
    path (a slash, ``~``, a drive letter), or any comma-separated part of it, must also lie inside
    the workspace, so ``model=/home/me/x.safetensors`` cannot be used to read elsewhere."""
    files = set(path_names)
    checked: dict[str, Any] = {}
    for key, value in values.items():
        if not isinstance(value, str) or value == "":
            checked[key] = value
            continue
        parts = [part.strip() for part in value.split(",")] if key in files else [value]
        if key in files:
            resolved = [str(inside(workspace, part)) for part in parts if part]
            checked[key] = ",".join(resolved)
            continue
        if any(looks_like_path(part.strip()) for part in value.split(",")):
            parts = []
            for part in value.split(","):
                part = part.strip()
                try:
                    parts.append(str(inside(workspace, part)) if looks_like_path(part) else part)
                except Refused as error:
                    raise Refused(f"{key}: {error}") from None
            value = ",".join(parts)
        checked[key] = value
    return checked


__all__ = ["Guard", "Refused", "inside", "safe_name", "check_values", "new_token", "is_loopback", "CSRF_HEADER", "COOKIE"]
