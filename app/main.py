"""The ASGI app: routers, static assets, middleware and error handlers."""

from __future__ import annotations

import hashlib
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from .api import catalog, errors, export, lessons, pages, simulate

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
TEMPLATES = ROOT / "templates"
PLOTLY_JS = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
PLOTLY_VERSION = metadata.version("plotly")
LONG_CACHE = "public, max-age=31536000, immutable"


def asset_version(directory: Path = STATIC) -> str:
    """A content hash of every static file: part of the asset URLs, so a change busts caches."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class VersionedStatic(StaticFiles):
    """Static files under a content-hashed prefix, so they can be cached for a year."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = LONG_CACHE
        return response


def create_app() -> FastAPI:
    app = FastAPI(
        title="Descent Lab",
        summary="Watch optimizers roll down analytic loss landscapes.",
        version="0.1.0",
    )
    app.state.metrics = {"streams_active": 0, "steps_streamed": 0}
    version = asset_version()
    static_prefix = f"/static/{version}"
    plotly_url = f"/vendor/plotly-{PLOTLY_VERSION}.min.js"

    templates = Jinja2Templates(directory=TEMPLATES)
    templates.env.globals["static"] = lambda path: f"{static_prefix}/{path}"
    templates.env.globals["plotly_url"] = plotly_url
    app.state.templates = templates

    # Level 1: a 1000-step run compresses to 46% in 1 ms; level 9 saves 4% more for 8 ms.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=1)
    errors.install(app)
    app.include_router(pages.router)
    app.include_router(catalog.router)
    app.include_router(simulate.router)
    app.include_router(lessons.router)
    app.include_router(export.router)
    app.mount(static_prefix, VersionedStatic(directory=STATIC), name="static")

    @app.get("/vendor/plotly-{version}.min.js", include_in_schema=False)
    def plotly_js(version: str) -> FileResponse:
        # Served from the installed plotly package: no CDN, works offline.
        if version != PLOTLY_VERSION:
            raise HTTPException(404, "Not Found")
        return FileResponse(
            PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": LONG_CACHE}
        )

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, Any]:
        """Liveness, with the stream counters (active streams, steps streamed so far)."""
        return {"status": "ok", **app.state.metrics}

    return app


app = create_app()
