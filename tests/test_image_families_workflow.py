"""The DisLib and ImageNet-X rules run end to end through Snakemake on tiny inputs (procedural
dSprites; real photographs under ImageNet-X names with the input projection), their logs show
progress, and `snakemake --report` includes their tables beside their figures."""


import pytest
import yaml

from conftest import snakemake

from identifiability.imagenetx.sample_photos import make_image_dir  # noqa: E402


@pytest.mark.slow
def test_dislib_and_imagenetx_rules_run_and_report_their_tables(workflow_copy):
    from identifiability.imagenetx.annotations import load_annotations
    make_image_dir(workflow_copy / "val", load_annotations(), per_cell=2)
    config = {
        "results": "results", "threads": 1,
        "synthetic": {"seeds": [0], "tables": {}},
        "dislib": {"enabled": True, "datasets": ["dsprites_procedural"], "procedural": {"n_samples": 300},
                   "models": ["input", "mlp"], "seeds": [0], "train": {"batch_size": 64, "max_epochs": 1}},
        "imagenetx": {"enabled": True, "image_dir": str(workflow_copy / "val"), "models": ["input_projection"],
                      "min_images": 4, "extract": {"batch_size": 4, "chunk_images": 8},
                      "decode": {"seeds": [0, 1], "min_minority": 4}},
    }
    (workflow_copy / "config.yaml").write_text(yaml.safe_dump(config))
    snakemake(workflow_copy, timeout=1200)
    results = workflow_copy / "results"
    assert "stand-in" in (results / "dislib" / "table4.md").read_text()
    (imx,) = (results / "imagenetx").iterdir()
    assert (imx / "figure3_summary.md").stat().st_size > 100
    # the logs show the loops' progress lines (plain lines: a log file is no terminal)
    logs = results / "logs"
    (train_log,) = logs.glob("dislib/*/mlp/*/seed0/train.log")
    assert "  epoch 1: done, " in train_log.read_text()
    (extract_log,) = logs.glob("dislib/*/mlp/*/seed0/extract.log")
    assert "train features: done, 240 images" in extract_log.read_text()
    (imx_log,) = logs.glob("imagenetx/*/extract_input_projection.log")
    assert "input_projection: done, " in imx_log.read_text()
    # one HTML report: the tables (CSV and Markdown) are items beside the figures
    snakemake(workflow_copy, "--report", "report.html")
    html = (workflow_copy / "report.html").read_text()
    for name in ("table4.csv", "table4.md", "table4_figure.png", "figure3_summary.csv", "figure3_summary.md",
                 "figure3_per_seed.csv", "figure3.png"):
        assert name in html, name
