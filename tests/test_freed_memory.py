"""Stages keep the memory they free (identifiability.cli.retain_freed_memory): a block of a few MB
freed and allocated again comes back from the heap without page faults; glibc's defaults fault on
every page each time, which is what made a training step pay ~1,500 faults."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")

CYCLE = """
import resource, sys
import numpy as np
if sys.argv[1] == "retain":
    from identifiability.cli import retain_freed_memory
    assert retain_freed_memory()
def cycle():   # like a training step: ten 2 MB activations alive at once, all freed at its end
    blocks = [np.ones(1 << 19, dtype=np.float32) for _ in range(10)]
    del blocks
for _ in range(3):                       # warm up: the heap grows to its peak once
    cycle()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    cycle()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", CYCLE, mode], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def test_freed_blocks_are_reused_without_page_faults():
    default, retained = faults("default"), faults("retain")
    # 20 cycles of 20 MB are 100,000 pages of 4 kB: with glibc's defaults the freed top of the
    # heap is trimmed, and most are faulted in again
    assert default > 20_000, default
    assert retained < 200, retained


def test_every_stage_retains_freed_memory(monkeypatch):
    from identifiability import cli
    calls = []
    monkeypatch.setattr(cli, "retain_freed_memory", lambda: calls.append(True))
    cli.run_main(lambda: None)
    assert calls == [True]
