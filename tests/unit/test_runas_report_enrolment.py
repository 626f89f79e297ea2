"""The report's enrolment line: per instance, whether it enrolled itself at launch and from which
bundle, as runas_probe read /var/lib/ssm-runas-enrol/enrolled.json there."""

import json

import pytest
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_report_hop as rh
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import (
    runas_report_render as render,
)
from runas_report_env import BUNDLE_KEY, UNREACHABLE, enrolment, env, probed, run

STATE = "/var/lib/ssm-runas-enrol/enrolled.json"
BUNDLE = f"bundle 4f2a9c0e1b7d ({BUNDLE_KEY})"
REASON = "realm join: Couldn't connect to the domain controller"
FIX = [
    f"i1 could not configure itself at launch ({REASON})",
    "see `journalctl -u ssm-runas-enrol` on the instance",
    "the service retries with backoff",
    "`systemctl start ssm-runas-enrol` runs it again",
]
OLDER_PROBE = "no enrolment key"

# (id, the probe's enrolment, status, the whole detail, words in the fix)
CASES = [
    (
        "configured-from-the-controller",
        enrolment(),
        rh.PASS,
        "i1: configured from the controller (no enrolment at launch)",
        [],
    ),
    (
        "enrolled-itself",
        enrolment("converged"),
        rh.PASS,
        f"i1: enrolled itself at 2026-12-03T17:02:11Z from {BUNDLE}",
        [],
    ),
    (
        "failed-and-never-enrolled",
        enrolment("failed", enrolled_at=None, reason=REASON),
        rh.FAIL,
        f"i1: enrolment at launch failed at 2026-12-04T08:30:00Z with {BUNDLE}: {REASON}",
        FIX,
    ),
    (
        "failed-after-enrolling",
        enrolment("failed", enrolled_at="2026-12-01T09:00:00Z", reason=REASON),
        rh.FAIL,
        f"i1: enrolment at launch failed at 2026-12-04T08:30:00Z with {BUNDLE}: {REASON}; "
        "last enrolled itself at 2026-12-01T09:00:00Z",
        FIX,
    ),
    (
        "state-unreadable",
        enrolment(error=f"[Errno 21] Is a directory: '{STATE}'"),
        rh.UNKNOWN,
        f"i1: enrolment state {STATE} not usable: [Errno 21] Is a directory: '{STATE}'",
        [
            "whether i1 enrolled itself at launch is unknown",
            "is not the state ssm-runas-enrol.service writes ([Errno 21] Is a directory",
            "`journalctl -u ssm-runas-enrol` on i1",
        ],
    ),
    (
        "state-of-another-shape",
        enrolment(error="version 2 is not 1; bundle_key None is not an S3 key"),
        rh.UNKNOWN,
        f"i1: enrolment state {STATE} not usable: version 2 is not 1; bundle_key None is not "
        "an S3 key",
        ["(version 2 is not 1; bundle_key None is not an S3 key)"],
    ),
    (
        "probe-without-the-state",
        OLDER_PROBE,
        rh.UNKNOWN,
        "i1: the enrolment state was not read",
        [f"the probe there did not read {STATE} (an older runas_probe)"],
    ),
]


def enrolled(enrol, host="i1"):
    """The green environment with host's probe carrying enrol (or no enrolment key at all)."""
    e = env()
    names = e["instances"]["i1"]["names"]
    result = probed(names, enrol=None if enrol == OLDER_PROBE else enrol)
    if enrol == OLDER_PROBE:
        del result["enrolment"]
    e["instances"] = {host: result}
    return e


def the_line(report, host="i1"):
    (entry,) = [i for i in report["instances"] if i["host"] == host]
    (line,) = [c for c in entry["checks"] if c["check"] == "enrolment"]
    return entry, line


@pytest.mark.parametrize(
    ("enrol", "status", "detail", "fix"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_the_enrolment_line(enrol, status, detail, fix):
    report = run(enrolled(enrol))
    entry, line = the_line(report)
    assert (line["title"], line["status"], line["detail"]) == (
        "enrolment at launch",
        status,
        detail,
    )
    for words in fix:
        assert words in line["fix"], line["fix"]
    assert bool(line["fix"]) is (status != rh.PASS)
    # The other lines of the green environment pass: the enrolment line alone sets the status.
    assert entry["status"] == status
    assert report["summary"]["instances_red"] == (["i1"] if status == rh.FAIL else [])
    assert report["summary"]["instances_unknown"] == (["i1"] if status == rh.UNKNOWN else [])
    # Per instance, never per user.
    assert report["users"][0]["status"] == rh.GREEN


@pytest.mark.parametrize(
    ("enrol", "status", "detail", "fix"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_table_and_markdown_show_the_enrolment_line(enrol, status, detail, fix):
    report = run(enrolled(enrol))
    symbol = render.SYMBOLS[status]
    table = render.render_table(report).splitlines()
    at = table.index(f"instance i1: enrolment at launch {symbol}: {detail}")
    follows = table[at + 1] if at + 1 < len(table) else ""
    assert follows.startswith("  fix: ") is (status != rh.PASS)
    for words in fix:
        assert words in follows
    assert ("1 instance(s) red: i1" in table) is (status == rh.FAIL)
    markdown = render.render_markdown(report)
    assert f"| i1 | enrolment at launch | {symbol} | {detail} |" in markdown
    bullet = f"- **i1**, enrolment at launch: {detail}. Fix: "
    assert (bullet in markdown) is (status != rh.PASS)
    assert json.loads(render.render_json(report))["instances"] == report["instances"]


def test_one_failed_enrolment_among_instances_is_counted_once():
    e = env()
    names = e["instances"]["i1"]["names"]
    e["instances"] = {
        "i1": probed(names, enrol=enrolment("failed", enrolled_at=None, reason=REASON)),
        "i2": probed(names, enrol=enrolment("converged")),
        "i3": probed(names, enrol=enrolment(error="not JSON: Expecting value")),
        "i4": probed(names),
        "i5": UNREACHABLE,
    }
    report = run(e)
    assert [i["status"] for i in report["instances"]] == [
        rh.FAIL,
        rh.PASS,
        rh.UNKNOWN,
        rh.PASS,
        rh.UNKNOWN,
    ]
    assert report["summary"]["instances_red"] == ["i1"]
    assert report["summary"]["instances_unknown"] == ["i3", "i5"]
    # bob is unknown for i5, which was not probed, and never red for an enrolment.
    assert (report["summary"]["red"], report["summary"]["unknown"]) == (0, 1)


def test_a_failed_enrolment_is_red_beside_an_unknown_line():
    e = enrolled(enrolment("failed", enrolled_at=None, reason=REASON))
    e["instances"]["i1"]["names"] = {}  # default user not probed: its line is unknown
    entry, line = the_line(run(e))
    assert line["status"] == rh.FAIL
    assert {c["check"]: c["status"] for c in entry["checks"]}["untagged"] == rh.UNKNOWN
    assert entry["status"] == rh.FAIL
