"""identifiability.progress: plain periodic lines off a terminal, a tqdm bar on one."""

import io

import pytest

from identifiability import progress as P
from identifiability.progress import Progress


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(P.time, "monotonic", fake)
    return fake


class Flushes(io.StringIO):
    """A non-tty stream that counts flushes, to check every line is flushed as it is written."""
    flushes = 0

    def flush(self):
        self.flushes += 1
        super().flush()


def test_non_tty_prints_a_line_every_n_items_and_a_final_line(clock):
    out = Flushes()
    with Progress(total=100, desc="train", unit="batches", every=25, stream=out) as bar:
        for _ in range(100):
            clock.now += 0.1
            bar.update(1)
    lines = out.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines[:3]] == ["train: 25/100", "train: 50/100", "train: 75/100"]
    assert lines[-1].startswith("train: done, 100 batches in 10.0 s (10.0 batches/s)")
    assert len(lines) == 4
    assert out.flushes >= 4
    assert "s left" in lines[0] and "batches/s" in lines[0]


def test_non_tty_prints_by_time_when_items_are_slow(clock):
    out = io.StringIO()
    bar = Progress(total=1000, desc="extract", every=500, seconds=5.0, stream=out)
    for _ in range(3):
        clock.now += 6.0
        bar.update(1)
    assert out.getvalue().count("\n") == 3   # one per item: each came more than 5 s after the last line
    clock.now += 1.0
    bar.update(1)
    assert out.getvalue().count("\n") == 3   # neither 500 items nor 5 s since the last line
    bar.close()
    bar.close()   # idempotent
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("extract: stopped at 4/1000 items after 19.0 s")
    assert len(lines) == 4


def test_default_every_is_a_tenth_and_postfix_is_shown(clock):
    out = io.StringIO()
    with Progress(total=50, stream=out) as bar:
        for i in range(50):
            bar.update(1, loss=f"{1 / (i + 1):.2f}")
    lines = out.getvalue().splitlines()
    assert len(lines) == 10   # at 5, 10, ..., 45, then the final line
    assert lines[0].startswith("5/50 (10.0 %)") and lines[0].endswith("loss=0.20")
    assert lines[-1].startswith("done, 50 items") and lines[-1].endswith("loss=0.02")


def test_unknown_total_and_wrap(clock):
    out = io.StringIO()
    items = list(Progress.wrap(iter(range(7)), desc="decode", every=3, stream=out))
    assert items == list(range(7))
    lines = out.getvalue().splitlines()
    assert lines == [lines[0], lines[1], lines[2]] and lines[0].startswith("decode: 3 items")
    assert lines[2].startswith("decode: done, 7 items")
    out = io.StringIO()
    assert list(Progress.wrap([1, 2], stream=out)) == [1, 2]   # total from len()
    assert out.getvalue().splitlines()[-1].startswith("done, 2 items")


def test_tty_draws_a_tqdm_bar_and_no_plain_lines():
    out = io.StringIO()
    with Progress(total=10, desc="epoch 1", unit="batches", stream=out, tty=True) as bar:
        for _ in range(10):
            bar.update(1, loss=0.5)
    text = out.getvalue()
    assert "\r" in text and "10/10" in text and "epoch 1" in text
    assert "done," not in text


def test_plain_lines_forced_by_the_environment(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True
    monkeypatch.setenv("IDENTIFIABILITY_PROGRESS", "plain")
    out = Tty()
    with Progress(total=4, every=2, stream=out) as bar:
        bar.update(4)
    assert out.getvalue().startswith("done, 4 items")
    monkeypatch.delenv("IDENTIFIABILITY_PROGRESS")
    assert Progress(total=4, stream=Tty())._bar is not None


def test_resumed_count_starts_at_initial(clock):
    out = io.StringIO()
    with Progress(total=100, initial=60, every=20, desc="resnet50", unit="images", stream=out) as bar:
        for _ in range(40):
            clock.now += 0.5
            bar.update(1)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("resnet50: 80/100 (80.0 %) 10.0 s elapsed, 10.0 s left, 2.0 images/s")
    assert lines[-1] == "resnet50: done, 40 images in 20.0 s (2.0 images/s) (100 with the 60 done before)"
