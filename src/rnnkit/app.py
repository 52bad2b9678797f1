"""``rnnkit serve`` for production: a saved model on FastAPI + uvicorn (the ``serve`` extra).

The same requests and answers as the standard-library server in :mod:`rnnkit.serve` (both
call :func:`rnnkit.serve.answer`, so one set of checks and messages), plus what a deployment
needs:

* ``GET /docs`` and ``/openapi.json``: the request and response schemas.
* ``GET /health`` (the process is up) and ``GET /ready`` (the model answered its own example
  at start-up); both open, for orchestrators.
* ``GET /metrics``: Prometheus text, per worker process: requests by path, method and status,
  latency histograms, client and server errors.
* Bearer-token authentication (``token``, or ``RNNKIT_TOKEN``) on ``/``, ``/predict`` and
  ``/metrics``.
* Limits: a request body of at most :data:`~rnnkit.serve.MAX_BODY_BYTES`, read within
  ``body_timeout`` seconds (408 after), nested at most 64 deep; a horizon of at most
  ``max_horizon`` (413); each prediction answered within ``deadline`` seconds (503 after).
* JSON errors for every status (``{"error": "..."}``), with ``Allow`` on 405.

Several worker processes (``rnnkit serve --workers N``) each load the model; uvicorn closes
idle connections after ``--idle-timeout`` seconds and answers 503 beyond
``--max-connections``.

>>> from fastapi.testclient import TestClient
>>> from rnnkit import Forecaster, datasets
>>> fc = Forecaster(cell="gru", units=[4], dense=(), window=12, epochs=1, verbose=False)
>>> client = TestClient(create_app(fc.fit(datasets.airline())))
>>> client.post("/predict", json={"horizon": 2}).json()["target"]
'passengers'
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import math
import os
import secrets
import threading
import time
from collections import defaultdict
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from rnnkit.errors import LimitError, RnnkitError
from rnnkit.inference import DEFAULT_HORIZON
from rnnkit.limits import SERVER_MAX_HORIZON
from rnnkit.safe_json import loads_bounded
from rnnkit.serve import FORECAST_FIELDS, MAX_BODY_BYTES, answer, describe, is_forecaster

__all__ = ["ForecastRequest", "TextRequest", "app_from_env", "create_app"]

log = logging.getLogger(__name__)

# module-level: FastAPI reads the (string) annotations in this module's namespace
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(HTTPBearer(auto_error=False))]
# Predictions one worker runs side by side (answering never changes the model): two, so a
# long one does not make short ones queue behind it, and not more, since they share the
# interpreter's lock (20 at once answered half as many requests a second as one at a time).
PREDICTIONS_AT_ONCE = 2
# Requests the event loop answers itself (see _small): those that take at most this long (a
# synchronous server is busy for every request's whole time, and an asynchronous one answers
# others meanwhile), and not larger bodies.
SMALL_SECONDS = 0.02
SMALL_BODY_BYTES = 16 * 2**10
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PATHS = ("/", "/info", "/health", "/ready", "/metrics", "/predict", "/docs", "/openapi.json")


class ForecastRequest(BaseModel):
    """``POST /predict`` to a forecaster; every field is optional."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"horizon": 12, "level": 0.9}]})
    horizon: int | None = Field(None, ge=1, description="steps to forecast (default 12, or as "
                                "many as the future feature rows)")
    level: float | None = Field(None, gt=0, lt=1, description="add a prediction interval "
                                "(lower, upper) at this level")
    rows: list[dict[str, Any]] | None = Field(None, description="the latest observations, one "
                                              "object per row, with the training columns")
    id: str | None = Field(None, description="the series column of rows (several series)")
    target: str | None = Field(None, description="the values column of rows")
    time: str | None = Field(None, description="the date column of rows")
    fill: Literal["ffill", "interpolate"] | None = Field(None, description="fill gaps in rows")


