"""Small DIET and supervised runs whose metrics are pinned in tests/fixtures/methods_reference.json.

The file was written with the training code as it was before the objectives became plug-ins
(commit 6464d99: ``python tests/method_reference.py``); tests/test_methods.py trains the same runs
with today's code and asserts the same metrics, on the compiled CPU kernel path as in the workflow.
"""

import json
import sys
import tempfile
from dataclasses import asdict, replace
from pathlib import Path

import torch

from identifiability.synthetic.evaluate import extract, save_representations
from identifiability.synthetic.metrics import compute_metrics
from identifiability.synthetic.process import ProcessSettings, create_process, load_process, save_process
from identifiability.synthetic.train import TrainSettings, final_state, train_runs

REFERENCE = Path(__file__).parent / "fixtures" / "methods_reference.json"
PROCESS = ProcessSettings(d=3, clusters=10, N=40, eval_samples=512, generator_candidates=50)
TRAIN = TrainSettings(steps=100, batch_size=256, lr=0.02, warmup_steps=10, checkpoint_every=0, log_every=50)
VARIANTS = {"diet_o": {"method": "diet", "w_norm": True}, "diet_a": {"method": "diet"},
            "supervised": {"method": "supervised"}}
SEEDS = (0, 1)
METRICS = ("affine_r2_z", "orthogonal_r2_z", "mae_z", "affine_r2_w", "orthogonal_r2_w", "w_collapse", "beta")


def train_reference_runs() -> dict[str, list[dict]]:
    """variant -> per seed, the metrics of the run (seeds stacked in one batch, CPU, float32)."""
    torch.set_num_threads(1)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths = []
        for s in SEEDS:
            process, eval_arrays = create_process(PROCESS, s)
            paths.append(tmp / f"process{s}.h5")
            save_process(paths[-1], process, eval_arrays)
        for name, over in VARIANTS.items():
            settings = replace(TRAIN, **over)
            processes = [load_process(p)[0] for p in paths]
            dirs = [tmp / name / f"seed{s}" for s in SEEDS]
            batch = train_runs(settings, processes, dirs, torch.device("cpu"), log=lambda _: None)
            out[name] = []
            for r, (s, path) in enumerate(zip(SEEDS, paths)):
                state = final_state(batch, r, asdict(PROCESS))
                arrays, meta = extract(state, path)
                rep = tmp / name / f"seed{s}" / "representations.h5"
                save_representations(rep, arrays, meta, s)
                m = compute_metrics(rep)
                out[name].append({k: m[k] for k in METRICS})
    return out


def cpu_signature() -> str:
    """The CPU's instruction-set flags, hashed: the compiled kernels' float rounding follows them."""
    import hashlib
    from identifiability.synthetic.model import _cpu_flags
    return hashlib.sha256(_cpu_flags().encode()).hexdigest()[:12]


if __name__ == "__main__":
    REFERENCE.write_text(json.dumps({"cpu": cpu_signature(), "runs": train_reference_runs()}, indent=1) + "\n")
    print(REFERENCE.read_text(), file=sys.stderr)
