"""``genlab serve``: the scoring API of a detector run (equal to ``genlab detect``, 4xx for bad
bodies, micro-batched), the page and PNGs of a generator run, and a fast ``--help``."""

import asyncio
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from genlab.core.config import DataConfig, TrainConfig  # noqa: E402
from genlab.data.pipeline import to_uint8  # noqa: E402
from genlab.data.tabular import synthetic_table  # noqa: E402
from genlab.serve.app import create_app  # noqa: E402
from genlab.workflows.detection import detect_file, train_detector  # noqa: E402
from genlab.workflows.loading import load_run_model  # noqa: E402
from genlab.workflows.train import train  # noqa: E402

TINY = {"hidden_units": [16], "latent_dim": 2, "label": "label", "drop": ["Time"], "top_features": 2}


def table(n_normal, n_anomalous, seed):
    frame = synthetic_table(n_normal, n_anomalous, seed=seed)
    return frame.assign(Time=np.arange(len(frame), dtype=float))[["Time", *frame.columns]]


@pytest.fixture(scope="module")
def detector_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve-detector")
    table(200, 20, 0).to_csv(folder / "train.csv", index=False)
    train_detector(f"csv:{folder / 'train.csv'}", folder / "run", model=TINY,
                   train={"epochs": 3, "batch_size": 32, "learning_rate": 3e-3}, verbose=0)
    return folder / "run"


@pytest.fixture(scope="module")
def client(detector_run):
    with TestClient(create_app(detector_run)) as client:
        yield client


