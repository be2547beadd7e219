"""The FastAPI app of ``genlab serve RUN``.

Detector runs: ``POST /v1/score`` (JSON or CSV body, see :mod:`genlab.serve.scoring`),
``GET /v1/health``, ``GET /v1/model``. Image runs: ``GET /`` (the page), ``GET /v1/generate``
(a PNG), ``POST /v1/translate`` (an uploaded image, a PNG back), ``GET /v1/health``,
``GET /v1/model``.

Errors in what a client sent answer 4xx with ``{"detail": "<the row and the reason>"}``:
400 malformed or empty body, 413 body over ``max_body`` bytes, 415 other content types, 422
rows or parameters that cannot be scored. Nothing in a request gives a 500.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from genlab.core.errors import GenlabError
from genlab.core.registry import is_tabular
from genlab.serve.batcher import MicroBatcher
from genlab.serve.images import ImageRun
from genlab.serve.page import page
from genlab.serve.scoring import BadBody, DetectorScorer

MAX_BODY = 10 * 1024 * 1024  # bytes
MAX_WAIT = 0.005  # seconds the micro-batcher waits for requests still being parsed
INLINE_BODY = 64 * 1024  # bytes: smaller bodies are parsed on the event loop, larger ones in a thread
INLINE_ROWS = 1000  # answers of more rows are built in a thread


class BodyTooLarge(BadBody):
    def __init__(self, limit: int):
        super().__init__(f"the body is over the limit of {limit} bytes; send fewer rows per request", 413)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    parts, size = [], 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise BodyTooLarge(limit)
        parts.append(part)
    return b"".join(parts)


def run_family(run_path: str | Path) -> str:
    config = Path(run_path) / "config.json"
    if not config.is_file():
        raise GenlabError(f"{str(run_path)!r} is not a run directory (no config.json)")
    return json.loads(config.read_text())["family"]


def create_app(run_path: str | Path, max_body: int = MAX_BODY, max_wait: float = MAX_WAIT) -> FastAPI:
    """The app serving ``run_path`` (a detector, generator or image-to-image run), model loaded."""
    if is_tabular(run_family(run_path)):
        return detector_app(DetectorScorer(run_path), max_body, max_wait)
    return image_app(ImageRun(run_path), max_body)


def _errors(app: FastAPI) -> None:
    @app.exception_handler(BadBody)
    async def bad_body(request: Request, error: BadBody):
        return JSONResponse({"detail": str(error)}, status_code=error.status)

    @app.exception_handler(GenlabError)
    async def bad_request(request: Request, error: GenlabError):
        return JSONResponse({"detail": str(error)}, status_code=422)


def detector_app(scorer: DetectorScorer, max_body: int = MAX_BODY, max_wait: float = MAX_WAIT) -> FastAPI:
    batcher = MicroBatcher(scorer.score_z, max_wait=max_wait)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        await batcher.start()
        yield
        await batcher.stop()

    app = FastAPI(title=f"genlab serve: {scorer.run_path.name}", lifespan=lifespan)
    app.state.batcher = batcher
    _errors(app)

    @app.get("/v1/health")
    async def health():
        return {"status": "ok", "batches": batcher.batches, "requests": batcher.requests}

    @app.get("/v1/model")
    async def model():
        return scorer.describe()

    @app.post("/v1/score")
    async def score(request: Request):
        """Score JSON ``{"rows": [{column: value}, ...]}`` or a CSV body (``Content-Type: text/csv``)."""
        kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if kind not in ("application/json", "text/csv"):
            raise BadBody(f"Content-Type must be application/json or text/csv, got {kind!r}", 415)
        body = await read_body(request, max_body)
        if not body.strip():
            raise BadBody("the body is empty: send JSON {\"rows\": [...]} or a CSV with a header row", 400)
        parse = scorer.rows_from_csv if kind == "text/csv" else scorer.rows_from_json
        if len(body) <= INLINE_BODY and kind != "text/csv":
            z = parse(body)  # a thread hop would cost more than parsing a few rows
        else:
            with batcher.arriving():
                z = await run_in_threadpool(parse, body)
        scores, order = await batcher.submit(z)
        if len(z) <= INLINE_ROWS:
            return JSONResponse(scorer.response(scores, order))
        return await run_in_threadpool(lambda: JSONResponse(scorer.response(scores, order)))

    return app


def _floats(text: str | None) -> list[float]:
    if not text:
        return []
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise GenlabError(f"z must be comma-separated numbers, got {text[:80]!r}") from None


def image_app(served: ImageRun, max_body: int = MAX_BODY) -> FastAPI:
    app = FastAPI(title=f"genlab serve: {served.run_path.name}")
    _errors(app)

    @app.get("/", response_class=HTMLResponse)
    def index():
        return page(f"{served.run_path.name} ({served.family})")

    @app.get("/v1/health")
    def health():
        return {"status": "ok"}

    @app.get("/v1/model")
    def model():
        return served.describe()

    @app.get("/v1/generate")
    def generate(seed: int = Query(0), z: str | None = Query(None), label: int | None = Query(None),
                 truncation: float | None = Query(None)):
        return Response(served.generate(seed, _floats(z), label, truncation), media_type="image/png")

    @app.post("/v1/translate")
    async def translate(request: Request, direction: str = Query("a2b")):
        """The uploaded image (multipart field ``image``, or the raw PNG/JPEG body) translated or upscaled."""
        body = await read_body(request, max_body)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "multipart/form-data":
            async def replay():  # the body was read (and its size checked) already
                return {"type": "http.request", "body": body, "more_body": False}

            form = await Request(request.scope, replay).form()
            upload = form.get("image")
            if upload is None or isinstance(upload, str):
                raise BadBody("no image in the form: send the file as the multipart field 'image'", 400)
            body = await upload.read()
        if not body:
            raise BadBody("no image uploaded: send it as the multipart field 'image' or as the body", 400)
        return Response(await run_in_threadpool(served.transform, body, direction), media_type="image/png")

    return app


def serve(run_path: str | Path, host: str = "127.0.0.1", port: int = 8000, max_body: int = MAX_BODY) -> None:
    """Load the run and serve it with uvicorn until interrupted."""
    app = create_app(run_path, max_body=max_body)
    uvicorn.run(app, host=host, port=port, log_level="info")
