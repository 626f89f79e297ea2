"""Run-as is never switched on before the instances have the accounts it relies on: in every
playbook that applies the AWS side, the runas_accounts play comes first, on every instance, stops
the whole run when it fails anywhere, and runs under exactly the tags the AWS play runs under."""

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PLAYBOOKS = REPO / "playbooks"
AWS_ROLE = "federated.ssm_runas.aws_federation"
ACCOUNTS_ROLE = "federated.ssm_runas.runas_accounts"


def expand(path, tags=()):
    """The plays a playbook runs, in order, imports expanded, each with the tags it inherits."""
    plays = []
    for entry in yaml.safe_load(path.read_text()):
        inherited = (*tags, *entry.get("tags", []))
        if "ansible.builtin.import_playbook" in entry:
            plays += expand(path.parent / entry["ansible.builtin.import_playbook"], inherited)
        else:
            plays.append(dict(entry, effective_tags=set(inherited), source=path.name))
    return plays


def roles(play):
    return [r["role"] if isinstance(r, dict) else r for r in play.get("roles", [])]


def index_of(plays, role):
    found = [i for i, play in enumerate(plays) if role in roles(play)]
    return found[0] if found else None


APPLYING_AWS = [
    p.name for p in sorted(PLAYBOOKS.glob("*.yml")) if index_of(expand(p), AWS_ROLE) is not None
]


def test_the_playbooks_that_apply_the_aws_side_are_known():
    assert APPLYING_AWS == ["aws.yml", "site.yml"]


@pytest.mark.parametrize("playbook", APPLYING_AWS)
def test_the_accounts_play_runs_before_the_aws_side(playbook):
    plays = expand(PLAYBOOKS / playbook)
    accounts, aws = index_of(plays, ACCOUNTS_ROLE), index_of(plays, AWS_ROLE)
    assert accounts is not None and accounts < aws, [p["name"] for p in plays]
    play = plays[accounts]
    assert play["hosts"] == "ssm_instances"
    assert play["become"] is True
    # One failed or unreachable instance stops the whole run before any AWS change.
    assert play["any_errors_fatal"] is True and play["max_fail_percentage"] == 0
    # Whatever --tags/--skip-tags select the AWS play select the accounts play too.
    assert play["effective_tags"] == plays[aws]["effective_tags"]
    # Nothing between them changes AWS or skips the check.
    assert all(AWS_ROLE not in roles(p) for p in plays[:accounts])


ACCOUNT_TASKS = yaml.safe_load((REPO / "roles/aws_federation/tasks/account.yml").read_text())


def guards(play):
    """The play asks STS for the caller's account: itself, or through the role's account.yml."""
    for task in play.get("tasks", []):
        if "amazon.aws.aws_caller_info" in task:
            return True
        include = task.get("ansible.builtin.include_role") or {}
        if include.get("name") == AWS_ROLE and "account.yml" in (task.get("loop") or []):
            return True
    return False


def test_the_role_account_check_asks_sts():
    assert any("amazon.aws.aws_caller_info" in task for task in ACCOUNT_TASKS)


@pytest.mark.parametrize("playbook", APPLYING_AWS)
def test_the_account_guard_runs_before_the_accounts_play(playbook):
    """Credentials of another account stop the run before any write, the instances' too."""
    plays = expand(PLAYBOOKS / playbook)
    first_guard = next(i for i, play in enumerate(plays) if guards(play))
    assert first_guard < index_of(plays, ACCOUNTS_ROLE)
    play = plays[first_guard]
    assert play["hosts"] == "aws_accounts" and play["any_errors_fatal"] is True
    assert play["effective_tags"] == plays[index_of(plays, AWS_ROLE)]["effective_tags"]


def test_site_order_is_preflight_guard_accounts_aws_adfs_linux():
    plays = expand(PLAYBOOKS / "site.yml")
    assert [p["source"] for p in plays] == [
        "preflight.yml",
        "aws.yml",
        "accounts.yml",
        "aws.yml",
        "adfs.yml",
        "linux.yml",
    ]


def test_preflight_checks_the_accounts_inputs_before_anything_changes():
    (play,) = yaml.safe_load((PLAYBOOKS / "preflight.yml").read_text())
    included = [t["ansible.builtin.include_role"] for t in play["tasks"]]
    assert {"name": ACCOUNTS_ROLE, "tasks_from": "inputs.yml"} in included
