"""The account guard is on by default: a site run whose model names another account than the
credentials belong to stops before any change, and says which two accounts differ.

moto answers every request as its default account, 123456789012; the model says
210987654321, and nothing sets aws_federation_check_account. The run goes through
ansible-playbook as a user runs it (test_site_preflight's inventory of its own), and moto's
request recorder shows what it asked. test_site_preflight's passing run (the model's account
is moto's) shows the guard lets the right account through."""

import copy
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "iam_eval"))

from harness import is_write, recorded_calls, recorder
from test_site_preflight import (
    ACCOUNT,
    GOOD_MODEL,
    clients,
    flat,
    headers,
    moto_state,
    run,
    write_inventory,
)
from test_site_preflight import tripwire as site_tripwire

OTHER_ACCOUNT = "210987654321"
# test_site_preflight's instance-host tripwire, as a fixture of this module too.
tripwire = site_tripwire


def test_site_stops_before_any_change_when_the_credentials_belong_to_another_account(
    tmp_path, moto_endpoint, request
):
    script, marker = request.getfixturevalue("tripwire")
    model = copy.deepcopy(GOOD_MODEL)
    model["aws"]["account_id"] = OTHER_ACCOUNT
    inventory, export_dir = write_inventory(tmp_path, moto_endpoint, script, model)
    account_vars = (inventory / "group_vars/aws_accounts.yml").read_text()
    assert "aws_federation_check_account" not in account_vars
    iam, ssm = clients(moto_endpoint)
    before = moto_state(iam, ssm)

    recorder(moto_endpoint, "reset-recording")
    recorder(moto_endpoint, "start-recording")
    try:
        # Not the Linux side: should the guard ever let this run through, its roles would run
        # on this machine (the instance host is local). The ADFS export shows the run stopped.
        rc, out, err = run(
            tmp_path,
            "ansible-playbook",
            "-i",
            str(inventory),
            "federated.ssm_runas.site",
            "--tags",
            "aws,adfs",
        )
    finally:
        recorder(moto_endpoint, "stop-recording")

    assert rc != 0, out[-3000:]
    text = flat(out + err)
    assert re.search(
        rf"The account id '{OTHER_ACCOUNT}' \(ssm_runas\.aws\.account_id or "
        rf"aws_federation_account_id\) does not match the credentials' account '{ACCOUNT}'",
        text,
    ), out[-3000:] + err[-2000:]
    calls = recorded_calls(moto_endpoint)
    assert ("sts", "GetCallerIdentity") in calls, calls
    assert [call for call in calls if is_write(call[1])] == [], calls
    assert moto_state(iam, ssm) == before
    tasks = [name for kind, name in headers(out) if kind == "TASK"]
    assert tasks[-1].endswith(f"Changes go only to account {OTHER_ACCOUNT}"), tasks
    assert "changed:" not in out
    # The AWS play's only host failed, so the run ended there: no ADFS export.
    assert not export_dir.exists()
    assert not marker.exists(), marker.read_text()
