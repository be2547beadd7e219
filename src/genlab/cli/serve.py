"""``genlab serve RUN``: serve a run over HTTP (FastAPI on uvicorn).

A detector run answers ``POST /v1/score`` (JSON rows or a CSV body; the same scores, flags and
top features as ``genlab detect``); a generator run serves a page with latent sliders at ``/``
and PNGs at ``/v1/generate``; an image-to-image run translates uploads at ``/v1/translate``.
Needs the serve extra: ``pip install 'genlab[serve]'``.
"""

from genlab.cli.common import positive_int

MAX_BODY_MB = 10  # equal to genlab.serve.app.MAX_BODY (CLI modules import the library lazily)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("serve", help="serve a detector, generator or image-to-image run over HTTP")
    parser.add_argument("run", help="run directory")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=positive_int, default=8000, help="port to listen on (default: 8000)")
    parser.add_argument("--max-body-mb", type=positive_int, default=MAX_BODY_MB,
                        help=f"largest request body accepted, in MB; larger ones get 413 (default: {MAX_BODY_MB})")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.core.errors import GenlabError

    try:
        from genlab.serve.app import serve
    except ModuleNotFoundError as error:
        if error.name in ("fastapi", "uvicorn", "starlette", "multipart", "python_multipart"):
            raise GenlabError(f"genlab serve needs {error.name}: pip install 'genlab[serve]'") from None
        raise
    serve(args.run, host=args.host, port=args.port, max_body=args.max_body_mb * 1024 * 1024)
    return 0
