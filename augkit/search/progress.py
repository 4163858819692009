"""Progress of a search: a tqdm bar on a terminal, quiet log lines otherwise."""

from __future__ import annotations

import sys
import time


class Progress:
    """tqdm on a terminal (or `enabled=True`); otherwise a quiet log line every ~10% of the
    trials on stderr; `enabled=False`: silent."""

    def __init__(self, total: int, done: int, enabled: bool | None, unit: str = "trial"):
        self.total, self.done, self.t0 = total, done, time.perf_counter()
        self.start_done = done
        tty = sys.stderr.isatty()
        self.bar = None
        self.quiet = enabled is False
        if enabled is True or (enabled is None and tty):
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=done, desc="search", unit=unit)

    def member(self) -> None:
        """One member's interval trained (the bar counts member trainings)."""
        if self.bar is not None:
            self.bar.update(1)

    def round(self, r: int, rounds: int, epoch: int, best: float, control: float,
              secs: float) -> None:
        """One population round done: the bar moves, or one log line."""
        if self.bar is not None:
            self.bar.set_postfix(epoch=epoch, best=f"{best:.4f}", control=f"{control:.4f}")
            return
        self.log(f"round {r}/{rounds} (epoch {epoch}): best member {best:.4f}, control "
                 f"{control:.4f}, {secs:.0f}s")

    def log(self, msg: str) -> None:
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.write(msg)
        else:
            print(f"[augkit search] {msg}", file=sys.stderr, flush=True)

    def step(self, best: float | None) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            if best is not None:
                self.bar.set_postfix(best=f"{best:.4f}")
            return
        every = max(1, self.total // 10)
        if not self.quiet and (self.done % every == 0 or self.done == self.total):
            el = time.perf_counter() - self.t0
            rate = (self.done - self.start_done) / max(el, 1e-9)
            eta = (self.total - self.done) / rate if rate > 0 else float("nan")
            best_s = "-" if best is None else f"{best:.4f}"
            self.log(f"trials {self.done}/{self.total} best {best_s} elapsed {el:.0f}s "
                     f"eta {eta:.0f}s")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
