"""Load on ``genlab serve``: rows/s and latency of ``POST /v1/score`` with 1, 8 and 32 concurrent clients.

A real server (``genlab serve RUN --port P``, uvicorn, one process) runs in a child process on
loopback; the clients are asyncio tasks (httpx) spread over ``--processes`` client processes
(one Python process cannot drive 32 connections and parse their answers fast enough), each
sending JSON requests of ``--rows-per-request`` rows one after another for ``--seconds`` seconds. For each concurrency
it prints rows/s, requests/s, p50/p99 latency, the error count (any status but 200, or a
transport error) and how many requests each forward pass served on average (the micro-batcher,
from ``/v1/health``). The clients share the machine's cores with the server, so on a small
machine the figures are a floor.

Without ``--run`` a tiny detector is trained first on a synthetic table (7 columns).

    python benchmarks/serve_load.py --seconds 10
    python benchmarks/serve_load.py --run runs/fraud --data csv:holdout.csv --rows-per-request 10

Results go to benchmarks/results/serve_load/results.json (not in git).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "serve_load"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tiny_run(folder: Path) -> tuple[Path, Path]:
    """A small detector trained on a synthetic table, and a table of rows to score."""
    from genlab.data.tabular import synthetic_table
    from genlab.workflows.detection import train_detector

    run, rows = folder / "run", folder / "rows.csv"
    if not run.exists():
        synthetic_table(2000, 100, seed=0).to_csv(folder / "train.csv", index=False)
        train_detector(f"csv:{folder / 'train.csv'}", run, model={"hidden_units": [32], "latent_dim": 4, "label": "label"},
                       train={"epochs": 3, "batch_size": 64}, verbose=0)
    if not rows.exists():
        synthetic_table(1000, 50, seed=1).to_csv(rows, index=False)
    return run, rows


def start_server(run: Path, port: int) -> subprocess.Popen:
    import httpx

    log = RESULTS / "server.log"  # a file, not a pipe nobody reads (a full pipe would stall the server)
    with open(log, "w") as handle:
        server = subprocess.Popen([sys.executable, "-m", "genlab.cli.main", "serve", str(run), "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=handle)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"genlab serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("genlab serve did not answer within 120 s")


async def clients_of_one_process(url: str, bodies: list[bytes], clients: int, first: int, stride: int,
                                 begin: float, stop: float) -> tuple[list[float], int, int, float]:
    """``clients`` clients sending from wall-clock time ``begin`` until ``stop``: (latencies,
    errors, rows scored, when the last answer came)."""
    import httpx

    latencies, errors, rows = [], 0, 0
    await asyncio.sleep(max(0.0, begin - time.time()))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as http:

        async def client(index: int) -> None:
            nonlocal errors, rows
            i = index
            while time.time() < stop:
                body = bodies[i % len(bodies)]
                i += stride
                started = time.perf_counter()
                try:
                    answer = await http.post("/v1/score", content=body, headers={"Content-Type": "application/json"})
                    ok = answer.status_code == 200
                except httpx.TransportError:
                    ok = False
                latencies.append(time.perf_counter() - started)
                if ok:
                    rows += len(answer.json()["rows"])
                else:
                    errors += 1

        await asyncio.gather(*(client(first + i) for i in range(clients)))
    return latencies, errors, rows, time.time()


def one_process(arguments) -> tuple[list[float], int, int, float]:
    return asyncio.run(clients_of_one_process(*arguments))


def load(url: str, bodies: list[bytes], clients: int, seconds: float, processes: int) -> dict:
    import concurrent.futures

    import httpx

    processes = max(1, min(processes, clients))
    before = httpx.get(url + "/v1/health").json()
    share = [clients // processes + (p < clients % processes) for p in range(processes)]
    firsts = np.cumsum([0, *share])[:-1]
    begin = time.time() + 3.0  # time for the client processes to start
    stop = begin + seconds
    context = multiprocessing.get_context("spawn")  # this process may hold TensorFlow's threads: no fork
    with concurrent.futures.ProcessPoolExecutor(processes, mp_context=context) as pool:
        parts = list(pool.map(one_process, [(url, bodies, n, int(f), clients, begin, stop)
                                            for n, f in zip(share, firsts)]))
    elapsed = max(part[3] for part in parts) - begin
    after = httpx.get(url + "/v1/health").json()
    latencies = [value for part in parts for value in part[0]]
    errors, rows = sum(part[1] for part in parts), sum(part[2] for part in parts)
    requests = after["requests"] - before["requests"]
    batches = max(1, after["batches"] - before["batches"])
    ms = np.array(latencies) * 1000
    return {"clients": clients, "requests": len(latencies), "errors": errors, "rows_per_s": rows / elapsed,
            "requests_per_s": len(latencies) / elapsed, "p50_ms": float(np.percentile(ms, 50)),
            "p99_ms": float(np.percentile(ms, 99)), "requests_per_batch": requests / batches}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", default=None, help="detector run to serve (default: train a tiny one)")
    parser.add_argument("--data", default=None, help="csv:PATH of rows to send (default: a synthetic table)")
    parser.add_argument("--clients", default="1,8,32", help="concurrencies to measure (default: 1,8,32)")
    parser.add_argument("--rows-per-request", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each measurement")
    parser.add_argument("--processes", type=int, default=4, help="client processes (default: 4, at most one per client)")
    args = parser.parse_args()

    import pandas as pd

    RESULTS.mkdir(parents=True, exist_ok=True)
    run, rows_path = (Path(args.run), Path(args.data.removeprefix("csv:"))) if args.run else tiny_run(RESULTS)
    frame = pd.read_csv(rows_path)
    frame = frame[json.loads((run / "preprocessing.json").read_text())["features"]]  # the label etc. left out
    k = args.rows_per_request
    bodies = [json.dumps({"rows": frame.iloc[i : i + k].to_dict(orient="records")}).encode()
              for i in range(0, len(frame) - k + 1, k)]
    port = free_port()
    server = start_server(run, port)
    results = []
    try:
        load(f"http://127.0.0.1:{port}", bodies, 1, 1.0, 1)  # warm-up (the first forward pass traces)
        for clients in [int(c) for c in args.clients.split(",")]:
            result = load(f"http://127.0.0.1:{port}", bodies, clients, args.seconds, args.processes)
            results.append(result)
            print(f"{clients:3d} clients: {result['rows_per_s']:9.0f} rows/s {result['requests_per_s']:8.0f} req/s  "
                  f"p50 {result['p50_ms']:7.1f} ms  p99 {result['p99_ms']:7.1f} ms  errors {result['errors']}  "
                  f"{result['requests_per_batch']:.1f} requests per forward pass", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    load_average = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    (RESULTS / "results.json").write_text(json.dumps({"rows_per_request": k, "seconds": args.seconds,
                                                      "client_processes": args.processes, "cpus": os.cpu_count(),
                                                      "load_average": load_average, "results": results}, indent=2))
    print(f"load average {load_average}; -> {RESULTS / 'results.json'}")


if __name__ == "__main__":
    main()
