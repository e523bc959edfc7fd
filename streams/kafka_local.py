"""Run a single-node Apache Kafka broker (KRaft) on 127.0.0.1: `airlock kafka up|down|status`.

The broker's jars come from Maven Central through `streams/kafka/pom.xml`. Everything the broker
writes (jars, data, logs, pid file) lives in one state folder, `<state_dir>/kafka/`, and it
listens on `kafka_port` (the controller takes the next port): both are settings of the one
loader, `airlock/config.py` (`AIRLOCK_STATE_DIR`, default `<repo>/.airlock`; `AIRLOCK_KAFKA_PORT`,
default 9092; or `state_dir:`, `kafka_port:` in the AIRLOCK_CONFIG file). Only the process
recorded in the pid file is ever stopped.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from pydantic import ValidationError

from airlock.config import Settings, describe_errors

HOST = "127.0.0.1"
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0
LOG_TAIL_LINES = 40
EXIT_STOPPED = 3

POM = Path(__file__).resolve().parent / "kafka" / "pom.xml"
LOG4J_CONFIG = Path(__file__).resolve().parent / "kafka" / "log4j2.properties"
INSTALL_HINT = "on Debian or Ubuntu, `apt-get install maven openjdk-17-jre-headless`"


class KafkaLocalError(RuntimeError):
    """The local broker could not be started or stopped; the message says what to do about it."""


@dataclass(frozen=True)
class StateFolder:
    """Where the local broker keeps its jars, data, logs and pid file."""

    root: Path

    @property
    def libs(self) -> Path:
        return self.root / "libs"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def server_log(self) -> Path:
        return self.logs / "server.log"

    @property
    def console_log(self) -> Path:
        return self.logs / "broker.out"

    @property
    def server_properties(self) -> Path:
        return self.root / "server.properties"

    @property
    def pid_file(self) -> Path:
        return self.root / "kafka.pid"

    @property
    def lock_file(self) -> Path:
        return self.root / "kafka.lock"


def settings_or_loaded(settings: Settings | None = None) -> Settings:
    """The given settings, or those of the environment and the AIRLOCK_CONFIG file."""
    if settings is not None:
        return settings
    try:
        return Settings()
    except ValidationError as exc:
        raise KafkaLocalError(f"bad configuration: {describe_errors(exc)}") from None
    except (ValueError, OSError) as exc:
        raise KafkaLocalError(f"bad configuration: {exc}") from None


def state_folder(settings: Settings | None = None) -> StateFolder:
    """The broker's folder: `<state_dir>/kafka` (AIRLOCK_STATE_DIR, default <repo>/.airlock)."""
    return StateFolder(settings_or_loaded(settings).state_dir / "kafka")


def broker_port(settings: Settings | None = None) -> int:
    """The broker's port: `kafka_port` (AIRLOCK_KAFKA_PORT), 9092 by default; the controller
    uses port + 1."""
    return settings_or_loaded(settings).kafka_port


def bootstrap_servers(settings: Settings | None = None) -> str:
    """The address of the local broker, e.g. "127.0.0.1:9092"."""
    return f"{HOST}:{broker_port(settings)}"


def is_running(settings: Settings | None = None) -> bool:
    """Whether the broker started from this state folder is alive."""
    return _running_pid(state_folder(settings)) is not None


def ensure_running(*, fresh: bool = False, settings: Settings | None = None) -> str:
    """Start the broker unless it already runs, wait until it serves metadata; return bootstrap.

    `fresh` stops the broker first and wipes its data folder, for tests that want a clean cluster.
    """
    settings = settings_or_loaded(settings)
    _up(state_folder(settings), broker_port(settings), fresh=fresh)
    return bootstrap_servers(settings)


def stop(settings: Settings | None = None) -> None:
    """Stop the broker started from this state folder, if it runs."""
    folder = state_folder(settings)
    with _locked(folder):
        _stop(folder)


# --- starting -----------------------------------------------------------------------------------


