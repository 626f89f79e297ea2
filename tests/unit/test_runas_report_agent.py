"""The report's id hop judges the agent's own resolution, as runas_probe replays it.

The replays here are agent_resolve's on real `id` outputs (id_outputs), so the report reads
what the module really returns; the assertions read the report as an operator does: the agent's
words in the detail, a fix that says what to do.
"""

import pytest
from ansible_collections.federated.ssm_runas.plugins.module_utils import agent_resolve as ar
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_report_hop as rh
from id_outputs import (
    ID,
    LAB_ALICE,
    LAB_BOB,
    LAB_FRANK,
    LAB_FRANK_MEMBER,
    NO_SUCH,
    FakeId,
    ok,
    user,
)
from runas_report_env import (
    AUTOMATION,
    MODEL,
    env,
    local_probe,
    only,
    probe,
    probed,
    run,
)
from runas_report_env import (
    user as ad_user,
)

FRANK = "frank@example.test"


def _frank_probe(out=LAB_FRANK, gid=1816401114):
    agent = ar.resolve(FakeId(user(FRANK, out, 1816401115, gid)), FRANK, ID)
    return probe(FRANK, uid=1816401115, gid=gid, home_uid=1816401115, agent=agent)


def _frank_env(**instances):
    return env(
        users=[ad_user("frank", groups=["NetworkAdmins"])],
        instances={host: probed({FRANK: p}) for host, p in instances.items()}
        or {"i1": probed({FRANK: _frank_probe()})},
    )


def _hop(entry, name):
    return next(h for h in entry["hops"] if h["hop"] == name)


def test_a_gid_id_cannot_name_turns_the_id_hop_red_with_the_agents_words():
    entry = only(run(_frank_env()))
    first = entry["first_failure"]
    assert entry["status"] == rh.RED and first["hop"] == "id"
    assert first["detail"] == 'i1: sh -c "id frank@example.test" -> "invalid group"'
    for words in (
        "GID 1816401114 without a name",
        "getent group 1816401114",
        "ldap_group_search_base",
        "set the user's primary group to one i1 names",
        "sss_cache -E",
        "run playbooks/linux.yml (ad_join)",
    ):
        assert words in first["fix"], (words, first["fix"])
    assert "primary group (primaryGroupID in AD)" in first["fix"]
    # The later hops are still judged from `id <tag>` (which itself exits 0).
    assert _hop(entry, "home")["status"] == rh.PASS


def test_an_unnamed_group_that_is_not_the_primary_one_is_left_in_ad():
    probe_ = _frank_probe(LAB_FRANK_MEMBER, 1816400513)
    first = only(run(_frank_env(i1=probe_)))["first_failure"]
    assert first["hop"] == "id" and "GID 1816401114 without a name" in first["fix"]
    assert "remove the user from that group in AD" in first["fix"]
    assert "primaryGroupID" not in first["fix"]


def test_a_failure_on_one_host_is_red_even_when_another_is_unknown():
    old = _frank_probe()
    del old["agent"]  # a probe that did not replay the agent
    entry = only(run(_frank_env(i1=old, i2=_frank_probe())))
    hop = _hop(entry, "id")
    assert hop["status"] == rh.FAIL and hop["detail"].startswith("i2: ")


def test_a_probe_without_the_replay_leaves_the_hop_unknown_not_failed():
    old = probe("bob@example.test")
    del old["agent"]
    entry = only(run(env(probes={"bob@example.test": old})))
    hop = _hop(entry, "id")
    assert hop["status"] == rh.UNKNOWN and entry["status"] == rh.AMBER
    assert "not replayed" in hop["detail"] and "unknown" in hop["fix"]