class TextRequest(BaseModel):
    """``POST /predict`` to a text classifier."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"texts": ["A wonderful, moving film."]}]})
    texts: list[str] = Field(description="the texts to classify (at most 1,000)")


class Forecasts(BaseModel):
    """Forecasts, one object per series and step, with the warnings they raised."""

    model_config = ConfigDict(extra="allow")
    forecasts: list[dict[str, Any]]
    warnings: list[str]


class Predictions(BaseModel):
    """Class probabilities and the predicted label of each text."""

    predictions: list[dict[str, Any]]


class Error(BaseModel):
    """Every error status answers this."""

    error: str


assert set(ForecastRequest.model_fields) == set(FORECAST_FIELDS)  # one list of fields


class Metrics:
    """Prometheus counters and latency histograms of one worker process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = defaultdict(lambda: [0] * len(LATENCY_BUCKETS))
        self.sums: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)

    def observe(self, path: str, method: str, status: int, seconds: float) -> None:
        path = path if path in PATHS else "other"  # unknown paths must not grow the table
        with self.lock:
            self.requests[(path, method, status)] += 1
            first = bisect.bisect_left(LATENCY_BUCKETS, seconds)
            for i in range(first, len(LATENCY_BUCKETS)):
                self.buckets[path][i] += 1
            self.sums[path] += seconds
            self.counts[path] += 1

    def text(self) -> str:
        lines = ["# HELP rnnkit_requests_total HTTP requests answered.",
                 "# TYPE rnnkit_requests_total counter"]
        with self.lock:
            for (path, method, status), n in sorted(self.requests.items()):
                lines.append(f'rnnkit_requests_total{{path="{path}",method="{method}",'
                             f'status="{status}"}} {n}')
            lines += ["# HELP rnnkit_request_errors_total Requests answered with an error.",
                      "# TYPE rnnkit_request_errors_total counter"]
            errors: dict[tuple[str, str], int] = defaultdict(int)
            for (path, _, status), n in self.requests.items():
                if status >= 400:
                    errors[(path, "client" if status < 500 else "server")] += n
            for (path, kind), n in sorted(errors.items()):
                lines.append(f'rnnkit_request_errors_total{{path="{path}",kind="{kind}"}} {n}')
            lines += ["# HELP rnnkit_request_duration_seconds Time to answer a request.",
                      "# TYPE rnnkit_request_duration_seconds histogram"]
            for path in sorted(self.counts):
                for bound, n in zip(LATENCY_BUCKETS, self.buckets[path], strict=True):
                    lines.append(f'rnnkit_request_duration_seconds_bucket{{path="{path}",'
                                 f'le="{bound}"}} {n}')
                lines += [f'rnnkit_request_duration_seconds_bucket{{path="{path}",le="+Inf"}} '
                          f"{self.counts[path]}",
                          f'rnnkit_request_duration_seconds_sum{{path="{path}"}} '
                          f"{self.sums[path]:.6f}",
                          f'rnnkit_request_duration_seconds_count{{path="{path}"}} '
                          f"{self.counts[path]}"]
        return "\n".join(lines) + "\n"


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def create_app(model: Any, token: str | None = None, max_horizon: int = SERVER_MAX_HORIZON,
               deadline: float = 30.0, body_timeout: float = 10.0) -> FastAPI:
    """A FastAPI application serving ``model`` (a fitted Forecaster or TextClassifier)."""
    app = FastAPI(title=f"rnnkit: {model.model_name}", version=_version(),
                  description="Predictions of a saved rnnkit model. Errors answer "
                              "{\"error\": \"...\"}.")
    metrics = Metrics()
    _add_error_handlers(app, metrics)

    def authorised(credentials: Credentials) -> None:
        if token is None:
            return
        given = credentials.credentials if credentials else ""
        if not secrets.compare_digest(given.encode(), token.encode()):
            raise HTTPException(401, "send the server's token: Authorization: Bearer TOKEN.",
                                headers={"WWW-Authenticate": "Bearer"})

    guarded = [Depends(authorised)]
    ready = {"ready": False}

    @app.get("/", dependencies=guarded, summary="The model and an example")
    def info() -> dict[str, Any]:
        return describe(model)

    @app.get("/health", summary="The process is up")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", summary="The model answers", responses={503: {"model": Error}})
    def readiness() -> Any:
        if not ready["ready"]:
            return _error(503, "the model has not answered its example request yet.")
        return {"status": "ready"}

    @app.get("/metrics", dependencies=guarded, response_class=PlainTextResponse,
             summary="Prometheus metrics of this worker")
    def prometheus() -> str:
        return metrics.text()

    pace = {"seconds_per_unit": math.inf}  # until measured: every prediction in a thread
    _add_predict(app, model, guarded, max_horizon, deadline, body_timeout, pace)
    try:
        pace["seconds_per_unit"] = _pace(model, describe(model)["predict"], max_horizon)
        ready["ready"] = True
    except RnnkitError as exc:
        log.warning("the model did not answer its example request: %s", exc)
    return app