def _up(folder: StateFolder, port: int, *, fresh: bool) -> tuple[int, bool]:
    """Return the broker's pid and whether this call started it."""
    with _locked(folder):
        if fresh:
            _stop(folder)
            if folder.data.exists():
                shutil.rmtree(folder.data)
        pid = _running_pid(folder)
        if pid is not None:
            running_port = _configured_port(folder)
            if running_port != port:
                raise KafkaLocalError(
                    f"the broker of {folder.root} (pid {pid}) listens on {HOST}:{running_port}, "
                    f"not on port {port} (AIRLOCK_KAFKA_PORT); run `airlock kafka down` first"
                )
            _wait_until_ready(folder, port, exited=lambda: not _is_our_broker(pid, folder))
            return pid, False
        folder.pid_file.unlink(missing_ok=True)
        return _start(folder, port), True


def _start(folder: StateFolder, port: int) -> int:
    java = _require_java()
    for wanted in (port, port + 1):
        if _port_in_use(wanted):
            raise KafkaLocalError(
                f"{HOST}:{wanted} is already in use by another process, not by the broker of "
                f"{folder.root}. Find it with `ss -ltnp 'sport = :{wanted}'` and stop it, or "
                "choose other ports with AIRLOCK_KAFKA_PORT=<port> (the controller uses port + 1)"
            )
    _fetch_jars(folder)
    folder.logs.mkdir(parents=True, exist_ok=True)
    folder.server_properties.write_text(_server_properties(folder, port), encoding="ascii")
    _format_storage(java, folder)

    argv = [
        java,
        "-Xms512m",
        "-Xmx512m",
        f"-XX:ErrorFile={folder.logs}/hs_err_pid%p.log",
        *_jvm_options(folder),
        "kafka.Kafka",
        str(folder.server_properties),
    ]
    # posix_spawn, not Popen: no Popen object warns "still running" when the test session that
    # started the broker ends. setsid: the broker outlives us and ignores the terminal's Ctrl-C.
    write_new = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    pid = os.posix_spawn(
        java,
        argv,
        os.environ,
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, str(folder.console_log), write_new, 0o644),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ],
        setsid=True,
    )
    folder.pid_file.write_text(f"{pid}\n", encoding="ascii")
    try:
        _wait_until_ready(folder, port, exited=lambda: _child_exited(pid))
    except KafkaLocalError:
        _stop(folder)
        raise
    return pid


def _child_exited(pid: int) -> bool:
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return reaped == pid


def _require_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise KafkaLocalError(
            f"`java` is not on PATH; Kafka 4 needs Java 17 or newer: {INSTALL_HINT}"
        )
    banner = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    found = re.search(r'version "(?:1\.)?(\d+)', banner)
    if found and int(found[1]) < 17:
        raise KafkaLocalError(
            f"{java} is Java {found[1]}; Kafka 4 needs Java 17 or newer: {INSTALL_HINT}"
        )
    return java


def _port_in_use(port: int) -> bool:
    # Binding the way the JVM does (SO_REUSEADDR) fails only when something listens there,
    # not because of TIME_WAIT connections left by a broker that just stopped.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


def _fetch_jars(folder: StateFolder) -> None:
    """Copy the broker's runtime jars from Maven Central, unless those of this pom are there."""
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()
    stamp = folder.libs / ".pom-sha256"
    if stamp.is_file() and stamp.read_text(encoding="ascii").strip() == digest:
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaLocalError(
            "`mvn` (Apache Maven) is not on PATH; it fetches the Kafka broker's jars from "
            f"Maven Central: {INSTALL_HINT}"
        )
    print(f"Fetching the Kafka broker's jars from Maven Central ({POM}) ...", file=sys.stderr)
    staging = folder.root / "libs.partial"
    shutil.rmtree(staging, ignore_errors=True)
    fetched = subprocess.run(
        [
            mvn,
            "--batch-mode",
            "--no-transfer-progress",
            "--file",
            str(POM),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={staging}",
        ],
        capture_output=True,
        text=True,
    )
    if fetched.returncode != 0:
        raise KafkaLocalError(
            f"`mvn dependency:copy-dependencies` failed for {POM} (exit {fetched.returncode}); "
            f"its last lines:\n{_last_lines(fetched.stdout + fetched.stderr)}"
        )
    (staging / ".pom-sha256").write_text(f"{digest}\n", encoding="ascii")
    # Swap the whole folder, so jars of an older pom never share the classpath with new ones.
    if folder.libs.exists():
        shutil.rmtree(folder.libs)
    staging.rename(folder.libs)


