"""Hosts for a cluster on one machine: network namespaces joined to the machine by a veth pair each (as root,
with iproute2), else the loopback. PostgreSQL and Redis listen on the machine's loopback only, so a namespace
reaches them through a Relay on the machine's end of its veth."""
import asyncio
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit


@dataclass
class Host:
    name: str
    address: str  # where the machine (nginx, the test) reaches the host
    gateway: str  # where the host reaches the machine (PostgreSQL and Redis, through a Relay)
    netns: str = ""  # empty: the machine's loopback

    def command(self, argv):
        return ["ip", "netns", "exec", self.netns, *argv] if self.netns else list(argv)

    def url_on_machine(self, url):
        """A URL of a server on the machine's loopback (PostgreSQL, Redis) as this host reaches it."""
        parts = urlsplit(url)
        userinfo, _, _ = parts.netloc.rpartition("@")
        port = f":{parts.port}" if parts.port else ""
        netloc = f"{userinfo}@{self.gateway}{port}" if userinfo else f"{self.gateway}{port}"
        return urlunsplit(parts._replace(netloc=netloc))


def _ip(*args, netns=""):
    prefix = ["ip", "netns", "exec", netns, "ip"] if netns else ["ip"]
    subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=20)


def namespaces_possible():
    return os.geteuid() == 0 and shutil.which("ip") is not None


def make_hosts(count, *, use_namespaces=True):
    """`count` hosts: namespaces when the machine allows (else the loopback, and why in `fallback_reason`)."""
    if not use_namespaces:
        reason = "on the loopback, as asked"
    elif namespaces_possible():
        try:
            return _namespace_hosts(count), ""
        except (subprocess.SubprocessError, OSError) as exc:
            reason = f"network namespaces refused ({exc}); on the loopback"
    else:
        reason = "not root or no iproute2: on the loopback"
    return [Host(f"host{i + 1}", "127.0.0.1", "127.0.0.1") for i in range(count)], reason


def _free_subnet():
    """10.X.*.0/30 with X unused on this machine (another run may hold its own namespaces at the same time)."""
    used = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True, check=True).stdout
    for second in [100 + (os.getpid() + n) % 150 for n in range(150)]:
        if f" 10.{second}." not in used:
            return second
    raise OSError("no free 10.X.0.0/16 for the namespaces")


def _namespace_hosts(count):
    second, tag, hosts = _free_subnet(), os.getpid() % 100000, []
    try:
        for i in range(count):
            netns, outside, inside = f"sw{tag}-h{i + 1}", f"swv{tag}o{i}", f"swv{tag}i{i}"
            gateway, address = f"10.{second}.{i}.1", f"10.{second}.{i}.2"
            _ip("netns", "add", netns)
            hosts.append(Host(f"host{i + 1}", address, gateway, netns))
            _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            _ip("link", "set", inside, "netns", netns)
            _ip("addr", "add", f"{gateway}/30", "dev", outside)
            _ip("link", "set", outside, "up")
            _ip("addr", "add", f"{address}/30", "dev", inside, netns=netns)
            _ip("link", "set", inside, "up", netns=netns)
            _ip("link", "set", "lo", "up", netns=netns)
    except BaseException:
        remove_hosts(hosts)
        raise
    return hosts


def remove_hosts(hosts):
    for host in hosts:
        if host.netns:  # deleting the namespace deletes its end of the veth, and the pair with it
            subprocess.run(["ip", "netns", "del", host.netns], check=False, capture_output=True, timeout=20)


class Relays:
    """TCP forwarders (one event loop in a thread): listen on a host's gateway, connect to the machine's loopback."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="relays", daemon=True)
        self.thread.start()
        self.servers = []

    def add(self, listen_host, port, target_host="127.0.0.1"):
        async def start():
            return await asyncio.start_server(
                lambda r, w: self._forward(r, w, target_host, port), listen_host, port)
        self.servers.append(asyncio.run_coroutine_threadsafe(start(), self.loop).result(10))

    @staticmethod
    async def _forward(reader, writer, target_host, port):
        try:
            up_reader, up_writer = await asyncio.open_connection(target_host, port)
        except OSError:
            writer.close()
            return

        async def pipe(source, sink):
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except OSError:
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def close(self):
        async def stop():
            for server in self.servers:
                server.close()
            for task in asyncio.all_tasks(self.loop):
                if task is not asyncio.current_task():
                    task.cancel()
        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
