import copy
from pathlib import Path

import pytest
import yaml

from identifiability.config import ConfigError, load_config, validate_config
from identifiability.synthetic.plan import build_plan

REPO = Path(__file__).resolve().parent.parent


def _cfg(name="config.yaml"):
    return yaml.safe_load((REPO / name).read_text())


@pytest.mark.parametrize("name", ["config.yaml", "configs/paper.yaml", "configs/test.yaml"])
def test_shipped_configs_are_valid_and_plan(name):
    cfg = load_config(REPO / name)
    plan = build_plan(cfg["synthetic"])
    assert plan.settings and plan.seeds


def test_unknown_key_is_named():
    cfg = _cfg()
    cfg["synthetic"]["train"]["learning_rate"] = 0.1
    with pytest.raises(ConfigError, match=r"synthetic\.train.*learning_rate"):
        validate_config(cfg)


def test_bad_value_is_named():
    cfg = _cfg()
    cfg["synthetic"]["train"]["lr"] = -1
    with pytest.raises(ConfigError, match=r"synthetic\.train\.lr"):
        validate_config(cfg)
    cfg = _cfg()
    cfg["synthetic"]["tables"]["table2"]["rows"].append({"process": {"conditional": "cauchy"}})
    with pytest.raises(ConfigError, match=r"synthetic\.tables\.table2\.rows\.\d+\.process\.conditional"):
        validate_config(cfg)


def test_unknown_top_level_key_is_named():
    cfg = _cfg()
    cfg["synthetc"] = {}
    with pytest.raises(ConfigError, match="synthetc"):
        validate_config(cfg)


def test_unknown_variant_is_named():
    section = copy.deepcopy(_cfg()["synthetic"])
    section["tables"]["table2"]["columns"]["o"] = "nope"
    with pytest.raises(ValueError, match="unknown variant 'nope'"):
        build_plan(section)


def test_run_ids_are_stable_and_distinct():
    section = _cfg("configs/test.yaml")["synthetic"]
    a, b = build_plan(section), build_plan(copy.deepcopy(section))
    assert list(a.settings) == list(b.settings)
    changed = copy.deepcopy(section)
    changed["train"]["lr"] = 0.0042
    c = build_plan(changed)
    assert not set(a.settings) & set(c.settings), "changing a setting must give new run folders"
    # settings that resolve identically share one run (Table 5's uniform row = Table 2's baseline)
    assert len(set(a.settings)) == len(a.settings)


def test_adding_a_row_is_a_yaml_edit():
    section = _cfg("configs/test.yaml")["synthetic"]
    n = len(build_plan(section).settings)
    section["tables"]["table2"]["rows"].append({"process": {"d": 4}})
    plan = build_plan(section)
    assert len(plan.settings) == n + 2      # one new row x two columns
    assert any(s.process.d == 4 for s in plan.settings.values())
