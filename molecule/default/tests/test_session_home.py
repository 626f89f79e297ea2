"""After the site run, a session as bob starts in his home: the shell profile is the one the AWS
side stored (read back from the lab's moto, the version start-session reads), typed by an
agent-like session start (molecule/_shared/agent_session.py) on the lab's instance. Without the
profile the same session starts in the agent's working directory, /usr/bin."""

import json
import sys
from pathlib import Path

import boto3
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "_shared"))
import agent_session
import lab_hosts

REPO = Path(__file__).resolve().parents[3]
LAB = lab_hosts.lab_facts()
# Where to look (the region), from the data model the site run used.
MODEL = yaml.safe_load((REPO / "inventories/lab/group_vars/all/ssm_runas.yml").read_text())
REGION = MODEL["ssm_runas"]["aws"]["region"]
BOB = "bob@" + LAB["domain"]


@pytest.fixture(scope="module")
def stored():
    """The preferences' inputs as Session Manager hands them to the agent."""
    ssm = boto3.client(
        "ssm",
        endpoint_url=LAB["aws_endpoint_url"],
        region_name=REGION,
        aws_access_key_id="lab-reader",
        aws_secret_access_key="lab-reader",  # noqa: S106 - moto takes any key
    )
    doc = ssm.get_document(Name="SSM-SessionManagerRunShell", DocumentVersion="$LATEST")
    return json.loads(doc["Content"])["inputs"]


@pytest.fixture(scope="module", params=LAB["instances"])
def instance(request):
    return request.param


def test_a_session_as_bob_starts_in_his_home(stored, instance):
    assert stored["runAsEnabled"] is True
    profile = stored["shellProfile"]["linux"]
    assert profile.strip(), "no shellProfile.linux stored: the agent would type nothing"
    res = agent_session.start(instance, BOB, ["pwd"], profile=profile)
    assert res.started, res.error
    assert res.output_of("pwd") == [f"/home/{BOB}"], res.transcript
    # The user sees what was typed for them.
    assert profile.splitlines()[0] in res.transcript


def test_without_the_profile_the_session_starts_in_the_agents_directory(instance):
    res = agent_session.start(instance, BOB, ["pwd", 'echo "$HOME"'])
    assert res.started, res.error
    assert res.output_of("pwd") == ["/usr/bin"], res.transcript
    assert res.output_of('echo "$HOME"') == [f"/home/{BOB}"], res.transcript


def test_a_tag_in_another_case_has_no_home_and_the_profile_stays_quiet(stored, instance):
    # The agent's HOME is /home/<tag as given>, which no home matches; the shell goes on.
    given = BOB.upper()
    res = agent_session.start(instance, given, ["pwd"], profile=stored["shellProfile"]["linux"])
    assert res.started, res.error
    assert res.output_of("pwd") == ["/usr/bin"], res.transcript
    assert res.status == 0, res.transcript
