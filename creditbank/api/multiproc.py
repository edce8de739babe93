"""The environment `creditbank serve` hands its worker processes.

A module of its own, importing nothing: prometheus-client chooses where it keeps values
(in memory, or in files of that directory) once, when it is first imported. So the
command that names the directory must do so before anything imports prometheus-client;
reaching for this name must not import it.
"""

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

SEQUENCER_ENV = "CREDITBANK_SEQUENCER_SOCKET"
"""With several workers: the socket of the server's one sequencer (creditbank.ledger.link)."""

SEQUENCER_KEY_ENV = "CREDITBANK_SEQUENCER_KEY"
"""The key (hex) a worker proves it belongs to the server with, at that socket."""