@pytest.fixture(scope="module")
def holdout(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve-holdout")
    frame = table(40, 5, 1)
    frame.to_csv(folder / "holdout.csv", index=False)
    return frame, folder / "holdout.csv"


def test_json_and_csv_scoring_equal_genlab_detect(client, detector_run, holdout, tmp_path):
    frame, path = holdout
    detect_file(detector_run, f"csv:{path}", out=tmp_path / "scores.csv")
    expected = pd.read_csv(tmp_path / "scores.csv")
    by_json = client.post("/v1/score", json={"rows": frame.to_dict(orient="records")})
    by_csv = client.post("/v1/score", content=path.read_bytes(), headers={"Content-Type": "text/csv"})
    for answer in (by_json, by_csv):
        assert answer.status_code == 200, answer.text
        result = answer.json()
        rows = pd.DataFrame(result["rows"])
        assert len(rows) == len(frame) and rows["row_id"].tolist() == list(range(len(frame)))
        np.testing.assert_allclose(rows["score"], expected["score"], rtol=1e-6, atol=1e-9)
        assert rows["flag"].tolist() == expected["flag"].tolist()
        assert [";".join(names) for names in rows["top_features"]] == expected["top_features"].tolist()
        assert result["threshold"] == pytest.approx(client.get("/v1/model").json()["threshold"])
        assert result["flagged"] == int(expected["flag"].sum())


def test_health_and_model(client):
    assert client.get("/v1/health").json()["status"] == "ok"
    model = client.get("/v1/model").json()
    assert model["kind"] == "detector" and model["features"] == ["f0", "f1", "f2", "f3", "f4", "amount"]
    assert model["threshold"] > 0 and model["family"]


def rows(frame, change=None):
    records = frame.head(6).to_dict(orient="records")
    if change:
        change(records)
    return {"rows": records}


def _set(i, key, value):
    def change(records):
        records[i][key] = value
    return change


def _drop(i, key):
    def change(records):
        del records[i][key]
    return change


@pytest.mark.parametrize("body, status, message", [
    (lambda f: rows(f, _set(3, "f2", "n/a?")), 422, r"text in numeric.*'f2' at row_id 3"),
    (lambda f: rows(f, _set(4, "f1", None)), 422, r"missing values.*'f1' at row_id 4"),
    (lambda f: rows(f, _drop(2, "amount")), 422, r"row_id 2 lacks column\(s\) 'amount'"),
    (lambda f: rows(f, _set(1, "merchant", 7)), 422, r"row_id 1 has column\(s\) 'merchant'"),
    (lambda f: rows(f, _set(5, "f0", [1, 2])), 422, r"row_id 5: 'f0' is \[1, 2\], not a number"),
    (lambda f: rows(f, _set(0, "f3", True)), 422, r"row_id 0: 'f3' is true, not a number"),
    (lambda f: rows(f, _set(2, "f4", "1e400")), 422, r"infinite values.*'f4' at row_id 2"),
    (lambda f: {"rows": []}, 422, "empty"),
    (lambda f: {"data": []}, 422, "rows"),
    (lambda f: {"rows": [1, 2]}, 422, "row_id 0 is not an object"),
], ids=["text", "null", "missing-column", "extra-column", "list", "boolean", "infinite", "no-rows", "no-rows-key",
     "not-objects"])
def test_bad_json_rows_get_4xx_naming_the_row(client, holdout, body, status, message):
    answer = client.post("/v1/score", json=body(holdout[0]))
    assert answer.status_code == status, answer.text
    assert re.search(message, answer.json()["detail"]), answer.json()


@pytest.mark.parametrize("content, status, message", [
    (b"", 400, "empty"),
    (b"   \n", 400, "empty"),
    (b"f0,f1\n1,2\n", 422, r"lacks column\(s\) 'f2', 'f3', 'f4', 'amount'"),
    (b"Time,f0,f1,f2,f3,f4,amount,label\n0,1,2,3,4,5,6,0\n1,1,2,x,4,5,6,0\n", 422, r"'f2' at row_id 1"),
    (b"Time,f0,f1,f2,f3,f4,amount,label\n0,1,2,3,4,5,6,0\n1,1,2,3,4,5,6,0,9\n", 422, r"row_id 1 has 9 fields"),
    (b"Time,f0,f1,f2,f3,f4,amount,label\n", 422, "no data rows"),
], ids=["empty", "blank", "missing-columns", "text", "ragged", "header-only"])
def test_bad_csv_bodies_get_4xx_naming_the_row(client, content, status, message):
    answer = client.post("/v1/score", content=content, headers={"Content-Type": "text/csv"})
    assert answer.status_code == status, answer.text
    assert re.search(message, answer.json()["detail"]), answer.json()
    assert "genlab-serve-" not in answer.json()["detail"]  # the temporary file is never named


def test_a_value_too_far_out_scores_inf_as_genlab_detect_writes_it(client, holdout):
    answer = client.post("/v1/score", json=rows(holdout[0], _set(1, "f0", 1e200)))
    assert answer.status_code == 200, answer.text
    scored = answer.json()["rows"]
    assert scored[1]["score"] == "inf" and scored[1]["flag"] == 1 and scored[1]["top_features"][0] == "f0"
    assert all(isinstance(row["score"], float) for i, row in enumerate(scored) if i != 1)


def test_malformed_json_other_content_types_and_oversized_bodies(detector_run, client):
    assert client.post("/v1/score", content=b"{rows:", headers={"Content-Type": "application/json"}).status_code == 400
    assert client.post("/v1/score", content=b"x", headers={"Content-Type": "text/plain"}).status_code == 415
    with TestClient(create_app(detector_run, max_body=1000)) as small:
        body = b"Time,f0,f1,f2,f3,f4,amount,label\n" + b"0,1,2,3,4,5,6,0\n" * 100
        answer = small.post("/v1/score", content=body, headers={"Content-Type": "text/csv"})
        assert answer.status_code == 413 and "limit of 1000 bytes" in answer.json()["detail"]

        def chunked():  # no Content-Length: the limit holds while the body streams in
            for _ in range(100):
                yield b"0,1,2,3,4,5,6,0\n"

        answer = small.post("/v1/score", content=chunked(), headers={"Content-Type": "text/csv"})
        assert answer.status_code == 413


def test_concurrent_requests_are_batched_and_each_gets_its_own_rows(detector_run, holdout):
    frame, _ = holdout
    app = create_app(detector_run, max_wait=0.05)
    bodies = [{"rows": frame.iloc[i : i + 3].to_dict(orient="records")} for i in range(0, 30, 3)]

    async def post_all():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://serve") as http:
            answers = await asyncio.gather(*(http.post("/v1/score", json=body) for body in bodies))
            health = (await http.get("/v1/health")).json()
        await app.state.batcher.stop()
        return answers, health

    answers, health = asyncio.run(post_all())
    with TestClient(create_app(detector_run)) as alone:
        single = alone.post("/v1/score", json={"rows": frame.iloc[:30].to_dict(orient="records")}).json()["rows"]
    together = [row for answer in answers for row in answer.json()["rows"]]
    np.testing.assert_allclose([r["score"] for r in together], [r["score"] for r in single], rtol=1e-6, atol=1e-9)
    assert [r["top_features"] for r in together] == [r["top_features"] for r in single]
    assert health["requests"] == len(bodies) and health["batches"] < len(bodies)


# generator runs ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cvae_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("serve-cvae") / "run"
    train("cvae", out, model={"latent_dim": 2, "filters": [4, 8]}, data=DataConfig(source="digits", limit=128),
          train=TrainConfig(epochs=1, batch_size=32), verbose=0)
    return out


def png(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)))


