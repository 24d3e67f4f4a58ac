"""Metrics of one run from its representations file (numpy and h5py only: the fit stage starts
in about a second, without importing torch)."""

from __future__ import annotations

import json

import numpy as np

from identifiability.verdicts import converged, late_share
from identifiability import linear_fit
from identifiability.io import read_hdf5

REPR_HINT = "Extract it with scripts/synthetic_extract.py (or let snakemake rebuild it)."


def theorem_maps(z, z_hat, rows, v, beta: float) -> dict:
    """The maps Theorems 1 and 2 speak of, measured (docs/theory.md): M (f∘g: z -> z̃) and
    A (v_C(i) -> w_i), both affine least-squares fits whose linear parts are compared.

    - ``map_scale_z``: mean singular value of M; ``kappa_hat_z`` = beta * map_scale_z (case C3
      predicts kappa: f∘g = (kappa / beta) O);
    - ``kappa_hat_w`` = beta * mean singular value of A (case C2: w_i = (kappa / beta) h(v_c) + c);
    - ``map_distance``: distance between the orthogonal factors of M and A (C1-C3: one map);
    - ``kappa_hat_logits``, ``logit_map_error``: beta A M^T = kappa I in every case (the logits
      match kappa <v_c, z> up to terms constant in the label): its trace / d and its distance
      from a multiple of the identity.
    W-side values are NaN without enough rows to fit A (fewer than 2 (d + 1), or no head).
    """
    m_z = linear_fit.forward_map(z, z_hat)
    out = {"map_scale_z": linear_fit.mean_singular_value(m_z)}
    out["kappa_hat_z"] = beta * out["map_scale_z"]
    nan = float("nan")
    if rows.shape[0] >= 2 * (rows.shape[1] + 1):
        a_w = linear_fit.forward_map(v, rows)
        kappa_logits, error = linear_fit.scalar_part(linear_fit.logit_map(beta, m_z, a_w))
        out.update({"kappa_hat_w": beta * linear_fit.mean_singular_value(a_w),
                    "map_distance": linear_fit.orthogonal_map_distance(m_z, a_w),
                    "kappa_hat_logits": kappa_logits, "logit_map_error": error})
    else:
        out.update({"kappa_hat_w": nan, "map_distance": nan, "kappa_hat_logits": nan, "logit_map_error": nan})
    return out


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
        "w_collapse": (linear_fit.within_class_collapse(arrays["w_rows"], arrays["w_row_classes"])
                       if rows.shape[0] else float("nan")),
        "beta": float(arrays["beta"]),
        "beta_over_kappa": float(arrays["beta"]) / kappa if kappa else float("nan"),
        "mean_feature_norm": float(np.linalg.norm(z_hat, axis=1).mean()),
        "seed": int(attrs["seed"]),
        "steps": meta["steps"],
        "train_wall_s": meta.get("train_wall_s"),
        "stacked_runs": meta.get("stacked_runs"),
        "products": meta.get("products"),
        # the convergence rule's measure, from the training loss alone (identifiability.verdicts)
        "loss_late_share": late_share(meta.get("loss_curve")),
        "converged": converged(meta.get("loss_curve")),
        **theorem_maps(z, z_hat, rows, v, float(arrays["beta"])),
    }
    out.update({f"process.{k}": v for k, v in meta["process_settings"].items()})
    out.update({f"train.{k}": v for k, v in meta["train_settings"].items()})
    return out
