"""Unknown is not failed: a side that could not be read leaves its hops unknown, quoting the
real error, and never hides a failure found where the report could read."""

import pytest
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_report_hop as rh
from runas_report_env import (
    AWS_DENIED,
    AWS_DOWN,
    AWS_FAILED_WHEN_FALSE,
    AWS_IGNORED,
    NOT_RUN,
    PROBE_CRASH,
    PROBE_NO_PYTHON,
    SKIPPED,
    SSH_DOWN,
    UNREACHABLE,
    account,
    env,
    only,
    probe,
    probed,
    run,
    user,
)

AWS_UNREAD = [
    ("failed_when-false", AWS_FAILED_WHEN_FALSE, AWS_DOWN),
    ("ignore_errors", AWS_IGNORED, AWS_DENIED),
    ("unreachable", UNREACHABLE, "unreachable: " + SSH_DOWN),
    ("play-not-run", NOT_RUN, "the play did not run on this host"),
    ("skipped", SKIPPED, "skipped: Conditional result was False"),
    ("nothing-registered", None, "no result was registered"),
]


def _hops(entry):
    return {h["hop"]: h for h in entry["hops"]}


@pytest.mark.parametrize(
    ("shape", "error"), [c[1:] for c in AWS_UNREAD], ids=[c[0] for c in AWS_UNREAD]
)
def test_unreadable_aws_is_unknown_with_the_real_error(shape, error):
    report = run(env(accounts={"lab-account": shape}))
    entry = only(report)
    hops = _hops(entry)
    assert entry["status"] == rh.AMBER
    assert entry["first_failure"]["hop"] == "trust"
    assert entry["unknown_hops"] == ["trust", "preferences"]
    for name in ("trust", "preferences"):
        assert hops[name]["status"] == rh.UNKNOWN
        assert error in hops[name]["detail"] and error in hops[name]["fix"]
    assert "bob" in hops["trust"]["fix"] and "ssm_runas_aws_connection" in hops["trust"]["fix"]
    # The instance side was read and is judged as usual.
    assert [hops[n]["status"] for n in ("id", "home", "sudo")] == [rh.PASS] * 3
    assert report["unread"] == [{"host": "lab-account", "side": "AWS", "error": error}]
    assert report["summary"] == {
        "users": 1,
        "green": 0,
        "red": 0,
        "unknown": 1,
        "unexpected": ["bob"],
        "instances_red": [],
        "instances_unknown": [],
    }
    texts = " ".join(h["detail"] + h["fix"] for h in entry["hops"])
    assert "no federation roles" not in texts and "do not exist" not in texts


INSTANCE_UNREAD = [
    ("unreachable", UNREACHABLE, "unreachable: " + SSH_DOWN),
    ("no-interpreter", PROBE_NO_PYTHON, "The module interpreter '/usr/bin/python3' was not found."),
    ("crash", PROBE_CRASH, "No start of json char found (ModuleNotFoundError: No module named"),
    ("ignore_errors", dict(AWS_IGNORED, msg="boom"), "boom"),
]


@pytest.mark.parametrize(
    ("shape", "error"), [c[1:] for c in INSTANCE_UNREAD], ids=[c[0] for c in INSTANCE_UNREAD]
)
def test_unreadable_instance_is_unknown_with_the_real_error(shape, error):
    report = run(env(instances={"i1": shape}))
    entry = only(report)
    assert entry["status"] == rh.AMBER and entry["first_failure"]["hop"] == "id"
    assert entry["unknown_hops"] == ["id", "home", "sudo"]
    for name in ("id", "home", "sudo"):
        assert error in _hops(entry)[name]["detail"]
    assert "i1" in entry["first_failure"]["fix"]
    assert report["unread"][0]["host"] == "i1"


def test_a_successful_read_under_failed_when_false_is_read():
    registered = dict(account(), failed=False, failed_when_result=False)
    entry = only(run(env(accounts={"lab-account": registered})))
    assert entry["status"] == rh.GREEN


@pytest.mark.parametrize(
    ("someone", "hop"),
    [
        (user("mallory", upn="mallory@partner.test"), "claim"),
        (user("carol", groups=[], requested=True), "directory"),
        (user(enabled=False), "directory"),
    ],
    ids=["claim", "no-group", "disabled"],
)
def test_an_earlier_failure_stays_red_while_aws_is_unknown(someone, hop):
    entry = only(run(env(users=[someone], accounts={"lab-account": AWS_IGNORED})))
    assert entry["status"] == rh.RED and entry["first_failure"]["hop"] == hop
    assert "trust" in entry["unknown_hops"]


def test_a_later_failure_is_not_hidden_by_an_earlier_unknown():
    e = env(
        accounts={"lab-account": AWS_FAILED_WHEN_FALSE},
        probes={"bob@example.test": probe("bob@example.test", id_ok=False)},
    )
    entry = only(run(e))
    assert entry["status"] == rh.RED and entry["first_failure"]["hop"] == "id"
    assert entry["unknown_hops"] == ["trust", "preferences"]


def test_red_where_readable_stays_red_beside_an_unreadable_account():
    e = env(accounts={"a-off": account(run_as=False), "b-down": AWS_FAILED_WHEN_FALSE})
    entry = only(run(e))
    hops = _hops(entry)
    assert hops["trust"]["status"] == rh.UNKNOWN and "b-down" in hops["trust"]["detail"]
    assert hops["preferences"]["status"] == rh.FAIL and "a-off" in hops["preferences"]["fix"]
    assert entry["status"] == rh.RED and entry["first_failure"]["hop"] == "preferences"


def test_one_unreachable_instance_of_two_is_unknown_not_green():
    names = {"bob@example.test": probe("bob@example.test")}
    entry = only(run(env(instances={"i1": probed(names), "i2": UNREACHABLE})))
    assert entry["status"] == rh.AMBER
    assert "i2" in entry["first_failure"]["detail"] and "i1" not in entry["first_failure"]["detail"]


def test_summary_counts_unknown_apart_from_red_and_green():
    e = env(
        users=[user(), user("mallory", upn="mallory@partner.test"), user("alice", groups=[])],
        accounts={"lab-account": AWS_IGNORED},
    )
    report = run(e, expect={"mallory": "claim", "alice": "directory"})
    summary = report["summary"]
    assert (summary["green"], summary["red"], summary["unknown"]) == (0, 2, 1)
    assert summary["unexpected"] == ["bob"]
    by_user = {u["user"]: u for u in report["users"]}
    assert by_user["mallory"]["as_expected"] and by_user["alice"]["as_expected"]


def test_expecting_a_failure_at_an_unknown_hop_is_not_met():
    report = run(env(accounts={"lab-account": AWS_IGNORED}), expect={"bob": "trust"})
    assert only(report)["as_expected"] is False


def test_an_unreadable_directory_is_a_problem_not_an_empty_green_report():
    e = env()
    e["directory"] = dict(AWS_FAILED_WHEN_FALSE, msg="LDAP bind failed: invalidCredentials")
    report = run(e)
    assert report["users"] == []
    assert any("invalidCredentials" in p for p in report["problems"])
