"""Failure drills: shared helpers. `quick` drills need no lab (moto and fakes only)."""

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "integration" / "iam_eval"))


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# The AWS teammate's private moto server fixture, reused rather than copied.
moto_endpoint = _load(
    "integration_conftest", REPO / "tests" / "integration" / "conftest.py"
).moto_endpoint


def pytest_configure(config):
    config.addinivalue_line("markers", "quick: a drill without the lab; also fit for `make test`")
