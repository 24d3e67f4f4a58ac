"""Extraction of learned representations: z̃ = f(x) on held-out samples, rows of W, beta.

The metrics computed from them live in ``metrics.py`` (no torch needed there)."""

from __future__ import annotations


import numpy as np
import torch

from identifiability.io import ArtifactError, provenance, write_hdf5, write_json
from identifiability.synthetic import model as M
from identifiability.synthetic.metrics import compute_metrics
from identifiability.synthetic.process import load_process

MODEL_HINT = "Train it with scripts/synthetic_train.py (or let snakemake rebuild it)."


def load_model(path, device="cpu") -> dict:
    from pathlib import Path
    path = Path(path)
    if not path.exists():
        raise ArtifactError(f"model weights not found: {path}. {MODEL_HINT}")
    try:
        return torch.load(path, map_location=device, weights_only=False)
    except Exception as exc:  # torch raises several types for damaged files
        raise ArtifactError(f"model weights at {path} cannot be read ({exc}). Delete the file and "
                            f"re-train: {MODEL_HINT}") from exc


def extract(model_state: dict, process_path, device="cpu") -> tuple[dict[str, np.ndarray], dict]:
    """z̃ = f(x) on the held-out samples beside z; rows of W beside the v_c of their labels."""
    process, eval_arrays = load_process(process_path)
    if process.seed != model_state["process_seed"]:
        raise ArtifactError(f"model was trained on process seed {model_state['process_seed']} but "
                            f"{process_path} has seed {process.seed}")
    shape = M.ModelShape(**{k: tuple(v) if k == "hidden_factors" or isinstance(v, list) else v
                            for k, v in model_state["model_shape"].items()})
    params = {k: v[None].to(device) for k, v in model_state["params"].items()}
    buffers = {k: v[None].to(device) for k, v in model_state["buffers"].items()}
    x = torch.as_tensor(eval_arrays["x"], dtype=torch.float32, device=device)[None]
    with torch.no_grad():
        z_hat = M.encode(params, buffers, shape, x, train=False)[0].double().cpu().numpy()
        rows = M.head_rows(params, shape)[0].double().cpu().numpy()
        beta = float(M.beta(params)[0])
    n_rows = rows.shape[0]
    row_classes = np.arange(n_rows) % process.settings.clusters
    arrays = {"z_hat": z_hat, "z": eval_arrays["z"], "labels": eval_arrays["labels"],
              "classes": eval_arrays["classes"], "w_rows": rows, "w_row_classes": row_classes,
              "v_of_rows": process.cluster_vectors.numpy()[row_classes],
              "cluster_vectors": process.cluster_vectors.numpy(), "beta": np.array(beta)}
    if "head.bias" in params:
        arrays["w_bias"] = params["head.bias"][0].double().cpu().numpy()
    meta = {"train_settings": model_state["train_settings"],
            "process_settings": model_state["process_settings"], "steps": model_state["steps"],
            "train_wall_s": model_state.get("train_wall_s"), "stacked_runs": model_state.get("stacked_runs"),
            "products": model_state.get("products"), "loss_curve": model_state.get("loss_curve")}   # how training computed (identifiability.numerics)
    return arrays, meta


def save_representations(path, arrays, meta, seed) -> None:
    attrs = provenance(meta, seed)
    write_hdf5(path, arrays, attrs)


def evaluate_run(model_state: dict, process_path, representations_path, metrics_path=None, device="cpu",
                 log=print) -> None:
    """Extraction to ``representations_path`` and, with ``metrics_path``, the fits (stage 4) of one
    run: what scripts/synthetic_extract.py does per model, and the training job itself when the
    workflow evaluates its runs there (one start-up for training, extraction and fits)."""
    arrays, meta = extract(model_state, process_path, device)
    save_representations(representations_path, arrays, meta, model_state["process_seed"])
    log(f"wrote {representations_path}")
    if metrics_path:
        metrics = compute_metrics(representations_path)
        write_json(metrics_path, metrics)
        log(f"wrote {metrics_path}: affine R² z {metrics['affine_r2_z']:.4f}")
