"""adfs_claim_rules end to end against a fake AD FS rule store (one string in, one string out)."""

import json
from pathlib import Path
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail
from ansible_collections.federated.ssm_runas.plugins.action import adfs_claim_rules as action
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import adfs_rules as R

FIXTURES = Path(__file__).parent / "fixtures" / "adfs"
STANDARD = (FIXTURES / "aws_standard.txt").read_text().replace("\n", "\r\n")
RP = "Amazon Web Services"


class FakeAdfs:
    """Behaves like AD FS behind adfs_rule_set: the whole rule set is one string; a write
    replaces it whole or not at all. ``reflow`` re-formats what it stores, as AD FS does."""

    def __init__(self, rules=STANDARD, exists=True, reflow=False, fail_write=False):
        self.rules = rules
        self.exists = exists
        self.reflow = reflow
        self.fail_write = fail_write
        self.reads = 0
        self.writes = 0
        self.trusts_created = 0
        self.after_read = None

    def execute(self, module_name=None, module_args=None, task_vars=None, **_):
        if module_name == action.TRUST_MODULE:
            self.trusts_created += 1
            self.exists, self.rules = True, ""
            return {"changed": True}
        assert module_name == action.READ_WRITE_MODULE
        assert module_args["relying_party"] == RP
        if "rules" not in module_args:
            self.reads += 1
            result = {"exists": self.exists, "rules": self.rules if self.exists else None}
            if self.after_read:
                self.after_read(self)
            return result
        self.writes += 1
        if self.fail_write:
            return {"failed": True, "msg": "Set-AdfsRelyingPartyTrust: MSIS7012 service error"}
        if self.rules != module_args["expected_rules"]:
            return {"failed": True, "msg": "The rule set changed since it was read"}
        new = module_args["rules"]
        if self.reflow:
            new = new.replace("\r\n => ", "\r\n=> ").replace(", ", ",  ")
        self.rules = new
        return {"changed": True, "exists": True, "rules": new, "backup_file": None}


def make_action(args, store, check_mode=False, diff=True):
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.diff = diff
    task.async_val = 0
    task.action = "federated.ssm_runas.adfs_claim_rules"
    connection = MagicMock()
    connection._shell.tmpdir = None
    plugin = action.ActionModule(
        task=task,
        connection=connection,
        play_context=MagicMock(),
        loader=MagicMock(),
        templar=MagicMock(),
        shared_loader_obj=MagicMock(),
    )
    plugin._execute_module = store.execute
    return plugin


def run(store, tmp_path, check_mode=False, **args):
    base = {"backup_dir": str(tmp_path / "backups"), "var_prefix": "adfs_claims_"}
    base.update(args)
    plugin = make_action(base, store, check_mode=check_mode)
    return plugin.run(task_vars={"inventory_hostname": "adfs1"})


def backups(tmp_path):
    return sorted((tmp_path / "backups").rglob("*.txt"))


# ---------------------------------------------------------------------------- round trips


def test_change_costs_one_read_and_one_write_and_saves_the_old_set_first(tmp_path):
    store = FakeAdfs()
    result = run(store, tmp_path)
    assert (store.reads, store.writes) == (1, 1)
    assert result["changed"]
    assert result["actions"] == [
        {"name": "SSMSessionRunAs", "action": "added"},
        {"name": "SSMSessionRunAs-Transitive", "action": "added"},
    ]
    ruleset = R.parse(store.rules)
    assert ruleset.names() == [
        "NameId",
        "RoleSessionName",
        "Get AD Groups",
        "Roles",
        "SSMSessionRunAs",
        "SSMSessionRunAs-Transitive",
    ]
    assert [r.body for r in ruleset.rules[:4]] == [r.body for r in R.parse(STANDARD).rules]
    [saved] = backups(tmp_path)
    assert saved.parent.name == "adfs1"
    assert saved.read_bytes().decode() == STANDARD
    assert result["backup_file"] == str(saved)
    assert "PrincipalTag:SSMSessionRunAs" in result["diff"]["after"]
    assert "\r" not in result["diff"]["after"]


