"""agent_resolve: the SSM agent's own resolution of a run-as user, replayed without a shell.

The expected outcomes come from the agent's source (aws/amazon-ssm-agent, shell_unix.go
getUserCredentials/extractGroupId, utility_unix.go DoesUserExist) and Go's strconv, not from
the replay. The `id` answers are real outputs: the example in the agent's source comment, SSSD
issues (a GID that `id` cannot name), and `id` on a realm-joined lab instance (Debian 12,
coreutils 9.1, SSSD 2.8).
"""

import pytest
from ansible_collections.federated.ssm_runas.plugins.module_utils import agent_resolve as ar
from id_outputs import (
    AGENT_COMMENT,
    ID,
    LAB_ALICE,
    LAB_BOB,
    LAB_FRANK,
    LAB_FRANK_MEMBER,
    NO_SUCH,
    SSSD_BARE,
    SSSD_BARE_PRIMARY,
    FakeId,
    ok,
    user,
)


def test_a_resolvable_user_gets_the_agents_credentials():
    run = FakeId(user("ssm-user", AGENT_COMMENT, 1873601143, 1873600513))
    got = ar.resolve(run, "ssm-user", ID)
    assert got["ok"] and got["step"] is None and got["error"] is None
    assert (got["uid"], got["gid"]) == (1873601143, 1873600513)
    assert got["groups"] == [1873600513, 1873601620, 1873601125]
    # The agent's order: exists, -u, -g, then the group list from a second plain `id`.
    assert run.calls == [
        [ID, "ssm-user"],
        [ID, "-u", "ssm-user"],
        [ID, "-g", "ssm-user"],
        [ID, "ssm-user"],
    ]
    assert [c["step"] for c in got["calls"]] == ["exists", "uid", "gid", "groups"]


def test_group_names_with_spaces_and_at_signs_parse():
    run = FakeId(user("bob@example.test", LAB_BOB, 1816401106, 1816400513))
    got = ar.resolve(run, "bob@example.test", ID)
    assert got["ok"] and got["groups"] == [1816400513, 1816401103]


def test_a_user_that_does_not_exist_fails_with_the_agents_words():
    name = "zed@example.test"
    run = FakeId({(ID, name): (1, "", NO_SUCH.format(name))})
    got = ar.resolve(run, name, ID)
    assert not got["ok"] and got["step"] == "exists"
    assert got["error"] == "failed to start pty since RunAs user zed@example.test does not exist"
    assert len(run.calls) == 1


@pytest.mark.parametrize(
    ("name", "out", "uid", "gid", "bare"),
    [
        ("user", SSSD_BARE, 2193058, 2193058, "2100513"),
        ("frank@example.test", LAB_FRANK_MEMBER, 1816401115, 1816400513, "1816401114"),
        ("frank@example.test", LAB_FRANK, 1816401115, 1816401114, "1816401114"),
    ],
    ids=["last-entry", "middle-entry", "primary-group"],
)
def test_a_gid_id_cannot_name_is_an_invalid_group(name, out, uid, gid, bare):
    run = FakeId(user(name, out, uid, gid))
    got = ar.resolve(run, name, ID)
    assert (got["ok"], got["step"], got["error"]) == (False, "groups", "invalid group")
    assert got["entry"] == bare
    assert (got["uid"], got["gid"], got["groups"]) == (uid, gid, None)


def test_an_unnamed_primary_group_fails_on_the_groups_list_not_on_id_g():
    # `id -g` prints the number alone in any case; only the groups= list carries the names.
    run = FakeId(user("user1", SSSD_BARE_PRIMARY, 50000, 50000))
    got = ar.resolve(run, "user1", ID)
    assert (got["step"], got["error"], got["entry"]) == ("groups", "invalid group", "50000")
    assert got["gid"] == 50000


def test_root_is_refused_after_its_groups_were_read():
    run = FakeId(user("root", "uid=0(root) gid=0(root) groups=0(root)\n", 0, 0))
    got = ar.resolve(run, "root", ID)
    assert (got["ok"], got["step"], got["error"]) == (False, "credentials", "invalid uid and gid")
    assert got["groups"] == [0] and len(run.calls) == 4


def test_a_gid_of_zero_alone_is_refused_too():
    out = "uid=1001(svc) gid=0(root) groups=0(root),1001(svc)\n"
    got = ar.resolve(FakeId(user("svc", out, 1001, 0)), "svc", ID)
    assert (got["step"], got["error"]) == ("credentials", "invalid uid and gid")


