"""The report's trust-policy evaluator agrees with @cloud-copilot/iam-simulate on every case.

Same CASES as tests/unit/test_iam_conditions.py, run through the AWS teammate's node bridge
(tests/integration/iam_eval/simulate.mjs). The simulator is a test-only AGPL tool from npm;
nothing of it ships in the collection.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BRIDGE = HERE / "iam_eval" / "simulate.mjs"
SIMULATOR = REPO / "node_modules" / "@cloud-copilot" / "iam-simulate"
sys.path.insert(0, str(REPO / "tests" / "unit"))

from ansible_collections.federated.ssm_runas.plugins.plugin_utils import (  # noqa: E402
    iam_conditions as ic,
)
from test_iam_conditions import CASES, ROLE  # noqa: E402

EXPECTED = {
    ic.ALLOW: "Allowed",
    ic.EXPLICIT_DENY: "ExplicitlyDenied",
    ic.IMPLICIT_DENY: "ImplicitlyDenied",
}


def _context(context):
    def text(value):
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return {k: [text(x) for x in v] if isinstance(v, list) else text(v) for k, v in context.items()}


@pytest.fixture(scope="module")
def simulated():
    if shutil.which("node") is None:
        pytest.skip("node is not installed: run `make setup`")
    if not SIMULATOR.exists() or not BRIDGE.exists():
        pytest.skip("iam-simulate or its bridge is missing: run `make setup`")
    cases = [
        {
            "id": case_id,
            "simulation": {
                "request": {
                    "action": action,
                    "principal": principal,
                    "resource": {"resource": ROLE, "accountId": "123456789012"},
                    "contextVariables": _context(context),
                },
                "resourcePolicy": doc,
            },
        }
        for case_id, doc, principal, action, context, _ in CASES
    ]
    proc = subprocess.run(
        ["node", str(BRIDGE)],
        input=json.dumps({"cases": cases}),
        text=True,
        capture_output=True,
        cwd=REPO,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return {r["id"]: r for r in json.loads(proc.stdout)["results"]}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_same_decision_as_iam_simulate(simulated, case):
    case_id, doc, principal, action, context, expected = case
    ours = ic.evaluate(doc, {"Federated": principal}, action, context, resource=ROLE)["decision"]
    theirs = simulated[case_id]
    assert theirs["result"] != "Error", theirs["errors"]
    # A context key the simulator ignores would make agreement meaningless.
    assert not theirs["ignored"] or action not in ic.SAML_ACTIONS, theirs["ignored"]
    assert (EXPECTED[ours], ours) == (theirs["result"], expected), theirs
