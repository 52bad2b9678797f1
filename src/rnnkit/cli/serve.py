"""``rnnkit serve``: a saved model's predictions over HTTP (FastAPI on uvicorn, or the
standard library's server without the serve extra)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rnnkit.limits import SERVER_MAX_HORIZON

__all__ = ["add_parser", "cmd_serve"]


def add_parser(sub: Any) -> None:
    """``rnnkit serve``'s options."""
    v = sub.add_parser(
        "serve", help="serve a saved model's predictions over HTTP (JSON)",
        description="Load a saved model and answer HTTP requests until Ctrl+C: GET / describes "
                    "the model with an example request, GET /health checks the server, POST "
                    "/predict takes a JSON body and answers as 'rnnkit predict' does. A "
                    "forecaster takes {\"horizon\": 12, \"level\": 0.9, \"rows\": [...]} "
                    "(rows: the latest observations, with the columns used in training; all "
                    "optional); a classifier takes {\"texts\": [...]}. Mistakes get status 400 "
                    "and {\"error\": ...}; requests never change the model. With the serve "
                    "extra (pip install 'rnnkit[serve]': FastAPI on uvicorn) it also has "
                    "/docs, /ready, /metrics, --workers, --token and timeouts; without it, a "
                    "minimal standard-library server answers the same requests. Listening "
                    "beyond this machine needs --token (or RNNKIT_TOKEN) or --insecure.")
    v.add_argument("model", type=Path, help="a model directory")
    v.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (0.0.0.0: every network interface)")
    v.add_argument("--port", type=int, default=8000, help="port to listen on (0: any free one)")
    v.add_argument("--quiet", action="store_true", help="no line per request")
    v.add_argument("--max-horizon", type=int, default=SERVER_MAX_HORIZON,
                   help="the largest horizon one request may ask for; larger ones get status 413 "
                        "before the model is used (default: %(default)s)")
    v.add_argument("--runtime", choices=["torch", "onnx"], default="torch",
                   help="onnx: answer with the model.onnx that 'rnnkit export' wrote, run by "
                        "onnxruntime (no PyTorch in the answering path; default: torch)")
    v.add_argument("--workers", type=int, default=1,
                   help="processes answering requests, each with the model and its share of "
                        "the cores (default: 1)")
    v.add_argument("--token", help="answer only requests with 'Authorization: Bearer TOKEN' "
                                   "(default: the RNNKIT_TOKEN environment variable, if set; "
                                   "prefer it, since other users can read command lines)")
    v.add_argument("--insecure", action="store_true",
                   help="allow a --host beyond this machine without a token")
    v.add_argument("--deadline", type=float, default=30.0,
                   help="seconds one prediction may take before the answer is 503 (default: 30)")
    v.add_argument("--idle-timeout", type=float, default=5.0,
                   help="seconds an idle connection is kept open (default: 5)")
    v.add_argument("--body-timeout", type=float, default=10.0,
                   help="seconds a request body may take to arrive before 408 (default: 10)")
    v.add_argument("--max-connections", type=int, default=256,
                   help="open connections per worker beyond which requests get 503 "
                        "(default: 256)")
    v.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    from rnnkit.errors import RnnkitError
    from rnnkit.serve import load_model
    from rnnkit.validation import Number, PositiveInt

    token = args.token or os.environ.get("RNNKIT_TOKEN") or None
    local = args.host in ("127.0.0.1", "localhost", "::1")
    if not local and token is None and not args.insecure:
        raise RnnkitError(f"--host {args.host} listens beyond this machine: give --token (or "
                          "RNNKIT_TOKEN) so that only clients with it are answered, or "
                          "--insecure to serve anyone who can reach it.")
    for name in ("workers", "max_horizon", "max_connections"):
        PositiveInt().check(f"--{name.replace('_', '-')}", getattr(args, name))
    for name in ("deadline", "idle_timeout", "body_timeout"):
        Number(0.0, low_open=True).check(f"--{name.replace('_', '-')}", getattr(args, name))
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        if args.workers > 1 or token is not None:
            raise RnnkitError("--workers and --token need the serve extra: pip install "
                              "'rnnkit[serve]' (FastAPI and uvicorn).") from None
        return _serve_stdlib(args, local)
    model = load_model(args.model, args.runtime)  # here first: a bad folder is one line
    if not local and token is None:
        print(f"warning: listening on {args.host}, beyond this machine, with no "
              "authentication (--insecure): anyone who can reach it can query the model.",
              file=sys.stderr)
    return _serve_uvicorn(args, model, token)


def _serve_stdlib(args: argparse.Namespace, local: bool) -> int:
    from rnnkit.serve import make_server

    server = make_server(args.model, args.host, args.port, quiet=args.quiet,
                         max_horizon=args.max_horizon, runtime=args.runtime)
    if not local:
        print(f"warning: listening on {args.host}, beyond this machine, with no "
              "authentication: anyone who can reach it can query the model.", file=sys.stderr)
    # flushed at once: a script that starts the server waits for this line to learn the port
    print(f"serving {server.model.model_name} from {args.model} at {server.url} "
          f"(GET / for an example request; Ctrl+C stops)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def _serve_uvicorn(args: argparse.Namespace, model: Any, token: str | None) -> int:
    import os
    import socket

    import uvicorn

    from rnnkit.app import ENV_PREFIX, create_app
    from rnnkit.errors import RnnkitError
    from rnnkit.threads import available_cores

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # inherited by every accepted connection: without it, the answer's headers and body wait
    # for the client's delayed acknowledgement (Nagle), about 40 ms per request
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        raise RnnkitError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
                          "choose another --port (0 picks a free one) or --host.") from None
    sock.set_inheritable(True)
    sock.listen(2048)  # clients queue from now on, while uvicorn (or its workers) starts
    port = sock.getsockname()[1]
    settings = dict(timeout_keep_alive=args.idle_timeout, limit_concurrency=args.max_connections,
                    log_level="warning" if args.quiet else "info", access_log=not args.quiet)
    if args.workers == 1:
        app = create_app(model, token=token, max_horizon=args.max_horizon,
                         deadline=args.deadline, body_timeout=args.body_timeout)
        config = uvicorn.Config(app, **settings)
    else:  # each worker loads the model itself, with its share of the cores
        os.environ.setdefault("RNNKIT_THREADS", str(max(1, available_cores() // args.workers)))
        os.environ.update({f"{ENV_PREFIX}MODEL": str(args.model),
                           f"{ENV_PREFIX}RUNTIME": args.runtime,
                           f"{ENV_PREFIX}MAX_HORIZON": str(args.max_horizon),
                           f"{ENV_PREFIX}DEADLINE": str(args.deadline),
                           f"{ENV_PREFIX}BODY_TIMEOUT": str(args.body_timeout)})
        if token is not None:
            os.environ["RNNKIT_TOKEN"] = token
        config = uvicorn.Config("rnnkit.app:app_from_env", factory=True, workers=args.workers,
                                **settings)
    host = f"[{args.host}]" if family == socket.AF_INET6 else args.host
    # flushed at once: a script that starts the server waits for this line to learn the port
    print(f"serving {model.model_name} from {args.model} at http://{host}:{port} with "
          f"{args.workers} worker{'s' * (args.workers > 1)} (GET /docs for the API; Ctrl+C "
          "stops)", flush=True)
    server = uvicorn.Server(config)
    if args.workers == 1:
        server.run(sockets=[sock])
    else:
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[sock]).run()
    return 0
