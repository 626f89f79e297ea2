"""Make the checkout importable as ansible_collections.federated.ssm_runas in every test."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# collections/ansible_collections/federated/ssm_runas is a symlink to the repo root; the
# namespace package merges with the bundled collections in the venv's site-packages.
sys.path.insert(0, str(REPO / "collections"))
