"""Real servers for the tests: a PostgreSQL cluster and an OpenSearch node, each started once per session.

PostgreSQL comes from the Debian binaries (``/usr/lib/postgresql/<v>/bin``: ``initdb`` then ``pg_ctl``) in a
temporary directory on a free loopback port, owned by the ``postgres`` user when the tests run as root (as
CI does; ``initdb`` refuses root). OpenSearch is the server jar and its netty4 and analysis-common modules
from Maven Central (``tests/support/opensearch/pom.xml``, cached in ``~/.m2``), started by the launcher
``tests/support/opensearch/NodeLauncher.java`` on the default Java.

Without Java, Maven or PostgreSQL these tests skip locally; with ``CI=true`` they fail instead, loudly.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).resolve().parent
POM = HERE / "opensearch" / "pom.xml"
LAUNCHER = HERE / "opensearch" / "NodeLauncher.java"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nutmeg-tests"
NODE_START_TIMEOUT = 180.0


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    """Skip locally; fail in CI, where every server must be there."""
    if in_ci():
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
        time.sleep(0.1)
    return False


# -- OpenSearch --------------------------------------------------------------------------------------


def opensearch_classpath() -> str:
    """The node's classpath, resolved by Maven once per pom version and cached."""
    if not shutil.which("java") or not shutil.which("mvn"):
        unavailable("java and mvn are needed to start the OpenSearch test node")
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:12]
    cached = CACHE / f"opensearch-classpath-{digest}.txt"
    if cached.exists():
        classpath = cached.read_text().strip()
        if all(Path(jar).exists() for jar in classpath.split(os.pathsep)):
            return classpath
    CACHE.mkdir(parents=True, exist_ok=True)
    command = ["mvn", "-q", "-B", "-f", str(POM), "dependency:build-classpath", f"-Dmdep.outputFile={cached}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0 or not cached.exists():
        pytest.fail(f"maven could not resolve the OpenSearch test node:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return cached.read_text().strip()


class OpenSearchNode:
    """One single-node cluster on 127.0.0.1; :meth:`stop` and :meth:`start` keep its data (fault tests)."""

    def __init__(self, classpath: str, home: Path, heap: str = "512m", *, quick_start: bool = True) -> None:
        self.classpath = classpath
        self.home = home
        self.heap = heap
        # tests want a node up fast (client JIT, serial GC); benchmarks want the server JVM's defaults
        self.jvm_flags = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"] if quick_start else []
        self.port = free_port()
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            "java",
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            *self.jvm_flags,
            "-Djava.awt.headless=true",
            "-Dlog4j2.disable.jmx=true",
            "-cp",
            self.classpath,
            str(LAUNCHER),
            str(self.home),
            str(self.port),
        ]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        ready = threading.Event()
        threading.Thread(target=self._read, args=(self.process, ready), daemon=True).start()
        if not ready.wait(NODE_START_TIMEOUT) or self.process.poll() is not None:
            self.kill()
            pytest.fail("the OpenSearch test node did not start:\n" + "\n".join(self.output[-40:]))
        # a restarted node answers before its shards are back: wait until they are
        health = httpx.get(f"{self.url}/_cluster/health", params={"wait_for_status": "yellow", "timeout": "60s"})
        if health.json().get("status") not in ("green", "yellow"):
            pytest.fail(f"the OpenSearch test node stayed {health.json().get('status')} after starting")

    def _read(self, process: subprocess.Popen[str], ready: threading.Event) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.output.append(line.rstrip())
            del self.output[:-200]
            if line.startswith("NUTMEG-NODE-READY"):
                ready.set()

    def stop(self) -> None:
        """Shut the node down (closing its stdin); the port refuses connections afterwards."""
        process, self.process = self.process, None
        if process is None:
            return
        assert process.stdin is not None
        with contextlib.suppress(OSError):
            process.stdin.close()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        _close_output(process)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            _close_output(self.process)
            self.process = None


def _close_output(process: subprocess.Popen[str]) -> None:
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


@pytest.fixture(scope="session")
def opensearch_node() -> Iterator[OpenSearchNode]:
    """A running OpenSearch node for the whole session (tests use their own alias names)."""
    classpath = opensearch_classpath()
    home = Path(tempfile.mkdtemp(prefix="nutmeg-opensearch-"))
    node = OpenSearchNode(classpath, home)
    node.start()
    try:
        yield node
    finally:
        node.stop()
        shutil.rmtree(home, ignore_errors=True)


# -- PostgreSQL --------------------------------------------------------------------------------------


def postgres_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresServer:
    """A throwaway cluster: trust authentication on loopback only, durability off (it is deleted after)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="nutmeg-postgres-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            uid, gid = pwd.getpwnam(self.user).pw_uid, pwd.getpwnam(self.user).pw_gid
            os.chown(self.root, uid, gid)
            self.root.chmod(0o700)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://nutmeg@127.0.0.1:{self.port}/nutmeg"

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            user=self.user,
        )
        if done.returncode != 0:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            pytest.fail(f"PostgreSQL {args[0]} failed:\n{done.stdout}\n{done.stderr}\n{log[-2000:]}")

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "nutmeg", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-o", options, "start")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "nutmeg", "nutmeg")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session."""
    bindir = postgres_bindir()
    if bindir is None:
        unavailable("PostgreSQL's initdb/pg_ctl are not installed (apt-get install postgresql)")
        return
    server = PostgresServer(bindir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def reset_postgres(url: str) -> None:
    """Empty every Nutmeg table (faster than a new database per test)."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            tables = [t for t in inspect(connection).get_table_names() if t != "alembic_version"]
            if tables:
                connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The session server's database, emptied for this test."""
    reset_postgres(postgres_server.url)
    return postgres_server.url