def _server_properties(folder: StateFolder, port: int) -> str:
    controller = port + 1
    lines = [
        "# Written by `airlock kafka up` (streams/kafka_local.py) at every start; edits are lost.",
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@{HOST}:{controller}",
        f"listeners=PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller}",
        f"advertised.listeners=PLAINTEXT://{HOST}:{port}",
        "inter.broker.listener.name=PLAINTEXT",
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        f"log.dirs={_property_value(str(folder.data))}",
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "auto.create.topics.enable=false",
    ]
    return "\n".join(lines) + "\n"


def _property_value(text: str) -> str:
    """Escape a value for java.util.Properties, which reads files as ISO-8859-1."""
    escaped = text.replace("\\", "\\\\")
    return "".join(c if c.isascii() else f"\\u{ord(c):04x}" for c in escaped)


def _configured_port(folder: StateFolder) -> int | None:
    try:
        text = folder.server_properties.read_text(encoding="ascii")
    except OSError:
        return None
    found = re.search(r"^advertised\.listeners=PLAINTEXT://[^:]+:(\d+)$", text, re.MULTILINE)
    return int(found[1]) if found else None


def _format_storage(java: str, folder: StateFolder) -> None:
    if (folder.data / "meta.properties").is_file():
        return
    formatted = subprocess.run(
        [
            java,
            *_jvm_options(folder),
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            _random_cluster_id(),
            "--config",
            str(folder.server_properties),
            "--ignore-formatted",
        ],
        capture_output=True,
        text=True,
    )
    if formatted.returncode != 0:
        raise KafkaLocalError(
            f"formatting the broker's storage in {folder.data} failed "
            f"(exit {formatted.returncode}):\n{_last_lines(formatted.stdout + formatted.stderr)}"
        )


def _random_cluster_id() -> str:
    """A Kafka Uuid as `StorageTool random-uuid` prints it, without starting a JVM for it."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        if not text.startswith("-"):  # Kafka redraws these too: they read as command-line flags
            return text


def _jvm_options(folder: StateFolder) -> list[str]:
    return [
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
        f"-Dkafka.logs.dir={folder.logs}",
        "-cp",
        f"{folder.libs}/*",  # the JVM expands the wildcard; no shell is involved
    ]


def _wait_until_ready(folder: StateFolder, port: int, *, exited: Callable[[], bool]) -> None:
    """Return once the broker's port answers and a metadata request succeeds."""
    bootstrap = f"{HOST}:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if exited():
            raise KafkaLocalError(f"the Kafka broker exited during startup.\n{_log_tails(folder)}")
        if _port_answers(port) and _metadata_answers(bootstrap, timeout=5.0):
            return
        time.sleep(0.25)
    raise KafkaLocalError(
        f"the Kafka broker did not answer on {bootstrap} within {START_TIMEOUT_S:.0f} s.\n"
        f"{_log_tails(folder)}"
    )


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0):
            return True
    except OSError:
        return False


def _metadata_answers(bootstrap: str, *, timeout: float) -> bool:
    admin = AdminClient({"bootstrap.servers": bootstrap, "log.connection.close": False})
    try:
        metadata = admin.list_topics(timeout=timeout)
    except KafkaException:
        return False
    return len(metadata.brokers) > 0


def _log_tails(folder: StateFolder) -> str:
    parts = []
    for log in (folder.console_log, folder.server_log):
        with contextlib.suppress(OSError):
            text = log.read_text(encoding="utf-8", errors="replace")
            if text.strip():
                parts.append(f"--- last {LOG_TAIL_LINES} lines of {log} ---\n{_last_lines(text)}")
    return "\n".join(parts) or f"(no broker log in {folder.logs})"


def _last_lines(text: str) -> str:
    return "\n".join(text.rstrip("\n").splitlines()[-LOG_TAIL_LINES:])


# --- stopping and finding our broker -------------------------------------------------------------


