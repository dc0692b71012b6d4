#!/usr/bin/env python3
"""usage: imap_fetch_raw.py HOST PORT USER PASS MESSAGE-ID — prints base64 of BODY.PEEK[] of the
INBOX message with that Message-ID (implicit TLS)."""
import base64
import imaplib
import ssl
import sys

host, port, user, password, mid = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
m = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
m.login(user, password)
m.select('INBOX', readonly=True)
typ, data = m.uid('SEARCH', 'HEADER', 'Message-ID', mid)
uid = data[0].split()[-1]
typ, data = m.uid('FETCH', uid, '(BODY.PEEK[])')
print(base64.b64encode(data[0][1]).decode())
m.logout()
