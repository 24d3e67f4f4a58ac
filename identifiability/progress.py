"""Progress of a long loop, readable both in a terminal and in a job's log file.

On an interactive terminal (the stream is a tty) a tqdm bar is drawn; otherwise (a Snakemake or
SLURM job writing ``> {log} 2>&1``) a plain line is printed and flushed every ``every`` items and
at least every ``seconds`` seconds while items arrive, plus one at the end, so ``tail -f`` on the
log shows where the job is::

    extract train: 4096/14746 (27.8 %) 1.9 s elapsed, 5.0 s left, 2150.3 images/s
    ...
    extract train: done, 14746 images in 6.8 s (2168.5 images/s)

Interface::

    from identifiability.progress import Progress

    with Progress(total=len(loader), desc="epoch 3", unit="batches") as bar:
        for batch in loader:
            ...
            bar.update(1, loss=f"{loss:.3f}")      # optional key=value shown after the counts

    for item in Progress.wrap(items, desc="decode"):   # same, for a plain iterable
        ...

``Progress(total=None, desc="", unit="items", every=None, seconds=30.0, stream=None, tty=None,
initial=0)``: ``total`` may be None (unknown length: no percentage or time left); ``every``
defaults to about a tenth of ``total`` (0: lines by time only, the default with no total);
``stream`` defaults to stderr; ``tty`` forces the bar (True) or the plain lines (False) instead
of asking the stream; ``initial`` items were done before (a resumed job): they count towards
``total`` but not towards the rate.
``update(n=1, **postfix)`` counts ``n`` more items; ``set_postfix(**postfix)`` changes the
trailing key=value text; ``close()`` (or leaving the ``with`` block) prints the final line.
Setting ``IDENTIFIABILITY_PROGRESS=plain`` in the environment forces the plain lines everywhere.
"""

from __future__ import annotations

import os
import sys
import time


class Progress:
    """Counts items of a loop and reports them (see the module docstring)."""

    def __init__(self, total: int | None = None, desc: str = "", unit: str = "items",
                 every: int | None = None, seconds: float = 30.0, stream=None, tty: bool | None = None,
                 initial: int = 0):
        self.total = total
        self.desc = desc
        self.unit = unit
        self.every = every if every is not None else (max(1, round(total / 10)) if total else 0)
        self.seconds = seconds
        self.stream = stream if stream is not None else sys.stderr
        if tty is None:
            tty = (os.environ.get("IDENTIFIABILITY_PROGRESS", "") != "plain"
                   and hasattr(self.stream, "isatty") and self.stream.isatty())
        self.n = self.initial = initial
        self.postfix = ""
        self.closed = False
        self._start = time.monotonic()
        self._last_time = self._start
        self._last_n = initial
        self._bar = None
        if tty:
            try:
                from tqdm import tqdm
                self._bar = tqdm(total=total, desc=desc or None, unit=unit, file=self.stream,
                                 initial=initial, dynamic_ncols=True, leave=True)
            except ImportError:   # no tqdm: plain lines on the terminal too
                self._bar = None

    @classmethod
    def wrap(cls, iterable, total: int | None = None, **kwargs):
        """Yield from ``iterable``, counting one item each (``total`` defaults to its len())."""
        if total is None and hasattr(iterable, "__len__"):
            total = len(iterable)
        with cls(total=total, **kwargs) as progress:
            for item in iterable:
                yield item
                progress.update(1)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def set_postfix(self, **postfix) -> None:
        self.postfix = ", ".join(f"{k}={v}" for k, v in postfix.items())
        if self._bar is not None:
            self._bar.set_postfix_str(self.postfix, refresh=False)

    def update(self, n: int = 1, **postfix) -> None:
        if postfix:
            self.set_postfix(**postfix)
        self.n += n
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.monotonic()
        due_count = self.every and self.n - self._last_n >= self.every
        due_time = now - self._last_time >= self.seconds
        finished = self.total is not None and self.n >= self.total
        if (due_count or due_time) and not finished:   # the last item is reported by close()
            self._line(self._progress_text(now))
            self._last_time, self._last_n = now, self.n

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._bar is not None:
            self._bar.close()
            return
        elapsed = time.monotonic() - self._start
        new = self.n - self.initial
        rate = f" ({new / elapsed:.1f} {self.unit}/s)" if elapsed > 0 and new else ""
        if self.total is not None and self.n < self.total:
            text = f"stopped at {self.n}/{self.total} {self.unit} after {elapsed:.1f} s{rate}"
        else:
            text = f"done, {new} {self.unit} in {elapsed:.1f} s{rate}"
            if self.initial:
                text += f" ({self.n} with the {self.initial} done before)"
        self._line(text + (f", {self.postfix}" if self.postfix else ""))

    def _progress_text(self, now: float) -> str:
        elapsed = now - self._start
        rate = (self.n - self.initial) / elapsed if elapsed > 0 else 0.0
        if self.total:
            text = f"{self.n}/{self.total} ({100 * self.n / self.total:.1f} %) {elapsed:.1f} s elapsed"
            if rate > 0:
                text += f", {(self.total - self.n) / rate:.1f} s left"
        else:
            text = f"{self.n} {self.unit}, {elapsed:.1f} s elapsed"
        if rate > 0:
            text += f", {rate:.1f} {self.unit}/s"
        return text + (f", {self.postfix}" if self.postfix else "")

    def _line(self, text: str) -> None:
        print(f"{self.desc}: {text}" if self.desc else text, file=self.stream, flush=True)