def test_a_name_with_a_space_is_word_split_like_sh_does():
    # Two real users in one tag value: `id` resolves both, so the user "exists", but `id -u`
    # prints two lines (coreutils >= 8.31 takes several users) and Atoi refuses them.
    name = "bob@example.test alice@example.test"
    words = ["bob@example.test", "alice@example.test"]
    run = FakeId(
        {
            (ID, *words): ok(LAB_BOB + LAB_ALICE),
            (ID, "-u", *words): ok("1816401106\n1816401107\n"),
        }
    )
    got = ar.resolve(run, name, ID)
    assert got["words"] == words
    assert (got["step"], got["error"]) == (
        "uid",
        'strconv.Atoi: parsing "1816401106\\n1816401107": invalid syntax',
    )


def test_a_split_name_whose_first_word_is_nobody_does_not_exist():
    name = "domain users@example.test"
    words = ["domain", "users@example.test"]
    out = NO_SUCH.format("domain") + NO_SUCH.format("users@example.test")
    run = FakeId({(ID, *words): (1, "", out)})
    got = ar.resolve(run, name, ID)
    assert got["words"] == words and got["step"] == "exists"
    assert got["error"] == (
        "failed to start pty since RunAs user domain users@example.test does not exist"
    )


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("bob@example.test", ["bob@example.test"]),
        ("  bob@example.test ", ["bob@example.test"]),
        ("a  b", ["a", "b"]),
        # sh splits on its IFS (space, tab, newline) only: a no-break space stays inside.
        ("bob\u00a0smith@example.test", ["bob\u00a0smith@example.test"]),
        ("x=y", ["x=y"]),
    ],
)
def test_sh_words(name, words):
    assert ar.sh_words(name) == words


@pytest.mark.parametrize(
    "name", ["bob;reboot", "$(id)", "bob'", "a\tb", "EXAMPLE\\bob", "*", "a|b", "b" * 257]
)
def test_a_name_outside_the_tag_charset_runs_nothing(name):
    run = FakeId({})
    got = ar.resolve(run, name, ID)
    assert got["step"] == "tag" and not got["ok"] and run.calls == []
    assert "not a valid STS session tag value" in got["error"]


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_name_is_the_agents_missing_default_user(name):
    run = FakeId({})
    got = ar.resolve(run, name, ID)
    assert (got["step"], got["error"]) == ("name", "please set the RunAs default user")
    assert run.calls == []


def test_id_failing_after_the_user_was_found_is_the_exec_error():
    # The user vanished between the agent's calls (an SSSD outage): cmd.Output()'s ExitError.
    name = "bob@example.test"
    run = FakeId(
        {
            (ID, name): ok(LAB_BOB),
            (ID, "-u", name): (1, "", NO_SUCH.format(name)),
        }
    )
    got = ar.resolve(run, name, ID)
    assert (got["step"], got["error"]) == ("uid", "exit status 1")


def test_an_id_killed_by_a_signal_reads_like_go():
    name = "bob@example.test"
    run = FakeId({(ID, name): ok(LAB_BOB), (ID, "-u", name): (-9, "", "")})
    assert ar.resolve(run, name, ID)["error"] == "signal: killed"


def test_no_groups_label_means_no_supplementary_groups():
    # strings.Index(out, "groups=") > 0 is false: the agent passes no groups and goes on.
    out = "uid=1816401106(bob@example.test) gid=1816400513(domain users@example.test)\n"
    got = ar.resolve(FakeId(user("bob", out, 1816401106, 1816400513)), "bob", ID)
    assert got["ok"] and got["groups"] == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1816400513(domain users@example.test)", (1816400513, None)),
        (" 12(x)\n", (12, None)),
        ("2100513\n", (None, "invalid group")),
        ("(x)", (None, "invalid group")),
        ("abc(x)", (None, 'strconv.Atoi: parsing "abc": invalid syntax')),
        ("+5(x)", (5, None)),
        (
            "99999999999999999999(x)",
            (None, 'strconv.Atoi: parsing "99999999999999999999": value out of range'),
        ),
    ],
)
def test_extract_group_id_like_the_agent(value, expected):
    assert ar.extract_group_id(value) == expected


@pytest.mark.parametrize(
    ("text", "quoted"),
    [("12\n34", '"12\\n34"'), ('a"b', '"a\\"b"'), ("\x01", '"\\x01"'), ("é", '"é"')],
)
def test_go_quote(text, quoted):
    assert ar.go_quote(text) == quoted
