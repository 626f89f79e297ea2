# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: output_dir
author: federated.ssm_runas maintainers
version_added: 0.1.0
short_description: The controller directory where this collection writes an output
description:
  - Returns the absolute path C(<root>/<term>) for each term, or the root itself without a term.
    The collection's defaults use it for the ADFS export script (C(adfs)), the ADFS rule-set
    backups (C(adfs/backups)) and the run-as report (the root).
  - The root is O(root) when set. Otherwise it is C(ssm-runas-output/<inventory name>) under
    the directory C(ansible-playbook) runs in, where the inventory name is the last component of
    the first inventory source without its extension (C(-i inventories/prod) gives C(prod)).
    So outputs land beside the inventories a user runs from, never in the installed collection.
  - Fails when the root lies inside an installed collection (one with a C(MANIFEST.json)), which
    the next C(ansible-galaxy collection install) replaces and which may be read-only.
  - Creates nothing; the tasks that write create their directories.
options:
  _terms:
    description: Sub-directories of the root, relative; none returns the root.
    type: list
    elements: str
    required: false
  root:
    description:
      - The root of every output of this collection for the current inventory. A relative path
        is taken from the directory C(ansible-playbook) runs in.
      - Under AWX the job's directories are removed when the job ends; point this at storage
        that outlives the job (see C(docs/awx.md)).
    type: path
    vars:
      - name: ssm_runas_output_dir
"""

EXAMPLES = r"""
- name: Where the run-as report of this inventory goes
  ansible.builtin.debug:
    msg: "{{ lookup('federated.ssm_runas.output_dir') }}"

- name: The ADFS export directory, with the root set in the inventory
  ansible.builtin.debug:
    msg: "{{ lookup('federated.ssm_runas.output_dir', 'adfs') }}"
  vars:
    ssm_runas_output_dir: /srv/ssm-runas/prod
"""

RETURN = r"""
_raw:
  description: One absolute path per term (the root when no term is given).
  type: list
  elements: path
"""

from ansible.errors import AnsibleLookupError  # noqa: E402 - docs come first
from ansible.plugins.lookup import LookupBase  # noqa: E402
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.output_dir import (  # noqa: E402
    OutputDirError,
    resolve,
)

ROOT_VAR = "ssm_runas_output_dir"  # the variable of the root option (DOCUMENTATION)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        # An option taken from a variable arrives as written and would be made a path as is: a
        # root that is itself a template (ssm_runas_output_dir: "{{ base }}/out") is rendered
        # first, so it is never taken literally.
        direct = dict(kwargs)
        raw = (variables or {}).get(ROOT_VAR)
        templated = isinstance(raw, str) and self._templar.is_possibly_template(raw)
        if "root" not in direct and templated:
            direct["root"] = self._templar.template(raw)
        self.set_options(var_options=variables, direct=direct)
        sources = (variables or {}).get("ansible_inventory_sources") or []
        try:
            return resolve(terms, root=self.get_option("root"), sources=sources)
        except OutputDirError as exc:
            raise AnsibleLookupError(str(exc)) from None