def test_no_change_costs_one_read(tmp_path):
    store = FakeAdfs()
    run(store, tmp_path)
    store.reads = store.writes = 0
    result = run(store, tmp_path)
    assert (store.reads, store.writes) == (1, 0)
    assert not result["changed"]
    assert "diff" not in result
    assert len(backups(tmp_path)) == 1


def test_adfs_reflowing_whitespace_is_not_a_change(tmp_path):
    store = FakeAdfs(reflow=True)
    run(store, tmp_path)
    assert "\r\n=> issue(store" in store.rules
    stored = store.rules
    result = run(store, tmp_path)
    assert not result["changed"] and store.writes == 1 and store.rules == stored


def test_check_mode_leaves_the_store_untouched_and_predicts(tmp_path):
    store = FakeAdfs()
    result = run(store, tmp_path, check_mode=True)
    assert result["changed"]
    assert (store.reads, store.writes) == (1, 0)
    assert store.rules == STANDARD
    assert backups(tmp_path) == []
    assert result["diff"]["before"] == STANDARD.replace("\r\n", "\n")
    real = run(FakeAdfs(), tmp_path)
    assert real["diff"]["after"] == result["diff"]["after"]


def test_failed_write_leaves_the_old_set(tmp_path):
    store = FakeAdfs(fail_write=True)
    with pytest.raises(AnsibleActionFail, match="MSIS7012"):
        run(store, tmp_path)
    assert store.rules == STANDARD
    assert (store.reads, store.writes) == (1, 1)
    [saved] = backups(tmp_path)
    assert saved.read_bytes() == STANDARD.encode()


def test_change_by_someone_else_between_read_and_write_is_not_overwritten(tmp_path):
    store = FakeAdfs()
    theirs = STANDARD + '\r\n@RuleName = "Theirs"\r\n => issue(claim = c);'

    def someone_else(s):
        s.rules = theirs

    store.after_read = someone_else
    with pytest.raises(AnsibleActionFail, match="changed since it was read"):
        run(store, tmp_path)
    assert store.rules == theirs


def test_failure_reading_backup_dir_stops_before_the_write(tmp_path):
    blocker = tmp_path / "backups"
    blocker.write_text("a file where the backup directory should be")
    store = FakeAdfs()
    with pytest.raises(AnsibleActionFail):
        run(store, tmp_path)
    assert (store.reads, store.writes) == (1, 0)
    assert store.rules == STANDARD


def test_absent_removes_only_ours(tmp_path):
    store = FakeAdfs()
    run(store, tmp_path)
    result = run(store, tmp_path, state="absent")
    assert result["changed"] and result["actions"][0]["action"] == "removed"
    assert store.rules == STANDARD
    again = run(store, tmp_path, state="absent")
    assert not again["changed"] and store.writes == 2


def test_changed_attribute_is_updated_in_place(tmp_path):
    store = FakeAdfs()
    run(store, tmp_path, ldap_attribute="sAMAccountName")
    result = run(store, tmp_path, ldap_attribute="userPrincipalName")
    assert result["actions"][0]["action"] == "updated"
    assert R.parse(store.rules).names().count("SSMSessionRunAs") == 1
    assert ";userPrincipalName;{0}" in store.rules and "sAMAccountName" not in store.rules


def test_standard_rules_managed_by_name(tmp_path):
    store = FakeAdfs()
    result = run(store, tmp_path, standard_rules=list(R.STANDARD_RULES))
    actions = {a["name"]: a["action"] for a in result["actions"]}
    # The fixture's Roles rule is the single-account walkthrough form: ours replaces it.
    assert actions == {
        "NameId": "unchanged",
        "RoleSessionName": "unchanged",
        "Get AD Groups": "unchanged",
        "Roles": "updated",
        "SSMSessionRunAs": "added",
        "SSMSessionRunAs-Transitive": "added",
    }
    assert (store.reads, store.writes) == (1, 1)


