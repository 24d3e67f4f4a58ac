"""The theory and genealogy sections of the plan: which runs they make, and their config errors."""

import pytest

from identifiability.synthetic.plan import build_plan

VARIANTS = {"c1": {"method": "diet", "feature_norm": True, "w_norm": True}, "c3": {"method": "diet", "w_norm": True},
            "sup": {"method": "supervised"}, "nce": {"method": "infonce", "feature_norm": True},
            "gcl": {"method": "gcl"}, "diet_a": {"method": "diet"}}


def _section(**extra):
    return {"seeds": [0, 1], "process": {"d": 3, "clusters": 8, "N": 40}, "train": {"steps": 5},
            "variants": VARIANTS, "tables": {}, **extra}


def test_theory_cells_per_case():
    plan = build_plan(_section(theory={"variants": ["c1", "c3", "sup"], "kappa": [2, 10], "clusters": [3, 8]}))
    layout = plan.theory_layout()
    assert layout["variants"] == {"c1": "C1", "c3": "C3", "sup": "supervised"}
    assert set(layout["sections"]["baseline"][0]["runs"]) == {"c1", "c3", "sup"}
    # the kappa sweep trains the cases that predict kappa (C1-C3), the diversity sweep C3 only
    assert [set(r["runs"]) for r in layout["sections"]["kappa"]] == [{"c1", "c3"}] * 2
    assert [set(r["runs"]) for r in layout["sections"]["diversity"]] == [{"c3"}] * 2
    # cells equal to the baseline (kappa = 10, |C| = 8) are the baseline's runs, trained once
    base = layout["sections"]["baseline"][0]["runs"]
    assert layout["sections"]["kappa"][1]["runs"]["c1"] == base["c1"]
    assert layout["sections"]["diversity"][1]["runs"]["c3"] == base["c3"]
    assert len(plan.setting_ids("theory", None)) == 3 + 2 + 1


def test_genealogy_skips_methods_without_labels_on_the_infonce_process():
    plan = build_plan(_section(genealogy={"processes": {"cluster_centric": {}, "infonce": {"kind": "infonce"}},
                                          "methods": ["diet_a", "sup", "nce", "gcl"]}))
    rows = [(r["cell"]["process"], r["cell"]["method"]) for r in plan.genealogy_layout()["rows"]]
    assert rows == [("cluster_centric", "diet"), ("cluster_centric", "supervised"), ("cluster_centric", "infonce"),
                    ("cluster_centric", "gcl"), ("infonce", "infonce")]


@pytest.mark.parametrize("section, message", [
    ({"theory": {"variants": ["c1", "nope"]}}, "synthetic.theory.variants: unknown variant 'nope'"),
    ({"theory": {"variants": ["nce"]}}, "is no case of the paper's theorems"),
    ({"genealogy": {"processes": {"cc": {}}, "methods": ["c3", "diet_a"]}}, "both train diet; one per method"),
])
def test_section_errors_name_the_key(section, message):
    with pytest.raises(ValueError, match=message):
        build_plan(_section(**section))


def test_a_table_asking_a_label_method_on_the_infonce_process_is_refused():
    section = _section(tables={"t": {"columns": {"": "diet_a"}, "rows": [{"process": {"kind": "infonce"}}]}})
    with pytest.raises(ValueError, match="does not have"):
        build_plan(section)
