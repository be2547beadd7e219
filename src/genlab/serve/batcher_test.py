import asyncio
import threading

import numpy as np
import pytest

from genlab.serve.batcher import MicroBatcher


def doubled(rows):
    return rows * 2, rows.sum(axis=1)


def run(coroutine):
    return asyncio.run(coroutine)


def test_concurrent_requests_share_a_call_and_get_their_own_rows():
    calls = []

    def function(rows):
        calls.append(len(rows))
        return doubled(rows)

    async def main():
        batcher = MicroBatcher(function)
        requests = [np.full((i + 1, 3), float(i)) for i in range(20)]
        answers = await asyncio.gather(*(batcher.submit(rows) for rows in requests))
        await batcher.stop()
        return requests, answers

    requests, answers = run(main())
    for rows, (twice, sums) in zip(requests, answers):
        np.testing.assert_array_equal(twice, rows * 2)
        np.testing.assert_array_equal(sums, rows.sum(axis=1))
    assert sum(calls) == sum(len(r) for r in requests) and len(calls) < len(requests)


def test_a_lone_request_waits_for_nobody():
    async def main():
        batcher = MicroBatcher(doubled, max_wait=5.0)  # would be seen if it waited
        loop = asyncio.get_running_loop()
        started = loop.time()
        await batcher.submit(np.ones((1, 2)))
        elapsed = loop.time() - started
        await batcher.stop()
        return elapsed

    assert run(main()) < 2.0


def test_the_worker_waits_for_a_request_being_parsed():
    calls = []

    def function(rows):
        calls.append(len(rows))
        return doubled(rows)

    async def main():
        batcher = MicroBatcher(function, max_wait=1.0)

        async def parsed_slowly():
            with batcher.arriving():
                await asyncio.sleep(0.05)  # parsing in a thread, say
            return await batcher.submit(np.ones((2, 2)))

        slow = asyncio.ensure_future(parsed_slowly())
        await asyncio.sleep(0)  # it has announced itself
        await asyncio.gather(batcher.submit(np.ones((1, 2))), slow)
        await batcher.stop()

    run(main())
    assert calls == [3]


def test_max_rows_caps_a_batch():
    calls = []

    def function(rows):
        calls.append(len(rows))
        return doubled(rows)

    async def main():
        batcher = MicroBatcher(function, max_rows=4)
        await asyncio.gather(*(batcher.submit(np.ones((2, 2))) for _ in range(6)))
        await batcher.stop()

    run(main())
    assert sum(calls) == 12 and max(calls) <= 4


def test_an_error_reaches_every_request_of_its_batch_and_the_worker_goes_on():
    failing = threading.Event()
    failing.set()

    def function(rows):
        if failing.is_set():
            raise RuntimeError("model broke")
        return doubled(rows)

    async def main():
        batcher = MicroBatcher(function)
        results = await asyncio.gather(*(batcher.submit(np.ones((1, 2))) for _ in range(3)), return_exceptions=True)
        failing.clear()
        after = await batcher.submit(np.ones((1, 2)))
        await batcher.stop()
        return results, after

    results, after = run(main())
    assert all(isinstance(r, RuntimeError) for r in results)
    np.testing.assert_array_equal(after[0], [[2.0, 2.0]])


@pytest.mark.parametrize("options", [{"max_wait": -1}, {"max_rows": 0}])
def test_bad_options(options):
    with pytest.raises(ValueError):
        MicroBatcher(doubled, **options)
