"""The app's own static files (CSS, a small script, the icon) with cache headers.

Pages link to ``/static/<name>?v=<content hash>``; a request carrying the current hash is cached for a
year as immutable, any other for an hour (revalidated with the ETag Starlette sends). Nothing is loaded
from another host.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=3600"


def static_folder() -> Path:
    return Path(str(resources.files("catalog_api") / "static"))


class Assets:
    """Content hashes of the static files, computed once, for cache-busting URLs."""

    def __init__(self, folder: Path, prefix: str = "/static") -> None:
        self.folder = folder
        self.prefix = prefix
        self.versions = {
            path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }

    def url(self, name: str) -> str:
        version = self.versions.get(name)
        if version is None:
            raise KeyError(f"no static file {name!r}; known: {', '.join(self.versions)}")
        return f"{self.prefix}/{name}?v={version}"


class CachedStaticFiles(StaticFiles):
    """StaticFiles with Cache-Control: immutable for the current fingerprinted URL, an hour otherwise."""

    def __init__(self, assets: Assets) -> None:
        super().__init__(directory=assets.folder)
        self.assets = assets

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            query = scope.get("query_string", b"").decode("latin-1")
            current = self.assets.versions.get(path.replace("\\", "/"))
            fresh = current is not None and f"v={current}" in query.split("&")
            response.headers["Cache-Control"] = IMMUTABLE if fresh else SHORT
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response
