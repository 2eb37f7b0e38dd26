"""Where partitions run: in this process (``local``), on Ray, or on Dask.

Each executor takes the same list of tasks and returns one :class:`PartitionResult` per task. Ray and
Dask start a cluster on this machine with ``workers`` processes, or join an existing one when an
address is given (``--address``, or ``RAY_ADDRESS`` / ``DASK_SCHEDULER_ADDRESS``); then storyline must
be installed on every node, the same version as here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..config import Config
from ..model import Article
from .partition import PartitionResult, run_partition

ENGINES = ("local", "ray", "dask")


class ExecutorError(RuntimeError):
    """The parallel engine is missing or cannot be reached; the message says what to do."""


@dataclass(frozen=True)
class Task:
    """One partition's work: its warm-up articles and the articles it owns."""

    index: int
    warmup: Sequence[Article]
    owned: Sequence[Article]


Done = Callable[[PartitionResult], None]


def _check_reachable(address: str, engine: str, timeout: float = 5.0) -> None:
    """Fail fast, in one line, when ``address`` names a ``host:port`` nobody listens on (``auto`` and
    other forms are left to the engine)."""
    import socket
    from urllib.parse import urlsplit

    split = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = split.hostname, split.port
    except ValueError:
        return
    if not host or port is None:
        return
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise ExecutorError(f"cannot reach {engine} at {address}: {exc.strerror or exc}") from None


def run_local(tasks: Sequence[Task], config: Config, done: Done | None = None) -> list[PartitionResult]:
    """Every partition in turn, in this process."""
    results = []
    for t in tasks:
        results.append(run_partition(t.index, t.warmup, t.owned, config))
        if done is not None:
            done(results[-1])
    return results


def run_ray(tasks: Sequence[Task], config: Config, workers: int, address: str | None = None,
            done: Done | None = None, timings: dict[str, float] | None = None) -> list[PartitionResult]:
    """Partitions as Ray tasks, at most ``workers`` at a time.

    Without ``address`` (and without ``RAY_ADDRESS``) a local Ray instance with ``workers`` CPUs is
    started for the run and stopped after it.
    """
    try:
        import ray
    except ImportError:
        raise ExecutorError("--engine ray needs Ray: pip install '.[backfill]' in storyline's folder") from None
    address = address or os.environ.get("RAY_ADDRESS") or None
    started = False
    clock = time.perf_counter()
    if not ray.is_initialized():
        if address:
            _check_reachable(address, "Ray")  # ray.init would retry for minutes, logging as it goes
        try:
            if address:
                ray.init(address=address, logging_level="ERROR", log_to_driver=False)
            else:
                ray.init(num_cpus=workers, include_dashboard=False, logging_level="ERROR",
                         log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ExecutorError(f"cannot start or reach Ray{f' at {address}' if address else ''}: "
                                f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
        started = True
    if timings is not None:
        timings["start"] = time.perf_counter() - clock
    try:
        remote = ray.remote(num_cpus=1)(run_partition)
        config_ref = ray.put(config)
        pending: dict[object, int] = {}
        results: list[PartitionResult] = []
        queue = list(tasks)
        while queue or pending:
            while queue and len(pending) < workers:
                t = queue.pop(0)
                pending[remote.remote(t.index, t.warmup, t.owned, config_ref)] = t.index
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                pending.pop(ref)
                results.append(ray.get(ref))
                if done is not None:
                    done(results[-1])
        return results
    finally:
        if started:
            ray.shutdown()


def run_dask(tasks: Sequence[Task], config: Config, workers: int, address: str | None = None,
             done: Done | None = None, timings: dict[str, float] | None = None) -> list[PartitionResult]:
    """Partitions as Dask futures on a ``LocalCluster`` of ``workers`` processes, or on the scheduler
    at ``address`` (or ``DASK_SCHEDULER_ADDRESS``)."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ExecutorError("--engine dask needs Dask: pip install '.[backfill]' in storyline's folder") from None
    address = address or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    cluster = None
    clock = time.perf_counter()
    if address:
        _check_reachable(address, "Dask")
    try:
        if address:
            client = Client(address, timeout="20s")
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=50)
            client = Client(cluster)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ExecutorError(f"cannot start or reach Dask{f' at {address}' if address else ''}: {exc}") from None
    if timings is not None:
        timings["start"] = time.perf_counter() - clock
    try:
        config_future = client.scatter(config, broadcast=True)
        futures = [client.submit(run_partition, t.index, t.warmup, t.owned, config_future, pure=False)
                   for t in tasks]
        results: list[PartitionResult] = []
        for future in as_completed(futures):
            results.append(future.result())
            if done is not None:
                done(results[-1])
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
