"""Real servers for the browser tests, fault drills and benchmarks (127.0.0.1 only).

`Stack` prepares a database (a file SQLite under a temporary directory by default, or the
PostgreSQL / Redis given), seeds scenarios with `tests.live.seed` in a subprocess, and runs
uvicorn with one or more worker processes behind one address (`tests.live.asgi`). Private
Redis servers and PostgreSQL clusters for the drills are started here too, on free ports.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Any, timeout: float, interval: float = 0.1, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 - not ready yet
            pass
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what or predicate}")


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


class Stack:
    """A database + optional Redis + uvicorn workers for one scenario run."""

    def __init__(self, tmp: Path, *, database_url: str | None = None,
                 redis_url: str | None = None, workers: int = 1,
                 env: dict[str, str] | None = None) -> None:
        self.tmp = Path(tmp)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url or f"sqlite:///{self.tmp / 'live.sqlite3'}"
        self.redis_url = redis_url
        self.workers = workers
        self.extra_env = env or {}
        self.port = 0
        self.server: subprocess.Popen[bytes] | None = None
        self.log = self.tmp / "server.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in {"DATABASE_URL", "REDIS_URL", "REDIS_PREFIX", "DJANGO_SETTINGS_MODULE",
                            "KOKOUS_TEST_DB", "PYTEST_CURRENT_TEST"}}
        env.update({
            "DJANGO_SETTINGS_MODULE": "tests.live.server_settings",
            "KOKOUS_VAR_DIR": str(self.tmp / "var"),
            "KOKOUS_HTTPS": "0",
            "DATABASE_URL": self.database_url,
            "AUDIT_SIGNING_KEY_FILE": str(self.tmp / "audit_signing.key"),
            "SECRET_KEY": "live-test-secret-key-not-for-production-0123456789abcdef",
            "PYTHONPATH": str(ROOT),
        })
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
            env["REDIS_PREFIX"] = f"kokous_live_{os.getpid()}_{self.tmp.name}"
        env.update(self.extra_env)
        return env

    def seed(self, *args: str, timeout: float = 600) -> dict[str, Any]:
        result = subprocess.run(
            [PYTHON, "-m", "tests.live.seed", *args], cwd=ROOT, env=self.env(),
            capture_output=True, text=True, timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"seed {args} failed:\n{result.stdout}\n{result.stderr}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def prepare(self) -> None:
        self.seed("prepare")

    def start(self) -> str:
        self.port = self.port or free_port()
        cmd = [
            PYTHON, "-m", "uvicorn", "tests.live.asgi:application", "--host", "127.0.0.1",
            "--port", str(self.port), "--workers", str(self.workers), "--log-level", "warning",
            "--no-access-log", "--lifespan", "off", "--timeout-graceful-shutdown", "2",
        ]
        with open(self.log, "ab") as log:
            self.server = subprocess.Popen(cmd, cwd=ROOT, env=self.env(), stdout=log,
                                           stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self.ready, 60, what="the live server")
        if self.workers > 1:
            wait_for(lambda: len(self.worker_pids()) >= self.workers, 30, what="workers")
        return self.base_url

    def ready(self) -> bool:
        if self.server is not None and self.server.poll() is not None:
            raise RuntimeError(f"server exited:\n{self.log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"{self.base_url}/julkinen/kokous/0/snapshot.json", timeout=2)
        except urllib.error.HTTPError as exc:
            return exc.code == 404
        except OSError:
            return False
        return True

    def worker_pids(self) -> list[int]:
        if self.server is None:
            return []
        if self.workers == 1:
            return [self.server.pid]
        # uvicorn's supervisor → spawned worker processes (skip the resource tracker)
        pids = []
        for pid in children_of(self.server.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"resource_tracker" not in cmdline:
                pids.append(pid)
        return pids

    def stop(self) -> None:
        if self.server is None:
            return
        try:
            os.killpg(self.server.pid, signal.SIGTERM)
            self.server.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.server.pid, signal.SIGKILL)
            self.server.wait(timeout=10)
        self.server = None

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- private Redis and PostgreSQL for the drills -----------------------------------------------


class PrivateRedis:
    """`redis-server` on a free port, no persistence; can be killed and restarted on that port."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = Path(tmp)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", str(self.tmp)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        wait_for(self.ping, 10, what="redis")

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def stop(self) -> None:
        self.kill()


PG_BIN = Path("/usr/lib/postgresql/15/bin")


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free port (never the shared server), in its own
    directory under /tmp owned by the `postgres` user when we run as root."""

    def __init__(self) -> None:
        import tempfile

        self.root = Path(tempfile.mkdtemp(prefix="kokous-pg-"))
        self.dir = self.root / "data"
        self.port = free_port()
        self.log = self.root / "postgres.log"
        if os.geteuid() == 0:
            import pwd

            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/kokous"

    @staticmethod
    def available() -> bool:
        return (PG_BIN / "initdb").exists()

    def _run(self, *cmd: str) -> None:
        subprocess.run(cmd, check=True, capture_output=True, **_as_postgres())

    def init(self) -> None:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.dir), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--no-sync")
        self.start()
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q",
                        "-c", "CREATE DATABASE kokous", "postgres"], check=True,
                       capture_output=True)

    def start(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-l", str(self.log), "-w",
                  "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                        "-c max_connections=200", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def _as_postgres() -> dict[str, Any]:
    """initdb/pg_ctl refuse to run as root: run them as the `postgres` system user if we are."""
    if os.geteuid() != 0:
        return {}
    import pwd

    pw = pwd.getpwnam("postgres")

    def demote() -> None:
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)

    return {"preexec_fn": demote, "cwd": "/tmp"}


def fresh_database(admin_url: str, name: str) -> str:
    """Create (or recreate) database `name` next to `admin_url`'s; returns its URL."""
    base = admin_url.rpartition("/")[0]
    for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", f"{base}/postgres", "-q", "-c", sql], check=True,
                       capture_output=True)
    return f"{base}/{name}"


def drop_database(admin_url: str, name: str) -> None:
    base = admin_url.rpartition("/")[0]
    subprocess.run(["psql", f"{base}/postgres", "-q", "-c",
                    f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True)
