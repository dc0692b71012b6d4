#!/usr/bin/env python3
"""usage: smtp_utf8.py HOST IMPLICIT_PORT USER PASSWORD RECIPIENT — submits an 8-bit UTF-8
message with SMTPUTF8 and BODY=8BITMIME over implicit TLS; prints the raw message it sent."""
import smtplib
import ssl
import sys

host, port, user, password, rcpt = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
msg = ('From: %s\r\nTo: %s\r\nSubject: Grüße aus Zürich ✉\r\nMessage-ID: <utf8-1@example.test>\r\n'
       'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
       'Ünïcödé body: 日本語 ✓\r\n' % (user, rcpt)).encode('utf-8')
s = smtplib.SMTP_SSL(host, port, context=ctx, timeout=20)
s.ehlo('client.example.test')
assert s.has_extn('smtputf8') and s.has_extn('8bitmime'), s.esmtp_features
s.login(user, password)
refused = s.sendmail(user, [rcpt], msg, mail_options=['SMTPUTF8', 'BODY=8BITMIME'])
assert refused == {}, refused
s.quit()
sys.stdout.buffer.write(msg)
