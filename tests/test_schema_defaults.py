"""The schemas are the one source of the DisLib and ImageNet-X defaults: validation fills in every
key the rule files read (they read the config without fallbacks), and where the package restates a
default (a settings dataclass, a function's keyword argument) it equals the schema's."""

import copy
import dataclasses
import inspect
import re

import pytest

from conftest import REPO
from identifiability.config import load_schema, validate_config

MINIMAL = {"results": "r", "synthetic": {"seeds": [0]}, "dislib": {"enabled": True},
           "imagenetx": {"enabled": False}}

# The names the rule files give to parts of the config, and the config path each stands for
RULE_FILES = ["common.smk", "dislib_common.smk", "dislib.smk", "imagenetx_common.smk", "imagenetx.smk"]
ALIASES = {
    "config": (),
    "DISLIB": ("dislib",),
    "_DL_TRAIN": ("dislib", "train"),
    "IMX": ("imagenetx",),
    "IMX_WEIGHTS": ("imagenetx", "weights"),
    "IMX_EXTRACT": ("imagenetx", "extract"),
    "IMX_DECODE": ("imagenetx", "decode"),
    "IMX_REPORT": ("imagenetx", "report"),
}
# a read: NAME["key"]["key"]... (either quote, as in f-strings)
READ = re.compile(r"\b(" + "|".join(ALIASES) + r")((?:\[[\"'][A-Za-z_0-9]+[\"']\])+)")
# the only .get left: models without an override train for dislib.train.max_epochs
ALLOWED_GETS = {'DISLIB["max_epochs"].get'}
# the properties with no default, and why: `enabled` is required; a model missing from
# dislib.max_epochs trains for dislib.train.max_epochs
NO_DEFAULT = {("dislib", "enabled"), ("dislib", "max_epochs", "mlp"), ("dislib", "max_epochs", "resnet18")}


def rule_reads():
    reads = set()
    for name in RULE_FILES:
        for alias, keys in READ.findall((REPO / "rules" / name).read_text()):
            reads.add(ALIASES[alias] + tuple(re.findall(r"[\"']([A-Za-z_0-9]+)[\"']", keys)))
    return reads


def lookup(config, path):
    value = config
    for key in path:
        assert isinstance(value, dict) and key in value, f"config key {'.'.join(path)} was not filled in"
        value = value[key]
    return value


def schema_default(schema_name, *path):
    node = load_schema(schema_name)
    for key in path:
        node = node["properties"][key]
    return node["default"]


def properties(node, path=()):
    for name, sub in node.get("properties", {}).items():
        yield path + (name,), sub
        yield from properties(sub, path + (name,))


def test_the_rule_files_read_the_config_without_fallbacks():
    reads = rule_reads()
    # the pattern does find the reads (so the tests below are not vacuous)
    assert ("dislib", "train", "batch_size") in reads and ("imagenetx", "decode", "seeds") in reads
    assert len(reads) > 35, sorted(reads)
    for name in RULE_FILES:
        text = (REPO / "rules" / name).read_text()
        gets = re.findall(r"\b(?:" + "|".join(ALIASES) + r")(?:\[[^\]]+\])*\.get\b", text)
        assert set(gets) <= ALLOWED_GETS, f"rules/{name} still falls back to a default: {gets}"


@pytest.mark.parametrize("config", [
    MINIMAL,
    {"results": "r", "synthetic": {"seeds": [0]}},                        # families left out
    {"results": "r", "synthetic": {"seeds": [0]}, "dislib": {"enabled": False},
     "imagenetx": {"enabled": "auto", "image_dir": "images"}},
], ids=["minimal", "families_absent", "imagenetx_auto"])
def test_validation_fills_every_key_the_rules_read(config):
    config = copy.deepcopy(config)
    validate_config(config)
    for path in rule_reads():
        lookup(config, path)
    # the weights the rules look up per model that needs them (imagenetx.weights.<model>)
    from identifiability.imagenetx.names import MODELS, needs_weights
    for model in filter(needs_weights, MODELS):
        assert config["imagenetx"]["weights"][model] is None


def test_every_family_property_has_a_default_or_a_reason():
    for family in ("dislib", "imagenetx"):
        for path, sub in properties(load_schema(f"{family}.schema.yaml"), (family,)):
            assert "default" in sub or path in NO_DEFAULT, f"schemas/{family}.schema.yaml: {'.'.join(path[1:])}"


def test_a_partly_given_family_gets_the_rest_of_its_defaults():
    config = {"results": "r", "synthetic": {"seeds": [0]},
              "dislib": {"enabled": True, "train": {"lr": 0.01}, "procedural": {"seed": 3},
                         "max_epochs": {"mlp": 5}},
              "imagenetx": {"enabled": True, "extract": {"gpu": 1}, "decode": {"seeds": [4]},
                            "weights": {"resnet50": "r50.pth"}}}
    validate_config(config)
    dl, imx = config["dislib"], config["imagenetx"]
    assert dl["train"] == {"lr": 0.01, "batch_size": 4096, "max_epochs": 100, "early_stop_acc": 0.999}
    assert dl["procedural"] == {"seed": 3, "n_samples": 20000}
    assert dl["max_epochs"] == {"mlp": 5}          # no default: resnet18 trains for train.max_epochs
    assert (dl["data_dir"], dl["mem_mb"], dl["seeds"]) == ("data/dislib", 4000, [0, 1, 2])
    assert imx["extract"] == {"gpu": 1, "batch_size": 64, "workers": 0, "chunk_images": 1024,
                              "device": "auto", "mem_mb": 6000, "runtime": 240}
    assert imx["decode"]["seeds"] == [4] and imx["decode"]["C"] == 1.0
    assert imx["weights"] == {"resnet50": "r50.pth", "vit_b_16": None}
    assert imx["report"] == {"alpha": 0.05, "alternative": "two-sided"}