def test_bom_and_a_renamed_run_as_rule_cost_one_write_and_no_duplicate(tmp_path):
    runas = R.runas_rule("SSMSessionRunAs", "SSMSessionRunAs", "sAMAccountName").body()
    renamed = runas.replace('"SSMSessionRunAs"', '"ssmsessionrunas"', 1)
    # The transitive rule sits above the run-as rule, where AD FS would run it too early.
    transitive = R.transitive_rule("SSMSessionRunAs", "SSMSessionRunAs").body()
    before = "\ufeff" + transitive + "\r\n\r\n" + renamed + "\r\n\r\n" + STANDARD
    store = FakeAdfs(rules=before)
    result = run(store, tmp_path)
    assert (store.reads, store.writes) == (1, 1)
    assert result["actions"] == [
        {"name": "SSMSessionRunAs", "action": "updated"},
        {"name": "SSMSessionRunAs-Transitive", "action": "updated"},
    ]
    assert store.rules.startswith("\ufeff@RuleTemplate")
    assert R.parse(store.rules).names() == [
        "SSMSessionRunAs",
        "SSMSessionRunAs-Transitive",
        "NameId",
        "RoleSessionName",
        "Get AD Groups",
        "Roles",
    ]
    assert "TransitiveTagKeys" in result["diff"]["after"]
    [saved] = backups(tmp_path)
    assert saved.read_bytes().decode() == before
    store.reads = store.writes = 0
    assert not run(store, tmp_path)["changed"]
    assert (store.reads, store.writes) == (1, 0)


# ---------------------------------------------------------------------------- trust


def test_missing_trust_fails_with_the_fix(tmp_path):
    store = FakeAdfs(exists=False)
    with pytest.raises(AnsibleActionFail) as err:
        run(store, tmp_path)
    msg = str(err.value)
    assert "adfs_claims_relying_party 'Amazon Web Services' does not exist on adfs1" in msg
    assert "adfs_claims_create_trust: true" in msg
    assert (store.reads, store.writes, store.trusts_created) == (1, 0, 0)


def test_missing_trust_created_when_asked(tmp_path):
    store = FakeAdfs(exists=False)
    result = run(store, tmp_path, create_trust=True)
    assert result["trust_created"] and result["changed"]
    assert (store.reads, store.trusts_created, store.writes) == (1, 1, 1)
    assert R.parse(store.rules).names() == ["SSMSessionRunAs", "SSMSessionRunAs-Transitive"]


def test_missing_trust_in_check_mode_creates_nothing(tmp_path):
    store = FakeAdfs(exists=False)
    result = run(store, tmp_path, create_trust=True, check_mode=True)
    assert result["changed"] and result["trust_created"]
    assert (store.reads, store.trusts_created, store.writes) == (1, 0, 0)


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            {"ldap_attribute": "User Principal Name"},
            ["adfs_claims_ldap_attribute 'User Principal Name'", "spelled userPrincipalName"],
        ),
        ({"tag_key": "SSM Run/As!"}, ["adfs_claims_tag_key 'SSM Run/As!'", "' '", "'!'"]),
        ({"rule_name": 'Run "as"'}, ["adfs_claims_rule_name 'Run \"as\"'", "quotes"]),
        ({"relying_party": "Amazon*"}, ["adfs_claims_relying_party 'Amazon*'", "wildcards"]),
        ({"rule_name": "Roles"}, ["adfs_claims_rule_name 'Roles'", "standard AWS rule"]),
        ({"standard_rules": ["Role"]}, ["adfs_claims_standard_rules", "choose from"]),
    ],
)
def test_bad_input_is_rejected_before_any_connection(tmp_path, args, needles):
    store = FakeAdfs()
    with pytest.raises(AnsibleActionFail) as err:
        run(store, tmp_path, **args)
    for needle in needles:
        assert needle in str(err.value)
    assert (store.reads, store.writes) == (0, 0)


# ---------------------------------------------------------------------------- export