def _stop(folder: StateFolder) -> int | None:
    """Stop our broker if it runs; return the pid it had."""
    pid = _running_pid(folder)
    if pid is not None:
        _signal(pid, signal.SIGTERM)  # a controlled shutdown: a few seconds on one node
        if not _wait_for_exit(pid, folder, STOP_TIMEOUT_S):
            _signal(pid, signal.SIGKILL)
            if not _wait_for_exit(pid, folder, 5.0):
                raise KafkaLocalError(f"the Kafka broker (pid {pid}) survived SIGKILL")
    folder.pid_file.unlink(missing_ok=True)
    return pid


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _wait_for_exit(pid: int, folder: StateFolder, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _is_our_broker(pid, folder):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    # The command line empties while the process is still tearing down, before it is a zombie.
    _reap_child(pid, timeout=5.0)
    return True


def _running_pid(folder: StateFolder) -> int | None:
    try:
        pid = int(folder.pid_file.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
    return pid if _is_our_broker(pid, folder) else None


def _is_our_broker(pid: int, folder: StateFolder) -> bool:
    """Whether `pid` is a live `kafka.Kafka` of this state folder (pids get reused)."""
    if not Path("/proc/self").exists():  # macOS: settle for "a process with that pid exists"
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        argv = []
    if b"kafka.Kafka" in argv and os.fsencode(folder.server_properties) in argv:
        return True
    _reap_child(pid, timeout=0.0)
    return False


def _reap_child(pid: int, *, timeout: float) -> None:
    """Reap `pid` if it is a broker this process spawned (e.g. from a test session) and it exits
    within `timeout`, so that its pid really goes away; a no-op for anyone else's process."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            reaped, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if reaped == pid or time.monotonic() >= deadline:
            return
        time.sleep(0.05)


@contextlib.contextmanager
def _locked(folder: StateFolder) -> Iterator[None]:
    """Serialise `up` and `down` of one state folder (e.g. parallel test workers)."""
    folder.root.mkdir(parents=True, exist_ok=True)
    with folder.lock_file.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


# --- command line -------------------------------------------------------------------------------


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `airlock kafka up|down|status`."""
    parser = subparsers.add_parser(
        "kafka",
        help="run a single-node Kafka broker on 127.0.0.1 for development and tests",
        description=(
            "Run a single-node Apache Kafka broker (KRaft, broker and controller in one process) "
            "on 127.0.0.1. Its jars come from Maven Central (needs `mvn` and Java 17+)."
        ),
        epilog=(
            "configuration (environment, or the same names in lower case in the AIRLOCK_CONFIG "
            "file): AIRLOCK_STATE_DIR (root state folder; the broker uses <root>/kafka, "
            "default <repo>/.airlock/kafka), AIRLOCK_KAFKA_PORT (broker port, default 9092; "
            "the controller uses port + 1)"
        ),
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = actions.add_parser(
        "up", help="start the broker (fetching its jars on first use) and wait until it answers"
    )
    up.add_argument(
        "--fresh",
        action="store_true",
        help="stop the broker if it runs and wipe its data folder before starting",
    )
    actions.add_parser("down", help="stop the broker that `up` started")
    actions.add_parser("status", help="say whether the broker runs (exit 0) or not (exit 3)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        if args.action == "up":
            return _cmd_up(fresh=args.fresh)
        if args.action == "down":
            return _cmd_down()
        return _cmd_status()
    except KafkaLocalError as error:
        print(f"airlock kafka {args.action}: {error}", file=sys.stderr)
        return 1


def _cmd_up(*, fresh: bool) -> int:
    settings = settings_or_loaded()
    folder = state_folder(settings)
    started_at = time.monotonic()
    pid, started = _up(folder, broker_port(settings), fresh=fresh)
    if started:
        print(
            f"Kafka broker up at {bootstrap_servers(settings)} (pid {pid}) in "
            f"{time.monotonic() - started_at:.1f} s; state folder {folder.root}, "
            f"log {folder.server_log}"
        )
    else:
        print(
            f"Kafka broker already running at {bootstrap_servers(settings)} (pid {pid}); "
            f"state folder {folder.root}"
        )
    return 0


def _cmd_down() -> int:
    folder = state_folder()
    with _locked(folder):
        pid = _stop(folder)
    print(f"Kafka broker stopped (pid {pid})." if pid else "Kafka broker is not running.")
    return 0


def _cmd_status() -> int:
    settings = settings_or_loaded()
    folder = state_folder(settings)
    pid = _running_pid(folder)
    port = (_configured_port(folder) if pid is not None else None) or broker_port(settings)
    print(f"Kafka broker: {'running' if pid is not None else 'stopped'}")
    print(f"bootstrap:    {HOST}:{port}")
    print(f"pid:          {pid if pid is not None else '-'}")
    print(f"state folder: {folder.root}")
    if pid is None and _port_in_use(port):
        print(f"note: {HOST}:{port} is in use by another process, not by this broker")
    return 0 if pid is not None else EXIT_STOPPED