def test_uid_zero_quotes_the_agent():
    root = "uid=0(root) gid=0(root) groups=0(root)\n"
    name = "root@example.test"
    agent = ar.resolve(FakeId(user(name, root, 0, 0)), name, ID)
    e = env(users=[ad_user("root")], probes={name: probe(name, uid=0, gid=0, agent=agent)})
    first = only(run(e))["first_failure"]
    assert first["hop"] == "id" and '"invalid uid and gid"' in first["detail"]
    assert "uid/gid 0" in first["fix"] and "uidNumber/gidNumber" in first["fix"]


def test_a_user_the_agent_cannot_find_quotes_the_agent_and_keeps_the_join_fix():
    name = "zed@example.test"
    agent = ar.resolve(FakeId({(ID, name): (1, "", NO_SUCH.format(name))}), name, ID)
    e = env(users=[ad_user("zed")], probes={name: probe(name, id_ok=False, agent=agent)})
    first = only(run(e))["first_failure"]
    assert first["hop"] == "id"
    assert "failed to start pty since RunAs user zed@example.test does not exist" in first["fix"]
    assert "sssctl user-checks zed@example.test" in first["fix"]


def test_a_word_split_name_says_how_sh_split_it():
    # Two real users in one value (mail attribute): sts_tag fails first, and the id hop says
    # what the agent does with it on the instance.
    name = "bob@example.test alice@example.test"
    words = name.split(" ")
    answers = {(ID, *words): ok(LAB_BOB + LAB_ALICE), (ID, "-u", *words): ok("1\n2\n")}
    agent = ar.resolve(FakeId(answers), name, ID)
    e = env(
        users=[ad_user("bob", mail=name)],
        probes={name: probe(name, id_ok=False, agent=agent)},
        model=dict(MODEL, ldap_attribute="mail"),
    )
    entry = only(run(e))
    assert entry["first_failure"]["hop"] == "sts_tag"
    hop = _hop(entry, "id")
    assert hop["status"] == rh.FAIL and "strconv.Atoi" in hop["detail"]
    assert "`id` gets 2 names (bob@example.test, alice@example.test)" in hop["fix"]


def _replies(*replies):
    """id answering call after call: SSSD that answers the agent once, then not."""
    queue = list(replies)
    return lambda argv: queue.pop(0)


@pytest.mark.parametrize(
    ("step", "replies"),
    [
        ("uid", [ok(LAB_BOB), (1, "", NO_SUCH.format("bob@example.test"))]),
        (
            "groups",
            [
                ok(LAB_BOB),
                ok("1816401106\n"),
                ok("1816400513\n"),
                (1, "", NO_SUCH.format("bob@example.test")),
            ],
        ),
    ],
)
def test_sssd_failing_between_the_agents_calls_is_named(step, replies):
    name = "bob@example.test"
    agent = ar.resolve(_replies(*replies), name, ID)
    assert agent["step"] == step
    first = only(run(env(probes={name: probe(name, agent=agent)})))["first_failure"]
    assert first["hop"] == "id" and '"exit status 1"' in first["detail"]
    assert "sssctl domain-status example.test" in first["fix"]


def test_the_automation_account_in_a_group_nothing_names_is_red():
    name = AUTOMATION["user"]
    out = (
        "uid=998(ansible-automation) gid=998(ansible-automation) "
        "groups=998(ansible-automation),5000\n"
    )
    agent = ar.resolve(FakeId(user(name, out, 998, 998)), name, ID)
    model = dict(MODEL, automation=AUTOMATION)
    names = {
        name: dict(local_probe(name), agent=agent),
        "ssm-runas-untagged-denied": local_probe("ssm-runas-untagged-denied", exists=False),
        "bob@example.test": probe("bob@example.test"),
    }
    report = run(env(model=model, instances={"i1": probed(names)}))
    checks = {c["check"]: c for c in report["instances"][0]["checks"]}
    line = checks["automation"]
    assert line["status"] == rh.FAIL and '"invalid group"' in line["detail"]
    assert "refuses Ansible's sessions as ansible-automation" in line["fix"]
    assert "GID 5000" in line["fix"] and "/etc/group lacks it" in line["fix"]
