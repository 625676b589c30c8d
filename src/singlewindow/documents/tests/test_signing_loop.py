"""A 电子保单 is signed even when the calling thread runs an event loop (CI: a browser test's Playwright loop)."""
import asyncio
from concurrent.futures import ThreadPoolExecutor

from singlewindow.documents import signing


def test_signing_works_inside_a_running_event_loop(monkeypatch):
    calls = []

    def refuses_inside_a_loop(*args, **kwargs):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            calls.append(args)
            return "signed"
        raise RuntimeError("asyncio.run() cannot be called from a running event loop")

    async def inside():
        return signing.outside_any_event_loop(refuses_inside_a_loop, 1)

    def in_a_fresh_thread():  # this thread may already run a browser test's loop, where asyncio.run refuses
        assert asyncio.run(inside()) == "signed" and calls == [(1,)]
        assert signing.outside_any_event_loop(refuses_inside_a_loop, 2) == "signed"

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(in_a_fresh_thread).result()
