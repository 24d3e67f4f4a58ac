"""The library behind the encoder's float32 products on the CPU (identifiability.device.cpu_blas):
numpy's OpenBLAS on CPUs that are not Intel's at one thread, torch's MKL on Intel's or at more
threads; both give the same products,
gradients and training to float32 rounding, and a job's thread count holds for both."""
import pytest
import torch
from threadpoolctl import threadpool_info

import identifiability.device as device
import identifiability.synthetic.model as M
from identifiability.synthetic.process import ProcessSettings, create_process
from identifiability.synthetic.settings import TrainSettings
from identifiability.synthetic.train import RunBatch


@pytest.fixture
def blas(monkeypatch):
    """Set IDENTIFIABILITY_CPU_BLAS (or clear it) and forget the cached choice, before and after."""
    def use(name):
        if name is None:
            monkeypatch.delenv("IDENTIFIABILITY_CPU_BLAS", raising=False)
        else:
            monkeypatch.setenv("IDENTIFIABILITY_CPU_BLAS", name)
        device._openblas_is_faster.cache_clear()
    yield use
    device._openblas_is_faster.cache_clear()


@pytest.mark.parametrize("vendor, numpy_blas, expected", [
    ("AuthenticAMD", "scipy-openblas", "openblas"),
    ("GenuineIntel", "scipy-openblas", "mkl"),
    ("AuthenticAMD", "mkl-sdl", "mkl"),        # a numpy built on MKL gains nothing
    ("", "scipy-openblas", "mkl"),             # vendor unknown: torch's default
])
def test_the_choice_follows_the_cpu_vendor_and_numpys_blas(blas, monkeypatch, vendor, numpy_blas, expected):
    monkeypatch.setattr(device, "_cpu_vendor", lambda: vendor)
    monkeypatch.setattr(device, "_numpy_blas", lambda: numpy_blas)
    blas(None)
    assert device.cpu_blas(threads=1) == expected
    assert device.cpu_blas(threads=2) == "mkl"      # OpenBLAS's threads beside torch's: 2.6x slower steps
    blas("mkl")
    assert device.cpu_blas() == "mkl"
    blas("openblas")
    assert device.cpu_blas() == "openblas"


def test_a_wrong_override_names_the_variable(blas):
    blas("cublas")
    with pytest.raises(ValueError, match="IDENTIFIABILITY_CPU_BLAS"):
        device.cpu_blas()


@pytest.mark.parametrize("runs", [1, 3])
def test_both_libraries_give_the_same_products_and_gradients(blas, runs):
    g = torch.Generator().manual_seed(0)
    h = torch.randn(runs, 96, 50, generator=g, requires_grad=True)
    w = torch.randn(runs, 40, 50, generator=g, requires_grad=True)
    upstream = torch.randn(runs, 96, 40, generator=g)
    exact = h.detach().double() @ w.detach().double().transpose(1, 2)
    results = {}
    for name in ("mkl", "openblas"):
        blas(name)
        y = M._linear(h, w)
        assert y.shape == (runs, 96, 40) and y.is_contiguous()
        assert ("OpenBlas" in type(y.grad_fn).__name__) == (name == "openblas")   # the library asked for
        results[name] = (y.detach(), *torch.autograd.grad(y, (h, w), upstream))
    assert (results["openblas"][0].double() - exact).abs().max() < 1e-4
    for a, b in zip(results["mkl"], results["openblas"]):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-4)
    with torch.no_grad():   # evaluation: the same product without autograd
        torch.testing.assert_close(M._linear(h, w), results["openblas"][0])


def test_training_agrees_between_the_libraries(blas):
    """Two stacked runs from the same start, by each library: what float32 rounding bounds.

    One step's gradients: every product rounds at u = 2^-24 per operation and accumulates K of
    them (K <= 50 here), so each product's relative error is at most about K u ~ 3e-6; a forward
    and backward pass chains 2 x 7 of them (BatchNorm renormalises between, amplifying no more than
    its inverse batch std, ~1 here), so the gradients agree norm-wise to 14 K u ~ 4e-5 at worst.
    Parameters after several Adam steps are not bounded by rounding: Adam's first steps move each
    weight by about lr x sign(gradient), so a gradient within rounding of zero may step either way
    (212 of 45,000 weights of a hidden layer differed by up to 7e-4 after 10 steps on an AMD EPYC
    with AVX-512). Those weights barely move the loss (its gradient in them is ~0), so the losses
    of ten steps agree to about the same 1e-4 relative as a single step's."""
    procs = [create_process(ProcessSettings(d=3, clusters=12, N=60), s)[0] for s in range(2)]
    out = {}
    for name in ("mkl", "openblas"):
        blas(name)
        batch = RunBatch(TrainSettings(steps=10, batch_size=64, warmup_steps=2), procs, torch.device("cpu"))
        assert batch.products == ("float32-openblas" if name == "openblas" else "float32")
        data = batch.method.draw(batch)
        loss = batch.method.loss(batch, data).sum()
        trainable = {k: v for k, v in batch.params.items() if v.requires_grad}
        grads = dict(zip(trainable, torch.autograd.grad(loss, list(trainable.values()))))
        batch = RunBatch(TrainSettings(steps=10, batch_size=64, warmup_steps=2), procs, torch.device("cpu"))
        out[name] = (torch.stack([batch.train_step() for _ in range(10)]), grads)
    for k, g in out["mkl"][1].items():
        diff = (g - out["openblas"][1][k]).norm() / g.norm().clamp_min(1e-30)
        assert diff < 4e-5, (k, float(diff))
    torch.testing.assert_close(out["mkl"][0], out["openblas"][0], rtol=1e-4, atol=1e-5)


def test_a_jobs_thread_count_holds_for_numpys_blas_too():
    import numpy  # noqa: F401  (loads its BLAS, which threadpoolctl then sees)
    from threadpoolctl import threadpool_limits
    before = torch.get_num_threads()
    blas_before = max(lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas")
    try:
        device.set_threads(1)
        assert torch.get_num_threads() == 1
        libraries = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
        assert libraries and all(lib["num_threads"] == 1 for lib in libraries)
    finally:
        torch.set_num_threads(before)
        threadpool_limits(blas_before, user_api="blas")


def test_products_leave_openblas_when_the_job_runs_more_threads(blas, monkeypatch):
    """auto on a CPU where OpenBLAS is the faster: one thread takes it, two take torch's (one pool)."""
    monkeypatch.setattr(device, "_cpu_vendor", lambda: "AuthenticAMD")
    monkeypatch.setattr(device, "_numpy_blas", lambda: "scipy-openblas")
    blas(None)
    h = torch.randn(2, 16, 8, requires_grad=True)
    w = torch.randn(2, 4, 8, requires_grad=True)
    before = torch.get_num_threads()
    try:
        used = {}
        for threads in (1, 2):
            torch.set_num_threads(threads)
            used[threads] = type(M._linear(h, w).grad_fn).__name__
        assert "OpenBlas" in used[1] and "OpenBlas" not in used[2]
    finally:
        torch.set_num_threads(before)
