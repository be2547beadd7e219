"""A micro-batcher: concurrent requests gathered for a few milliseconds, scored in one call.

Each request hands its rows (an array) to :meth:`MicroBatcher.submit` and awaits its own part
of the result. One worker task takes the first waiting request and every other one already
queued; while requests are still being parsed (announced with :meth:`MicroBatcher.arriving`)
it waits for them, up to ``max_wait`` seconds (and ``max_rows`` rows). It then concatenates the
rows, runs ``function`` once in a worker thread (the event loop keeps accepting requests
meanwhile, and they form the next batch) and hands each request its slice. A lone request
waits for nobody; under load one forward pass serves many requests, so throughput grows with
the load.

``function(array) -> tuple of arrays`` must be row-wise: row i of every output depends on
row i of the input only. An exception it raises is raised in every request of that batch.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import time
from typing import Callable

import numpy as np


class MicroBatcher:
    def __init__(self, function: Callable[[np.ndarray], tuple[np.ndarray, ...]], max_wait: float = 0.005,
                 max_rows: int = 16384):
        if max_wait < 0:
            raise ValueError(f"max_wait must be >= 0, got {max_wait}")
        if max_rows < 1:
            raise ValueError(f"max_rows must be >= 1, got {max_rows}")
        self.function = function
        self.max_wait = max_wait
        self.max_rows = max_rows
        self.batches = 0  # calls of function, for tests and /v1/health
        self.requests = 0
        self.waiting = 0  # requests announced by arriving() and not yet submitted
        self._queue: asyncio.Queue | None = None
        self._worker: asyncio.Task | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None

    async def start(self) -> None:
        """Start the worker on the running event loop (the app's startup)."""
        if self._worker is None:
            self._queue = asyncio.Queue()
            self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="genlab-serve-batch")
            self._worker = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
            self._worker = None
            self._executor.shutdown(wait=False)

    @contextlib.contextmanager
    def arriving(self):
        """Around the parsing of a request that will be submitted: the worker waits (up to
        ``max_wait``) for it rather than start a batch without it."""
        self.waiting += 1
        try:
            yield
        finally:
            self.waiting -= 1

    async def submit(self, rows: np.ndarray) -> tuple[np.ndarray, ...]:
        """``function(rows)``, computed together with whatever other requests are waiting."""
        await self.start()
        future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((rows, future))
        return await future

    async def _gather(self) -> list[tuple[np.ndarray, asyncio.Future]]:
        batch = [await self._queue.get()]
        rows = len(batch[0][0])
        deadline = time.monotonic() + self.max_wait
        while rows < self.max_rows:
            remaining = deadline - time.monotonic()
            try:
                if self._queue.empty() and self.waiting and remaining > 0:
                    item = await asyncio.wait_for(self._queue.get(), remaining)  # one being parsed
                else:
                    item = self._queue.get_nowait()
            except (asyncio.QueueEmpty, asyncio.TimeoutError):
                break
            batch.append(item)
            rows += len(item[0])
        return batch

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._gather()
            batch = [(rows, future) for rows, future in batch if not future.cancelled()]  # a client that went away
            if not batch:
                continue
            sizes = [len(rows) for rows, _ in batch]
            try:
                outputs = await loop.run_in_executor(self._executor, self.function,
                                                     np.concatenate([rows for rows, _ in batch]))
            except Exception as error:  # noqa: BLE001 - handed to every request of the batch
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            self.batches += 1
            self.requests += len(batch)
            starts = np.cumsum([0, *sizes])
            for (_, future), start, stop in zip(batch, starts[:-1], starts[1:]):
                if not future.done():
                    future.set_result(tuple(output[start:stop] for output in outputs))
