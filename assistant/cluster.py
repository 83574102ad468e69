"""A Dask cluster for `python -m assistant index --workers N` (or `--scheduler tcp://host:8786`).

Local by default: N worker processes on this machine, one task at a time each, their torch
sharing the cores between them. With a scheduler address, the workers of a running Dask cluster;
they must see the source files at the same paths and the embedding model at `settings.model`.
"""

from __future__ import annotations

import os
from contextlib import contextmanager


@contextmanager
def dask_client(workers: int = 0, scheduler: str = ""):
    """A Dask client for the cluster asked for, closed (and a local cluster stopped) on exit."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout="30s") as client:
            yield client
        return
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    threads = max(1, (os.cpu_count() or 1) // workers)  # torch reads it when a worker imports it
    with dask.config.set({"distributed.nanny.pre-spawn-environ.OMP_NUM_THREADS": threads}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield client