def test_generator_page_and_png(cvae_run):
    with TestClient(create_app(cvae_run)) as client:
        page = client.get("/")
        assert page.status_code == 200 and "<img" in page.text and "/v1/generate" in page.text
        assert "<script src" not in page.text and "<link" not in page.text  # self-contained
        model = client.get("/v1/model").json()
        assert model["kind"] == "generator" and model["conditional"] and len(model["classes"]) == 10
        assert model["sliders"] == 2 and not model["truncation"]
        answer = client.get("/v1/generate", params={"seed": 3, "z": "0.5,-1", "label": 7})
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
        _, _, vae = load_run_model(cvae_run)
        latents = vae.sample_latents(1, 3)
        latents[0, :2] = [0.5, -1]
        expected = to_uint8(vae.decode_latents(latents, np.array([7])), vae.config.value_range)[0]
        np.testing.assert_array_equal(png(answer.content), expected[..., 0])
        assert client.get("/v1/generate", params={"seed": 3, "label": 1}).content != answer.content
        for params, message in [({"label": 10}, "label"), ({"z": "1,2,3"}, "3 values"), ({"z": "a"}, "comma"),
                                ({"truncation": 0.5}, "truncation"), ({"seed": -1}, "seed")]:
            bad = client.get("/v1/generate", params=params)
            assert bad.status_code == 422 and message in bad.text, (params, bad.text)
        refused = client.post("/v1/translate", files={"image": ("x.png", answer.content, "image/png")})
        assert refused.status_code == 422 and "does not translate" in refused.text


# image-to-image runs ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def pix2pix_run(tmp_path_factory):
    from PIL import Image

    from genlab.cli.main import main

    root = tmp_path_factory.mktemp("serve-pix2pix")
    photos = np.random.default_rng(0).integers(0, 256, size=(6, 16, 16, 3), dtype=np.uint8)
    for name, images in (("a", photos), ("b", 255 - photos)):
        (root / name).mkdir()
        for i, image in enumerate(images):
            Image.fromarray(image).save(root / name / f"{i}.png")
    assert main(["train", "pix2pix", "--data-a", f"folder:{root / 'a'}", "--data-b", f"folder:{root / 'b'}", "--paired",
                 "--crop-size", "8", "--epochs", "1", "--batch-size", "2", "--filters", "4",
                 "--discriminator-filters", "4", "--discriminator-downsamplings", "2", "--quiet",
                 "--out", str(root / "run")]) == 0
    return root / "run"


