"""`creditbank serve --workers N`'s worker processes, each with a listening socket of its
own.

uvicorn's supervisor hands every worker one shared listening socket. Whichever worker
wakes first then accepts a whole burst of new connections; an LMS forwarding statements
keeps its connections open, so one worker may serve every client while the others idle.
Here each worker listens on a socket of its own, all bound to the one port with
``SO_REUSEPORT``, and the kernel spreads new connections over them evenly. A socket
belongs to its worker's slot: a worker that dies is replaced on the same socket, so the
connections queued on it are not lost. The rest (signals, health checks, restarts) is
uvicorn's ``Multiprocess``.
"""

from __future__ import annotations

import logging
import socket

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

log = logging.getLogger("creditbank.serve")


def listening_sockets(host: str, port: int, count: int, backlog: int) -> list[socket.socket]:
    """``count`` sockets listening on ``host:port`` (SO_REUSEPORT); with port 0, the
    port the first one got."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            port = sock.getsockname()[1]
            sock.listen(backlog)
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class OwnSocketWorkers(Multiprocess):
    """uvicorn's supervisor, giving worker ``i`` the socket ``sockets[i]``."""

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        assert len(sockets) == self.processes_num

    def _started(self, slot: int) -> Process:
        process = Process(self.config, [self.sockets[slot]])
        process.start()
        return process

    def init_processes(self) -> None:
        self.processes = [self._started(slot) for slot in range(self.processes_num)]

    def restart_all(self) -> None:
        """Replace each worker in turn on its socket (SIGHUP)."""
        for slot, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._started(slot)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                log.error("worker %s was not ready in time; restart stopped", new.pid)
                return
            old.terminate()
            old.join()
            self.processes[slot] = new

    def keep_subprocess_alive(self) -> None:
        """Replace a worker that died or hangs, on its socket; stop the server if a
        worker failed before it started serving (it would fail again)."""
        if self.should_exit.is_set():
            return
        for slot, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                log.error("worker %s failed to start; stopping", process.pid)
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            log.warning("worker %s died; starting another", process.pid)
            self.processes[slot] = self._started(slot)
