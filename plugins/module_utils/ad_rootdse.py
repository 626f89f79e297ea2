# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A domain controller's clock, read from its rootDSE over LDAP with the standard library.

The join preflight compares the host's clock with the DC's before Kerberos is asked to trust
either. `net ads info` does the same read (an anonymous rootDSE search for currentTime), but
on Debian it comes with samba-common-bin and its 16 packages, needed for nothing else. This is
that one search: RFC 4511 SearchRequest (base "", scope base, filter (objectClass=*),
attribute currentTime), BER-encoded by hand, and the SearchResultEntry read back. Anonymous
rootDSE reads are allowed by every AD DC (Windows and Samba).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import re
import socket
import time

LDAP_PORT = 389
ATTRIBUTE = "currentTime"
# LDAPMessage protocolOp tags (RFC 4511 section 4.2 ff., APPLICATION class, constructed).
SEARCH_REQUEST, SEARCH_ENTRY, SEARCH_DONE = 0x63, 0x64, 0x65
MAX_REPLY = 65536


class RootDseError(Exception):
    """The DC's time could not be read; the message says why."""


def _tlv(tag, body):
    size = len(body)
    if size < 0x80:
        length = bytes([size])
    else:
        octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(octets)]) + octets
    return bytes([tag]) + length + body


def search_request(message_id=1, attribute=ATTRIBUTE):
    """The BER bytes of an LDAP search of the rootDSE for one attribute."""
    request = b"".join(
        [
            _tlv(0x04, b""),  # baseObject ""
            _tlv(0x0A, b"\x00"),  # scope baseObject
            _tlv(0x0A, b"\x00"),  # derefAliases never
            _tlv(0x02, b"\x00"),  # sizeLimit 0
            _tlv(0x02, b"\x00"),  # timeLimit 0
            _tlv(0x01, b"\x00"),  # typesOnly FALSE
            _tlv(0x87, b"objectClass"),  # filter: present [7] objectClass
            _tlv(0x30, _tlv(0x04, attribute.encode("ascii"))),  # attributes
        ]
    )
    return _tlv(0x30, _tlv(0x02, bytes([message_id])) + _tlv(SEARCH_REQUEST, request))


def _read(data, pos):
    """(tag, start of value, end of value) of the TLV at pos; raises IndexError when short."""
    tag = data[pos]
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        size = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise RootDseError("unsupported BER length form in the DC's reply")
        if pos + count > len(data):
            raise IndexError(pos + count)
        size = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + size > len(data):
        raise IndexError(pos + size)
    return tag, pos, pos + size


def _children(data, start, end):
    pos = start
    while pos < end:
        tag, value_start, value_end = _read(data, pos)
        yield tag, value_start, value_end
        pos = value_end


def messages(data):
    """The complete LDAPMessages at the start of data as (protocolOp tag, op start, op end),
    and how many bytes they took (a partial message at the end is left for more data)."""
    found, pos = [], 0
    while pos < len(data):
        if data[pos] != 0x30:  # before the length: what is not LDAP is never waited for
            raise RootDseError("the DC's reply is not LDAP (tag 0x%02x)" % data[pos])
        try:
            _tag, start, end = _read(data, pos)
        except IndexError:
            break
        parts = list(_children(data, start, end))
        if len(parts) < 2:
            raise RootDseError("an LDAP message without an operation in the DC's reply")
        found.append(parts[1])
        pos = end
    return found, pos


def _attribute_values(data, start, end, wanted):
    """The values of attribute `wanted` (any case) in a SearchResultEntry's body."""
    parts = list(_children(data, start, end))
    if len(parts) < 2:
        raise RootDseError("a search entry without attributes in the DC's reply")
    _tag, attrs_start, attrs_end = parts[1]
    for _tag, attr_start, attr_end in _children(data, attrs_start, attrs_end):
        fields = list(_children(data, attr_start, attr_end))
        if len(fields) < 2:
            continue
        _t, name_start, name_end = fields[0]
        if data[name_start:name_end].decode("utf-8", "replace").lower() == wanted.lower():
            _t, vals_start, vals_end = fields[1]
            return [
                data[s:e].decode("utf-8", "replace")
                for _t2, s, e in _children(data, vals_start, vals_end)
            ]
    return []


def _result_code(data, start, end):
    parts = list(_children(data, start, end))
    if not parts:
        return None, ""
    _tag, code_start, code_end = parts[0]
    code = int.from_bytes(data[code_start:code_end], "big")
    text = ""
    if len(parts) >= 3:
        _tag, msg_start, msg_end = parts[2]
        text = data[msg_start:msg_end].decode("utf-8", "replace")
    return code, text


def current_time(data):
    """The rootDSE's currentTime from a complete reply (entry and done), or None while the
    reply is incomplete. Raises RootDseError for an error result or an entry without it."""
    found, _used = messages(data)
    values = None
    for tag, start, end in found:
        if tag == SEARCH_ENTRY:
            values = _attribute_values(data, start, end, ATTRIBUTE)
        elif tag == SEARCH_DONE:
            code, text = _result_code(data, start, end)
            if code:
                raise RootDseError(
                    "the DC refused the rootDSE search (LDAP result %s: %s)" % (code, text)
                )
            if not values:
                raise RootDseError("the DC's rootDSE has no %s" % ATTRIBUTE)
            return values[0]
    return None


GENERALIZED_TIME = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:[.,](\d+))?Z$")


def generalized_time(text):
    """Seconds since the epoch of an LDAP GeneralizedTime in UTC (20261203131500.0Z)."""
    match = GENERALIZED_TIME.match(text.strip())
    if not match:
        raise RootDseError("the DC's %s %r is not a GeneralizedTime in UTC" % (ATTRIBUTE, text))
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction = float("0." + match.group(7)) if match.group(7) else 0.0
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) + fraction


def clock_offset(
    host, port=LDAP_PORT, timeout=10.0, clock=time.time, connect=socket.create_connection
):
    """Seconds the DC's clock is ahead of ours (negative when behind), against our clock at
    the middle of the round trip. Raises RootDseError with the reason."""
    try:
        with connect((host, port), timeout=timeout) as conn:
            sent = clock()
            conn.sendall(search_request())
            reply = b""
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    raise RootDseError("the DC closed the connection before answering")
                reply += chunk
                if len(reply) > MAX_REPLY:
                    raise RootDseError("the DC's reply is larger than a rootDSE entry can be")
                value = current_time(reply)
                if value is not None:
                    received = clock()
                    break
            conn.sendall(_tlv(0x30, _tlv(0x02, b"\x02") + _tlv(0x42, b"")))  # unbind
    except (OSError, socket.timeout) as exc:
        raise RootDseError("LDAP %s:%s: %s" % (host, port, exc)) from None
    return generalized_time(value) - (sent + received) / 2.0
