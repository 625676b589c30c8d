"""A 电子保单 is signed even when the calling thread runs an event loop (CI: a browser test's Playwright loop)."""
import asyncio

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
        return signing._outside_any_event_loop(refuses_inside_a_loop, 1)

    assert asyncio.run(inside()) == "signed" and calls == [(1,)]
    assert signing._outside_any_event_loop(refuses_inside_a_loop, 2) == "signed"