def test_dislib_train_settings_default_as_the_schema():
    from identifiability.dislib.train import ClassifierTrainSettings
    train = load_schema("dislib.schema.yaml")["properties"]["train"]["properties"]
    fields = {f.name: f.default for f in dataclasses.fields(ClassifierTrainSettings)}
    shared = set(train) & set(fields)
    assert shared == {"batch_size", "lr", "max_epochs", "early_stop_acc"}
    for key in shared:
        assert train[key]["default"] == fields[key], key
    # legacy_truncation sits at the family's top level in the config
    assert schema_default("dislib.schema.yaml", "legacy_truncation") == fields["legacy_truncation"]


def test_imagenetx_decode_settings_default_as_the_schema():
    from identifiability.imagenetx.decode import DecodeSettings
    decode = load_schema("imagenetx.schema.yaml")["properties"]["decode"]["properties"]
    fields = {f.name: f.default for f in dataclasses.fields(DecodeSettings)}
    shared = set(decode) & set(fields)
    assert shared == set(fields)
    for key in shared:
        default = list(fields[key]) if isinstance(fields[key], tuple) else fields[key]
        assert decode[key]["default"] == default, key


def keyword_defaults(function):
    return {name: p.default for name, p in inspect.signature(function).parameters.items()
            if p.default is not inspect.Parameter.empty}


def test_imagenetx_extract_and_report_default_as_the_schema():
    from identifiability.imagenetx.extract import extract
    from identifiability.imagenetx.report import summarize
    kwargs = keyword_defaults(extract)
    schema = "imagenetx.schema.yaml"
    for key, kwarg in {"batch_size": "batch_size", "workers": "num_workers", "chunk_images": "chunk_images"}.items():
        assert schema_default(schema, "extract", key) == kwargs[kwarg], key
    kwargs = keyword_defaults(summarize)
    for key in ("alpha", "alternative"):
        assert schema_default(schema, "report", key) == kwargs[key], key


def test_imagenetx_models_default_to_all_five():
    from identifiability.imagenetx.names import MODELS
    models = load_schema("imagenetx.schema.yaml")["properties"]["models"]
    assert models["default"] == list(MODELS) == models["items"]["enum"]


@pytest.mark.parametrize("cls, field, bad, rule", [
    ("synthetic.ProcessSettings", "kappa", 0.0, "less than or equal to the minimum of 0"),
    ("synthetic.ProcessSettings", "d", 1, "less than the minimum of 2"),
    ("synthetic.ProcessSettings", "conditional", "cauchy", "is not one of"),
    ("synthetic.TrainSettings", "lr", 0.0, "less than or equal to the minimum of 0"),
    ("synthetic.TrainSettings", "label_noise", 1.5, "greater than the maximum of 1"),
    ("synthetic.TrainSettings", "method", "byol", "is not one of"),
    ("dislib.ClassifierTrainSettings", "lr", -1.0, "less than or equal to the minimum of 0"),
    ("dislib.ClassifierTrainSettings", "batch_size", 1, "less than the minimum of 2"),
    ("imagenetx.DecodeSettings", "test_size", 1.0, "greater than or equal to the maximum of 1"),
    ("imagenetx.DecodeSettings", "seeds", (), "should be non-empty"),
])
def test_settings_refuse_what_the_schema_refuses_naming_the_field(cls, field, bad, rule):
    """Each rule on a value lives once, in the schema: a settings object built in code obeys the
    same rules as the config key and the stage flag (one message, naming the field)."""
    from identifiability.config import ConfigError
    family, name = cls.split(".")
    module = {"synthetic": "identifiability.synthetic.settings", "dislib": "identifiability.dislib.train",
              "imagenetx": "identifiability.imagenetx.decode"}[family]
    settings_cls = getattr(__import__(module, fromlist=[name]), name)
    with pytest.raises(ConfigError, match=rf"^{field}: .*{rule}"):
        settings_cls(**{field: bad})


def test_the_codes_names_of_choices_are_the_schemas():
    from identifiability.numerics import CPU_MATMUL
    from identifiability.synthetic.settings import CONDITIONAL_PARAMS
    process = load_schema("synthetic.schema.yaml")["$defs"]["process"]["properties"]
    train = load_schema("synthetic.schema.yaml")["$defs"]["train"]["properties"]
    assert set(process["conditional"]["enum"]) == set(CONDITIONAL_PARAMS)
    assert set(train["cpu_matmul"]["enum"]) == set(CPU_MATMUL)
