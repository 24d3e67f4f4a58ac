"""Linear decoding of factors from representations (Table 4's metric).

For every factor in {target (reported as "category")} ∪ decoded: least squares without intercept
from the train features to the standardised factor index, Pearson r on the validation split.
Small problems go through ``identifiability.linear_fit.pearson_decoding``; wide ones (the pixel
baseline on the full data sets) through the same solution computed from streamed normal
equations, so no float64 copy of all pixels is ever made.
"""

from __future__ import annotations

import numpy as np

from identifiability.linear_fit import pearson_decoding

CATEGORY = "category"
DIRECT_LIMIT_BYTES = 2 * 1024 ** 3


def factors_to_decode(meta: dict) -> list[tuple[str, str]]:
    """(row name in Table 4, factor name) pairs: the class target first, then the decoded factors."""
    return [(CATEGORY, meta["target"])] + [(f, f) for f in meta["decoded"]]


def _rows(x) -> np.ndarray:
    x = np.asarray(x)
    return x.reshape(len(x), -1).astype(np.float64) / (255.0 if x.dtype == np.uint8 else 1.0)


def streamed_pearson_decoding(train_x, train_y: np.ndarray, test_x, test_y: np.ndarray,
                              chunk: int = 8192, device="cpu", log=print) -> np.ndarray:
    """Like pearson_decoding for several targets (columns of train_y) at once, via X^T X.

    ``train_x``/``test_x`` are arrays (uint8 images are scaled to [0, 1]) read ``chunk`` rows at
    a time. The minimum-norm solution of the normal equations equals the least-squares solution.
    ``device``: a torch device or its name (``auto``: CUDA when usable, ``identifiability.device``).
    """
    import torch
    from identifiability.device import resolve_device
    device = resolve_device(device) if isinstance(device, str) else device
    train_y = np.asarray(train_y, float).reshape(len(train_y), -1)
    test_y = np.asarray(test_y, float).reshape(len(test_y), -1)
    mu, sd = train_y.mean(0), train_y.std(0)
    sd = np.where(sd > 0, sd, 1.0)
    z = torch.from_numpy((train_y - mu) / sd).to(device)
    gram, rhs = None, None
    for start in range(0, len(train_x), chunk):
        xb = torch.from_numpy(_rows(train_x[start:start + chunk])).to(device)
        if gram is None:
            gram = torch.zeros(xb.shape[1], xb.shape[1], dtype=torch.float64, device=device)
            rhs = torch.zeros(xb.shape[1], z.shape[1], dtype=torch.float64, device=device)
        gram += xb.T @ xb
        rhs += xb.T @ z[start:start + chunk]
        if (start // chunk) % 10 == 9:
            log(f"  normal equations: {start + len(xb)}/{len(train_x)} rows")
    coef = torch.linalg.pinv(gram, hermitian=True) @ rhs
    preds = np.concatenate([(torch.from_numpy(_rows(test_x[s:s + chunk])).to(device) @ coef).cpu().numpy()
                            for s in range(0, len(test_x), chunk)])
    out = np.zeros(z.shape[1])
    for j in range(z.shape[1]):
        if np.std(preds[:, j]) > 0 and np.std(test_y[:, j]) > 0:
            out[j] = np.corrcoef(preds[:, j], test_y[:, j])[0, 1]
    return out


def decode_all(train_x, train_factors: np.ndarray, val_x, val_factors: np.ndarray, meta: dict,
               device="cpu", log=print) -> dict[str, float]:
    """Pearson r on the validation split for every factor of ``factors_to_decode(meta)``.

    Problems that fit in memory are solved with numpy, without torch; wider ones (pixels of a full
    data set) stream through ``streamed_pearson_decoding`` on ``device`` (a torch device or its name)."""
    names = meta["factor_names"]
    pairs = factors_to_decode(meta)
    cols = [names.index(f) for _, f in pairs]
    width = int(np.prod(np.shape(train_x)[1:]))
    if len(train_x) * width * 8 <= DIRECT_LIMIT_BYTES:
        tx, vx = _rows(train_x), _rows(val_x)
        return {row: pearson_decoding(tx, train_factors[:, c].astype(float), vx, val_factors[:, c].astype(float))
                for (row, _), c in zip(pairs, cols)}
    log(f"decoding from {width}-d inputs via streamed normal equations")
    r = streamed_pearson_decoding(train_x, train_factors[:, cols], val_x, val_factors[:, cols],
                                  device=device, log=log)
    return {row: float(v) for (row, _), v in zip(pairs, r)}
