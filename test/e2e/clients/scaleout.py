#!/usr/bin/env python3
"""imaplib/poplib client for the scale-out e2e test (implicit TLS, certificate not checked).

usage:
  scaleout.py idle-flags HOST PORT_A PORT_B USER PASS
      B selects INBOX and IDLEs; A APPENDs; B must be told (EXISTS); B sets \\Flagged, A sees it.
      Prints JSON {"exists": N, "flags_seen_by_a": [...]}.
  scaleout.py limit HOST PORT_A PORT_B USER PASS
      Two sessions (one via A, one via B) stay logged in; a third via A and one via B are tried.
      Prints JSON {"first": ok, "second": ok, "third_a": reply, "third_b": reply}.
  scaleout.py pop HOST PORT USER PASS
      POP3: STAT, RETR 1, QUIT. Prints JSON {"count": N, "subject": "..."}.
"""
import imaplib
import json
import poplib
import re
import ssl
import sys

ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def login(host, port, user, password):
    m = imaplib.IMAP4_SSL(host, port, ssl_context=ctx, timeout=20)
    m.login(user, password)
    return m


def idle_flags(host, pa, pb, user, password):
    b = login(host, pb, user, password)
    typ, data = b.select('INBOX')
    assert typ == 'OK', data
    tag = b._new_tag().decode()
    b.send(('%s IDLE\r\n' % tag).encode())
    line = b.readline()
    assert line.startswith(b'+'), line
    a = login(host, pa, user, password)
    msg = b'From: x@example.test\r\nSubject: across frontends\r\nMessage-ID: <so1@x>\r\n\r\nhello through A\r\n'
    typ, data = a.append('INBOX', None, None, msg)
    assert typ == 'OK', data
    exists = None
    while exists is None:
        line = b.readline()
        if not line:
            raise SystemExit('connection closed during IDLE')
        mm = re.match(rb'\* (\d+) EXISTS', line)
        if mm:
            exists = int(mm.group(1))
    b.send(b'DONE\r\n')
    while True:
        line = b.readline()
        if line.startswith(tag.encode()):
            assert b' OK' in line, line
            break
    typ, data = b.store('1', '+FLAGS', '(\\Flagged)')
    assert typ == 'OK', data
    typ, data = a.select('INBOX')
    typ, data = a.fetch('1', '(FLAGS)')
    flags = re.search(rb'FLAGS \(([^)]*)\)', data[0]).group(1).decode().split()
    a.logout()
    b.logout()
    print(json.dumps({'exists': exists, 'flags_seen_by_a': sorted(flags)}))


def try_login(host, port, user, password):
    try:
        m = login(host, port, user, password)
        return m, 'OK'
    except imaplib.IMAP4.error as e:
        return None, str(e)
    except imaplib.IMAP4.abort as e:
        return None, 'abort: ' + str(e)


def limit(host, pa, pb, user, password):
    first, r1 = try_login(host, pa, user, password)
    second, r2 = try_login(host, pb, user, password)
    _, r3a = try_login(host, pa, user, password)
    _, r3b = try_login(host, pb, user, password)
    for m in (first, second):
        if m:
            m.logout()
    print(json.dumps({'first': r1, 'second': r2, 'third_a': r3a, 'third_b': r3b}))


def pop(host, port, user, password):
    p = poplib.POP3_SSL(host, port, context=ctx, timeout=20)
    p.user(user)
    p.pass_(password)
    count, _ = p.stat()
    _, lines, _ = p.retr(1)
    subject = next((l.decode() for l in lines if l.lower().startswith(b'subject:')), '')
    p.quit()
    print(json.dumps({'count': count, 'subject': subject}))


cmd = sys.argv[1]
if cmd == 'idle-flags':
    idle_flags(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6])
elif cmd == 'limit':
    limit(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6])
elif cmd == 'pop':
    pop(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
else:
    raise SystemExit('unknown command ' + cmd)
