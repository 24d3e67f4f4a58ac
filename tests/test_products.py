"""How a run's matrix products are computed (identifiability.numerics): the request cpu_matmul is
resolved from what this machine's products are measured to do, never from CPU flags; a run's id
names the result; a job computes what it was planned for or stops. The behaviour tests decide on
the same probe the workflow uses, so they hold on an Intel CPU with AMX (oneDNN's switch reaches
bfloat16 units), an AMD CPU with AVX-512 BF16 (the switch changes nothing; bfloat16 tensors are
faster) and an AVX2-only CPU (neither)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import identifiability.numerics as numerics
from identifiability.config import load_config
from identifiability.device import check_products, matmul_precision, probe_machine, products_here
from identifiability.numerics import PRODUCTS, machine_probe, resolve_products
from identifiability.synthetic import model as M
from identifiability.synthetic.plan import build_plan, setting_id
from identifiability.synthetic.process import ProcessSettings, create_process
from identifiability.synthetic.settings import TrainSettings
from identifiability.synthetic.train import RunBatch, final_state

REPO = Path(__file__).resolve().parent.parent
PART = REPO / "docs" / "validation" / "parts" / "d5_kappa"

AMX = {"cuda": False, "onednn_bfloat16": True, "tensors_speedup": 2.0, "openblas_faster": False}
AVX512_BF16 = {"cuda": False, "onednn_bfloat16": False, "tensors_speedup": 3.4, "openblas_faster": True}
AVX2 = {"cuda": False, "onednn_bfloat16": False, "tensors_speedup": 0.4, "openblas_faster": True}
GPU = {**AVX2, "cuda": True}


def _rel(c, exact):
    return ((c.double() - exact).norm() / exact.norm()).item()


def test_published_run_ids_are_unchanged(monkeypatch):
    """The committed validation runs (float32 by torch's MKL, made before OpenBLAS was an option)
    keep their ids when planned for what they were computed with."""
    monkeypatch.setenv("IDENTIFIABILITY_CPU_BLAS", "mkl")
    cfg = load_config(PART / "config.yaml")
    plan = build_plan(cfg["synthetic"], cfg["threads"])
    layout = json.loads((PART / "table2.layout.json").read_text())
    published = {setting_id for row in layout["rows"] for setting_id in row["runs"].values()}
    assert published <= set(plan.settings), sorted(published - set(plan.settings))


def test_a_runs_id_names_its_products_not_the_request():
    p, t = ProcessSettings(), TrainSettings()
    ids = {prod: setting_id(p, t, prod) for prod in PRODUCTS}
    assert len(set(ids.values())) == len(PRODUCTS)
    # a request that resolves the same is the same run
    assert setting_id(p, TrainSettings(cpu_matmul="auto"), "float32") == ids["float32"]
    assert setting_id(p, TrainSettings(cpu_matmul="bfloat16"), "bfloat16-tensors") == ids["bfloat16-tensors"]
    with pytest.raises(ValueError, match="cpu_matmul"):
        TrainSettings(cpu_matmul="float16")


@pytest.mark.parametrize("machine, threads, expected", [
    # request:               float32              bfloat16              auto
    (AMX, 1, ("float32", "bfloat16-onednn", "bfloat16-onednn")),
    (AVX512_BF16, 1, ("float32-openblas", "bfloat16-tensors", "bfloat16-tensors")),
    (AVX512_BF16, 2, ("float32", "bfloat16-tensors", "bfloat16-tensors")),
    (AVX2, 1, ("float32-openblas", "bfloat16-tensors", "float32-openblas")),
    (AVX2, 4, ("float32", "bfloat16-tensors", "float32")),
    (GPU, 1, ("float32", "float32", "float32")),
])
def test_resolution_follows_the_measured_machine(monkeypatch, machine, threads, expected):
    monkeypatch.delenv("IDENTIFIABILITY_CPU_BLAS", raising=False)
    got = tuple(resolve_products(m, "auto", threads, machine) for m in ("float32", "bfloat16", "auto"))
    assert got == expected
    assert resolve_products("bfloat16", "cuda", threads, None) == "float32"   # no probe needed for a GPU
    on_cpu = {**machine, "cuda": False}   # device cpu: the GPU is not used even where there is one
    assert resolve_products("auto", "cpu", threads, machine) == resolve_products("auto", "auto", threads, on_cpu)
    monkeypatch.setenv("IDENTIFIABILITY_CPU_BLAS", "mkl")
    assert resolve_products("float32", "cpu", 1, machine) == "float32"
    monkeypatch.setenv("IDENTIFIABILITY_CPU_BLAS", "openblas")
    assert resolve_products("float32", "cpu", 4, machine) == "float32-openblas"


def test_the_probe_says_what_the_switch_does_here():
    """oneDNN's bfloat16 switch, measured on another shape than the probe's: inside it a float32
    product has bfloat16's error (inputs rounded to 8 bits of mantissa, ~2^-9 relative) exactly
    where the probe says the switch works, float32's (~1e-7) elsewhere; outside it always float32's."""
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(3, 200, 96, generator=g), torch.randn(3, 96, 80, generator=g)
    exact = a.double() @ b.double()
    emulated = _rel(a.bfloat16().float() @ b.bfloat16().float(), exact)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with matmul_precision("bfloat16"):
            inside = _rel(torch.bmm(a, b), exact)
        after = _rel(torch.bmm(a, b), exact)
    finally:
        torch.set_num_threads(before)
    assert after < 1e-6
    if probe_machine()["onednn_bfloat16"]:
        assert 1e-4 < inside < 2e-2 and inside == pytest.approx(emulated, rel=0.5)
    else:
        assert inside < 1e-6
    assert machine_probe()["onednn_bfloat16"] == probe_machine()["onednn_bfloat16"]


def test_bfloat16_tensor_products_round_inputs_and_outputs_on_every_cpu():
    """The bfloat16-tensors path computes bfloat16 products whatever the CPU (torch emulates them
    where there are no bfloat16 units): forward and both gradients carry bfloat16's error, from
    rounded inputs (~2^-9 relative each) and the rounded output (another ~2^-9), far above
    float32's ~1e-7 and far below 1 %."""
    g = torch.Generator().manual_seed(2)
    h = torch.randn(2, 128, 60, generator=g, requires_grad=True)
    w = torch.randn(2, 40, 60, generator=g, requires_grad=True)
    up = torch.randn(2, 128, 40, generator=g)
    y = M._Bfloat16TensorProduct.apply(h, w)
    assert y.dtype == torch.float32 and y.shape == (2, 128, 40)
    gh, gw = torch.autograd.grad(y, (h, w), up)
    hd, wd, ud = h.detach().double(), w.detach().double(), up.double()
    for got, exact in ((y, hd @ wd.transpose(1, 2)), (gh, ud @ wd), (gw, ud.transpose(1, 2) @ hd)):
        assert got.dtype == torch.float32
        assert 3e-4 < _rel(got.detach(), exact) < 1e-2


@pytest.mark.parametrize("cpu_matmul", ["float32", "bfloat16", "auto"])
def test_training_records_its_products_and_learns(cpu_matmul):
    """A few steps in each request from the same start: the model file records the products this
    machine computed, and the losses agree with float32's to bfloat16's precision."""
    p = create_process(ProcessSettings(d=3, clusters=10, N=200, eval_samples=64, generator_candidates=20), 0)[0]
    losses = {}
    for m in ("float32", cpu_matmul):
        b = RunBatch(TrainSettings(steps=30, batch_size=128, lr=0.003, cpu_matmul=m), [p], torch.device("cpu"))
        losses[m] = [float(b.train_step()[0]) for _ in range(30)]
        state = final_state(b, 0, {})
        assert state["products"] == products_here(m, torch.device("cpu")) == b.products
        assert state["matmul_precision"] == b.products.split("-")[0]
        assert state["cpu_blas"] == ("openblas" if b.products == "float32-openblas" else "mkl")
    if cpu_matmul == "bfloat16":
        assert state["matmul_precision"] == "bfloat16"     # asked for explicitly: always honoured
    assert losses[cpu_matmul][-1] < losses[cpu_matmul][0]
    assert losses[cpu_matmul][0] == pytest.approx(losses["float32"][0], rel=1e-2)
    assert losses[cpu_matmul][-1] == pytest.approx(losses["float32"][-1], rel=5e-2)


def test_a_job_stops_on_products_its_machine_cannot_compute(monkeypatch):
    with pytest.raises(ValueError, match="synthetic.device"):
        check_products("bfloat16-tensors", torch.device("cuda"))
    check_products("float32", torch.device("cuda"))
    with pytest.raises(ValueError, match="products must be one of"):
        check_products("float16", torch.device("cpu"))
    import identifiability.device as device
    monkeypatch.setattr(device, "machine_probe", lambda: {**AVX512_BF16})
    with pytest.raises(ValueError, match="cpu_matmul"):
        check_products("bfloat16-onednn", torch.device("cpu"))
    monkeypatch.setattr(device, "_numpy_blas", lambda: "mkl-sdl")
    with pytest.raises(ValueError, match="IDENTIFIABILITY_CPU_BLAS=mkl"):
        check_products("float32-openblas", torch.device("cpu"))
    p = create_process(ProcessSettings(d=3, clusters=10, N=50), 0)[0]
    with pytest.raises(ValueError, match="bfloat16-onednn"):
        RunBatch(TrainSettings(steps=2), [p], torch.device("cpu"), products="bfloat16-onednn")


def test_the_probe_is_kept_per_machine_and_measured_again_when_unreadable(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    machine_probe.cache_clear()
    try:
        first = machine_probe()
        files = list((tmp_path / "identifiability" / "machine").glob("*.json"))
        assert len(files) == 1 and json.loads(files[0].read_text()) == first
        assert set(AMX) <= set(first)
        files[0].write_text("{not json")
        machine_probe.cache_clear()
        assert machine_probe()["onednn_bfloat16"] == first["onednn_bfloat16"]
        assert json.loads(files[0].read_text())["onednn_bfloat16"] == first["onednn_bfloat16"]
    finally:
        machine_probe.cache_clear()


def test_planning_does_not_import_torch_once_the_machine_is_known():
    """Snakemake plans in its own process: with the probe kept, a plan costs no torch import."""
    machine_probe()   # kept on disk for this machine
    code = ("import sys; from identifiability.config import load_config; "
            "from identifiability.synthetic.plan import build_plan; "
            "cfg = load_config('config.yaml'); plan = build_plan(cfg['synthetic'], cfg['threads']); "
            "print(len(plan.settings), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    n, imported = out.stdout.split()
    assert int(n) > 0 and imported == "False"


def test_the_default_config_plans_what_this_machine_computes():
    """config.yaml asks for auto: its planned products are what a job here resolves, and they are
    bfloat16 exactly where the probe measured bfloat16 products to pay (never from CPU flags)."""
    cfg = load_config(REPO / "config.yaml")
    plan = build_plan(cfg["synthetic"], cfg["threads"])
    planned = {s.products for s in plan.settings.values()}
    here = products_here("auto", torch.device("cpu"), threads=cfg["threads"])
    assert planned == {here}
    probe = machine_probe()
    fast = probe["onednn_bfloat16"] or probe["tensors_speedup"] >= numerics.TENSORS_MIN_SPEEDUP
    assert here.startswith("bfloat16") == fast


@pytest.mark.slow
@pytest.mark.parametrize("blas", ["mkl", "openblas"])
def test_the_precision_and_blas_tests_pass_with_each_library_forced(blas):
    """The tests that depend on the CPU's products, rerun with IDENTIFIABILITY_CPU_BLAS forced
    (cpu_matmul is forced by the tests' own parameters): another machine's choice cannot surprise CI."""
    if blas == "openblas" and "openblas" not in probe_machine()["numpy_blas"].lower():
        pytest.skip("numpy's BLAS here is not OpenBLAS")
    env = {**os.environ, "IDENTIFIABILITY_CPU_BLAS": blas}
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow",
                          str(REPO / "tests" / "test_products.py"), str(REPO / "tests" / "test_cpu_blas.py")],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