def _add_predict(app: FastAPI, model: Any, guarded: list[Any], max_horizon: int,
                 deadline: float, body_timeout: float, pace: dict[str, float]) -> None:
    """``POST /predict``, with the request schema of ``model``'s kind."""
    forecaster = is_forecaster(model)
    request_model = ForecastRequest if forecaster else TextRequest
    running = threading.Semaphore(PREDICTIONS_AT_ONCE)
    errors = {status: {"model": Error} for status in (400, 401, 408, 413, 503)}

    @app.post("/predict", dependencies=guarded, response_model=Forecasts if forecaster
              else Predictions, responses=errors, summary="Forecasts or class probabilities",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": request_model.model_json_schema()}}}})
    async def predict(request: Request) -> Any:
        try:
            raw = await _read_body(request, body_timeout)
            size = len(raw)
            body = loads_bounded(raw, "the body", MAX_BODY_BYTES)
        except RnnkitError as exc:
            return _error(400, str(exc))
        except HTTPException as exc:
            return _error(exc.status_code, str(exc.detail))
        except ClientDisconnect:  # gone before its body arrived: no one to answer, no bug
            return _error(400, "the client closed the connection before its body arrived.")

        def run() -> dict[str, Any]:
            with running:
                return answer(model, body, max_horizon)

        try:
            # the response model documents the answer, which `answer` builds to it already
            if _small(model, body, size, pace["seconds_per_unit"]):
                return JSONResponse(answer(model, body, max_horizon))
            return JSONResponse(await asyncio.wait_for(run_in_threadpool(run), deadline))
        except LimitError as exc:
            return _error(413, str(exc))
        except RnnkitError as exc:
            return _error(400, str(exc))
        except TimeoutError:
            return _error(503, f"the prediction took longer than this server's deadline of "
                               f"{deadline:g} s; ask for less (a shorter horizon, fewer rows).")


def _small(model: Any, body: Any, size: int, seconds_per_unit: float) -> bool:
    """Whether answering ``body`` takes at most :data:`SMALL_SECONDS`, judged by its units
    (forecast steps, or texts) times ``seconds_per_unit`` (measured on the model's example at
    start-up); bodies over :data:`SMALL_BODY_BYTES` never are. The event loop answers small
    requests itself: handing one to a thread costs more than answering it, since the two
    threads pass the interpreter's lock back and forth at every network call (a served
    12-month forecast took 5.3 instead of 3.4 ms of CPU; benchmarks/RESULTS.md). Larger
    requests run in threads, so that they hold up neither the loop nor small requests.

    >>> from rnnkit import Forecaster, datasets
    >>> fc = Forecaster(cell="gru", units=[4], dense=(), window=12, epochs=1, verbose=False)
    >>> fc = fc.fit(datasets.airline())
    >>> _small(fc, {"horizon": 12}, 20, 0.001), _small(fc, {"horizon": 1000}, 20, 0.001)
    (True, False)
    """
    if size > SMALL_BODY_BYTES or not isinstance(body, dict):
        return size <= SMALL_BODY_BYTES  # a body that is not an object is refused at once
    if is_forecaster(model):
        units = body.get("horizon")
        if not isinstance(units, int) or isinstance(units, bool):
            units = DEFAULT_HORIZON  # or as many as the future rows, which the size bounds
    else:
        texts = body.get("texts")
        units = len(texts) if isinstance(texts, list) else 1
    return units * seconds_per_unit <= SMALL_SECONDS


def _pace(model: Any, example: dict[str, Any], max_horizon: int) -> float:
    """Seconds per unit of ``_small`` (a forecast step of all the model's series, or a text)
    for ``model``'s own example request. The first answer warms the model up (so that the
    first client does not pay for that) and is slower than later ones; it is timed again
    unless it took over a second (a global model of very many series), which then runs
    every request in a thread anyway."""
    units = example["horizon"] if is_forecaster(model) else len(example["texts"])
    for _ in range(2):
        start = time.perf_counter()
        answer(model, example, max_horizon)
        seconds = time.perf_counter() - start
        if seconds > 1.0:
            break
    return seconds / units


def _add_error_handlers(app: FastAPI, metrics: Metrics) -> None:
    """Every status answered as ``{"error": ...}`` (``Allow`` kept on 405), and counted."""
    app.add_middleware(_Measured, metrics=metrics)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        message = exc.detail if exc.status_code != 404 else (
            f"no {request.url.path!r} here; try GET /, GET /docs or POST /predict.")
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}."
        return _error(exc.status_code, str(message), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(400, f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return _error(500, "the server failed on this request; its log has the details.")


class _Measured:
    """Counts every request and its time in ``metrics``: plain ASGI, since Starlette's
    ``@app.middleware("http")`` runs each request through extra tasks and streams (about a
    fifth of a small forecast's time in this server)."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # unless a response starts: an exception that escapes every handler

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.observe(scope["path"], scope["method"], status,
                                 time.perf_counter() - start)


async def _read_body(request: Request, timeout: float) -> bytes:
    """The body, refused (413) beyond the size limit and (408) when it takes too long."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise HTTPException(413, f"send a JSON body of at most {MAX_BODY_BYTES // 2**20} MiB.")
    chunks: list[bytes] = []
    size = 0

    async def read() -> None:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise HTTPException(413, f"send a JSON body of at most "
                                         f"{MAX_BODY_BYTES // 2**20} MiB.")
            chunks.append(chunk)

    try:
        await asyncio.wait_for(read(), timeout)
    except TimeoutError:
        raise HTTPException(408, f"the body did not arrive within {timeout:g} s.") from None
    return b"".join(chunks)


def _version() -> str:
    import rnnkit

    return rnnkit.__version__


ENV_PREFIX = "RNNKIT_SERVE_"


def app_from_env() -> FastAPI:
    """The application a uvicorn worker builds (``factory=True``), from the settings that
    ``rnnkit serve`` puts in the environment: ``RNNKIT_SERVE_MODEL``, ``..._RUNTIME``,
    ``..._MAX_HORIZON``, ``..._DEADLINE``, ``..._BODY_TIMEOUT`` and ``RNNKIT_TOKEN``."""
    from rnnkit.serve import load_model

    env = os.environ
    model = load_model(env[f"{ENV_PREFIX}MODEL"], env.get(f"{ENV_PREFIX}RUNTIME", "torch"))
    return create_app(model, token=env.get("RNNKIT_TOKEN") or None,
                      max_horizon=int(env.get(f"{ENV_PREFIX}MAX_HORIZON", SERVER_MAX_HORIZON)),
                      deadline=float(env.get(f"{ENV_PREFIX}DEADLINE", 30)),
                      body_timeout=float(env.get(f"{ENV_PREFIX}BODY_TIMEOUT", 10)))