def test_translate_an_upload_as_genlab_translate_does(pix2pix_run, tmp_path):
    from PIL import Image

    from genlab.workflows.translate import translate_image

    picture = tmp_path / "in.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, size=(12, 20, 3), dtype=np.uint8)).save(picture)
    expected = png(translate_image(pix2pix_run, picture, out=tmp_path / "out.png").read_bytes())
    with TestClient(create_app(pix2pix_run)) as client:
        assert client.get("/v1/model").json()["operation"] == "translate"
        assert "/v1/translate" in client.get("/").text
        by_form = client.post("/v1/translate", files={"image": ("in.png", picture.read_bytes(), "image/png")})
        by_body = client.post("/v1/translate", content=picture.read_bytes(), headers={"Content-Type": "image/png"})
        for answer in (by_form, by_body):
            assert answer.status_code == 200, answer.text
            np.testing.assert_array_equal(png(answer.content), expected)
        gray = io.BytesIO()
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(gray, format="PNG")
        for content, status, message in [(gray.getvalue(), 422, "grayscale"), (b"not an image", 422, "cannot read image 'the upload'"),
                                         (b"", 400, "no image")]:
            bad = client.post("/v1/translate", content=content, headers={"Content-Type": "image/png"})
            assert bad.status_code == status and message in bad.json()["detail"], bad.text
        assert client.post("/v1/translate?direction=sideways", content=picture.read_bytes()).status_code == 422
        assert client.get("/v1/generate").status_code == 422
    with TestClient(create_app(pix2pix_run, max_body=100)) as small:
        big = small.post("/v1/translate", files={"image": ("in.png", picture.read_bytes(), "image/png")})
        assert big.status_code == 413


@pytest.mark.slow  # about 15 s: trains an srgan run
def test_upscale_an_upload_as_genlab_upscale_does(tmp_path):
    from PIL import Image

    from genlab.cli.main import main
    from genlab.workflows.translate import upscale_image

    photos = np.random.default_rng(2).integers(0, 256, size=(6, 16, 16, 3), dtype=np.uint8)
    (tmp_path / "a").mkdir()
    for i, image in enumerate(photos):
        Image.fromarray(image).save(tmp_path / "a" / f"{i}.png")
    assert main(["train", "srgan", "--data", f"folder:{tmp_path / 'a'}", "--scale", "2", "--crop-size", "8",
                 "--content-network", "pixel", "--filters", "4", "--residual-blocks", "1", "--discriminator-filters", "2",
                 "--pretrain-epochs", "1", "--batch-size", "3", "--epochs", "1", "--quiet", "--out", str(tmp_path / "sr")]) == 0
    picture = tmp_path / "small.png"
    Image.fromarray(photos[0, :10, :12]).save(picture)
    expected = png(upscale_image(tmp_path / "sr", picture, out=tmp_path / "big.png").read_bytes())
    with TestClient(create_app(tmp_path / "sr")) as client:
        assert client.get("/v1/model").json()["operation"] == "upscale"
        answer = client.post("/v1/translate", files={"image": ("small.png", picture.read_bytes(), "image/png")})
        assert answer.status_code == 200, answer.text
        assert png(answer.content).shape == (20, 24, 3)
        np.testing.assert_array_equal(png(answer.content), expected)


