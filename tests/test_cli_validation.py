"""Stage scripts check their flags with the config schema's rules (one source of truth):
identifiability.cli.validate_args / dataclass_from_args(schema=...) over
identifiability.config.validate_against_def."""

import argparse
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from identifiability.cli import add_dataclass_arguments, dataclass_from_args, validate_args
from identifiability.config import ConfigError, validate_against_def

ROOT = Path(__file__).resolve().parent.parent
PROCESS = ("synthetic.schema.yaml", "process")


@dataclass(frozen=True)
class Process:   # a few fields of the process, plus one the schema does not know
    d: int = 5
    kappa: float = 10.0
    conditional: str = "vmf"
    eval_samples: int = 8192
    not_in_schema: int = -5


def parse(*argv):
    parser = argparse.ArgumentParser()
    add_dataclass_arguments(parser, Process, "process")
    return parser.parse_args(list(argv))


def test_negative_kappa_is_rejected_naming_the_flag():
    with pytest.raises(ValueError, match=r"^--kappa: -1.0 is less than or equal to the minimum of 0$"):
        dataclass_from_args(Process, parse("--kappa", "-1"), schema=PROCESS)


@pytest.mark.parametrize("argv, message", [
    (("--kappa", "0"), "--kappa: 0.0 is less than or equal to the minimum of 0"),
    (("--d", "1"), "--d: 1 is less than the minimum of 2"),
    (("--conditional", "cauchy"), "--conditional: 'cauchy' is not one of"),
    (("--eval-samples", "3"), "--eval-samples: 3 is less than the minimum of 16"),
])
def test_other_schema_rules_apply_with_the_flag_named(argv, message):
    with pytest.raises(ConfigError) as err:
        dataclass_from_args(Process, parse(*argv), schema=PROCESS)
    assert str(err.value).startswith(message)


def test_valid_values_pass_and_keys_outside_the_schema_are_the_callers():
    settings = dataclass_from_args(Process, parse("--kappa", "0.5", "--d", "3"), schema=PROCESS)
    assert settings == Process(d=3, kappa=0.5)   # not_in_schema = -5 is not checked
    assert dataclass_from_args(Process, parse("--kappa", "-1")).kappa == -1.0   # no schema: no check


def test_validate_args_on_a_namespace_mapping_and_flag_names():
    validate_args(argparse.Namespace(kappa=2.0, out="x.h5", seed=3), PROCESS)
    validate_args({"kappa": None}, PROCESS)   # None: not given
    with pytest.raises(ConfigError, match=r"^--concentration: -2 is less"):
        validate_args({"kappa": -2}, PROCESS, flags={"kappa": "--concentration"})


def test_fragments_by_path_arrays_and_config_style_messages():
    decode = ("imagenetx.schema.yaml", "properties/decode")
    validate_args({"seeds": (0, 1, 2), "test_size": 0.3, "C": 1.0}, decode)
    with pytest.raises(ConfigError, match=r"^--seeds\[1\]: -1 is less than the minimum of 0"):
        validate_args({"seeds": (0, -1)}, decode)
    with pytest.raises(ConfigError, match=r"^--test-size: 1.0 is greater than or equal to the maximum of 1"):
        validate_args({"test_size": 1.0}, decode)
    # the schema root ("") without its `required` keys; messages in the config's words without a label
    validate_against_def({"max_images": 5}, "imagenetx.schema.yaml", "")
    with pytest.raises(ConfigError, match=r"^config key dislib.train.lr: 0 is less than or equal"):
        validate_against_def({"lr": 0}, "dislib.schema.yaml", "properties/train", where="dislib.train")
    with pytest.raises(KeyError):
        validate_against_def({}, "synthetic.schema.yaml", "no_such_def")


def test_values_are_not_changed():
    values = {"kappa": 1.0, "seeds": (1, 2)}
    validate_against_def(values, *PROCESS)
    assert values == {"kappa": 1.0, "seeds": (1, 2)}


@pytest.mark.parametrize("script, argv, message", [
    ("dislib_train.py", ["--data", "x.h5", "--model", "mlp", "--seed", "0", "--out", "m.pt",
                         "--history", "h.json", "--lr", "-0.1"], "--lr: -0.1 is less than or equal to the minimum of 0"),
    ("dislib_prepare.py", ["--dataset", "dsprites_procedural", "--out", "x.h5", "--n-samples", "-1"],
     "--n-samples: -1 is less than the minimum of 0"),
    ("imagenetx_decode.py", ["--features", "f.h5", "--index", "i.csv", "--out", "o.csv", "--C", "0"],
     "--C: 0.0 is less than or equal to the minimum of 0"),
    ("imagenetx_report.py", ["--decoding", "d.csv", "--stem", "s", "--alpha", "1.5"],
     "--alpha: 1.5 is greater than or equal to the maximum of 1"),
])
def test_stage_scripts_reject_bad_flags_before_reading_anything(tmp_path, script, argv, message):
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / script), *argv], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == f"error: {message}"
    assert not any(tmp_path.iterdir())   # nothing written
