"""Which homes ad_homes creates or removes, with NSS faked and a temporary /home."""

import os
from collections import namedtuple

import pytest
from ansible_collections.federated.ssm_runas.plugins.module_utils.ad_homes import (
    HomesError,
    create_home,
    home_path,
    load_manifest,
    plan,
    qualify,
    removable,
    resolve_members,
    resolve_members_waiting,
    save_manifest,
)

Group = namedtuple("Group", "gr_name gr_mem")
Passwd = namedtuple("Passwd", "pw_name pw_uid pw_gid")

GROUPS = {
    "networkadmins@example.test": Group(
        "networkadmins@example.test", ["bob@example.test", "dave@example.test"]
    ),
    "sysadmins@example.test": Group(
        "sysadmins@example.test", ["dave@example.test", "alice@example.test", "ghost@example.test"]
    ),
    "evil@example.test": Group("evil@example.test", ["root"]),
}
USERS = {
    "bob@example.test": Passwd("bob@example.test", 1001, 5000),
    "dave@example.test": Passwd("dave@example.test", 1002, 5000),
    "alice@example.test": Passwd("alice@example.test", 1003, 5000),
    "root": Passwd("root", 0, 0),
}


def getgrnam(name):
    return GROUPS[name]


def getpwnam(name):
    return USERS[name]


@pytest.mark.parametrize(
    ("group", "domain", "fq", "name"),
    [
        ("NetworkAdmins", "example.test", True, "NetworkAdmins@example.test"),
        ("Help Desk", "example.test", True, "Help Desk@example.test"),
        ("NetworkAdmins", "example.test", False, "NetworkAdmins"),
        ("x@other.test", "example.test", True, "x@other.test"),
    ],
)
def test_qualify(group, domain, fq, name):
    assert qualify(group, domain, fq) == name


@pytest.mark.parametrize("group", ["", "  ", "a:b", "a\nb"])
def test_qualify_refuses(group):
    with pytest.raises(HomesError):
        qualify(group, "example.test", True)


def test_members_are_merged_unresolvable_and_root_skipped():
    members, missing = resolve_members(
        [
            "networkadmins@example.test",
            "sysadmins@example.test",
            "evil@example.test",
            "nosuch@example.test",
        ],
        getgrnam,
        getpwnam,
    )
    assert members == {
        "bob@example.test": (1001, 5000),
        "dave@example.test": (1002, 5000),
        "alice@example.test": (1003, 5000),
    }
    assert missing == ["nosuch@example.test"]


@pytest.mark.parametrize("name", ["..", ".", ".hidden", "a/b", "../etc", "", "a\nb"])
def test_home_path_refuses_escapes(name):
    with pytest.raises(HomesError):
        home_path("/home", name)


def test_plan_splits_existing_and_missing(tmp_path):
    (tmp_path / "bob@example.test").mkdir()
    members = {"bob@example.test": (1, 2), "alice@example.test": (3, 4)}
    to_create, present = plan(members, str(tmp_path), os.path.lexists)
    assert [c[0] for c in to_create] == ["alice@example.test"]
    assert [p[0] for p in present] == ["bob@example.test"]


def test_create_home_copies_skel_with_owner_and_mode(tmp_path):
    skel = tmp_path / "skel"
    skel.mkdir()
    (skel / ".bashrc").write_text("# skel\n")
    (skel / ".config").mkdir()
    (skel / ".link").symlink_to("/etc/passwd")
    home = tmp_path / "home" / "bob"
    home.parent.mkdir()
    uid, gid = os.getuid(), os.getgid()
    create_home(str(home), uid, gid, str(skel))
    assert (home / ".bashrc").read_text() == "# skel\n"
    assert (home / ".link").is_symlink()  # not followed: no copy of /etc/passwd
    assert oct(home.stat().st_mode & 0o777) == "0o700"
    assert home.stat().st_uid == uid


def test_create_home_without_skel(tmp_path):
    create_home(str(tmp_path / "h"), os.getuid(), os.getgid(), str(tmp_path / "missing"))
    assert os.listdir(tmp_path / "h") == []


def test_manifest_round_trip_and_removable(tmp_path):
    state = tmp_path / "state" / "ad_homes.json"
    home = tmp_path / "bob"
    home.mkdir()
    written = {}
    save_manifest(str(state), {str(home): os.getuid()}, written.__setitem__)
    assert state.parent.is_dir()  # the writer gets an existing directory
    state.write_bytes(written[str(state)])
    assert load_manifest(str(state)) == {str(home): os.getuid()}
    assert removable(str(home), os.getuid())
    assert not removable(str(home), os.getuid() + 1)  # someone else's by now
    link = tmp_path / "link"
    link.symlink_to(home)
    assert not removable(str(link), os.getuid())
    assert not removable(str(tmp_path / "gone"), os.getuid())


def test_missing_manifest_is_empty_and_broken_one_is_an_error(tmp_path):
    assert load_manifest(str(tmp_path / "none.json")) == {}
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(HomesError, match="not JSON"):
        load_manifest(str(bad))


class FakeClock:
    """time.monotonic and time.sleep for a test: sleeping advances the clock."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = 0

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps += 1
        self.now += seconds


def test_after_a_restart_groups_are_retried_until_sssd_is_online():
    clock = FakeClock()

    def getgrnam_online_after_3s(name):
        if clock.now < 3:
            raise KeyError(name)
        return GROUPS[name]

    members, missing = resolve_members_waiting(
        ["networkadmins@example.test"],
        getgrnam_online_after_3s,
        getpwnam,
        timeout=30,
        sleep=clock.sleep,
        clock=clock.clock,
    )
    assert missing == []
    assert set(members) == {"bob@example.test", "dave@example.test"}
    assert clock.sleeps == 3


def test_a_group_that_never_resolves_is_missing_after_the_timeout():
    clock = FakeClock()
    members, missing = resolve_members_waiting(
        ["nosuch@example.test", "sysadmins@example.test"],
        getgrnam,
        getpwnam,
        timeout=5,
        sleep=clock.sleep,
        clock=clock.clock,
    )
    assert missing == ["nosuch@example.test"]
    assert "alice@example.test" in members
    assert clock.now == 5


def test_without_a_restart_there_is_no_wait():
    clock = FakeClock()
    _members, missing = resolve_members_waiting(
        ["nosuch@example.test"], getgrnam, getpwnam, timeout=0, sleep=clock.sleep, clock=clock.clock
    )
    assert missing == ["nosuch@example.test"]
    assert clock.sleeps == 0
