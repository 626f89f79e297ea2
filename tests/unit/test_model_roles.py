"""The roles and the data model agree: each role's mapping names real model paths and its own
variables, no model-covered variable has a second default in defaults/main.yml, and what each
argument spec says about the model matches the mapping and the schema's default."""

import re
from pathlib import Path

import pytest
import yaml
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_model import check, views
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_schema import (
    schema_default,
)

REPO = Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (REPO / "roles").iterdir() if (p / "vars/main.yml").exists())
LAB_MODEL = yaml.safe_load((REPO / "inventories/lab/group_vars/all/ssm_runas.yml").read_text())
FROM_MODEL = re.compile(
    r"From the model \(C\(ssm_runas\.([\w.]+)\)[^;]*\); without one, (.+?)\.(?= |$)"
)


def mapping(role):
    data = yaml.safe_load((REPO / "roles" / role / "vars/main.yml").read_text())
    return data.get(f"__{role}_from_model", {})


def options(role):
    spec = yaml.safe_load((REPO / "roles" / role / "meta/argument_specs.yml").read_text())
    return spec["argument_specs"]["main"]["options"]


@pytest.mark.parametrize("role", ROLES)
def test_mapping_names_model_values_and_documented_role_variables(role):
    known = views(check(LAB_MODEL["ssm_runas"]))
    documented = options(role)
    assert mapping(role), f"{role} takes nothing from the model"
    for key, how in mapping(role).items():
        assert how["from"] in known, f"{role}.{key}: {how['from']} is not a model value"
        assert how["var"] in documented, f"{role}.{key}: {how['var']} is not documented"
        assert how["var"].startswith(role + "_")


@pytest.mark.parametrize("role", ROLES)
def test_model_covered_variables_have_no_second_default(role):
    defaults = yaml.safe_load((REPO / "roles" / role / "defaults/main.yml").read_text()) or {}
    for how in mapping(role).values():
        assert how["var"] not in defaults, f"{how['var']} has a default besides the model's"
        assert "default" not in options(role)[how["var"]], how["var"]


@pytest.mark.parametrize("role", ROLES)
def test_argument_specs_say_what_the_mapping_and_schema_do(role):
    by_var = {how["var"]: how for how in mapping(role).values()}
    for name, option in options(role).items():
        text = " ".join(option.get("description", []))
        found = FROM_MODEL.search(text)
        if name not in by_var:
            assert "From the model" not in text, name
            continue
        assert found, f"{name}: the description does not say where the model has it"
        path, fallback = found.groups()
        how = by_var[name]
        derived = {
            "domain": "realm",
            "tag_suffix": "upn_suffix",
            "group_names": "groups",
            "sudo_rules": "groups",
        }
        assert path == derived.get(how["from"], how["from"]), name
        value = re.fullmatch(r"V\((.*)\)", fallback)
        default = schema_default(how["from"])
        if value:
            shown = default[0] if isinstance(default, list) and len(default) == 1 else default
            assert yaml.safe_dump(shown).removesuffix("\n...\n").strip() == value.group(1), name
        else:
            assert schema_default(how["from"]) is None or fallback.startswith("none"), name
