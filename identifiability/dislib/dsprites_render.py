"""Procedural dSprites: an offline stand-in for the public dSprites file.

Geometry (SPEC §3): 3 shapes (square, ellipse, heart) x 6 scales (0.5..1) x 40 orientations
(linspace(0, 2π, 40): the last equals the first, as in the original) x 32 x 32 positions, 64 x 64
binary images. The sprite centre is at pixel (x, y) = (16 + 32·posX, 16 + 32·posY) with posX,
posY in linspace(0, 1, 32), x the column and y the row (downwards). A pixel is on when its centre
lies inside the rotated shape: square of side 20·s, ellipse with axes 26·s x 14·s (major axis
horizontal at angle 0), heart about 20 x 17 px at s = 1 with its lobes up. Rotation is
counter-clockwise on screen.

Deviations from the original file (it is a stand-in, not a copy): the original sprites were
drawn with another rasteriser, so edges differ pixel by pixel; the heart is the algebraic curve
(x² + y² − 1)³ = x² y³ rather than the original's bitmap outline; the rotation direction and the
rotation centre of the original are not documented and may differ; rendering picks a seeded
random subset of the 737,280 factor combinations unless all are requested.
"""

from __future__ import annotations

import math

import numpy as np

from identifiability.dislib.datasets import SPECS, FactorImages

SIZE = 64
SCALES = np.linspace(0.5, 1.0, 6)
ORIENTATIONS = np.linspace(0.0, 2 * math.pi, 40)
POSITIONS = np.linspace(0.0, 1.0, 32)
SHAPES = ("square", "ellipse", "heart")
FACTOR_SIZES = (3, 6, 40, 32, 32)
N_COMBINATIONS = int(np.prod(FACTOR_SIZES))

# heart curve (x²+y²-1)³ = x² y³ spans x in [-1.139, 1.139], y in [-1, 1.236] (y up)
_HEART_W, _HEART_H, _HEART_YMID = 2 * 1.1390, 2.2360, 0.1180


def render(factors: np.ndarray, batch: int = 2048) -> np.ndarray:
    """Render factor indices (N, 5) [shape, scale, orientation, posX, posY] to (N, 64, 64) uint8 {0,1}."""
    factors = np.asarray(factors, dtype=np.int64)
    if factors.ndim != 2 or factors.shape[1] != 5:
        raise ValueError(f"factors must be (N, 5), got {factors.shape}")
    if ((factors < 0) | (factors >= np.asarray(FACTOR_SIZES))).any():
        raise ValueError(f"factor indices outside the grid sizes {FACTOR_SIZES}")
    out = np.empty((len(factors), SIZE, SIZE), dtype=np.uint8)
    centres = np.arange(SIZE) + 0.5                          # pixel centres
    py, px = np.meshgrid(centres, centres, indexing="ij")    # rows (y down), columns (x)
    for start in range(0, len(factors), batch):
        f = factors[start:start + batch]
        s = SCALES[f[:, 1]][:, None, None]
        a = ORIENTATIONS[f[:, 2]][:, None, None]
        cx = (16 + 32 * POSITIONS[f[:, 3]])[:, None, None]
        cy = (16 + 32 * POSITIONS[f[:, 4]])[:, None, None]
        dx, dy_up = px[None] - cx, -(py[None] - cy)          # y up for the shape equations
        # rotate the pixel back by -a: the sprite is rotated by +a (counter-clockwise on screen)
        u = np.cos(a) * dx + np.sin(a) * dy_up
        v = -np.sin(a) * dx + np.cos(a) * dy_up
        shape = f[:, 0][:, None, None]
        square = (np.abs(u) <= 10 * s) & (np.abs(v) <= 10 * s)
        ellipse = (u / (13 * s)) ** 2 + (v / (7 * s)) ** 2 <= 1
        hx = u / (20 * s / _HEART_W)
        hy = v / (17 * s / _HEART_H) + _HEART_YMID
        heart = (hx ** 2 + hy ** 2 - 1) ** 3 - hx ** 2 * hy ** 3 <= 0
        img = np.where(shape == 0, square, np.where(shape == 1, ellipse, heart))
        out[start:start + batch] = img
    return out


def sample_factors(n_samples: int | None, seed: int) -> np.ndarray:
    """All 737,280 combinations (n_samples None) or a seeded random subset without replacement."""
    if n_samples is None or n_samples >= N_COMBINATIONS:
        flat = np.arange(N_COMBINATIONS)
    else:
        if n_samples < 1:
            raise ValueError(f"n_samples must be positive, got {n_samples}")
        flat = np.sort(np.random.default_rng(seed).choice(N_COMBINATIONS, n_samples, replace=False))
    return np.stack(np.unravel_index(flat, FACTOR_SIZES), axis=1).astype(np.int64)


def render_dataset(n_samples: int | None, seed: int, progress=print) -> FactorImages:
    factors = sample_factors(n_samples, seed)
    images = np.empty((len(factors), SIZE, SIZE, 1), dtype=np.uint8)
    step = 16384
    for start in range(0, len(factors), step):
        images[start:start + step, ..., 0] = render(factors[start:start + step]) * np.uint8(255)
        progress(f"  rendered {min(start + step, len(factors))}/{len(factors)} sprites")
    return FactorImages(images, factors, SPECS["dsprites_procedural"])
