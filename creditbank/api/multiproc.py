"""The environment variable naming prometheus-client's multi-process directory.

A module of its own, importing nothing: prometheus-client chooses where it keeps values
(in memory, or in files of that directory) once, when it is first imported. So the
command that names the directory must do so before anything imports prometheus-client;
reaching for this name must not import it.
"""

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
