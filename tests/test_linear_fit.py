import numpy as np
import pytest
from scipy.stats import ortho_group

from identifiability import linear_fit


def test_exact_affine_map_gives_r2_one():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4000, 5))
    A = rng.normal(size=(5, 5))
    rep = z @ A + 3.0
    assert linear_fit.affine_r2(rep, z) > 0.999999
    # without intercept the offset hurts
    assert linear_fit.orthogonal_r2(rep, z) < linear_fit.affine_r2(rep, z)


def test_noise_gives_r2_near_zero():
    rng = np.random.default_rng(1)
    assert abs(linear_fit.affine_r2(rng.normal(size=(4000, 5)), rng.normal(size=(4000, 5)))) < 0.01


def test_singular_value_mae_zero_for_scaled_rotation_positive_otherwise():
    rng = np.random.default_rng(2)
    z = rng.normal(size=(4000, 5))
    O = ortho_group.rvs(5, random_state=3)
    assert linear_fit.singular_value_mae(7.0 * z @ O, z) < 1e-8
    skew = np.diag([1.0, 1.0, 1.0, 1.0, 4.0])
    assert linear_fit.singular_value_mae(z @ skew @ O, z) > 0.2


def test_pearson_decoding():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2000, 10))
    y = x @ rng.normal(size=10)
    assert linear_fit.pearson_decoding(x[:1000], y[:1000], x[1000:], y[1000:]) > 0.999
    assert abs(linear_fit.pearson_decoding(x[:1000], rng.normal(size=1000), x[1000:], rng.normal(size=1000))) < 0.15


def test_within_class_collapse():
    rng = np.random.default_rng(4)
    centres = rng.normal(size=(10, 5))
    classes = np.arange(200) % 10
    assert linear_fit.within_class_collapse(centres[classes], classes) < 1e-12
    noisy = centres[classes] + rng.normal(size=(200, 5))
    assert 0.2 < linear_fit.within_class_collapse(noisy, classes) < 1.0


def test_training_probe_equals_the_affine_r2_metric():
    """The training loop's numpy probe is the affine R² of linear_fit (scikit-learn)."""
    import torch
    from identifiability.synthetic.process import ProcessSettings, create_process
    from identifiability.synthetic.train import RunBatch, TrainSettings, quick_affine_r2
    from identifiability.synthetic import model as M
    process, eval_arrays = create_process(ProcessSettings(d=3, clusters=5, N=20, eval_samples=400,
                                                          generator_candidates=10), 0)
    batch = RunBatch(TrainSettings(steps=5, batch_size=32), [process], torch.device("cpu"))
    for _ in range(5):
        batch.train_step()
    x = torch.as_tensor(eval_arrays["x"], dtype=torch.float32)
    z = torch.as_tensor(eval_arrays["z"])
    with torch.no_grad():
        feats = M.encode(batch.params, batch.buffers, batch.shapes[0], x[None], train=False)[0].double().numpy()
    assert quick_affine_r2(batch, 0, x, z) == pytest.approx(linear_fit.affine_r2(feats, z.numpy()), abs=1e-9)


@pytest.mark.parametrize("intercept", [True, False])
@pytest.mark.parametrize("d_out", [1, 4])
def test_least_squares_and_r2_equal_sklearn(intercept, d_out):
    """numpy's least squares (what the fit stage runs, without sklearn's import time) gives
    sklearn's LinearRegression and r2_score, including a constant output column."""
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import r2_score
    rng = np.random.default_rng(7 + d_out)
    x = rng.normal(size=(600, 5)) * [1, 2, 3, 4, 5] + 1.5
    y = x @ rng.normal(size=(5, d_out)) + rng.normal(size=(600, d_out)) + 2.0
    if d_out > 1:
        y[:, 0] = 3.0          # a constant target: r2_score scores it 0 unless predicted exactly
    coef, b = linear_fit.least_squares(x, y, intercept)
    reg = LinearRegression(fit_intercept=intercept).fit(x, y)
    np.testing.assert_allclose(coef, reg.coef_.T, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(b, reg.intercept_ if intercept else 0.0, rtol=1e-8, atol=1e-10)
    pred = reg.predict(x)
    assert linear_fit.r2(y, pred) == pytest.approx(r2_score(y, pred), abs=1e-12)
    r2, _ = linear_fit.fit_r2(x, y, intercept)
    half = len(x) // 2
    reference = r2_score(y[half:], LinearRegression(fit_intercept=intercept).fit(x[:half], y[:half]).predict(x[half:]))
    assert r2 == pytest.approx(reference, abs=1e-10)


def test_the_fit_stage_does_not_import_sklearn_or_torch():
    import subprocess
    import sys
    code = ("import sys, identifiability.synthetic.metrics\n"
            "print(sorted(m for m in ('sklearn', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
