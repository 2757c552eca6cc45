"""`muse studio`: checks the options, then serves (the web stack loads only here)."""

from __future__ import annotations

from pathlib import Path
from collections.abc import Callable

from ..errors import MuseError
from .security import is_loopback, new_token


def studio(host: str, port: int, workspace: Path, token: str | None, workers: int, max_upload_mb: int,
           echo: Callable[[str], None]) -> None:
    if token is not None and len(token) < 8 and token != "auto":
        raise MuseError("--token must be at least 8 characters (or `auto` for a generated one)")
    if token == "auto" or (token is None and not is_loopback(host)):
        if token is None:
            echo(f"muse studio: {host} is reachable from other machines, so every request needs a token; "
                 "generated one (give --token to choose it)")
        token = new_token()
    try:
        from .app import serve
    except ImportError as error:
        raise MuseError(f"the studio needs {error.name or 'its web packages'}: pip install starlette uvicorn") from None
    serve(workspace, host=host, port=port, token=token, workers=workers, max_upload=max_upload_mb * 1024 * 1024, echo=echo)
