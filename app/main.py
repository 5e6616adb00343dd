"""The ASGI app: routers, static assets, middleware and error handlers."""

from __future__ import annotations

import gc
import gzip
import hashlib
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.responses import Response
from starlette.types import ASGIApp

from .api import (
    catalog,
    class_pages,
    classes,
    errors,
    explain,
    export,
    formulas,
    l2,
    lessons,
    maps,
    models,
    network_views,
    networks,
    openapi,
    pages,
    simulate,
    stream,
)
from .api.once import Once
from .conditional import ConditionalGet
from .facts import page_facts
from .limits import BodyLimit, PathLimit
from .security import SecurityHeaders, script_hashes
from .settings import Settings, get_settings
from .store import open_store

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
TEMPLATES = ROOT / "templates"
# plotly.js, partial: the core and the 2D traces, and the 3D traces as a chunk fetched on the
# first 3D view (built by `make vendor-plotly` from tools/plotly, committed).
PLOTLY = STATIC / "vendor" / "plotly"
# Swagger UI's dist files (bundle and CSS, Swagger UI 5: it reads FastAPI's OpenAPI 3.1) as
# the fastapi-offline package ships them, so /docs needs no CDN.
SWAGGER_UI = Path(str(resources.files("fastapi_offline") / "static"))
SWAGGER_UI_VERSION = metadata.version("fastapi-offline")
LONG_CACHE = "public, max-age=31536000, immutable"
OPENAPI_URL = "/openapi.json"


@cache
def gzipped(path: Path) -> bytes:
    """A vendored file compressed once per process and kept (plotly.js's core chunk: 1.1 MB to
    384 KB in a tenth of a second; the middleware's level 1 would spend 26 ms on every
    request and send 14% more)."""
    return gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)


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


class DescentLab(FastAPI):
    """FastAPI with the security headers as its outermost layer: outside even the layer that
    turns an unhandled exception into a 500 (where `add_middleware` cannot reach), so every
    response carries them."""

    def __init__(
        self,
        *,
        frame_ancestors: str,
        extra_scripts: dict[str, list[str]],
        max_body_bytes: int,
        body_limits: dict[str, PathLimit],
        **kwargs: Any,
    ) -> None:
        self.frame_ancestors = frame_ancestors
        self.extra_scripts = extra_scripts
        self.max_body_bytes = max_body_bytes
        self.body_limits = body_limits
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        # the body limit just inside the headers: a 413 carries them too
        app = BodyLimit(super().build_middleware_stack(), self.max_body_bytes, self.body_limits)
        return SecurityHeaders(app, self.frame_ancestors, self.extra_scripts)

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            document = super().openapi()
            stream.document_events(document)  # SSE events: described by hand
            maps.document_events(document)
            classes.document_events(document)
            networks.document_events(document)
            network_views.document_events(document)
        return super().openapi()


