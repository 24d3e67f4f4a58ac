import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from identifiability.synthetic import model as M
from identifiability.synthetic.process import ProcessSettings, create_process, save_process
from identifiability.synthetic.train import RunBatch, TrainSettings, train_runs

REPO = Path(__file__).resolve().parent.parent
SMALL = ProcessSettings(d=3, clusters=6, N=30, eval_samples=256, generator_candidates=20)


def _processes(seeds, settings=SMALL):
    return [create_process(settings, s)[0] for s in seeds]


@pytest.mark.parametrize("chunk", [64, 1 << 19])
def test_fused_cross_entropy_matches_torch(chunk, monkeypatch):
    monkeypatch.setattr(M, "LOGIT_CHUNK_ELEMENTS", chunk)
    g = torch.Generator().manual_seed(0)
    R, B, d, K = 2, 50, 4, 13
    f = torch.randn(R, B, d, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(R, K, d, generator=g, dtype=torch.float64, requires_grad=True)
    lb = torch.randn(R, generator=g, dtype=torch.float64, requires_grad=True)
    t = torch.randint(0, K, (R, B), generator=g)
    weights = torch.tensor([1.0, 3.0], dtype=torch.float64)
    ours = M._LinearCrossEntropy.apply(f, w, lb.exp(), t)
    (ours * weights).sum().backward()
    grads = [f.grad.clone(), w.grad.clone(), lb.grad.clone()]
    f.grad = w.grad = lb.grad = None
    logits = torch.bmm(f, w.transpose(1, 2)) * lb.exp()[:, None, None]
    ref = F.cross_entropy(logits.reshape(R * B, K), t.reshape(-1), reduction="none").view(R, B).mean(1)
    (ref * weights).sum().backward()
    torch.testing.assert_close(ours, ref)
    for a, b in zip(grads, [f.grad, w.grad, lb.grad]):
        torch.testing.assert_close(a, b)


def test_encoder_matches_a_plain_torch_module():
    shape = M.ModelShape(d=3, head_rows=5, feature_norm=False, w_norm=False, learn_beta=True)
    p = M.stack_runs([M.init_run_parameters(shape, torch.Generator().manual_seed(0))])
    b = M.stack_runs([M.init_run_buffers(shape, "cpu")])
    layers = []
    widths = shape.widths
    for i, (a, c) in enumerate(zip(widths[:-1], widths[1:])):
        lin = nn.Linear(a, c, bias=False)
        lin.weight.data = p[f"hidden{i}.weight"][0].clone()
        bn = nn.BatchNorm1d(c)
        bn.weight.data = p[f"hidden{i}.bn_weight"][0].clone()
        bn.bias.data = p[f"hidden{i}.bn_bias"][0].clone()
        layers += [lin, bn, nn.LeakyReLU()]
    out = nn.Linear(widths[-1], 3)
    out.weight.data, out.bias.data = p["out.weight"][0].clone(), p["out.bias"][0].clone()
    net = nn.Sequential(*layers, out)
    x = torch.randn(64, 3)
    torch.testing.assert_close(M.encode(p, b, shape, x[None], train=True)[0], net(x))
    net.eval()
    torch.testing.assert_close(M.encode(p, b, shape, x[None], train=False)[0], net(x))


def test_run_trained_in_a_batch_equals_run_trained_alone(tmp_path):
    """Same seed inside a batch of three and alone: the same model and the same metrics.

    In float64 so that the comparison is about the algorithm, not about summation order: in
    float32 the batched BatchNorm sums in another order, and Adam's first steps (which act like
    sign(gradient)) amplify those last-bit differences into visibly different, equally good runs.
    """
    settings = TrainSettings(steps=60, batch_size=64, lr=3e-3, w_norm=True, checkpoint_every=0)
    together = RunBatch(settings, _processes([0, 1, 2]), torch.device("cpu"), dtype=torch.float64)
    alone = RunBatch(settings, _processes([1]), torch.device("cpu"), dtype=torch.float64)
    for _ in range(60):
        together.train_step()
        alone.train_step()
    for name in together.params:
        torch.testing.assert_close(together.params[name][1], alone.params[name][0], rtol=1e-7, atol=1e-9)
    for name in together.buffers:
        torch.testing.assert_close(together.buffers[name][1], alone.buffers[name][0], rtol=1e-7, atol=1e-9)
    # and therefore the same metrics, through the real extraction and fitting code
    from identifiability.synthetic.evaluate import extract, save_representations
    from identifiability.synthetic.metrics import compute_metrics
    from identifiability.synthetic.process import save_process
    from identifiability.synthetic.train import final_state
    proc, ev = create_process(SMALL, 1)
    save_process(tmp_path / "p.h5", proc, ev)
    metrics = []
    for batch, r in ((together, 1), (alone, 0)):
        state = final_state(batch, r, {**SMALL.__dict__})
        state["params"] = {k: v.float() for k, v in state["params"].items()}
        state["buffers"] = {k: v.float() for k, v in state["buffers"].items()}
        arrays, meta = extract(state, tmp_path / "p.h5")
        save_representations(tmp_path / f"r{r}.h5", arrays, meta, 1)
        metrics.append(compute_metrics(tmp_path / f"r{r}.h5"))
    for key in ("affine_r2_z", "orthogonal_r2_z", "affine_r2_w", "mae_z", "w_collapse", "beta"):
        assert metrics[0][key] == pytest.approx(metrics[1][key], rel=1e-5, abs=1e-6), key


def test_runs_in_a_batch_must_share_shapes():
    with pytest.raises(ValueError, match="share"):
        RunBatch(TrainSettings(), [_processes([0])[0], create_process(ProcessSettings(d=4, clusters=6, N=30, eval_samples=64, generator_candidates=5), 1)[0]], torch.device("cpu"))


def test_resume_from_checkpoint_equals_uninterrupted(tmp_path):
    settings = TrainSettings(steps=40, batch_size=64, checkpoint_every=20, method="supervised")
    straight = train_runs(settings, _processes([0]), [tmp_path / "a"], torch.device("cpu"), log=lambda m: None)
    # an interrupted run: 20 steps, checkpoint, then a fresh process picks up from the file
    first = RunBatch(settings, _processes([0]), torch.device("cpu"))
    for _ in range(20):
        first.train_step()
    from identifiability.synthetic.train import save_checkpoint
    save_checkpoint(tmp_path / "b" / "checkpoint.pt", first.run_state(0))
    resumed = train_runs(settings, _processes([0]), [tmp_path / "b"], torch.device("cpu"), log=lambda m: None)
    assert resumed.step == straight.step == 40
    for name in straight.params:
        torch.testing.assert_close(straight.params[name], resumed.params[name], rtol=0, atol=0)


def test_checkpoint_with_other_settings_is_refused(tmp_path):
    a = TrainSettings(steps=20, batch_size=32, checkpoint_every=10)
    first = RunBatch(a, _processes([0]), torch.device("cpu"))
    first.train_step()
    from identifiability.synthetic.train import save_checkpoint
    save_checkpoint(tmp_path / "checkpoint.pt", first.run_state(0))
    with pytest.raises(ValueError, match="other training settings"):
        train_runs(TrainSettings(steps=20, batch_size=32, checkpoint_every=10, lr=0.5), _processes([0]),
                   [tmp_path], torch.device("cpu"), log=lambda m: None)


def _train_cmd(process, out, steps):
    return [sys.executable, str(REPO / "scripts" / "synthetic_train.py"), "--process", str(process),
            "--out", str(out), "--steps", str(steps), "--batch-size", "256", "--checkpoint-every", "25",
            "--log-every", "25", "--threads", "1", "--device", "cpu"]


def test_killed_training_resumes_to_the_same_model(tmp_path):
    process, ev = create_process(SMALL, 5)
    save_process(tmp_path / "p.h5", process, ev)
    steps = 400
    ref = tmp_path / "ref" / "model.pt"
    subprocess.run(_train_cmd(tmp_path / "p.h5", ref, steps), check=True, capture_output=True)
    out = tmp_path / "run" / "model.pt"
    job = subprocess.Popen(_train_cmd(tmp_path / "p.h5", out, steps), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    ckpt = out.parent / "checkpoint.pt"
    deadline = time.time() + 120
    while not ckpt.exists() and time.time() < deadline and job.poll() is None:
        time.sleep(0.05)
    job.send_signal(signal.SIGKILL)
    job.wait()
    assert not out.exists(), "a killed job must not leave a finished-looking model file"
    assert not list(out.parent.glob("*.partial"))
    subprocess.run(_train_cmd(tmp_path / "p.h5", out, steps), check=True, capture_output=True)
    a = torch.load(ref, weights_only=False)
    b = torch.load(out, weights_only=False)
    assert a["steps"] == b["steps"] == steps
    for name in a["params"]:
        torch.testing.assert_close(a["params"][name], b["params"][name], rtol=0, atol=0)
    assert not ckpt.exists()
