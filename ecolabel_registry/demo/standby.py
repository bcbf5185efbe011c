"""Hot standbys of the local PostgreSQL cluster, made with Debian's tools, for the layout and the tests.

    with standbys(primary_url, 1) as made:   # pg_createcluster + pg_basebackup -R, ports 5433…
        replica_url = made[0].url("ecolabel")

Each standby is a cluster of its own (`pg_createcluster VERSION ecolabel_standby_PORT`) whose data
directory is a base backup of the primary taken with `pg_basebackup -R -X stream`: it starts in
recovery, streams the primary's WAL and answers read-only queries (hot_standby is on by default). It is
started with `pg_ctlcluster` and dropped (`pg_dropcluster --stop`) when the block ends.

The primary must allow it (`prepare_primary`): `wal_level` replica or logical and free WAL senders,
which need a restart to change, are only checked here (Debian's default already allows both; `.ci/run`
sets them on a fresh machine); a replication line in pg_hba.conf, which a reload picks up, is added here
if missing. A restart of a shared primary would break every connection to it, so nothing here restarts it.

Each standby streams through a replication slot of its own name on the primary, so the primary keeps
the WAL the standby has not received yet (without one, a busy primary recycles it and the standby stops
for good: "requested WAL segment … has already been removed"). `remove` drops the slot with the
cluster; a slot left behind by a killed process (its cluster gone) is dropped by the next
`create_standby`. Managed PostgreSQL does all of this for you (docs/DEPLOYMENT.md, "Read replicas").
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

FIRST_PORT = 5433
LAST_PORT = 5532
STARTUP_TIMEOUT_S = 300
_LOCK_PATH = Path("/tmp/ecolabel-standby.lock")  # noqa: S108  (one machine-wide lock for choosing ports)
_REPLICATION_RULE = "host replication all 127.0.0.1/32 trust"


class StandbyError(RuntimeError):
    """A standby cannot be made: the primary does not allow replication, or a Debian tool failed."""


@dataclass(frozen=True)
class Cluster:
    """A local cluster managed with Debian's pg_ctlcluster: VERSION/NAME on 127.0.0.1:PORT."""

    version: str
    name: str
    port: int
    user: str = "postgres"
    primary_url: str | None = None  # a standby's primary, which holds its replication slot (named `name`)

    def url(self, database: str) -> str:
        return URL.create(
            "postgresql+psycopg", username=self.user, host="127.0.0.1", port=self.port, database=database
        ).render_as_string(hide_password=False)

    @property
    def application_name(self) -> str:
        """What the standby's WAL receiver calls itself (its cluster_name): for synchronous_standby_names."""
        return f"{self.version}/{self.name}"

    def promote(self) -> None:
        """End recovery: the standby becomes a primary that accepts writes (`pg_ctlcluster promote`)."""
        _run(["pg_ctlcluster", self.version, self.name, "promote"])
        _wait_until(lambda: not _in_recovery(self), f"{self.application_name} did not finish promotion")

    def stop(self, *, immediate: bool = False) -> None:
        arguments = ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, "stop"]
        _run([*arguments, "-m", "immediate"] if immediate else arguments)

    def remove(self) -> None:
        """Stop the cluster at once (a throwaway copy: nothing to flush) and drop it, and its slot if any."""
        _run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, "stop", "-m", "immediate"],
            check=False,
        )
        _run(["pg_dropcluster", self.version, self.name], check=False)
        if self.primary_url is not None:
            _drop_slots(self.primary_url, [self.name])