def export(tmp_path, check_mode=False, **args):
    store = FakeAdfs()
    base = {"mode": "export", "export_dir": str(tmp_path / "out")}
    base.update(args)
    plugin = make_action(base, store, check_mode=check_mode)
    result = plugin.run(task_vars={"inventory_hostname": "localhost"})
    assert (store.reads, store.writes) == (0, 0)  # export mode never connects
    return result


def test_export_writes_script_and_rule_text_idempotently(tmp_path):
    predicted = export(tmp_path, check_mode=True)
    assert predicted["changed"] and not (tmp_path / "out").exists()
    first = export(tmp_path)
    assert first["changed"]
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "adfs-claims-amazon-web-services.ps1",
        "adfs-claims-amazon-web-services.rules.txt",
    ]
    assert [d["after"] for d in first["diff"]] == [d["after"] for d in predicted["diff"]]
    rules = (tmp_path / "out" / names[1]).read_bytes().decode()
    runas = R.runas_rule("SSMSessionRunAs", "SSMSessionRunAs", "userPrincipalName").body()
    transitive = R.transitive_rule("SSMSessionRunAs", "SSMSessionRunAs").body()
    assert rules == runas + "\r\n\r\n" + transitive + "\r\n"
    assert not export(tmp_path)["changed"]
    assert not export(tmp_path, check_mode=True)["changed"]
    changed = export(tmp_path, ldap_attribute="mail")
    assert changed["changed"] and ";mail;{0}" in (tmp_path / "out" / names[1]).read_text()


def test_export_script_carries_data_as_json_only(tmp_path):
    export(tmp_path, standard_rules=["Roles"], create_trust=True, state="present")
    script = (tmp_path / "out" / "adfs-claims-amazon-web-services.ps1").read_bytes().decode()
    assert "\r\n" in script and "\n" not in script.replace("\r\n", "")
    head, rest = script.split("$spec = @'\r\n", 1)
    spec_json, code = rest.split("\r\n'@ | ConvertFrom-Json", 1)
    spec = json.loads(spec_json)
    assert spec["relying_party"] == RP
    assert [r["name"] for r in spec["rules"]] == [
        "Roles",
        "SSMSessionRunAs",
        "SSMSessionRunAs-Transitive",
    ]
    assert [r["after"] for r in spec["rules"]] == [None, None, "SSMSessionRunAs"]
    assert spec["trust"] == {"metadata_url": action.AWS_METADATA_URL}
    assert spec["patterns"]["chunk"] == R.CHUNK_PATTERN
    assert "Amazon Web Services" not in head + code
    assert "SSMSessionRunAs" not in head + code


def test_export_absent_script_removes_by_name(tmp_path):
    export(tmp_path, state="absent")
    script = (tmp_path / "out" / "adfs-claims-amazon-web-services.ps1").read_text()
    absent = '"absent": [\n    "SSMSessionRunAs",\n    "SSMSessionRunAs-Transitive"\n  ]'
    assert absent in script.replace("\r\n", "\n")


def test_export_requires_export_dir(tmp_path):
    plugin = make_action({"mode": "export"}, FakeAdfs())
    with pytest.raises(AnsibleActionFail, match="export_dir"):
        plugin.run(task_vars={})


# ---------------------------------------------------------------------------- converge alone


def test_converge_counts_round_trips_on_plain_callables():
    calls = []
    store = {"rules": ""}

    def read():
        calls.append("read")
        return store["rules"]

    def write(after, expected):
        calls.append("write")
        assert store["rules"] == expected
        store["rules"] = after
        return {"rules": after}

    desired = [R.runas_rule("SSMSessionRunAs", "SSMSessionRunAs", "mail")]
    R.converge(read, write, desired)
    R.converge(read, write, desired)
    assert calls == ["read", "write", "read"]


def test_converge_rejects_a_store_that_reads_back_differently():
    def write(after, expected):
        return {"rules": ""}  # AD FS dropped our rule

    desired = [R.runas_rule("SSMSessionRunAs", "SSMSessionRunAs", "mail")]
    with pytest.raises(R.AdfsWriteMismatch, match="not stored as written"):
        R.converge(lambda: "", write, desired, backup=lambda before: "/b")
