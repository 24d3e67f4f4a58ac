"""Extraction of learned representations and the metrics computed from them."""

from __future__ import annotations

import json

import numpy as np
import torch

from identifiability import linear_fit
from identifiability.io import ArtifactError, provenance, read_hdf5, write_hdf5
from identifiability.synthetic import model as M
from identifiability.synthetic.process import load_process

MODEL_HINT = "Train it with scripts/synthetic_train.py (or let snakemake rebuild it)."
REPR_HINT = "Extract it with scripts/synthetic_extract.py (or let snakemake rebuild it)."


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
    shape = M.ModelShape(**{k: tuple(v) if k == "hidden_factors" else v
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
    meta = {"train_settings": model_state["train_settings"],
            "process_settings": model_state["process_settings"], "steps": model_state["steps"]}
    return arrays, meta


def save_representations(path, arrays, meta, seed) -> None:
    attrs = provenance(meta, seed)
    write_hdf5(path, arrays, attrs)


def compute_metrics(path) -> dict:
    """All metrics of one run, from its representations file."""
    arrays, attrs = read_hdf5(path, "representations file", REPR_HINT,
                              required=("z_hat", "z", "w_rows", "v_of_rows"))
    meta = json.loads(attrs["settings"])
    z_hat, z = arrays["z_hat"], arrays["z"]
    rows, v = arrays["w_rows"], arrays["v_of_rows"]
    # Rows of W are an ordered sequence (row i has class i mod |C|): shuffle before the
    # half/half split so that the fit and test halves cover all classes alike.
    perm = np.random.default_rng(0).permutation(rows.shape[0])
    rows, v = rows[perm], v[perm]
    kappa = meta["process_settings"].get("kappa")
    # a W -> v_c fit needs more rows in its fitting half than parameters (d + 1 per output);
    # with fewer (e.g. supervised with 10 classes) the R² is meaningless and reported as NaN
    w_ok = rows.shape[0] // 2 >= 2 * (rows.shape[1] + 1)
    out = {
        "affine_r2_z": linear_fit.affine_r2(z_hat, z),
        "orthogonal_r2_z": linear_fit.orthogonal_r2(z_hat, z),
        "mae_z": linear_fit.singular_value_mae(z_hat, z),
        "affine_r2_w": linear_fit.affine_r2(rows, v) if w_ok else float("nan"),
        "orthogonal_r2_w": linear_fit.orthogonal_r2(rows, v) if w_ok else float("nan"),
        "mae_w": linear_fit.singular_value_mae(rows, v) if w_ok else float("nan"),
        "w_collapse": linear_fit.within_class_collapse(arrays["w_rows"], arrays["w_row_classes"]),
        "beta": float(arrays["beta"]),
        "beta_over_kappa": float(arrays["beta"]) / kappa if kappa else float("nan"),
        "mean_feature_norm": float(np.linalg.norm(z_hat, axis=1).mean()),
        "seed": int(attrs["seed"]),
        "steps": meta["steps"],
    }
    out.update({f"process.{k}": v for k, v in meta["process_settings"].items()})
    out.update({f"train.{k}": v for k, v in meta["train_settings"].items()})
    return out
