"""The dependency declarations agree: requirements.txt (runtime pins), requirements-test.txt (test
and lint pins), pyproject.toml (ranges) and the conda environments in envs/.

Conda channels cannot be reached from our machines, so the environments are checked here for
consistency with the pins, not built.
"""

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
ENVS = {"cpu": ROOT / "envs" / "cpu.yaml", "cuda": ROOT / "envs" / "cuda.yaml"}
# PyPI name -> conda-forge name, where they differ
CONDA_NAMES = {"torch": "pytorch", "matplotlib": "matplotlib-base"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        (spec,) = req.specifier   # exactly one specifier, and it is ==
        assert spec.operator == "==", f"{path.name}: {line} is not pinned with =="
        pins[canonical(req.name)] = spec.version
    return pins


def read_env(path: Path) -> tuple[dict, dict[str, tuple[str, str]], dict[str, str]]:
    """(the parsed file, conda packages: name -> (version, build), pip packages: name -> version)."""
    env = yaml.safe_load(path.read_text())
    conda, pip = {}, {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for line in dep["pip"]:
                req = Requirement(line)
                (spec,) = req.specifier
                assert spec.operator == "==", f"{path.name}: pip {line} is not pinned"
                pip[canonical(req.name)] = spec.version
            continue
        name, _, rest = dep.partition("=")
        version, _, build = rest.partition("=")
        conda[canonical(name)] = (version, build)
    return env, conda, pip


RUNTIME = read_pins(ROOT / "requirements.txt")
TEST = read_pins(ROOT / "requirements-test.txt")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_pin_files_are_disjoint_and_hold_the_expected_tools():
    assert not set(RUNTIME) & set(TEST)
    assert {"pytest", "snakefmt"} <= set(TEST)
    assert {"torch", "torchvision", "ninja", "filelock", "snakemake"} <= set(RUNTIME)
    assert RUNTIME["torch"] == "2.14.1" and RUNTIME["torchvision"] == "0.29.1"


@pytest.mark.parametrize("group", ["runtime", "test"])
def test_pyproject_ranges_name_every_pin_and_contain_it(group):
    declared = PYPROJECT["dependencies"] if group == "runtime" else PYPROJECT["optional-dependencies"]["test"]
    pins = RUNTIME if group == "runtime" else TEST
    ranges = {canonical(r.name): r.specifier for r in map(Requirement, declared)}
    assert set(ranges) == set(pins), f"pyproject ({group}) and the pinned file name different packages"
    for name, version in pins.items():
        assert Version(version) in ranges[name], f"{name}=={version} is outside pyproject's {ranges[name]}"


def test_makefile_installs_from_and_hashes_every_pinned_file():
    makefile = (ROOT / "Makefile").read_text()
    reqs = re.search(r"^REQS\s*:=\s*(.+)$", makefile, re.M).group(1).split()
    assert {"requirements.txt", "requirements-test.txt", "pyproject.toml"} <= set(reqs)
    assert "$(REQS)" in re.search(r"^STAMP\s*:=.*$", makefile, re.M).group(0)
    assert "-r requirements.txt -r requirements-test.txt" in makefile


@pytest.mark.parametrize("kind", sorted(ENVS))
def test_conda_env_pins_agree_with_requirements(kind):
    env, conda, pip = read_env(ENVS[kind])
    assert env["channels"][0] == "conda-forge"
    assert conda["python"][0] == "3.11"
    for name, version in RUNTIME.items():
        conda_name = CONDA_NAMES.get(name, name)
        if conda_name in conda:
            assert name not in pip, f"{name} is both a conda and a pip package in {kind}.yaml"
            assert conda[conda_name][0] == version, (
                f"envs/{kind}.yaml pins {conda_name}={conda[conda_name][0]}, requirements.txt {name}=={version}")
        else:
            assert name in pip, f"envs/{kind}.yaml lacks {name} (requirements.txt: {version})"
            assert pip[name] == version, f"envs/{kind}.yaml pins pip {name}=={pip[name]}, requirements.txt {version}"
    extra_pip = set(pip) - set(RUNTIME)
    assert not extra_pip, f"pip packages in envs/{kind}.yaml that requirements.txt does not pin: {extra_pip}"


def test_cpu_and_cuda_envs_differ_only_in_the_torch_builds():
    _, cpu, cpu_pip = read_env(ENVS["cpu"])
    _, cuda, cuda_pip = read_env(ENVS["cuda"])
    assert cpu_pip == cuda_pip and set(cpu) == set(cuda)
    for name in ("pytorch", "torchvision"):
        assert cpu[name][1].startswith("cpu") and cuda[name][1].startswith("cuda")
        assert cpu[name][0] == cuda[name][0]
    assert {k: v for k, v in cpu.items() if k not in ("pytorch", "torchvision")} == \
        {k: v for k, v in cuda.items() if k not in ("pytorch", "torchvision")}


def test_the_config_can_name_each_env():
    """rules/common.smk: CONDA_ENV = ../envs/<conda_env>.yaml, conda_env one of the schema's values."""
    schema = yaml.safe_load((ROOT / "schemas" / "config.schema.yaml").read_text())
    choices = schema["properties"]["conda_env"]["enum"]
    assert set(choices) == set(ENVS) and schema["properties"]["conda_env"]["default"] == "cpu"
    assert 'CONDA_ENV = f"../envs/{config[\'conda_env\']}.yaml"' in (ROOT / "rules" / "common.smk").read_text()


@pytest.mark.parametrize("smk", ["dislib.smk", "imagenetx.smk"])
def test_every_rule_that_runs_a_command_names_the_conda_env(smk):
    text = (ROOT / "rules" / smk).read_text()
    blocks = re.split(r"^\s*rule (?=\w+:)", text, flags=re.M)[1:]
    running = [b for b in blocks if re.search(r"^\s*(shell|script|run):", b, re.M)]
    assert running
    for block in running:
        assert re.search(r"^\s*conda:\s*\n\s*CONDA_ENV\s*$", block, re.M), \
            f"{smk}: rule {block.split(':')[0]} has no conda: CONDA_ENV"


def test_the_release_is_citable_and_licensed():
    """CITATION.cff (Citation File Format 1.2) cites the paper and names this package's version,
    as the CHANGELOG's latest release does (above it, an "Unreleased" entry may gather what comes
    next); the LICENSE is the MIT licence the README names."""
    from identifiability import __version__

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors", "version", "license"):
        assert cff[key], key
    assert str(cff["version"]) == __version__
    paper = cff["preferred-citation"]
    assert paper["title"] == "Cross-Entropy Is All You Need To Invert the Data Generating Process"
    assert paper["authors"][0]["family-names"] == "Reizinger" and paper["year"] == 2025
    latest = re.search(r"^## (?!Unreleased)(\S+)", (ROOT / "CHANGELOG.md").read_text(), re.M).group(1)
    assert latest == __version__
    assert (ROOT / "LICENSE").read_text().startswith("MIT License") and cff["license"] == "MIT"
    assert "MIT" in (ROOT / "README.md").read_text()
