"""Throwaway PostgreSQL cluster for tests and local runs (standard library only).

    python -m deploy.postgres install          # apt-get install postgresql when initdb is missing
    python -m deploy.postgres run [--port P]   # start, print DATABASE_URL, wait for Ctrl-C, stop and delete

    with TempPostgres() as pg:
        pg.url          # postgresql+psycopg://postgres@127.0.0.1:PORT/whistle  (database "whistle" exists)

PostgreSQL refuses to run as root, so when we are root initdb/postgres run as the `postgres`
user on a data dir (/tmp/whistle-pg-XXXX) that user owns. Trust auth, 127.0.0.1 only, the unix
socket lives in the same temp dir, durability is switched off (fsync=off) because the data is disposable
(`TempPostgres(durable=True)` keeps production durability: the chaos suite).
"""
from __future__ import annotations

import argparse
import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deploy.procs import ManagedProcess, ProcessFailed, free_port, run_quiet, wait_until

DEFAULT_DB = "whistle"


def find_bindir() -> Path | None:
    """Newest /usr/lib/postgresql/*/bin that has initdb (or PG_BINDIR)."""
    if os.environ.get("PG_BINDIR"):
        p = Path(os.environ["PG_BINDIR"])
        return p if (p / "initdb").exists() else None
    candidates = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if not candidates:
        return None
    candidates.sort(key=lambda s: int(Path(s).parent.parent.name) if Path(s).parent.parent.name.isdigit() else 0)
    return Path(candidates[-1]).parent


def ensure_installed() -> Path:
    """Return the PostgreSQL bin dir, installing the Debian `postgresql` package first if needed."""
    bindir = find_bindir()
    if bindir:
        return bindir
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("PostgreSQL not found; installing it with apt-get ...", file=sys.stderr, flush=True)
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"], check=True, env=env)
    bindir = find_bindir()
    if not bindir:
        raise RuntimeError("apt-get install postgresql finished but no /usr/lib/postgresql/*/bin/initdb exists")
    return bindir


def to_libpq(url: str) -> str:
    """SQLAlchemy URL -> libpq/psycopg conninfo URL (drop the '+driver')."""
    scheme, sep, rest = url.partition("://")
    return scheme.split("+", 1)[0] + sep + rest


class TempPostgres:
    """A disposable single-node cluster. start() -> base DATABASE_URL; stop() stops it and deletes the data.

    durable=False (tests): fsync, synchronous_commit and full_page_writes off, fast and lossy on a crash.
    durable=True (the chaos suite): production durability, so a SIGKILL loses nothing that was acknowledged.
    """

    def __init__(
        self, port: int | None = None, db_name: str = DEFAULT_DB, base_dir: str | Path | None = None, *, durable: bool = False
    ) -> None:
        self.port = port or free_port()
        self.durable = durable
        self.db_name = db_name
        self._base_dir_arg = base_dir
        self.dir: Path | None = None
        self.proc: ManagedProcess | None = None
        self.bindir: Path | None = None
        self.user: str | None = None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{self.db_name}"

    @property
    def libpq_url(self) -> str:
        return to_libpq(self.url)

    def _run_as(self, cmd: list[str]) -> subprocess.CompletedProcess:
        kwargs = {"user": self.user, "group": self.user, "extra_groups": []} if self.user else {}
        return run_quiet(cmd, cwd=str(self.dir), timeout=120, **kwargs)

    def start(self) -> str:
        self.bindir = ensure_installed()
        if os.geteuid() == 0:
            self.user = "postgres"
            pw = pwd.getpwnam("postgres")
        else:
            pw = None
        self.dir = Path(tempfile.mkdtemp(prefix="whistle-pg-", dir=self._base_dir_arg))
        os.chmod(self.dir, 0o700)
        if pw is not None:
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        data = self.dir / "data"
        try:
            self._run_as([str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                          "--encoding=UTF8", "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C",
                          *([] if self.durable else ["--no-sync"])])
            cmd = [
                str(self.bindir / "postgres"), "-D", str(data),
                "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1",
                "-c", f"unix_socket_directories={self.dir}",
                *(["-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on"] if self.durable else
                  ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
                "-c", "max_connections=300",
                "-c", "shared_buffers=64MB",
            ]
            self.proc = ManagedProcess("postgres", cmd, self.dir / "postgres.log", cwd=self.dir, user=self.user).start()
            wait_until(self._ready, 60, 0.2, f"PostgreSQL on 127.0.0.1:{self.port}", self._check)
            self._run_as([str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", self.db_name])
        except BaseException:
            self.stop()
            raise
        return self.url

    def _check(self) -> None:
        if self.proc is not None and not self.proc.alive():
            raise ProcessFailed(self.proc, "exited before accepting connections")

    def _ready(self) -> bool:
        res = subprocess.run([str(self.bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return res.returncode == 0

    def stop(self) -> None:
        """Fast shutdown (SIGINT: disconnect clients, then exit), SIGKILL after 10 s; delete the temp dir."""
        if self.proc is not None:
            self.proc.signal(signal.SIGINT)
            if not self.proc.wait(10):
                self.proc.kill()
            self.proc.close_log()
            self.proc = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> "TempPostgres":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _has_c_utf8() -> bool:
    try:
        out = subprocess.run(["locale", "-a"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    except OSError:
        return False
    return any(line.lower() in ("c.utf8", "c.utf-8") for line in out.splitlines())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.postgres", description="throwaway PostgreSQL cluster")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="apt-get install postgresql when initdb is missing")
    run = sub.add_parser("run", help="start a cluster, print its DATABASE_URL, stop+delete on Ctrl-C")
    run.add_argument("--port", type=int, default=None)
    run.add_argument("--db", default=DEFAULT_DB)
    args = parser.parse_args(argv)
    if args.command == "install":
        print(ensure_installed())
        return 0
    pg = TempPostgres(port=args.port, db_name=args.db)
    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, on_term)
    try:
        pg.start()
        print(f"DATABASE_URL={pg.url}", flush=True)
        while pg.proc is not None and pg.proc.alive():
            time.sleep(1)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        pg.stop()


if __name__ == "__main__":
    sys.exit(main())
