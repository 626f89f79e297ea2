"""Atomic writes through AnsibleModule.atomic_move: mode and owner from the first moment."""

import os
import stat

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from ansible_collections.federated.ssm_runas.plugins.module_utils.atomic_file import (
    move_into_place,
    write_file,
    write_temp,
)

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")


@pytest.fixture
def module():
    with patch_module_args({}):
        return AnsibleModule(argument_spec={})


@pytest.fixture(autouse=True)
def open_umask():
    """The widest usual umask, so that a file atomic_move creates would show it."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.mark.parametrize("mode", [0o440, 0o600, 0o400])
def test_a_new_file_has_the_mode_without_a_chmod_after_the_move(module, tmp_path, mode):
    path = tmp_path / "f"
    write_file(module, str(path), b"data\n", mode)
    assert path.read_bytes() == b"data\n"
    assert mode_of(path) == mode
    assert os.listdir(tmp_path) == ["f"]
    assert os.umask(0o022) == 0o022  # restored


def test_an_existing_file_keeps_its_mode_or_gets_ours(module, tmp_path):
    path = tmp_path / "f"
    path.write_text("old")
    path.chmod(0o644)
    write_file(module, str(path), b"kept", 0o600)
    assert (path.read_text(), mode_of(path)) == ("kept", 0o644)
    write_file(module, str(path), b"ours", 0o440, keep_dest_attrs=False)
    assert (path.read_text(), mode_of(path)) == ("ours", 0o440)


def test_the_candidate_is_complete_before_the_move(module, tmp_path):
    temp = write_temp(str(tmp_path), b"x = 1\n", 0o440, prefix=".sudoers-")
    name = os.path.basename(temp)
    assert name.startswith(".sudoers-")
    assert name.endswith(".tmp")  # a '.' in the name: sudo's includedir skips it
    with open(temp, "rb") as handle:
        assert (handle.read(), mode_of(temp)) == (b"x = 1\n", 0o440)
    move_into_place(module, temp, str(tmp_path / "ssm-runas"), 0o440)
    assert os.listdir(tmp_path) == ["ssm-runas"]


def test_a_failed_move_leaves_no_temporary_file(module, tmp_path):
    (tmp_path / "a-dir").mkdir()
    temp = write_temp(str(tmp_path), b"x", 0o600)
    with pytest.raises(Exception, match="Could not replace"):
        move_into_place(module, temp, str(tmp_path / "a-dir"), 0o600)
    assert os.listdir(tmp_path) == ["a-dir"]


@needs_root
def test_owner_and_group_are_set_on_a_new_and_an_existing_file(module, tmp_path):
    path = tmp_path / "f"
    write_file(module, str(path), b"a", 0o440, owner=1, group=1)
    assert (path.stat().st_uid, path.stat().st_gid) == (1, 1)
    write_file(module, str(path), b"b", 0o440, owner=0, group=0, keep_dest_attrs=False)
    assert (path.stat().st_uid, path.stat().st_gid, mode_of(path)) == (0, 0, 0o440)
