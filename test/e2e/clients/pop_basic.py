#!/usr/bin/env python3
"""A real POP3 client session (Python's poplib) against Portcullis.

usage: pop_basic.py HOST STLS_PORT IMPLICIT_PORT USER PASSWORD EXPECTED_COUNT
"""
import poplib
import ssl
import sys

host, port_plain, port_tls, user, password, expected = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

p = poplib.POP3(host, port_plain)
caps = p.capa()
assert 'STLS' in caps and 'USER' not in caps and 'SASL' not in caps, caps
try:
    p.user(user)
    raise AssertionError('USER before TLS was accepted')
except poplib.error_proto as e:
    assert b'[AUTH]' in e.args[0], e
print('cleartext: CAPA without USER/SASL, USER refused with [AUTH]', flush=True)
p.stls(context=ctx)
caps = p.capa()
assert 'USER' in caps and 'STLS' not in caps, caps
p.user(user)
p.pass_(password)
count, size = p.stat()
assert count == expected, (count, expected)
listing = p.list()[1]
total = 0
for i in range(1, count + 1):
    resp, lines, octets = p.retr(i)
    assert resp.startswith(b'+OK')
    total += octets
uidl = p.uidl()[1]
assert len(uidl) == count
p.quit()
print('stls: login, STAT %d, RETR all, UIDL' % count, flush=True)

s = poplib.POP3_SSL(host, port_tls, context=ctx)
s.user(user)
s.pass_(password)
assert s.stat()[0] == count
assert s.uidl()[1] == uidl, 'UIDL stable across sessions'
s.dele(1)
s.rset()
s.dele(1)
s.quit()
s = poplib.POP3_SSL(host, port_tls, context=ctx)
s.user(user)
s.pass_(password)
assert s.stat()[0] == count - 1
s.quit()
print('implicit TLS: UIDL stable, DELE applied at QUIT', flush=True)
