"""ad_rootdse reads a DC's currentTime as an LDAP server sends it.

The LDAP on both sides of these tests is ldap3's RFC 4511 ASN.1 definitions with pyasn1's BER
codec, not this module's encoder: the request is decoded by them, and the replies are encoded
by them and served over a real TCP socket on loopback. Against the lab's Samba AD DC the same
read runs in every join preflight (molecule) and in molecule/linux test_join.
"""

import contextlib
import socket
import socketserver
import threading

import pytest
from ansible_collections.federated.ssm_runas.plugins.module_utils import ad_rootdse as R
from ldap3.protocol.rfc4511 import (
    LDAPDN,
    AttributeDescription,
    AttributeValue,
    LDAPMessage,
    LDAPResult,
    MessageID,
    PartialAttribute,
    PartialAttributeList,
    ProtocolOp,
    ResultCode,
    SearchResultDone,
    SearchResultEntry,
    Vals,
)
from pyasn1.codec.ber import decoder, encoder

# 2026-12-03 13:15:00.5 UTC, as Samba and Windows DCs write it.
DC_TIME = "20261203131500.5Z"
DC_EPOCH = 1796303700.5


def _entry(message_id, attributes):
    attrs = PartialAttributeList()
    for index, (name, values) in enumerate(attributes):
        attr = PartialAttribute()
        attr["type"] = AttributeDescription(name)
        vals = Vals()
        for position, value in enumerate(values):
            vals.setComponentByPosition(position, AttributeValue(value))
        attr["vals"] = vals
        attrs.setComponentByPosition(index, attr)
    entry = SearchResultEntry()
    entry["object"] = LDAPDN("")
    entry["attributes"] = attrs
    return _message(message_id, "searchResEntry", entry)


def _done(message_id, code=0, text=""):
    done = SearchResultDone()
    done["resultCode"] = ResultCode(code)
    done["matchedDN"] = LDAPDN("")
    done["diagnosticMessage"] = LDAPResult()["diagnosticMessage"].clone(text)
    return _message(message_id, "searchResDone", done)


def _message(message_id, op_name, op):
    message = LDAPMessage()
    message["messageID"] = MessageID(message_id)
    protocol = ProtocolOp()
    protocol[op_name] = op
    message["protocolOp"] = protocol
    return encoder.encode(message)


# A reply shaped like a real DC's: other attributes first, one long enough for BER's long
# length form, the attribute name in another case.
CAPABILITIES = [f"1.2.840.113556.1.4.{n}" for n in range(800, 830)]
REPLY = _entry(
    1,
    [
        ("supportedCapabilities", CAPABILITIES),
        ("CurrentTime", [DC_TIME]),
        ("dnsHostName", ["dc1.example.test"]),
    ],
) + _done(1)


def test_the_request_is_a_base_search_of_the_rootdse_for_currenttime():
    message, rest = decoder.decode(R.search_request(), asn1Spec=LDAPMessage())
    assert rest == b""
    request = message["protocolOp"]["searchRequest"]
    assert str(request["baseObject"]) == ""
    assert int(request["scope"]) == 0  # baseObject
    assert int(request["derefAliases"]) == 0
    assert str(request["filter"]["present"]) == "objectClass"
    assert [str(a) for a in request["attributes"]] == ["currentTime"]
    assert int(message["messageID"]) == 1


def test_current_time_is_read_from_a_reply_and_waits_for_the_whole_of_it():
    assert len(REPLY) > 300  # long-form lengths are in it
    assert R.current_time(REPLY) == DC_TIME
    for cut in (1, 10, len(REPLY) // 2, len(REPLY) - 1):
        assert R.current_time(REPLY[:cut]) is None


def test_an_error_result_and_a_missing_attribute_are_said():
    with pytest.raises(R.RootDseError, match="LDAP result 1: anonymous access denied"):
        R.current_time(_done(1, 1, "anonymous access denied"))
    with pytest.raises(R.RootDseError, match="has no currentTime"):
        R.current_time(_entry(1, [("dnsHostName", ["dc1"])]) + _done(1))
    with pytest.raises(R.RootDseError, match="not LDAP"):
        R.current_time(b"HTTP/1.1 400 Bad Request\r\n\r\n")


@pytest.mark.parametrize(
    ("text", "epoch"),
    [(DC_TIME, DC_EPOCH), ("20261203131500Z", DC_EPOCH - 0.5), ("19700101000000.0Z", 0.0)],
)
def test_generalized_time(text, epoch):
    assert R.generalized_time(text) == pytest.approx(epoch)


@pytest.mark.parametrize("text", ["20261203131500+0100", "2026-12-03T13:15:00Z", ""])
def test_generalized_time_refuses_what_it_cannot_place_in_utc(text):
    with pytest.raises(R.RootDseError, match="not a GeneralizedTime in UTC"):
        R.generalized_time(text)


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def serve(reply, chunk=None):
    """A loopback LDAP responder: reads one request, checks it decodes, answers `reply`."""
    seen = []

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            data = self.request.recv(4096)
            message, _rest = decoder.decode(data, asn1Spec=LDAPMessage())
            seen.append(str(message["protocolOp"].getName()))
            step = chunk or len(reply) or 1
            for start in range(0, len(reply), step):
                self.request.sendall(reply[start : start + step])
            if not reply:
                return
            with contextlib.suppress(OSError):
                self.request.recv(4096)  # the unbind

    server = _Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


@pytest.mark.parametrize("chunk", [None, 7])
def test_clock_offset_against_a_server_midway_through_the_round_trip(chunk):
    server, seen = serve(REPLY, chunk)
    ticks = iter([DC_EPOCH - 400.0, DC_EPOCH - 398.0])  # sent, received: our clock 399 s behind
    try:
        offset = R.clock_offset("127.0.0.1", server.server_address[1], clock=lambda: next(ticks))
    finally:
        server.shutdown()
    assert offset == pytest.approx(399.0)
    assert seen == ["searchRequest"]


def test_a_server_that_closes_or_a_closed_port_is_said():
    server, _seen = serve(b"")
    try:
        with pytest.raises(R.RootDseError, match="closed the connection"):
            R.clock_offset("127.0.0.1", server.server_address[1])
    finally:
        server.shutdown()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(R.RootDseError, match=rf"LDAP 127\.0\.0\.1:{port}: .*refused"):
        R.clock_offset("127.0.0.1", port, timeout=2)