@pytest.mark.slow  # about 13 s: trains a stylegan run
def test_stylegan_truncation(tmp_path):
    from genlab.cli.main import main

    images = np.random.default_rng(3).integers(0, 256, size=(64, 8, 8, 1), dtype=np.uint8)
    np.savez(tmp_path / "tiny.npz", x_train=images, y_train=np.arange(64) % 2, x_test=images[:8], y_test=np.arange(8) % 2)
    assert main(["train", "stylegan", "--data", f"npz:{tmp_path / 'tiny.npz'}", "--limit", "64", "--batch-size", "16",
                 "--latent-dim", "8", "--w-dim", "8", "--mapping-layers", "2", "--channel-base", "64",
                 "--channel-max", "8", "--epochs", "1", "--quiet", "--out", str(tmp_path / "sg")]) == 0
    with TestClient(create_app(tmp_path / "sg")) as client:
        model = client.get("/v1/model").json()
        assert model["truncation"] and not model["conditional"] and model["sliders"] == 8
        assert 'id="truncation"' not in client.get("/").text  # built by the page's script from /v1/model
        full = client.get("/v1/generate", params={"seed": 5, "truncation": 1.0})
        none = client.get("/v1/generate", params={"seed": 5, "truncation": 0.0})
        other = client.get("/v1/generate", params={"seed": 6, "truncation": 0.0})
        assert full.status_code == none.status_code == 200
        assert none.content == other.content  # truncation 0: every seed maps to the average style
        assert full.content != none.content
        _, _, stylegan = load_run_model(tmp_path / "sg")
        expected = to_uint8(stylegan.decode_latents(stylegan.sample_latents(1, 5), truncation=1.0), stylegan.config.value_range)
        np.testing.assert_array_equal(png(full.content), expected[0, ..., 0])
        assert client.get("/v1/generate", params={"label": 1}).status_code == 422


# the command line -------------------------------------------------------------------------

PROBE = """
import sys
from genlab.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("HEAVY=" + ",".join(sorted(n for n in ("tensorflow", "keras", "fastapi", "uvicorn") if n in sys.modules)))
"""


def test_serve_help_imports_neither_tensorflow_nor_fastapi():
    result = subprocess.run([sys.executable, "-c", PROBE, "serve", "--help"], capture_output=True, text=True,
                            timeout=120)
    assert "HEAVY=\n" in result.stdout and "--port" in result.stdout, (result.stdout[-500:], result.stderr[-500:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_genlab_serve_runs_uvicorn_until_stopped(detector_run, holdout):
    _, path = holdout
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "genlab.cli.main", "serve", str(detector_run), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.stdout.read() if server.poll() else ""
            time.sleep(0.2)
        answer = httpx.post(f"http://127.0.0.1:{port}/v1/score", content=path.read_bytes(),
                            headers={"Content-Type": "text/csv"}, timeout=30)
        assert answer.status_code == 200 and len(answer.json()["rows"]) == 45
    finally:
        server.terminate()
        code = server.wait(timeout=30)
    output = server.stdout.read()
    assert code in (0, 143), output[-2000:]  # uvicorn shuts down on SIGTERM; genlab then exits as for any SIGTERM
    assert "Traceback" not in output, output[-2000:]


def test_serve_refuses_a_run_it_cannot_serve(tmp_path, capsys):
    from genlab.cli.main import main

    assert main(["serve", str(tmp_path), "--port", str(free_port())]) == 2
    assert "not a run directory" in capsys.readouterr().err


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_generator_page_draws_in_headless_chromium(cvae_run, tmp_path):
    """The page's JavaScript builds its controls from /v1/model and shows a PNG from /v1/generate."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium); the page was checked without a browser")
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(cvae_run), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
            time.sleep(0.05)
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
                 "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000"]
        result = subprocess.run([CHROMIUM, *flags, "--dump-dom", f"http://127.0.0.1:{port}/"], capture_output=True,
                                text=True, timeout=120)
        artifacts = Path(os.environ.get("GENLAB_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "test-artifacts"))
        artifacts.mkdir(parents=True, exist_ok=True)
        screenshot = artifacts / "serve_page.png"
        subprocess.run([CHROMIUM, *flags, "--window-size=1000,900", f"--screenshot={screenshot}",
                        f"http://127.0.0.1:{port}/"], capture_output=True, timeout=120)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert len(re.findall(r'type="range"', dom)) == 2  # one slider per latent dim (2 here)
    assert dom.count("<option") == 10  # the class picker
    assert re.search(r'data-loaded="[1-9]', dom), dom[-3000:]  # the generated PNG was shown
    assert 'id="error"></p>' in dom  # no error shown
    console_errors = [line for line in result.stderr.splitlines() if "CONSOLE" in line and "ERROR" in line.upper()]
    assert not console_errors, console_errors
