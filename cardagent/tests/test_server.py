"""The agent over a real WebSocket: loopback only, and only for the portal's own pages."""
import asyncio
import concurrent.futures
import json
import subprocess
import sys

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from cardagent.__main__ import parse_args
from cardagent.server import AgentServer

PORTAL = "http://127.0.0.1:8000"


def run(coroutine):
    """asyncio.run in a thread of its own: Playwright's tests leave an event loop running in this one."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def with_agent(card_file, scenario, **options):
    """Start an agent on a free loopback port, run `scenario(server)`, stop it."""
    async def main():
        server = await AgentServer(card_file, port=0, origins=[PORTAL], **options).start()
        try:
            return await scenario(server)
        finally:
            await server.close()
    return run(main())


async def first_frames(port, origin, request):
    async with connect(f"ws://127.0.0.1:{port}", origin=origin) as ws:
        opened = json.loads(await ws.recv())
        await ws.send(json.dumps(request))
        return opened, json.loads(await ws.recv())


def test_it_listens_on_127_0_0_1_and_nowhere_else(card_file):
    addresses = with_agent(card_file, lambda server: asyncio.sleep(0, server.addresses()))
    assert {host for host, _ in addresses} == {"127.0.0.1"}


def test_there_is_no_option_to_listen_on_another_address(card_file):
    with pytest.raises(SystemExit):
        parse_args(["--card", str(card_file), "--host", "0.0.0.0"])


def test_the_portal_page_gets_the_open_frame_and_answers(card_file):
    request = {"_method": "cus-sec_SpcGetCardID", "_id": 1, "args": {}}
    opened, answer = with_agent(card_file, lambda s: first_frames(s.port, PORTAL, request))
    assert opened["_method"] == "open" and opened["_args"]["Result"] is True
    assert answer["_args"]["Data"] == ["EP10000000001"]


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1:8001", "null", "https://127.0.0.1:8000"])
def test_a_page_from_any_other_origin_is_refused_before_the_handshake(card_file, origin, caplog):
    request = {"_method": "cus-sec_SpcGetCardID", "_id": 1, "args": {}}
    with pytest.raises(InvalidStatus) as refused:
        with_agent(card_file, lambda s: first_frames(s.port, origin, request))
    assert refused.value.response.status_code == 403
    assert f"refused origin {origin}" in caplog.text


def test_a_connection_without_an_origin_is_refused_unless_allowed(card_file):
    request = {"_method": "cus-sec_SpcGetUName", "_id": 2, "args": {}}
    with pytest.raises(InvalidStatus):
        with_agent(card_file, lambda s: first_frames(s.port, None, request))
    _, answer = with_agent(card_file, lambda s: first_frames(s.port, None, request), allow_no_origin=True)
    assert answer["_args"]["Data"] == ["李锐"]


def test_the_cardagent_command_starts_and_says_where_it_listens(card_file):
    agent = subprocess.Popen(
        [sys.executable, "-m", "cardagent", "--card", str(card_file), "--port", "0", "--allow-origin", PORTAL],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        first = agent.stdout.readline().strip()
        assert first.startswith("cardagent listening on ws://127.0.0.1:")
        port = int(first.rsplit(":", 1)[1])
        request = {"_method": "cus-sec_SpcGetEntID", "_id": 3, "args": {}}
        _, answer = run(first_frames(port, PORTAL, request))
        assert answer["_args"]["Data"] == ["91441502MA4W000001"]
    finally:
        agent.terminate()
        agent.wait(timeout=10)


def test_the_portal_origins_are_the_default_and_a_flag_or_the_environment_changes_them(card_file, monkeypatch):
    assert parse_args(["--card", str(card_file)]).origins == ["http://127.0.0.1:8000", "http://localhost:8000"]
    flagged = parse_args(["--card", str(card_file), "--allow-origin", "https://sw.example.gov.cn"])
    assert flagged.origins == ["https://sw.example.gov.cn"]
    monkeypatch.setenv("CARDAGENT_ORIGINS", "http://127.0.0.1:8001, http://localhost:8001")
    assert parse_args(["--card", str(card_file)]).origins == ["http://127.0.0.1:8001", "http://localhost:8001"]


async def raw_handshake(port, origins):
    """A handshake written by hand, so it can carry what no browser sends (several Origin headers)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = ["GET / HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket", "Connection: Upgrade",
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
             *(f"Origin: {origin}" for origin in origins)]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    status = (await reader.readline()).decode()
    writer.close()
    return int(status.split()[1])


@pytest.mark.parametrize("origins", [
    [PORTAL, PORTAL], [PORTAL, "http://evil.example"], ["http://evil.example", PORTAL], [PORTAL, ""],
    [PORTAL, PORTAL, PORTAL],
])
def test_a_handshake_with_several_origins_is_refused_like_a_foreign_origin(card_file, origins, caplog):
    status = with_agent(card_file, lambda s: raw_handshake(s.port, origins), allow_no_origin=True)
    assert status == 403
    assert "refused origin" in caplog.text


def test_a_hand_written_handshake_with_the_portal_origin_is_accepted(card_file):
    """The raw handshake above is a fair one: with a single portal Origin it switches protocols."""
    assert with_agent(card_file, lambda s: raw_handshake(s.port, [PORTAL])) == 101
