"""The development stack stops what it started when it is killed the way CI jobs and
`timeout` kill things (SIGTERM), not only on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]

# Starts the embedded servers the way `make test` and the benchmarks do, says their pids,
# and waits to be killed.
SCRIPT = textwrap.dedent(
    """
    import json, time
    from pathlib import Path

    import psutil, psycopg

    from devstack.__main__ import backing_services

    with backing_services(throwaway=True, database="sigterm_probe") as env:
        with psycopg.connect(env["DATABASE_URL"]) as conn:
            data_dir = conn.execute("SHOW data_directory").fetchone()[0]
        postgres = int(Path(data_dir, "postmaster.pid").read_text().split()[0])
        redis = [p.pid for p in psutil.Process().children() if "redis" in p.name()]
        print(json.dumps({"postgres": postgres, "redis": redis[0], "data": data_dir}), flush=True)
        time.sleep(600)
    """
)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _pids_line(process: subprocess.Popen, timeout: float) -> str:
    """The script's JSON line, after the stack's own start-up messages."""
    found: list[str] = []

    def read():
        for line in process.stdout:
            if line.startswith("{"):
                found.append(line)
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    return found[0] if found else ""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stack_stopped_by_a_signal_leaves_no_postgres_or_redis_running(signum):
    # given: a script holding an embedded PostgreSQL and Redis
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "platform"), str(ROOT)])
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = _pids_line(process, timeout=180)
        assert line, "the script did not start its servers"
        pids = json.loads(line)
        assert _alive(pids["postgres"]) and _alive(pids["redis"])
        # when
        process.send_signal(signum)
        code = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # then: both servers are gone, and so is the throw-away data
    assert code == 128 + signum
    assert not _alive(pids["postgres"])
    assert not _alive(pids["redis"])
    assert not Path(pids["data"]).exists()


def test_the_demo_logins_print_as_a_table_aligned_for_chinese_names():
    # given
    from tenants.management.commands.seed_demo import _width, logins_table

    rows = [
        ("Platform console", "http://localhost:8000/console/", "operator@example.com", "operator"),
        ("悦颜医学美容诊所", "http://glow.localhost:8000/", "owner@glow.example.com", "owner"),
        ("明视眼镜", "http://vision.localhost:8000/", "desk@vision.example.com", "front_desk"),
    ]
    # when
    lines = [line for line in logins_table(rows).splitlines() if "http" in line]
    # then: every address and login starts in the same terminal column
    for marker in ("http", "@"):
        columns = {_width(line[: line.index(marker)].rsplit("  ", 1)[0]) for line in lines}
        assert len(columns) == 1, marker


def test_the_readme_names_port_and_points_nowhere_outside_the_repository():
    # given
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    # then
    assert "`PORT`" in readme
    assert "../" not in readme


def test_under_libfaketime_the_embedded_postgres_keeps_the_real_clock(monkeypatch):
    from devstack.services import _real_clock_for_postgres

    # given: the stack runs under `faketime -f +400d make test`
    monkeypatch.setenv("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
    monkeypatch.delenv("FAKETIME_SKIP_CMDS", raising=False)
    # when it is about to start PostgreSQL
    _real_clock_for_postgres()
    # then libfaketime leaves the server and its tools on the real clock (its lock_timeout
    # never fires on a faked one), and everything else shifted
    assert os.environ["FAKETIME_SKIP_CMDS"] == "postgres,pg_ctl,initdb"


def test_without_libfaketime_nothing_is_set_for_postgres(monkeypatch):
    from devstack.services import _real_clock_for_postgres

    monkeypatch.delenv("LD_PRELOAD", raising=False)
    monkeypatch.delenv("FAKETIME_SKIP_CMDS", raising=False)
    _real_clock_for_postgres()
    assert "FAKETIME_SKIP_CMDS" not in os.environ