def swagger_ui_page(swagger_prefix: str, favicon_url: str) -> HTMLResponse:
    """/docs: FastAPI's Swagger UI page, with Swagger UI's files served from this server."""
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title="Descent Lab API",
        swagger_js_url=f"{swagger_prefix}/swagger-ui-bundle.js",
        swagger_css_url=f"{swagger_prefix}/swagger-ui.css",
        swagger_favicon_url=favicon_url,
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Ask the store once: a Redis that does not answer stops the worker here, naming its
    # address, rather than the first class that needs it.
    await app.state.store.get("startup")
    yield
    await app.state.store.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app, with `settings` (default: from the environment) for its routes."""
    if settings is None:
        settings = get_settings()
    version = asset_version()
    static_prefix = f"/static/{version}"
    plotly_version = asset_version(PLOTLY)
    plotly_files = {p.name: p for p in PLOTLY.iterdir() if p.suffix == ".js"}
    swagger_prefix = f"/vendor/swagger-ui-{SWAGGER_UI_VERSION}"
    docs_page = swagger_ui_page(swagger_prefix, f"{static_prefix}/favicon.svg")

    app = DescentLab(
        title="Descent Lab",
        summary="Watch optimizers roll down analytic loss landscapes.",
        version="0.1.0",
        openapi_url=OPENAPI_URL,
        docs_url=None,  # our own /docs, below: Swagger UI from this server, not a CDN
        redoc_url=None,
        lifespan=lifespan,
        frame_ancestors=settings.frame_ancestors,
        max_body_bytes=settings.max_body_bytes,
        body_limits={networks.CSV_PATH: networks.csv_body_limit(settings)},
        # get_swagger_ui_html starts Swagger UI with an inline <script>. The page is built
        # once, above, so that script never changes: allowing it by its hash keeps
        # 'unsafe-inline' out of script-src while /docs stays FastAPI's own page.
        extra_scripts={"/docs": script_hashes(docs_page.body)},
    )
    app.state.settings = settings
    # classes, tallies, the result cache
    app.state.store = open_store(settings.redis_url, settings.cache_mb * 2**20)
    app.state.metrics = {
        "streams_active": 0,
        "steps_streamed": 0,
        "maps_running": 0,
        "maps_waiting": 0,
        "map_ball_steps": 0,
        "network_view_work": 0,
    }
    # each thing computed once (app/api/once.py), its counters added to the metrics
    app.state.once = Once(
        app.state.store, app.state.metrics, settings.cache_seconds, keep=settings.cache_mb > 0
    )

    templates = Jinja2Templates(directory=TEMPLATES)
    templates.env.globals["static"] = lambda path: f"{static_prefix}/{path}"
    (core,) = (name for name in plotly_files if name.startswith("chunk-"))
    templates.env.globals["plotly"] = {
        "bundle": f"/vendor/plotly-{plotly_version}/plotly.js",
        "core": f"/vendor/plotly-{plotly_version}/{core}",
    }
    # What the pages share with the server (app/facts.py), as base.html's JSON block; "<" is
    # escaped so no value can close the <script> element it sits in.
    templates.env.globals["facts_json"] = json.dumps(page_facts()).replace("<", "\\u003c")
    app.state.templates = templates

    # Inside the gzip layer: the tag is of the plain body, and a 304 has none to compress.
    app.add_middleware(ConditionalGet)
    # Level 1: a 1000-step run compresses to 46% in 1 ms; level 9 saves 4% more for 8 ms.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=1)
    errors.install(app)
    app.include_router(pages.router)
    app.include_router(class_pages.router)  # the live class's pages
    app.include_router(catalog.router)
    app.include_router(formulas.router)
    app.include_router(models.router)
    app.include_router(simulate.router)
    app.include_router(stream.router)
    app.include_router(lessons.router)
    app.include_router(export.router)
    app.include_router(maps.router)
    app.include_router(explain.router)
    app.include_router(l2.router)
    app.include_router(classes.router)
    app.include_router(networks.router)
    app.include_router(network_views.router)
    openapi.install(app, settings)
    app.mount(static_prefix, VersionedStatic(directory=STATIC), name="static")
    app.mount(swagger_prefix, VersionedStatic(directory=SWAGGER_UI), name="swagger-ui")

    @app.get("/vendor/plotly-{version}/{name}", include_in_schema=False)
    async def plotly_js(version: str, name: str, request: Request) -> Response:
        # From this server, no CDN, works offline. The folder's hash is in the URL, and the
        # bundle imports its chunks relatively, so they share it: all cached for a year.
        path = plotly_files.get(name)
        if version != plotly_version or path is None:
            raise HTTPException(404, "Not Found")
        headers = {"Cache-Control": LONG_CACHE, "Vary": "Accept-Encoding"}
        if "gzip" not in request.headers.get("accept-encoding", ""):
            return FileResponse(path, media_type="text/javascript", headers=headers)
        headers["Content-Encoding"] = "gzip"
        return Response(gzipped(path), media_type="text/javascript", headers=headers)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(docs_page.body)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, Any]:
        """Liveness, with the worker's process id, its stream counters (active streams,
        steps streamed so far), map counters (maps computing and waiting, ball-steps
        computed so far) and answer counters (computed, shared with a computation in
        flight, from the result cache): each worker process counts its own."""
        return {"status": "ok", "pid": os.getpid(), **app.state.metrics}

    return app


app = create_app()

# What is built by now lives as long as the process: moved out of the collector's sight, so a
# burst of requests (a lecture hall opening its streams at once) does not pay for scanning it
# again at every collection (about a third off the burst's slowest first events, measured
# with bench/lecture_hall.py).
gc.collect()
gc.freeze()
