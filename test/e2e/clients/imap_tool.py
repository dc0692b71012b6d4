#!/usr/bin/env python3
"""Small imaplib tool for end-to-end tests (over implicit TLS, certificate not checked).

usage:
  imap_tool.py load   HOST PORT USER PASS MAILBOX COUNT   append COUNT distinct messages
  imap_tool.py loaddir HOST PORT USER PASS MAILBOX DIR     append every file of DIR (sorted by name)
  imap_tool.py state  HOST PORT USER PASS                 print JSON {mailbox: {message-id: [flags]}}
  imap_tool.py mutate HOST PORT USER PASS FLAG_IDS MOVE_IDS DELETE_IDS
      flag (\\Flagged) the messages whose Message-ID local parts are listed (comma-separated),
      MOVE others to Trash, delete+expunge others (all in INBOX).
"""
import imaplib
import json
import re
import ssl
import sys

cmd, host, port, user, password = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
m = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
m.login(user, password)


def message(i):
    body = ''.join('Line %d of message %d, some text to make it realistic.\r\n' % (j, i) for j in range(i % 20 + 1))
    return ('From: Sender %d <sender%d@example.test>\r\nTo: %s\r\nSubject: Load message %d\r\n'
            'Message-ID: <%d@load.test>\r\nDate: Mon, 2 Nov 2026 10:%02d:00 +0000\r\n\r\n%s' % (i, i % 7, user, i, i, i % 60, body)).encode()


def ids_in(mailbox):
    typ, data = m.select('"%s"' % mailbox)
    assert typ == 'OK', data
    if int(data[0]) == 0:
        return {}
    typ, data = m.uid('FETCH', '1:*', '(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])')
    assert typ == 'OK', data
    out = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        meta, hdr = item
        mid = re.search(rb'<([^>]+)>', hdr)
        flags = re.search(rb'FLAGS \(([^)]*)\)', meta)
        key = mid.group(1).decode() if mid else 'uid:' + re.search(rb'UID (\d+)', meta).group(1).decode()
        out[key] = sorted(f for f in flags.group(1).decode().split() if f != '\\Recent')
    return out


def uids_by_id(ids):
    found = []
    for i in ids:
        typ, data = m.uid('SEARCH', 'HEADER', 'Message-ID', '<%s@load.test>' % i)
        assert typ == 'OK' and data[0], (i, data)
        found.append(data[0].decode().split()[0])
    return ','.join(found)


if cmd == 'load':
    mailbox, count = sys.argv[6], int(sys.argv[7])
    for i in range(1, count + 1):
        typ, data = m.append(mailbox, None, None, message(i))
        assert typ == 'OK', data
    print('loaded %d' % count)
elif cmd == 'loaddir':
    import os
    mailbox, directory = sys.argv[6], sys.argv[7]
    names = sorted(os.listdir(directory))
    for name in names:
        with open(os.path.join(directory, name), 'rb') as f:
            typ, data = m.append(mailbox, None, None, f.read())
        assert typ == 'OK', data
    print('loaded %d' % len(names))
elif cmd == 'state':
    typ, data = m.list()
    names = []
    for line in data:
        name = re.search(rb'"/" (.*)$', line).group(1).decode().strip('"')
        names.append(name)
    print(json.dumps({n: ids_in(n) for n in names}))
elif cmd == 'mutate':
    flag_ids, move_ids, del_ids = [[x for x in a.split(',') if x] for a in sys.argv[6:9]]
    m.select('INBOX')
    if flag_ids:
        assert m.uid('STORE', uids_by_id(flag_ids), '+FLAGS', '(\\Flagged)')[0] == 'OK'
    if move_ids:
        typ, data = m.uid('MOVE', uids_by_id(move_ids), 'Trash')
        assert typ == 'OK', data
    if del_ids:
        assert m.uid('STORE', uids_by_id(del_ids), '+FLAGS', '(\\Deleted)')[0] == 'OK'
        assert m.expunge()[0] == 'OK'
    print('mutated')
m.logout()
