"""Run the collection's playbooks by FQCN the way a user does: from a directory of their own,
with none of the caller's Ansible or AWS settings, the collection found on its path."""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def ansible_env(root, collections=REPO / "collections"):
    """A user's shell: none of the caller's Ansible or AWS settings (nor this machine's
    PYTHONDONTWRITEBYTECODE, which would hide bytecode written next to the collection), the
    collection on the path, Ansible's own files under root."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANSIBLE_", "AWS_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        PATH=f"{BIN}:{env.get('PATH', '')}",
        ANSIBLE_COLLECTIONS_PATH=str(collections),
        ANSIBLE_HOME=str(root / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(root / "ansible-home/tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_DEPRECATION_WARNINGS="false",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env
