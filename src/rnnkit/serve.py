"""``rnnkit serve``: a saved model behind a small JSON-over-HTTP API (standard library only).

* ``GET /`` — what the model is, and an example request.
* ``GET /health`` — ``{"status": "ok"}`` while the server runs.
* ``POST /predict`` — a JSON body in, forecasts or class probabilities out: the same numbers
  and columns as ``rnnkit predict`` (both go through :mod:`rnnkit.inference`).

A forecaster takes ``{"horizon": 12, "level": 0.9, "rows": [...]}``, every field optional:
``rows`` are the latest observations, one object per row with the columns the model was
trained on (``id``, ``target`` and ``time`` rename them); without them the forecast continues
from the data the model was saved with. A classifier takes ``{"texts": ["...", ...]}``.
Mistakes get status 400 and ``{"error": "..."}`` naming the field or row; requests never change
the model.

>>> from rnnkit import Forecaster, datasets
>>> fc = Forecaster(cell="gru", units=[4], dense=(), window=12, epochs=1, verbose=False)
>>> body = answer(fc.fit(datasets.airline()[:-12]), {"horizon": 2})
>>> body["target"], [row["month"][:7] for row in body["forecasts"]]
('passengers', ['1960-01', '1960-02'])
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd

from rnnkit.data.series import long_from_frame, require_columns, series_from_frame
from rnnkit.errors import LimitError, RnnkitError
from rnnkit.inference import classify, forecast, to_records
from rnnkit.limits import MAX_TEXT_CHARS, SERVER_MAX_HORIZON, check_horizon
from rnnkit.safe_json import loads_bounded
from rnnkit.validation import PositiveInt

__all__ = ["ModelServer", "answer", "describe", "is_forecaster", "load_model", "make_server"]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 32 * 2**20  # a JSON body larger than this is refused before it is read
MAX_TEXTS = 1000  # texts one request may classify
FORECAST_FIELDS = ("horizon", "level", "rows", "id", "target", "time", "fill")
TEXT_FIELDS = ("texts",)


def is_forecaster(model: Any) -> bool:
    """Whether ``model`` is a forecaster (else a text classifier)."""
    return hasattr(model, "schema_")


def _columns(model: Any) -> dict[str, Any]:
    """The column names a forecaster's rows carry by default: those it was trained on."""
    return model.schema_.columns()


def describe(model: Any) -> dict[str, Any]:
    """What ``GET /`` answers: the model, its inputs and an example ``POST /predict`` body."""
    import rnnkit

    about: dict[str, Any] = {"rnnkit": rnnkit.__version__, "estimator": type(model).__name__,
                             "model": model.model_name}
    if not is_forecaster(model):
        return about | {"classes": list(model.classes_),
                        "predict": {"texts": ["A wonderful, moving film."]}}
    columns = _columns(model)
    example: dict[str, Any] = {"horizon": 12, "level": 0.9}
    schema = model.schema_
    if schema.several:
        about["series"] = list(schema.series)
    else:
        recent = model.series_state().recent
        example["rows"] = to_records(pd.DataFrame(
            {**({columns["time"]: recent.index} if columns["time"] else {}),
             columns["target"]: recent.target}
            | {n: recent.features[:, i] for i, n in enumerate(columns["features"])}))
    return about | {"columns": columns, "rows_needed": schema.rows_needed,
                    "fields": list(FORECAST_FIELDS), "predict": example}