def prepare_primary(primary_url: str) -> None:
    """Check the primary can feed a standby, and allow replication connections from 127.0.0.1 if it does not."""
    engine = create_engine(_server_url(primary_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            wal_level = connection.execute(text("SHOW wal_level")).scalar_one()
            senders = int(connection.execute(text("SHOW max_wal_senders")).scalar_one())
            if wal_level not in ("replica", "logical") or senders < 1:
                raise StandbyError(
                    f"the primary has wal_level={wal_level} and max_wal_senders={senders}: run ALTER SYSTEM SET "
                    "wal_level = replica and ALTER SYSTEM SET max_wal_senders = 10, then restart it once "
                    "(`.ci/run` does this on a fresh machine)"
                )
            rules = connection.execute(
                text("SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) AND error IS NULL")
            ).scalar_one()
            if rules == 0:
                hba_file = Path(connection.execute(text("SHOW hba_file")).scalar_one())
                try:
                    with hba_file.open("a", encoding="utf-8") as handle:
                        handle.write(
                            f"\n# local hot standbys (ecolabel-registry layout --replica)\n{_REPLICATION_RULE}\n"
                        )
                except OSError as exc:
                    raise StandbyError(f"add '{_REPLICATION_RULE}' to {hba_file} and reload the primary") from exc
                connection.execute(text("SELECT pg_reload_conf()"))
    finally:
        engine.dispose()


def create_primary(*, version: str | None = None) -> Cluster:
    """A new, empty cluster of its own on the next free port (for drills that reconfigure or stop it)."""
    with _port_lock():
        port = _free_port()
        cluster = Cluster(version or _installed_version(), f"ecolabel_primary_{port}", port)
        _create_cluster(cluster)
        _allow_local_trust(cluster)
        _start(cluster)
    return cluster


def create_standby(primary_url: str) -> Cluster:
    """A hot standby of the primary's whole cluster, streaming from it, on the next free port."""
    prepare_primary(primary_url)
    primary = make_url(primary_url)
    with _port_lock():
        _drop_stale_slots(primary_url)
        port = _free_port()
        cluster = Cluster(_server_version(primary_url), f"ecolabel_standby_{port}", port, primary_url=primary_url)
        _create_cluster(cluster)
        try:
            _allow_local_trust(cluster)
            data = Path(f"/var/lib/postgresql/{cluster.version}/{cluster.name}")
            for entry in data.iterdir():  # pg_basebackup writes into an empty directory it may not create
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            source = (
                f"host={primary.host or '127.0.0.1'} port={primary.port or 5432} user={primary.username or 'postgres'}"
            )
            backup = ["pg_basebackup", "-d", source, "-D", str(data), "-R", "-X", "stream", "-c", "fast", "--no-sync"]
            _run([*_as_postgres(), *backup, "-C", "-S", cluster.name])  # -C -S: a slot of its own
            _start(cluster)
        except BaseException:
            cluster.remove()
            raise
    return cluster


@contextmanager
def standbys(primary_url: str, count: int) -> Iterator[list[Cluster]]:
    """`count` standbys of the primary, dropped when the block ends (also on an error or Ctrl-C)."""
    with ExitStack() as stack:
        made: list[Cluster] = []
        for _ in range(count):
            cluster = create_standby(primary_url)
            stack.callback(cluster.remove)
            made.append(cluster)
        yield made


def _drop_stale_slots(primary_url: str) -> None:
    """Drop this module's slots whose standby cluster no longer exists on this machine (a killed run's)."""
    existing = {words[1] for words in _clusters() if len(words) > 1}
    engine = create_engine(_server_url(primary_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            names = connection.execute(
                text(
                    "SELECT slot_name FROM pg_replication_slots"
                    " WHERE slot_name LIKE 'ecolabel_standby_%' AND NOT active"
                )
            ).scalars()
            stale = [name for name in names if name not in existing]
    finally:
        engine.dispose()
    _drop_slots(primary_url, stale)


def _drop_slots(primary_url: str, names: list[str]) -> None:
    if not names:
        return
    engine = create_engine(_server_url(primary_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for name in names:
                connection.execute(
                    text("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = :n"),
                    {"n": name},
                )
    except OperationalError:
        pass  # the primary is gone (a failover drill stopped it): its slots went with it
    finally:
        engine.dispose()


def pause_replay(cluster: Cluster) -> None:
    """Pause WAL replay once the standby has replayed all the primary had written when asked.

    Paused in the middle of a transaction's records, replay keeps the locks that transaction took (a
    TRUNCATE's or DDL's ACCESS EXCLUSIVE) until its commit is replayed, which never happens while
    paused: every read of those tables on the standby would wait for ever. Replaying up to the primary's
    current position first ends every transaction committed before the pause.
    """
    if cluster.primary_url is not None:
        target = _scalar(_server_url(cluster.primary_url), "SELECT pg_current_wal_lsn()::text")
        _wait_until(
            lambda: _scalar(cluster.url("postgres"), f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") is True,
            f"{cluster.application_name} did not replay up to {target} before the pause",
        )
    _execute(cluster, "SELECT pg_wal_replay_pause()")


def _scalar(url: str, statement: str) -> object:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            return connection.execute(text(statement)).scalar()
    finally:
        engine.dispose()


def resume_replay(cluster: Cluster) -> None:
    _execute(cluster, "SELECT pg_wal_replay_resume()")


def detach(cluster: Cluster) -> None:
    """Stop the standby's WAL receiver (primary_conninfo emptied, reloaded): it keeps what it has, no more."""
    _execute(cluster, "ALTER SYSTEM SET primary_conninfo = ''")
    _execute(cluster, "SELECT pg_reload_conf()")


def _execute(cluster: Cluster, statement: str) -> None:
    engine = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _server_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def _server_version(url: str) -> str:
    engine = create_engine(_server_url(url))
    try:
        with engine.connect() as connection:
            number = int(connection.execute(text("SHOW server_version_num")).scalar_one())
    finally:
        engine.dispose()
    return str(number // 10_000)


def _installed_version() -> str:
    versions = sorted((p.name for p in Path("/usr/lib/postgresql").iterdir()), key=int)
    if not versions:
        raise StandbyError("no PostgreSQL server is installed under /usr/lib/postgresql")
    return versions[-1]


def _create_cluster(cluster: Cluster) -> None:
    _run(["pg_createcluster", cluster.version, cluster.name, "-p", str(cluster.port), "--start-conf=manual", "-q"])
    settings = Path(f"/etc/postgresql/{cluster.version}/{cluster.name}/conf.d/ecolabel.conf")
    # A local, throwaway copy: fsync off spares a loaded machine's disk (and a standby's start the sync of
    # its whole data directory, which took minutes here). It still survives any process crash; a
    # production standby keeps fsync on (docs/DEPLOYMENT.md).
    settings.write_text("listen_addresses = '127.0.0.1'\nfsync = off\n", encoding="utf-8")


def _allow_local_trust(cluster: Cluster) -> None:
    """Local development access, as on the primary: trust on 127.0.0.1, replication included."""
    hba = Path(f"/etc/postgresql/{cluster.version}/{cluster.name}/pg_hba.conf")
    hba.write_text(f"local all all trust\nhost all all 127.0.0.1/32 trust\n{_REPLICATION_RULE}\n", encoding="utf-8")


def _start(cluster: Cluster) -> None:
    arguments = ["pg_ctlcluster", "--skip-systemctl-redirect", cluster.version, cluster.name, "start"]
    _run([*arguments, "--", "-t", str(STARTUP_TIMEOUT_S)])  # pg_ctl's own wait, 60 s by default
    _wait_until(lambda: _answers(cluster), f"{cluster.application_name} did not accept connections")


def _answers(cluster: Cluster) -> bool:
    try:
        _execute(cluster, "SELECT 1")
    except OperationalError:
        return False
    return True


def _in_recovery(cluster: Cluster) -> bool:
    engine = create_engine(cluster.url("postgres"))
    try:
        with engine.connect() as connection:
            return bool(connection.execute(text("SELECT pg_is_in_recovery()")).scalar_one())
    finally:
        engine.dispose()


def _wait_until(condition: Callable[[], bool], message: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise StandbyError(message)
        time.sleep(0.2)


@contextmanager
def _port_lock() -> Iterator[None]:
    """Two test workers (or a test and a layout) choosing a port at once must not choose the same one."""
    with _LOCK_PATH.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _free_port() -> int:
    taken = {int(words[2]) for words in _clusters() if len(words) > 2 and words[2].isdigit()}
    for port in range(FIRST_PORT, LAST_PORT + 1):
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise StandbyError(f"no free port from {FIRST_PORT} to {LAST_PORT} for a standby")


def _clusters() -> list[list[str]]:
    listed = _run(["pg_lsclusters", "--no-header"])
    return [line.split() for line in listed.splitlines() if line.strip()]


def _as_postgres() -> list[str]:
    """pg_basebackup writes files the server (user postgres) must own: run it as that user."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(arguments: list[str], *, check: bool = True) -> str:
    if shutil.which(arguments[0]) is None:
        raise StandbyError(f"{arguments[0]} is not installed (Debian's postgresql-common provides it)")
    done = subprocess.run(arguments, capture_output=True, text=True, check=False)  # noqa: S603  (fixed tools, no shell)
    if check and done.returncode != 0:
        raise StandbyError(f"{' '.join(arguments[:4])} failed: {(done.stderr or done.stdout).strip()[-2000:]}")
    return done.stdout
