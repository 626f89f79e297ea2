"""Filter files import nothing of the collection until a filter is called.

Ansible imports every filter file of a collection, in each worker process, for every task that
uses any of its filters (ansible.plugins.loader.Jinja2Loader.get_with_context iterates the
package), so whatever a filter file imports at its top is paid once per task and host.
"""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FILTERS = sorted(p.stem for p in (REPO / "plugins/filter").glob("*.py"))
OWN = "ansible_collections.federated.ssm_runas.plugins."

PROGRAM = """
import json, sys
import ansible.errors
before = set(sys.modules)
for name in sys.argv[1:]:
    module = __import__("ansible_collections.federated.ssm_runas.plugins.filter." + name,
                        fromlist=["FilterModule"])
    module.FilterModule().filters()
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def imported_by(*filters):
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM, *filters],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(REPO / "collections")},
    ).stdout
    return json.loads(out)


def test_there_are_filter_files():
    assert {"runas_model", "runas_report", "sudoers_errors", "aws_federation_plan"} <= set(FILTERS)


def test_loading_every_filter_file_imports_none_of_the_collections_code():
    code = (OWN + "plugin_utils", OWN + "module_utils")
    assert [m for m in imported_by(*FILTERS) if m.startswith(code)] == []


def test_the_check_can_fail():
    """The same probe sees the code a filter imports once it is called."""
    program = PROGRAM.replace(
        "module.FilterModule().filters()",
        "f = module.FilterModule().filters(); f.get('sudoers_errors', lambda *a: 0)([])",
    )
    out = subprocess.run(
        [sys.executable, "-c", program, "sudoers_errors"],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(REPO / "collections")},
    ).stdout
    assert OWN + "module_utils.sudoers" in json.loads(out)
