"""Start the real ``storyline serve`` as a subprocess on a free 127.0.0.1 port, for the serve tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from conftest import clean_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a running process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """A running server: ``base`` URL, an HTTP ``client``, the process, and its start-up time (wall
    and CPU)."""

    def __init__(self, db: Path, env: dict[str, str] | None = None, args: tuple[str, ...] = (),
                 host: str = "127.0.0.1", timeout: float = 30.0) -> None:
        self.db = db
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "storyline", "serve", "--db", str(db), "--host", host,
                                      "--port", str(self.port), *args],
                                     env=clean_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.client = httpx.Client(base_url=self.base, timeout=30.0, follow_redirects=False)
        deadline = started + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"storyline serve exited: {self.proc.stderr.read()}")
            try:
                if self.client.get("/api/stats").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.perf_counter() > deadline:
                self.stop()
                raise RuntimeError("storyline serve did not answer in time")
            time.sleep(0.05)
        self.startup_seconds = time.perf_counter() - started
        self.startup_cpu_seconds = cpu_seconds(self.proc.pid)

    def get(self, path: str, **kw: object) -> httpx.Response:
        return self.client.get(path, **kw)

    def post(self, path: str, **kw: object) -> httpx.Response:
        return self.client.post(path, **kw)

    def wait_described(self, timeout: float = 30.0) -> dict:
        """Wait until the background pass has described every story; returns /api/stats."""
        deadline = time.perf_counter() + timeout
        while True:
            stats = self.get("/api/stats").json()
            if stats["background"]["swept"] and stats["background"]["pending_writes"] == 0:
                return stats
            if time.perf_counter() > deadline:
                raise AssertionError(f"descriptions not ready: {stats}")
            time.sleep(0.1)

    def wait_models(self, timeout: float = 60.0) -> None:
        """Wait until the server has loaded its language and embedding models (at start, in the background)."""
        deadline = time.perf_counter() + timeout
        while not self.get("/api/stats").json()["background"]["models_ready"]:
            if time.perf_counter() > deadline:
                raise AssertionError("models not loaded in time")
            time.sleep(0.1)

    def stop(self) -> str:
        """Stop the server; returns what it wrote on stderr."""
        self.client.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.stderr.read() if self.proc.stderr else ""


def demo_store(folder: Path) -> Path:
    """The built-in demo news loaded into ``folder/demo.db`` by the CLI."""
    db = folder / "demo.db"
    proc = subprocess.run([sys.executable, "-m", "storyline", "demo", "--db", str(db)], capture_output=True,
                          text=True, env=clean_env(), cwd=folder, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return db


def copy_store(db: Path, to: Path) -> Path:
    """A copy of a store file (its WAL checkpointed into it first)."""
    import sqlite3

    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    shutil.copy(db, to)
    return to
