#!/usr/bin/env python3
"""Submits one message with Python's smtplib from a chosen local source address.

usage: smtp_login_from.py HOST PORT plain|starttls SOURCE_IP USER PASSWORD RECIPIENT PLAIN|LOGIN BODY_TEXT
Connects from SOURCE_IP (any 127/8 address is loopback on Linux), optionally upgrades with
STARTTLS (certificate not verified: a test certificate), logs in with AUTH PLAIN (initial
response) or AUTH LOGIN (base64 continuation lines), sends one message and quits.
Prints JSON: {"ok": true|false, "reply": "..."}; exit 0 either way, 1 on connection errors.
"""
import json
import smtplib
import ssl
import sys

host, port, mode, source, user, password, rcpt, mech, body = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7], sys.argv[8], sys.argv[9]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def run():
    s = smtplib.SMTP(host, port, timeout=20, source_address=(source, 0))
    try:
        s.ehlo('client.example.test')
        if mode == 'starttls':
            s.starttls(context=ctx)
            s.ehlo('client.example.test')
        s.user, s.password = user, password
        try:
            if mech == 'LOGIN':
                code, reply = s.auth('LOGIN', s.auth_login, initial_response_ok=False)
            else:
                code, reply = s.auth('PLAIN', s.auth_plain, initial_response_ok=True)
        except smtplib.SMTPException as e:
            return {'ok': False, 'reply': str(e)}
        msg = f'From: {user}\r\nTo: {rcpt}\r\nSubject: protocol log\r\n\r\n{body}\r\n'
        refused = s.sendmail(user, [rcpt], msg)
        return {'ok': code == 235 and refused == {}, 'reply': reply.decode('utf-8', 'replace')}
    finally:
        try:
            s.quit()
        except smtplib.SMTPException:
            pass


try:
    print(json.dumps(run()))
except (OSError, smtplib.SMTPException) as e:
    print(json.dumps({'ok': False, 'reply': 'error: %s' % e}))
    sys.exit(1)
