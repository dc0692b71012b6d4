#!/usr/bin/env python3
"""A real IMAP client session (Python's imaplib) against Portcullis.

usage: imap_basic.py HOST STARTTLS_PORT IMPLICIT_PORT USER PASSWORD
Asserts the SecureLogin behaviour before TLS, then a typical client session over STARTTLS and
over implicit TLS. Prints one line per step; exits non-zero on the first failed expectation.
"""
import imaplib
import ssl
import sys

host, port_plain, port_tls, user, password = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def step(msg):
    print(msg, flush=True)


# 1. Cleartext connection under SecureLogin: STARTTLS LOGINDISABLED, no AUTH=, LOGIN refused.
m = imaplib.IMAP4(host, port_plain)
caps = m.capabilities
assert 'STARTTLS' in caps and 'LOGINDISABLED' in caps, caps
assert not any(c.startswith('AUTH=') for c in caps), caps
try:
    m.login(user, password)
    raise AssertionError('LOGIN before TLS was accepted')
except imaplib.IMAP4.error as e:
    assert 'PRIVACYREQUIRED' in str(e), e
step('cleartext: STARTTLS LOGINDISABLED advertised, LOGIN refused with PRIVACYREQUIRED')

# 2. STARTTLS, then capabilities afresh, then login.
m.starttls(ssl_context=ctx)
caps = m.capabilities
assert 'LOGINDISABLED' not in caps and 'STARTTLS' not in caps, caps
assert 'AUTH=PLAIN' in caps, caps
typ, _ = m.login(user, password)
assert typ == 'OK'
step('starttls: capabilities re-issued, login ok')

typ, data = m.list()
names = [line.decode() for line in data]
assert any('\\Sent' in n and '"Sent"' in n or 'Sent' in n for n in names), names
assert any('INBOX' in n for n in names), names
step('list: %d mailboxes' % len(names))

msg = b'From: Carol <carol@example.test>\r\nTo: %s\r\nSubject: =?UTF-8?B?SGVsbG8gd8O2cmxk?=\r\nMessage-ID: <m1@example.test>\r\n\r\nThe quick brown fox.\r\n' % user.encode()
typ, data = m.append('INBOX', '(\\Flagged)', None, msg)
assert typ == 'OK' and b'APPENDUID' in data[0], data
step('append: %s' % data[0].decode())

typ, data = m.select('INBOX')
assert typ == 'OK' and int(data[0]) >= 1, data
count = int(data[0])
typ, data = m.fetch(str(count), '(FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)] ENVELOPE)')
assert typ == 'OK', data
blob = b''.join(part if isinstance(part, bytes) else b''.join(part) for part in data)
assert b'\\Flagged' in blob, blob
assert b'RFC822.SIZE %d' % len(msg) in blob, blob
assert b'Subject: =?UTF-8?B?SGVsbG8gd8O2cmxk?=' in blob, blob
assert b'"carol" "example.test"' in blob, blob
step('fetch: flags, size, header fields and envelope right')

typ, data = m.fetch(str(count), '(BODY[])')
body = data[0][1]
assert body == msg, body
typ, data = m.fetch(str(count), '(FLAGS)')
assert b'\\Seen' in data[0], data
step('fetch BODY[]: byte-exact and \\Seen set')

typ, data = m.search('UTF-8', 'SUBJECT', '"wörld"'.encode())
assert typ == 'OK' and str(count).encode() in data[0].split(), data
typ, data = m.search(None, 'BODY', 'brown', 'FLAGGED')
assert str(count).encode() in data[0].split(), data
typ, data = m.search(None, 'BODY', 'nonexistent-word')
assert data[0] == b'', data
step('search: decoded subject and body text')

typ, data = m.store(str(count), '+FLAGS', '(\\Deleted)')
assert typ == 'OK'
typ, data = m.copy(str(count), 'Trash')
assert typ == 'OK' and b'COPYUID' in data[0], data
typ, data = m.expunge()
assert typ == 'OK' and data[0] == str(count).encode(), data
typ, data = m.status('Trash', '(MESSAGES UIDNEXT)')
assert b'MESSAGES 1' in data[0], data
step('store, copy, expunge, status ok')
m.logout()

# 3. Implicit TLS.
s = imaplib.IMAP4_SSL(host, port_tls, ssl_context=ctx)
assert 'STARTTLS' not in s.capabilities and 'LOGINDISABLED' not in s.capabilities, s.capabilities
s.login(user, password)
typ, data = s.select('Trash', readonly=True)
assert typ == 'OK' and data[0] == b'1', data
s.logout()
step('implicit TLS: login and examine ok')
