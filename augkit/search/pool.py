"""Where the search's trainings run: this process, a pool of processes, or Ray tasks.

Each task is a plain dict handed to a module-level function together with the job's shared
data (arrays sent to each worker once, not with every task). Tasks carry their own seeds, so
the results do not depend on where or in which order they run.
"""

from __future__ import annotations

_DATA: dict = {}


def init_worker(data: dict, threads: int | None = None) -> None:
    """Worker set-up: the shared data and `threads` torch threads (None: one, the fastest
    on a busy machine)."""
    from .train import set_threads

    _DATA.clear()
    _DATA.update(data)
    set_threads(threads)


def shared() -> dict:
    return _DATA


def _call(fn, task, data):
    """A Ray task: the data arrives as an argument (from the object store), not a global."""
    init_worker(data)
    return fn(task)


class LocalPool:
    """`workers` spawned processes (no forked torch state), or this process for 1."""

    def __init__(self, data: dict, workers: int, threads: int | None = None):
        self.pool = None
        if workers > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                                            initializer=init_worker, initargs=(data, threads))
        else:
            self.saved = dict(_DATA)
            init_worker(data, threads)

    def imap(self, fn, tasks):
        """Results in task order, each as soon as it and those before it are done."""
        if self.pool is None:
            return (fn(t) for t in tasks)
        return self.pool.map(fn, tasks)  # submits every task now, yields lazily in order

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
        else:
            _DATA.clear()
            _DATA.update(self.saved)


class RayPool:
    """Ray tasks of one CPU each; the data goes to the object store once."""

    def __init__(self, data: dict, address: str | None):
        from .ray_backend import _init

        self.ray = _init(address)
        self.ref = self.ray.put(data)
        self.remote = self.ray.remote(num_cpus=1, max_retries=1)(_call)

    def imap(self, fn, tasks):
        refs = [self.remote.remote(fn, t, self.ref) for t in tasks]  # all queued now
        return (self.ray.get(r) for r in refs)

    def close(self) -> None:
        pass


def open_pool(data: dict, backend: str, workers: int, address: str | None = None):
    return RayPool(data, address) if backend == "ray" else LocalPool(data, workers)