def answer(model: Any, body: Any, max_horizon: int = SERVER_MAX_HORIZON) -> dict[str, Any]:
    """The answer to a ``POST /predict`` body (already parsed from JSON); a mistake in it
    raises :class:`~rnnkit.errors.RnnkitError` naming the field or row, and a request over a
    limit (``max_horizon``, :data:`MAX_TEXTS` texts of at most
    :data:`~rnnkit.limits.MAX_TEXT_CHARS` characters) :class:`~rnnkit.errors.LimitError`,
    before the model is used."""
    if not isinstance(body, dict):
        raise RnnkitError(f"the body must be a JSON object; got a JSON {type(body).__name__}.")
    allowed = FORECAST_FIELDS if is_forecaster(model) else TEXT_FIELDS
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise RnnkitError(f"unknown field {unknown[0]!r}; this {type(model).__name__} takes "
                          f"{', '.join(allowed)}.")
    if not is_forecaster(model):
        texts = body.get("texts")
        if not isinstance(texts, list):
            raise RnnkitError("`texts` must be a list of strings, e.g. {\"texts\": [\"A "
                              "wonderful, moving film.\"]}.")
        if len(texts) > MAX_TEXTS:
            raise LimitError(f"`texts` holds {len(texts):,} texts; one request may classify at "
                             f"most {MAX_TEXTS:,}.")
        long = next((i for i, t in enumerate(texts)
                     if isinstance(t, str) and len(t) > MAX_TEXT_CHARS), None)
        if long is not None:
            raise LimitError(f"texts[{long}] is {len(texts[long]):,} characters; at most "
                             f"{MAX_TEXT_CHARS:,} are read.")
        return {"predictions": classify(model, texts)}
    horizon = body.get("horizon")
    if horizon is not None:
        check_horizon(horizon, max_horizon, "horizon", hint="That is this server's "
                      "--max-horizon.")
    columns = _columns(model) | {k: body[k] for k in ("id", "target", "time") if k in body}
    recent = future_x = None
    if body.get("rows") is not None:
        recent, future_x = _read_rows(model, body["rows"], columns, body.get("fill"))
    result = forecast(model, recent, future_x, horizon, body.get("level"),
                      columns.get("id"), columns["time"], max_horizon=max_horizon)
    return result.about | {"forecasts": to_records(result.frame), "warnings": result.warnings}


def _read_rows(model: Any, rows: Any, columns: dict[str, Any], fill: Any) -> tuple[Any, Any]:
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise RnnkitError("`rows` must be a non-empty list of objects, one per observation, "
                          "e.g. [{\"" + str(columns["time"] or columns["target"]) + "\": ...}].")
    if fill not in (None, "ffill", "interpolate"):
        raise RnnkitError(f"`fill` must be null, 'ffill' or 'interpolate'; got {fill!r}.")
    frame = pd.DataFrame(rows)
    time = columns["time"]
    wanted = {"target": [columns["target"]], "time": [time] if time else []}
    if model.schema_.several:
        require_columns(frame, {"id": [columns["id"]]} | wanted, "`rows`")
        return long_from_frame(frame, columns["id"], columns["target"], time, fill,
                               line=lambda row: f"rows[{row}]"), None
    require_columns(frame, wanted | {"features": columns["features"]}, "`rows`")
    return series_from_frame(frame, columns["target"], time, columns["features"], fill,
                             line=lambda row: f"rows[{row}]", where="`rows`")


class _Handler(BaseHTTPRequestHandler):
    server: ModelServer
    server_version = "rnnkit"
    # seconds a connection may stay silent (idle between requests, or a stalled body) before
    # it is closed: a client cannot hold a thread for ever
    timeout = 10

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """http.server's own errors (a malformed request line, a timeout) as JSON too."""
        with contextlib.suppress(OSError):  # the client may be gone
            self._send(HTTPStatus(code), {"error": message or HTTPStatus(code).phrase})

    def _method_not_allowed(self) -> None:
        self._send(HTTPStatus.METHOD_NOT_ALLOWED,
                   {"error": f"{self.command} is not allowed on {self.path}."})

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _method_not_allowed

    def do_GET(self) -> None:  # the names http.server dispatches to
        if self.path in ("/", "/info"):
            self._send(HTTPStatus.OK, describe(self.server.model))
        elif self.path == "/health":
            self._send(HTTPStatus.OK, {"status": "ok"})
        elif self.path == "/predict":
            self._send(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "POST a JSON body to /predict "
                                                                "(GET / shows an example)."})
        else:
            self._not_found()

    def do_POST(self) -> None:
        if self.path != "/predict":
            self._not_found()
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length <= 0 or length > MAX_BODY_BYTES:
            self._send(HTTPStatus.BAD_REQUEST if length <= MAX_BODY_BYTES
                       else HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                       {"error": f"send a JSON body of 1 byte to {MAX_BODY_BYTES // 2**20} MiB "
                                 "with its Content-Length."})
            self.close_connection = True
            return
        try:
            body = loads_bounded(self.rfile.read(length), "the body", MAX_BODY_BYTES)
        except RnnkitError as exc:
            self._send(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        try:
            with self.server.lock:  # one prediction at a time, on the thread policy's count
                payload = answer(self.server.model, body, self.server.max_horizon)
        except LimitError as exc:
            self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": str(exc)})
        except RnnkitError as exc:
            self._send(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
        except Exception:  # a bug, not a user mistake: log it whole, answer briefly
            log.exception("POST /predict failed")
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR,
                       {"error": "the server failed on this request; its log has the details."})
        else:
            self._send(HTTPStatus.OK, payload)

    def _not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, {"error": f"no {self.path!r} here; try GET /, "
                                                   "GET /health or POST /predict."})

    def _send(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
        data = (json.dumps(payload, indent=1) + "\n").encode()
        self.send_response(status)
        if status == HTTPStatus.METHOD_NOT_ALLOWED:
            self.send_header("Allow", "POST" if self.path == "/predict" else "GET")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)


