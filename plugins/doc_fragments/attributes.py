# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # What our modules support; the descriptions come from ansible.builtin.action_common_attributes.

    # Changes files on a POSIX host through atomic_move, predicts the change exactly and shows
    # the file text. Use with ansible.builtin.action_common_attributes and
    # action_common_attributes.files (short: ansible.builtin.action_common_attributes.files
    # loads the ansible.builtin.files fragment instead).
    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
  safe_file_operations:
    support: full
  vault:
    support: none
"""

    # Reads a POSIX host or a service and changes nothing. Use with
    # ansible.builtin.action_common_attributes.
    INFO = r"""
attributes:
  check_mode:
    support: full
    details: Changes nothing, so a check-mode run returns the same as a normal one.
  diff_mode:
    support: none
  platform:
    platforms: posix
"""
