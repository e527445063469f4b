"""A real district server on 127.0.0.1 (uvicorn in a thread), a real PostgreSQL, and a fault-injecting proxy."""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from sync.server import people
from sync.server.app import create_app
from sync.server.db import make_engine, migrate


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DistrictServer:
    """uvicorn in a thread; ``stop()`` and ``start()`` again on the same port simulate a restart."""

    def __init__(self, url: str, files_dir: Path | None = None, *, behind_https: bool = False, judge_every_s: float = 0,
                 tls: tuple[Path, Path] | None = None, key_file: Path | None = None):
        """``files_dir``: photos in that folder; None (the default, as in production): in the database.
        ``judge_every_s``: the app's lifespan runs, with its judge of the running month (off in most tests).
        ``tls``: (certificate, key) files: the server answers HTTPS itself, as a district's does.
        ``key_file``: the district's key for linking one person across ledgers (#30), made there if missing, as
        ``station district`` commands read it (``district_key_file``); None: a random key of this server's own."""
        self.tls = tls
        self.engine = make_engine(url)
        migrate(self.engine)
        if key_file is not None:
            people.attach(self.engine, key_file)
        else:
            people.use_key(self.engine, secrets.token_bytes(32))
        self.person_key = people.key_of(self.engine)
        self.files_dir = files_dir
        self.port = free_port()
        self.lifespan = "on" if judge_every_s else "off"
        self.app = create_app(self.engine, files_dir, behind_https=behind_https, judge_every_s=judge_every_s)
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> None:
        tls = {"ssl_certfile": str(self.tls[0]), "ssl_keyfile": str(self.tls[1])} if self.tls else {}
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error", lifespan=self.lifespan, **tls)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("district server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
            self.thread.join(10)
            self.server = None

    def close(self) -> None:
        self.stop()
        self.engine.dispose()
        forget_apps()


def district_key_file() -> Path:
    """Where a `station district --db …` command run by this user (a test's own home) finds the district's key."""
    from types import SimpleNamespace

    from sync.cli import person_key_file

    return person_key_file(SimpleNamespace(dir=None))


def forget_apps() -> None:
    """Let a closed test server's app go. FastAPI remembers each endpoint in module-level caches
    (``fastapi.dependencies.models``, 4096 entries each) that keep the app, its routes and its engine alive:
    one app per process in production, but one per test here, which grew the test process by ~20,000
    objects a server and made every later collection slower (the suite's teardowns reached 2.5 s each)."""
    import functools

    import fastapi.dependencies.models as models

    for value in vars(models).values():
        if isinstance(value, functools._lru_cache_wrapper):
            value.cache_clear()


class Postgres:
    """Debian's PostgreSQL binaries started in a temp dir (as the postgres user: it refuses root)."""

    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            raise RuntimeError("PostgreSQL is not installed: .ci/run installs the postgresql package")
        self.bin = Path(bins[-1]).parent
        # Not under pytest's tmp dirs: those are private to root and the server runs as postgres.
        self.root = Path(tempfile.mkdtemp(prefix="station-pg-"))
        root = self.root
        self.dir = root / "pgdata"
        self.port = free_port()
        self.dir.mkdir(parents=True)
        as_postgres = os.geteuid() == 0
        self.prefix = ["runuser", "-u", "postgres", "--"] if as_postgres else []
        if as_postgres:
            shutil.chown(root, "postgres")
            shutil.chown(self.dir, "postgres")
        subprocess.run(self.prefix + [str(self.bin / "initdb"), "-D", str(self.dir), "-A", "trust", "-U", "postgres", "-E", "UTF8"],
                       check=True, capture_output=True)
        subprocess.run(self.prefix + [str(self.bin / "pg_ctl"), "start", "-D", str(self.dir), "-w", "-l", str(self.dir / "log"),
                                      "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"],
                       check=True, capture_output=True)
        self.counter = 0

    def new_database(self) -> str:
        import psycopg

        self.counter += 1
        name = f"district_{self.counter}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run(self.prefix + [str(self.bin / "pg_ctl"), "-D", str(self.dir), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


class FaultProxy:
    """A loopback HTTP proxy that misbehaves on cue, one request at a time.

    ``plan`` is a list of faults for the next requests: "drop_before" (the request never reaches
    the server), "drop_after" (the server answers, the reply is lost), "500", "429", "slow"
    (answers after the client's timeout); anything else passes. Connections are one request each.
    """

    def __init__(self, target_port: int, slow_seconds: float = 3.0):
        self.target_port, self.slow_seconds = target_port, slow_seconds
        self.plan: list[str] = []
        self.seen: list[str] = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while self.running:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    @staticmethod
    def _read_request(conn: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
        return b"\r\n".join(lines + [b"Connection: close"]) + b"\r\n\r\n" + body

    def _forward(self, request: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.target_port), timeout=30) as upstream:
            upstream.sendall(request)
            chunks = []
            while chunk := upstream.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)

    def _handle(self, client: socket.socket) -> None:
        with client:
            try:
                request = self._read_request(client)
            except OSError:
                return
            if not request:
                return
            fault = self.plan.pop(0) if self.plan else "pass"
            self.seen.append(request.split(b" ", 2)[1].decode(errors="replace") + " " + fault)
            try:
                if fault == "drop_before":
                    return
                if fault in ("500", "429"):
                    reason = b"500 Internal Server Error" if fault == "500" else b"429 Too Many Requests\r\nRetry-After: 0"
                    client.sendall(b"HTTP/1.1 " + reason + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    return
                response = self._forward(request)
                if fault == "drop_after":
                    return  # the server committed; the reply is lost
                if fault == "slow":
                    time.sleep(self.slow_seconds)
                client.sendall(response)
            except OSError:
                return

    def close(self) -> None:
        self.running = False
        self.sock.close()


@contextmanager
def running(server: DistrictServer):
    server.start()
    try:
        yield server
    finally:
        server.close()


def staff_login(base: str, username: str = "wmb", password: str = "district1"):
    """A requests session logged into the district pages as a person would: the login form first (its
    CSRF token and cookie), then the post."""
    import re

    import requests

    web = requests.Session()
    form = web.get(base + "/login", timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    answer = web.post(base + "/login", data={"username": username, "password": password, "csrf": csrf}, timeout=10)
    assert answer.url.endswith("/district/today"), answer.url  # the first page: what needs attention (#30)
    return web
