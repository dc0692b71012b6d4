#!/usr/bin/env python3
"""A real submission client (Python's smtplib) against Portcullis.

usage: smtp_submit.py HOST STARTTLS_PORT IMPLICIT_PORT USER PASSWORD RECIPIENT CAFILE

Checks: no AUTH before STARTTLS (login refused, raw AUTH gets 530 5.7.0), login and a message
after STARTTLS, a spoofed sender refused with 553 5.7.1, and a message over implicit TLS.
"""
import base64
import smtplib
import ssl
import sys

host, port_plain, port_tls, user, password, rcpt, cafile = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
ctx = ssl.create_default_context(cafile=cafile)


def message(subject):
    return f'From: {user}\r\nTo: {rcpt}\r\nSubject: {subject}\r\n\r\nsent by smtplib\r\n'


s = smtplib.SMTP(host, port_plain, timeout=20)
s.ehlo('client.example.test')
assert s.has_extn('starttls'), s.esmtp_features
assert not s.has_extn('auth'), s.esmtp_features
try:
    s.login(user, password)
    raise AssertionError('login before STARTTLS was accepted')
except smtplib.SMTPNotSupportedError:
    pass
token = base64.b64encode(f'\0{user}\0{password}'.encode()).decode()
code, text = s.docmd('AUTH', 'PLAIN ' + token)
assert code == 530 and text.startswith(b'5.7.0'), (code, text)
print('cleartext: no AUTH advertised, AUTH refused with 530 5.7.0', flush=True)

s.starttls(context=ctx)
s.ehlo('client.example.test')
assert s.has_extn('auth') and not s.has_extn('starttls'), s.esmtp_features
s.login(user, password)
refused = s.sendmail(user, [rcpt], message('via 587 STARTTLS'))
assert refused == {}, refused
try:
    s.sendmail('somebody.else@example.test', [rcpt], message('spoofed'))
    raise AssertionError('spoofed sender accepted')
except smtplib.SMTPSenderRefused as e:
    assert e.smtp_code == 553 and e.smtp_error.startswith(b'5.7.1'), e
s.quit()
print('starttls: login ok, message sent, spoofed sender refused with 553 5.7.1', flush=True)

s = smtplib.SMTP_SSL(host, port_tls, context=ctx, timeout=20)
s.ehlo('client.example.test')
assert s.has_extn('auth'), s.esmtp_features
s.login(user, password)
s.sendmail(user, [rcpt], message('via 465 implicit TLS'))
s.quit()
print('implicit TLS: login ok, message sent', flush=True)
