"""README.md speaks to a user first: its first code block installs the collection and runs the
site and verify playbooks by FQCN; its data model example is complete and passes the model
check; the files it links to exist and ship."""

import re
from pathlib import Path

import yaml
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_model import check
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_schema import SCHEMA

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```", README, re.MULTILINE | re.DOTALL)


def test_the_first_code_block_is_a_users_path():
    _lang, first = BLOCKS[0]
    for step in (
        "ansible-galaxy collection install federated.ssm_runas",
        "requirements.txt",
        "examples/inventories/",
        "ansible-playbook federated.ssm_runas.site -i ",
        "ansible-playbook federated.ssm_runas.verify -i ",
    ):
        assert step in first, step
    assert "make " not in first
    # The contributor's commands come later, in their own section.
    contributing = README.index("## Trying it / contributing")
    assert README.index("make test") > contributing and README.index("make lab") > contributing


def example_model():
    [model] = [yaml.safe_load(b)["ssm_runas"] for lang, b in BLOCKS if "ssm_runas:" in b[:20]]
    return model


def test_the_data_model_example_passes_the_check_and_is_complete():
    model = example_model()
    check(model)
    assert set(model) == set(SCHEMA), set(SCHEMA) ^ set(model)
    assert set(model["aws"]) >= set(SCHEMA["aws"]["options"]) - {"partition"}
    assert set(model["adfs"]) >= set(SCHEMA["adfs"]["options"]) - {"rule_name"}


def test_linked_files_exist_and_ship():
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())
    ignored = set(galaxy["build_ignore"])
    for target in re.findall(r"\]\(([^)#:]+)\)", README):
        assert (REPO / target).exists(), target
        assert not {target, target.split("/", 1)[0]} & ignored, f"{target} does not ship"
