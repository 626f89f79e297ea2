"""Stand-in for pip's get-pip.py bootstrap that ansible-test downloads from a host we cannot reach.

ansible-test runs it inside a fresh venv with pip options and `pip==X` as arguments; here pip
comes from the interpreter's own ensurepip and is then upgraded from PyPI to the pinned version.
"""

import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
# ensurepip leaves PIP_CONFIG_FILE=/dev/null behind, which would hide the machine's pip.conf.
env = {k: v for k, v in os.environ.items() if k not in ("PIP_CONFIG_FILE", "ENSUREPIP_OPTIONS")}
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *args], env=env))
