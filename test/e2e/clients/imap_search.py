#!/usr/bin/env python3
"""usage: imap_search.py HOST PORT USER PASS KEY VALUE — searches INBOX over implicit TLS; prints
JSON {count, received_tls}: how many messages match and whether all have a Received header that
records TLS (RFC 8314 §4.3)."""
import imaplib
import json
import ssl
import sys

host, port, user, password, key, value = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
m = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
m.login(user, password)
m.select('INBOX', readonly=True)
typ, data = m.search(None, key, value)
nums = data[0].split()
tls = True
for n in nums:
    typ, d = m.fetch(n, '(BODY.PEEK[HEADER.FIELDS (RECEIVED)])')
    if b'TLS' not in d[0][1]:
        tls = False
print(json.dumps({'count': len(nums), 'received_tls': tls}))
m.logout()
