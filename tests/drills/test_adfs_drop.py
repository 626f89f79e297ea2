"""Drill: the WinRM connection drops between the read and the write of the ADFS rule set.

Uses the ADFS teammate's fake AD FS store and action driver (tests/unit/test_adfs_action.py).
The old rule set stays intact (the write never arrived, or arrived whole), a backup of it is
on the controller, and a plain re-run converges."""

import importlib.util
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleConnectionFailure, AnsibleError

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "adfs_action_fixtures", REPO / "tests" / "unit" / "test_adfs_action.py"
)
fixtures = importlib.util.module_from_spec(_spec)
sys.modules["adfs_action_fixtures"] = fixtures
_spec.loader.exec_module(fixtures)
R = fixtures.R

pytestmark = pytest.mark.quick
DROP = "winrm: connection reset by peer (HTTPSConnectionPool: Read timed out)"


class DroppingAdfs(fixtures.FakeAdfs):
    """The connection dies on the next write: before it reaches AD FS, or after AD FS applied
    it but before the answer came back."""

    def __init__(self, applied: bool):
        super().__init__()
        self.drop_next_write = True
        self.applied = applied

    def execute(self, module_name=None, module_args=None, task_vars=None, **kw):
        if self.drop_next_write and module_args and "rules" in module_args:
            self.drop_next_write = False
            if self.applied:
                super().execute(module_name, module_args, task_vars, **kw)
            raise AnsibleConnectionFailure(DROP)
        return super().execute(module_name, module_args, task_vars, **kw)


@pytest.mark.parametrize("applied", [False, True], ids=["lost-request", "lost-answer"])
def test_connection_drop_between_read_and_write(tmp_path, applied):
    store = DroppingAdfs(applied=applied)
    with pytest.raises(AnsibleError) as err:
        fixtures.run(store, tmp_path)
    assert "connection reset" in str(err.value)

    # The rule set is either the old one, byte for byte, or the complete new one; never a mix.
    names = R.parse(store.rules).names()
    if applied:
        assert names == [
            "NameId",
            "RoleSessionName",
            "Get AD Groups",
            "Roles",
            "SSMSessionRunAs",
            "SSMSessionRunAs-Transitive",
        ]
    else:
        assert store.rules == fixtures.STANDARD
    # The old set was saved on the controller before the write was attempted.
    [saved] = fixtures.backups(tmp_path)
    assert saved.read_bytes().decode() == fixtures.STANDARD

    # A plain re-run converges, and the one after it changes nothing.
    store.reads = store.writes = 0
    again = fixtures.run(store, tmp_path)
    assert again["changed"] is (not applied)
    assert (store.reads, store.writes) == (1, 0 if applied else 1)
    ruleset = R.parse(store.rules)
    assert ruleset.names().count("SSMSessionRunAs") == 1
    assert ruleset.names().count("SSMSessionRunAs-Transitive") == 1
    assert [r.body for r in ruleset.rules[:4]] == [r.body for r in R.parse(fixtures.STANDARD).rules]
    assert not fixtures.run(store, tmp_path)["changed"]
