"""Settings: one class, read from DESCENT_LAB_* environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.requests import Request


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESCENT_LAB_")

    max_steps: int = Field(
        10_000, ge=1, description="Most steps one run may ask for (POST /api/runs and streams)."
    )
    max_runs: int = Field(
        8, ge=1, description="Most runs in one request or one stream (a race of optimizers)."
    )
    max_speed: float = Field(
        5_000.0, gt=0, description="Fastest pacing a stream accepts, in steps per second."
    )
    events_per_second: float = Field(
        5.0,
        gt=0,
        description="Most step events a paced stream sends per second; each carries the next "
        "steps of every run, and the page plays them at the requested pace.",
    )
    send_timeout: float = Field(
        10.0,
        gt=0,
        description="Seconds a stream may wait on a reader that has stopped reading (its "
        "buffers full) before it is dropped.",
    )
    max_streams: int = Field(
        400,
        ge=1,
        description="Most live streams one worker serves at once; past it a stream is "
        "refused with 503 and Retry-After, and the page tries again.",
    )
    max_body_bytes: int = Field(
        1_000_000,
        ge=1024,
        description="Largest request body accepted, in bytes; a larger one is refused with "
        "413 before it is read.",
    )
    unpaced_batch: int = Field(
        250, ge=1, description="Steps per event when a stream is unpaced (speed=0)."
    )
    map_max_steps: int = Field(
        2_000,
        ge=1,
        description="Most steps each ball of a map (basins, sweep, trainability) takes.",
    )
    map_max_side: int = Field(
        256, ge=2, description="Most starts or values along each axis of a 2D map."
    )
    map_max_points: int = Field(
        4_096, ge=2, description="Most starts of a 1D basin map, and of rates in a sweep."
    )
    map_max_seconds: float = Field(
        30.0,
        gt=0,
        description="Most work one map may ask for, in estimated seconds (starts × steps, "
        "weighted by how the optimizer steps a crowd); a bigger map is refused with 422 "
        "naming its resolution, and one still computing after twice this long is stopped "
        "and answered so.",
    )
    map_auto_seconds: float = Field(
        1.5,
        gt=0,
        description="A map that leaves out its size (a basin or trainability map its "
        "resolution, a sweep its count) gets the default size, made smaller until its "
        "estimated work fits this many seconds.",
    )
    map_fine_seconds: float = Field(
        5.0,
        gt=0,
        description="The same for a map asked for at `detail` fine: its default size (twice "
        "the default's sides) is made smaller until its estimated work fits this many seconds.",
    )
    map_concurrency: int = Field(
        1, ge=1, description="Maps one worker computes at once (each in a thread of its own)."
    )
    map_queue: int = Field(
        8,
        ge=0,
        description="Maps that may wait for a turn; past it a map is refused with 503 and "
        "Retry-After.",
    )
    class_hours: float = Field(
        3.0,
        gt=0,
        description="How long a live class lives from its creation, in hours; then its "
        "code, its answers and its runs are gone.",
    )
    class_max_students: int = Field(
        400, ge=1, description="Most students one class admits; past it a join gets 409."
    )
    class_code_failures_per_minute: int = Field(
        20,
        ge=1,
        description="Requests naming a class that does not exist (a wrong join code, or a "
        "guess) one client address may make per minute; past it every request naming a "
        "class from that address gets 429 with Retry-After until the minute is over.",
    )
    class_creates_per_hour: int = Field(
        20,
        ge=1,
        description="Classes one client address may start per hour; past it 429 with Retry-After.",
    )
    class_answers_per_minute: int = Field(
        60,
        ge=1,
        description="Answers and experiment runs one student may send per minute; past it "
        "429 with Retry-After.",
    )
    class_run_steps: int = Field(
        2_000,
        ge=1,
        description="Most steps of a class experiment's base run (each student's run takes "
        "as many); a longer one is refused with 422.",
    )
    network_max_layers: int = Field(
        4, ge=0, description="Most hidden layers a network on /network may have."
    )
    network_max_units: int = Field(
        16, ge=1, description="Most units in one hidden layer of a network."
    )
    network_max_points: int = Field(
        1_000,
        ge=2,
        le=1_000,
        description="Most data points a network trains on (a generated set, your own points or "
        "a CSV file's rows).",
    )
    network_max_steps: int = Field(
        5_000, ge=1, description="Most training steps one network run or stream may ask for."
    )
    network_max_grid: int = Field(
        64,
        ge=2,
        description="Most cells along each side of a network's prediction grid (the decision "
        "regions, or the points of the fitted curve).",
    )
    network_csv_bytes: int = Field(
        65_536,
        ge=64,
        description="Largest CSV file of points accepted, in bytes; a larger one is refused "
        "with 413 naming data.csv.",
    )
    network_grid_per_second: float = Field(
        5.0,
        gt=0,
        description="Most prediction grids (with the unit thumbnails and the weights) a "
        "network stream sends per second.",
    )
    network_view_max_side: int = Field(
        61,
        ge=2,
        description="Most points along each side of a network's landscape plane (the random "
        "plane and the path's plane); a `detail` that asks for more gets this many.",
    )
    network_view_max_points: int = Field(
        400,
        ge=2,
        description="Most points along a network's landscape line (from the start, and between "
        "two seeds) and kept along each path drawn on a plane; a `detail` that asks for more "
        "gets this many.",
    )
    network_view_max_work: int = Field(
        50_000,
        ge=1,
        description="Most work one landscape view of a network may ask for, in the units its "
        "progress counts (training steps, losses of one weight vector and Hessian-vector "
        "products); a bigger view is refused with 422 naming its detail. Its estimated "
        "seconds are held to DESCENT_LAB_MAP_MAX_SECONDS, as a map's are.",
    )
    cache_mb: int = Field(
        64,
        ge=0,
        description="Memory, in MB, each worker's result cache may hold: the answers of maps, "
        "runs, explanations and landscapes, computed once for identical requests and kept; "
        "past it the least recently used go first, and 0 keeps none (identical requests in "
        "flight still share one computation). With Redis, Redis's own memory limit bounds it.",
    )
    cache_seconds: float = Field(
        3600.0,
        gt=0,
        description="How long the result cache keeps an answer, in seconds (a deploy starts "
        "afresh whatever is left: each answer's key carries the code's version).",
    )
    redis_url: str = Field(
        "",
        description="Redis to keep classes, their tallies and the result cache in, shared by "
        "every worker and replica (e.g. redis://localhost:6379/0); unset, each worker keeps "
        "them in its own memory, which is right for one worker.",
    )
    frame_ancestors: str = Field(
        "*",
        description="Who may embed the pages in a frame: the Content-Security-Policy "
        "frame-ancestors sources, space-separated (* anyone; 'self'; 'none'; or origins such "
        "as https://canvas.example.edu).",
    )

    @field_validator("frame_ancestors")
    @classmethod
    def _one_directive(cls, value: str) -> str:
        # The value is pasted into the policy header: line breaks become spaces, and a ';' or
        # ',' (which would start another directive or another policy) is refused.
        value = " ".join(value.split())
        if not value or ";" in value or "," in value:
            raise ValueError(
                "DESCENT_LAB_FRAME_ANCESTORS must be space-separated CSP sources "
                "(e.g. https://canvas.example.edu), without ';' or ','"
            )
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()


async def app_settings(request: Request) -> Settings:
    """The settings the app was built with (`create_app(settings)`), as a route dependency:
    async and override-free, so it costs a request no thread hop and no dependency solving."""
    settings: Settings = request.app.state.settings
    return settings
