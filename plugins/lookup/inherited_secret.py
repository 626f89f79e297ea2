# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: inherited_secret
author: federated.ssm_runas maintainers
version_added: 0.2.0
short_description: A secret handed to ansible-playbook in memory by the process that started it
description:
  - Returns the JSON value written to the in-memory file (a memfd) whose descriptor number is in
    the environment variable E(SSM_RUNAS_SECRET_FD). The enroller an instance runs at launch
    starts C(ansible-playbook) this way (see C(aws_federation_enrol) of the
    P(federated.ssm_runas.aws_federation#role) role), so the join secret is never in an
    argument, an environment value, a file on disk or the bundle.
  - Reads the descriptor at offset 0 each time, so every process of the run can read it.
  - Fails, naming the variable, when E(SSM_RUNAS_SECRET_FD) is unset or not an open descriptor.
options: {}
notes:
  - Use it only in a variable marked secret by the role that reads it (C(ad_join_password) is
    passed to realm on stdin under C(no_log)).
"""

EXAMPLES = r"""
- name: The join password, from the process that started this run
  ansible.builtin.set_fact:
    ad_join_password: "{{ lookup('federated.ssm_runas.inherited_secret') }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description: The secret (one item).
  type: list
  elements: raw
"""

import json  # noqa: E402 - docs come first
import os  # noqa: E402

from ansible.errors import AnsibleLookupError  # noqa: E402
from ansible.plugins.lookup import LookupBase  # noqa: E402
from ansible_collections.federated.ssm_runas.plugins.module_utils.enrol_agent import (  # noqa: E402
    SECRET_FD_ENV,
)

LIMIT = 1 << 16


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        raw = os.environ.get(SECRET_FD_ENV, "")
        if not raw.isdigit():
            raise AnsibleLookupError(
                f"{SECRET_FD_ENV} is {'unset' if not raw else 'not a number'}: this lookup "
                "reads a secret its parent process handed over in memory (the enroller does)"
            )
        try:
            data = os.pread(int(raw), LIMIT, 0)
            return [json.loads(data.decode("utf-8"))]
        except OSError as exc:
            raise AnsibleLookupError(f"{SECRET_FD_ENV}={raw}: {exc.strerror}") from None
        except ValueError:
            raise AnsibleLookupError(f"{SECRET_FD_ENV}={raw}: not a JSON value") from None
