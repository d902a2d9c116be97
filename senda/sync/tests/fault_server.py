"""A real Senda server process on loopback for the fault tests: the production server (gunicorn)
on the test database, killed and restarted at will; a device that speaks HTTP to it; and a proxy
that forwards an upload and drops the answer after the server has sent it.

The server process must see what the test wrote and the test must see what the server wrote, so
the tests using this are transactional (``transactional_db``). On PostgreSQL the server uses the
test database itself. SQLite's test database is in memory, which another process cannot open:
``ServerDatabase.publish`` copies it to a file the server opens (SQLite's online backup), and
``collect`` copies the file back before the test looks at the result.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_SECONDS = 90.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(condition: Any, *, timeout: float, interval: float = 0.02, what: str) -> None:
    """Poll ``condition()`` until it is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


class ServerDatabase:
    """The database the server process opens, and how the test reads it while the server runs."""

    def __init__(self, directory: Path) -> None:
        settings = connection.settings_dict
        self.copy: Path | None = None
        if connection.vendor == "sqlite":
            if connection.is_in_memory_db():  # type: ignore[attr-defined]
                self.copy = directory / "server.sqlite3"
                self.path = str(self.copy)
            else:
                self.path = str(settings["NAME"])
            self.url = f"sqlite:///{self.path}"
        else:
            credentials = quote(settings["USER"] or "", safe="")
            if settings["PASSWORD"]:
                credentials += ":" + quote(settings["PASSWORD"], safe="")
            host = settings["HOST"] or "127.0.0.1"
            port = settings["PORT"] or "5432"
            self.url = f"postgres://{credentials}@{host}:{port}/{settings['NAME']}"

    def publish(self) -> None:
        """What the test wrote, where the server will read it (before the server starts)."""
        if self.copy is None:
            return
        connection.ensure_connection()
        target = sqlite3.connect(self.copy)
        try:
            connection.connection.backup(target)
        finally:
            target.close()

    def collect(self) -> None:
        """What the server wrote, where the test reads it (after the server stopped)."""
        if self.copy is None:
            return
        connection.ensure_connection()
        source = sqlite3.connect(self.copy)
        try:
            source.backup(connection.connection)
        finally:
            source.close()

    def count(self, table: str) -> int:
        """Rows in ``table`` now, read beside the running server (committed rows only)."""
        sql = f'SELECT COUNT(*) FROM "{table}"'  # noqa: S608 (a table name from the test)
        if self.copy is None:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return int(cursor.fetchone()[0])
        reader = sqlite3.connect(self.copy, timeout=10)
        try:
            return int(reader.execute(sql).fetchone()[0])
        finally:
            reader.close()

    def writing(self) -> bool:
        """Whether a transaction of the server holds uncommitted writes right now (PostgreSQL:
        a transaction id assigned; SQLite: the write lock taken)."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                )
                return int(cursor.fetchone()[0]) > 0
        probe = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()


class SendaServer:
    """gunicorn serving ``config.wsgi`` on 127.0.0.1 (one worker with threads, as deployed)."""

    def __init__(self, database: ServerDatabase, log: Path, port: int | None = None) -> None:
        self.database = database
        self.port = port or free_port()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": self.database.url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SENDA_TESTING": "1",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        command = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "4",
            "--timeout", "120", "--graceful-timeout", "5",
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: killing it takes the master and its worker, no one else.
                start_new_session=True,
            )
        wait_for(self._answers, timeout=START_TIMEOUT_SECONDS, interval=0.2, what="the server")

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the server exited:\n{self.log.read_text(errors='replace')}")
        try:
            answer = request("GET", self.port, "/api/sync/status", token="not-a-token", timeout=5)
        except OSError:
            return False
        return answer[0] == 401

    def kill(self) -> None:
        """SIGKILL, as a crash or an out-of-memory kill: no cleanup, no answer."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def _signal(self, which: signal.Signals) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, which)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)
        # The worker is in the same group; wait until nothing listens on the port any more.
        wait_for(lambda: not _listening(self.port), timeout=20, what="the port to be free")
        self.process = None


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def request(
    method: str,
    port: int,
    path: str,
    *,
    token: str,
    body: Any = None,
    timeout: float = 60,
) -> tuple[int, Any]:
    """One HTTP request as the field app makes it; (status, decoded JSON body)."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept-Language": "en",
            "Content-Type": "application/json",
        }
        client.request(method, path, body=payload, headers=headers)
        answer = client.getresponse()
        content = answer.read()
        return answer.status, json.loads(content) if content else None
    finally:
        client.close()


def push_body(records: Sequence[dict[str, Any]], device_time: str) -> dict[str, Any]:
    return {"device_time": device_time, "records": list(records)}


class AnswerDroppingProxy:
    """A TCP proxy on loopback: forwards each request to the server whole, waits until the
    server starts answering (it answers after its commits) and then closes the device's side
    without passing a byte of the answer on, as a network that fails at the worst moment."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port: int = self.listener.getsockname()[1]
        self.dropped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                device_side, _address = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._relay, args=(device_side,), daemon=True).start()

    def _relay(self, device_side: socket.socket) -> None:
        with device_side, socket.create_connection(("127.0.0.1", self.upstream_port)) as server:
            device_side.settimeout(60)
            server.settimeout(120)
            request_bytes = _read_request(device_side)
            server.sendall(request_bytes)
            first = server.recv(1)  # blocks until the server answers: it has committed
            if first:
                self.dropped.set()
            # Reset rather than close politely: the device sees the connection broken.
            device_side.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def close(self) -> None:
        self.listener.close()


def _read_request(device_side: socket.socket) -> bytes:
    """A whole HTTP/1.1 request (headers, then Content-Length bytes of body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = device_side.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _separator, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _colon, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = device_side.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def new_key() -> str:
    return str(uuid.uuid4())