class ModelServer(ThreadingHTTPServer):
    """An HTTP server holding one loaded model; ``serve_forever()`` runs it.

    >>> from rnnkit import Forecaster, datasets
    >>> fc = Forecaster(cell="gru", units=[4], dense=(), window=12, epochs=1, verbose=False)
    >>> server = ModelServer(fc.fit(datasets.airline()), ("127.0.0.1", 0), quiet=True)
    >>> server.url.startswith("http://127.0.0.1:")
    True
    >>> server.server_close()
    """

    daemon_threads = True

    def __init__(self, model: Any, address: tuple[str, int], quiet: bool = False,
                 max_horizon: int = SERVER_MAX_HORIZON) -> None:
        super().__init__(address, _Handler)
        self.model, self.quiet, self.lock = model, quiet, threading.Lock()
        self.max_horizon = PositiveInt().check("max_horizon", max_horizon)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


RUNTIMES = ("torch", "onnx")


def load_model(model_dir: str | Path, runtime: str = "torch") -> Any:
    """The model a server answers with: the saved model (``"torch"``), or the ``model.onnx``
    that ``rnnkit export`` wrote beside it, run by onnxruntime with rnnkit's NumPy
    preprocessing (``"onnx"``; no PyTorch in the answering path)."""
    if runtime == "onnx":
        import rnnkit.io

        estimator = rnnkit.io.read_model_dir(model_dir).config.get("estimator")
        if estimator == "Forecaster":
            from rnnkit.onnx_forecast import OnnxForecaster

            return OnnxForecaster(model_dir)
        if estimator == "HybridForecaster":
            raise _no_hybrid(model_dir)
        if estimator != "TextClassifier":
            raise RnnkitError(f"--runtime onnx serves forecasters and text classifiers; "
                              f"{str(model_dir)!r} holds a {estimator} (serve it with "
                              "--runtime torch).")
        from rnnkit.onnx_text import OnnxTextClassifier

        return OnnxTextClassifier(model_dir)
    if runtime != "torch":
        raise RnnkitError(f"`runtime` must be one of {', '.join(RUNTIMES)}; got {runtime!r}.")
    import rnnkit
    from rnnkit.forecasting import HybridForecaster

    model = rnnkit.load(str(model_dir))
    if isinstance(model, HybridForecaster):
        raise _no_hybrid(model_dir)
    return model


def _no_hybrid(model_dir: str | Path) -> RnnkitError:
    return RnnkitError(f"{str(model_dir)!r} holds a HybridForecaster, which rnnkit serve does "
                       "not answer with yet (each request would refit its statistical model); "
                       "use rnnkit predict MODEL --csv ... or the Python API.")


def make_server(model_dir: str | Path, host: str = "127.0.0.1", port: int = 8000,
                quiet: bool = False, max_horizon: int = SERVER_MAX_HORIZON,
                runtime: str = "torch") -> ModelServer:
    """Load the model in ``model_dir`` (see :func:`load_model`) and bind a server to
    ``host:port`` (port 0: any free one); errors name the directory or the address."""
    model = load_model(model_dir, runtime)
    try:
        return ModelServer(model, (host, port), quiet, max_horizon)
    except OSError as exc:
        raise RnnkitError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose "
                          "another --port (0 picks a free one) or --host.") from None
