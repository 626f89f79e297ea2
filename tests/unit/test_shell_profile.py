"""Sessions land in the home: the Linux shell profile's default lives in the schema, reaches
the AWS side with and without a model, gives way to a user's own text ('' for none), and, typed
into a real sh, moves the shell into $HOME only when that directory exists."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from ansible_collections.federated.ssm_runas.plugins.module_utils import ssm_preferences
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import iam_documents as iam
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_model
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_schema import (
    schema_default,
)

REPO = Path(__file__).resolve().parents[2]
DEFAULT = schema_default("aws.session_preferences.shell_profile.linux")
LAB = yaml.safe_load((REPO / "inventories/lab/group_vars/all/ssm_runas.yml").read_text())
SPEC = {
    "account_id": "123456789012",
    "saml_provider_name": "ADFS",
    "tag_key": "SSMSessionRunAs",
    "upn_suffix": "example.test",
    "saml_audiences": ["https://signin.aws.amazon.com/saml"],
    "policy_name": "EC2SSMPermissions",
    "roles": [{"name": "ADFS-SSM-RunAs"}],
}
OWN = 'cd "$HOME" 2>/dev/null\nexport EDITOR=vi'


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ({}, {"linux": DEFAULT}),
        ({"shell_profile": None}, {"linux": DEFAULT}),
        ({"shell_profile": {"linux": None}}, {"linux": DEFAULT}),
        (
            {"shell_profile": {"windows": "Set-Location $HOME"}},
            {"linux": DEFAULT, "windows": "Set-Location $HOME"},
        ),
        ({"shell_profile": {"linux": ""}}, {"linux": ""}),
        ({"shell_profile": {"linux": OWN}}, {"linux": OWN}),
    ],
)
def test_role_variables_without_a_model_get_the_default_unless_they_say_otherwise(given, stored):
    plan = iam.federation_plan(dict(SPEC, session_preferences=given))
    inputs = ssm_preferences.desired_inputs(plan["session_preferences"])
    assert inputs["shellProfile"] == stored


@pytest.mark.parametrize(
    ("preferences", "linux"),
    [
        ({"run_as_enabled": True}, DEFAULT),
        ({"shell_profile": {"windows": "dir"}}, DEFAULT),
        ({"shell_profile": {"linux": ""}}, ""),
        ({"shell_profile": {"linux": OWN}}, OWN),
    ],
)
def test_the_model_check_fills_the_default_and_keeps_a_users_text(preferences, linux):
    model = dict(LAB["ssm_runas"])
    model["aws"] = dict(model["aws"], session_preferences=preferences)
    given = runas_model.aws_plan_input(runas_model.check(model))["session_preferences"]
    plan = iam.federation_plan(dict(SPEC, session_preferences=given))
    assert (
        ssm_preferences.desired_inputs(plan["session_preferences"])["shellProfile"]["linux"]
        == linux
    )


def test_a_model_without_session_preferences_gets_it_too():
    model = {k: v for k, v in LAB["ssm_runas"].items() if k != "aws"}
    model["aws"] = {k: v for k, v in LAB["ssm_runas"]["aws"].items() if k != "session_preferences"}
    prefs = runas_model.aws_plan_input(runas_model.check(model))["session_preferences"]
    assert prefs["shell_profile"]["linux"] == DEFAULT


def test_the_default_is_one_short_line():
    # The agent types it where the user sees it, at the start of every session.
    assert DEFAULT.strip() and "\n" not in DEFAULT and len(DEFAULT) <= 60


def typed(profile, home, start):
    """What `pwd` says after ``profile`` is typed into sh (stdin), as the agent types it, with
    HOME set as the agent sets it; stderr too."""
    env = {"PATH": "/usr/bin:/bin"} if home is None else {"PATH": "/usr/bin:/bin", "HOME": home}
    proc = subprocess.run(
        [shutil.which("sh") or "/bin/sh"],
        input=profile + "\npwd\necho still-here\n",
        capture_output=True,
        text=True,
        cwd=start,
        env=env,
        check=False,
        timeout=30,
    )
    return proc.stdout.splitlines(), proc.stderr


@pytest.mark.parametrize("name", ["bob@example.test", "Dave O'Neil", "x y$z"])
def test_typed_into_sh_it_moves_the_shell_home_when_the_home_exists(tmp_path, name):
    home = tmp_path / "home" / name
    home.mkdir(parents=True)
    start = tmp_path / "usr-bin"
    start.mkdir()
    assert typed(DEFAULT, str(home), start) == ([str(home), "still-here"], "")


@pytest.mark.parametrize("home", ["missing", None, ""])
def test_typed_into_sh_it_stays_quietly_where_it_started_without_a_home(tmp_path, home):
    start = tmp_path / "usr-bin"
    start.mkdir()
    given = str(tmp_path / home) if home else home
    assert typed(DEFAULT, given, start) == ([str(start), "still-here"], "")


def test_it_is_posix_sh():
    dash = shutil.which("dash") or pytest.skip("dash (Debian's sh) is not installed")
    assert subprocess.run([dash, "-n", "-c", DEFAULT], check=False).returncode == 0


def test_the_data_model_docs_show_how_to_keep_it_with_lines_of_your_own():
    docs = (REPO / "docs/data-model.md").read_text()
    section = docs.split("## Where a session starts", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)
    profile = yaml.safe_load(block)["session_preferences"]["shell_profile"]["linux"]
    assert profile.splitlines()[0] == DEFAULT and len(profile.splitlines()) > 1
