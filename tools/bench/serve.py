"""Run Civic (or the floor app) under gunicorn on 127.0.0.1, and look at its workers."""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(database_url: str, secret_key: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a production-like Civic: generated secret, http cookies, no limits."""
    env = dict(os.environ)
    env.update(
        CIVIC_ENV="production",
        SECRET_KEY=secret_key or secrets.token_urlsafe(48),
        DATABASE_URL=database_url,
        CIVIC_SECURE_COOKIES="false",
        CIVIC_RATELIMIT_ENABLED="false",
        CIVIC_MAIL_BACKEND="console",
        PYTHONUNBUFFERED="1",
    )
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid)

    def rss_mb(self) -> dict[int, float]:
        return {pid: rss_mb(pid) for pid in self.worker_pids()}

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start(name: str, app_spec: str, env: dict[str, str], workers: int = 2, log_dir: Path | None = None,
          ready_path: str = "/healthz", timeout: float = 60, extra_args: list[str] | None = None) -> Server:
    """``gunicorn app_spec`` with ``workers`` sync workers on a free 127.0.0.1 port."""
    port = free_port()
    log_dir = log_dir or Path(tempfile.gettempdir())
    log_path = log_dir / f"gunicorn-{name}-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - kept open for the process's life
    cmd = [
        GUNICORN, "--workers", str(workers), "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
        "--timeout", "30", "--graceful-timeout", "5", "--log-level", "warning", *(extra_args or []), app_spec,
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    server = Server(name, port, proc, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn {name} exited: see {log_path}\n" + log_path.read_text()[-3000:])
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", ready_path)
            status = conn.getresponse().status
            conn.close()
            if status == 200 and len(server.worker_pids()) >= workers:
                return server
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"gunicorn {name} did not answer on {ready_path} within {timeout} s: see {log_path}")


def children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                out.append(int(entry.name))
    return sorted(out)


def rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0
