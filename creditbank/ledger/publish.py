"""Publishing the log as a static tlog-tiles tree, for any web server, CDN or object store.

``publish(engine, folder)`` writes ``checkpoint``, ``tile/<L>/<N>[.p/<W>]`` and
``tile/entries/<N>[.p/<W>]`` under ``folder``, exactly the paths (and bytes) that
``/tlog/`` serves, so a verifier reads the same tree from a bucket as from the bank.

Incremental: the checkpoint already in the folder says how far it was published; only
tiles that changed since are written, and a full tile that exists is never written
again (full tiles are immutable). The tiles are written first and the checkpoint last,
each file by an atomic rename, so a reader never sees a checkpoint whose tiles are not
there yet. Partial tiles of a tile that became full are removed (a reader that asked for
one falls back to the full tile, as tlog-tiles clients do). Publishers of one folder
(several server processes, a cron job) take turns under a lock on the folder and the
checkpoint never moves back.

:class:`TilePublisher` re-publishes in a thread whenever the log has grown (the
``tiles_dir`` setting).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine

from creditbank.core.errors import Conflict, InvalidInput
from creditbank.core.tlog import tiles
from creditbank.core.tlog.tileset import changed_tiles
from creditbank.ledger import store
from creditbank.ledger.cosignatures import served_checkpoint

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint"


@dataclass(frozen=True)
class Published:
    """What one publish did: the tree size now published, the size before, and how many
    tile files it wrote and removed."""

    size: int
    previous_size: int
    written: int
    removed: int


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the folder itself (no lock file to leak into the bucket)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # served files: world-readable, like any static site
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def published_size(folder: Path, origin: str) -> int:
    """The tree size of the checkpoint in ``folder`` (0 when there is none); refuses a
    folder that holds another log's checkpoint."""
    try:
        text = (folder / CHECKPOINT).read_text()
    except FileNotFoundError:
        return 0
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {folder / CHECKPOINT}: {exc}", field="dir") from exc
    lines = text.split("\n")
    if len(lines) < 2 or lines[0] != origin or not lines[1].isdigit():
        raise Conflict(
            f"{folder} holds the tiles of another log (its checkpoint is not one of "
            f"{origin}); publish into an empty folder",
            field="dir",
        )
    return int(lines[1])


def publish(engine: Engine, folder: Path, origin: str, *, witnessed: bool = False) -> Published:
    """Bring the static tiles tree in ``folder`` up to the checkpoint ``/tlog/checkpoint``
    serves: the latest, or, when the log is ``witnessed``, the newest one its witnesses
    cosigned, with their cosignatures."""
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(f"{folder} is not a folder; give a folder to publish into", field="dir")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"cannot create {folder}: {exc.strerror}", field="dir") from exc
    with _locked(folder):
        before = published_size(folder, origin)
        written = removed = 0
        with engine.connect() as conn:
            # Entries and nodes under a checkpoint never change: no snapshot is needed.
            size, note = served_checkpoint(conn, witnessed=witnessed)
            if size < before:
                raise Conflict(
                    f"{folder} holds a checkpoint of size {before}, newer than this log's "
                    f"{size}: it is another copy of the log",
                    field="dir",
                )
            for ref in changed_tiles(before, size):
                path = folder / ref.path
                if ref.width is None and path.exists():
                    continue  # full tiles are immutable: never written twice
                _write_atomic(path, _content(conn, ref))
                written += 1
                if ref.width is None:
                    partials = path.with_name(path.name + ".p")
                    if partials.is_dir():
                        removed += sum(1 for _ in partials.iterdir())
                        shutil.rmtree(partials)
        path = folder / CHECKPOINT
        if not path.exists() or path.read_bytes() != note.encode():  # new, or cosigned since
            _write_atomic(path, note.encode())
    return Published(size, before, written, removed)


def _content(conn: Connection, ref: tiles.TileRef) -> bytes:
    if ref.is_entries:
        start = ref.index * tiles.TILE_WIDTH
        return tiles.encode_bundle(store.entries_range(conn, start, start + ref.count))
    level, start, count = tiles.tile_node_range(ref.level, ref.index, ref.count)
    hashes = store.node_run(conn, level, start, count)
    if len(hashes) != count:
        raise Conflict(f"tile {ref.path}: {len(hashes)} of its {count} nodes are stored")
    return b"".join(hashes)


class TilePublisher:
    """Re-publishes ``folder`` whenever the log has grown, from a daemon thread that
    looks at the log's size every ``interval`` seconds (one small query; it sees
    appends from every process sharing the database). ``close`` publishes once more."""

    def __init__(
        self, engine: Engine, folder: Path, origin: str, interval: float, *, witnessed: bool
    ) -> None:
        self.engine = engine
        self.folder = folder
        self.origin = origin
        self.interval = interval
        self.witnessed = witnessed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen = -1

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tile-publisher", daemon=True)
        self._thread.start()

    def publish_if_grown(self) -> Published | None:
        with self.engine.connect() as conn:
            size = store.tree_size(conn)
        if size == 0 or (size == self._seen and not self.witnessed):
            return None  # nothing logged yet, or nothing new (a cosignature may be)
        done = publish(self.engine, self.folder, self.origin, witnessed=self.witnessed)
        self._seen = done.size
        return done

    def _tick(self) -> None:
        try:
            self.publish_if_grown()
        except Exception:  # a failed publish is logged and retried at the next tick
            log.exception("publishing tiles to %s failed", self.folder)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._tick()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._tick()
