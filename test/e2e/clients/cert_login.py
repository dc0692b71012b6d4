#!/usr/bin/env python3
"""Logs in with a TLS client certificate (SASL EXTERNAL), or with a password, using Python's
imaplib, poplib and smtplib as they are, and prints what the client saw as one JSON object.

usage: cert_login.py imap|pop|smtp HOST PORT TLS CERT KEY MECH [ARG...]
  TLS   implicit | starttls (STLS for POP3, STARTTLS for SMTP; IMAP here is implicit only)
  CERT KEY  PEM files of the client certificate and key, or - - for none
  MECH  external AUTHZID   AUTH[ENTICATE] EXTERNAL with that initial response ("" -> "=")
        external-noir       IMAP only: AUTHENTICATE EXTERNAL without initial response (empty reply)
        plain USER PASSWORD AUTH[ENTICATE] PLAIN
        login USER PASSWORD IMAP only: imaplib's authenticate('LOGIN', ...) answering both prompts
  SMTP external takes AUTHZID FROM: after a successful AUTH it sends MAIL FROM:<FROM>.
Output: {"mechanisms": [...], "ok": bool, "reply": "...", "after": "..."}
"""
import base64
import imaplib
import json
import poplib
import smtplib
import ssl
import sys

proto, host, port, mode, cert, key, mech = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
args = sys.argv[8:]

ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if cert != '-':
    ctx.load_cert_chain(cert, key)


def b64(s):
    return base64.b64encode(s.encode()).decode() if s else '='


def plain(user, password):
    return b64('\0%s\0%s' % (user, password))


out = {'mechanisms': [], 'ok': False, 'reply': '', 'after': ''}

if proto == 'imap':
    c = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
    out['mechanisms'] = [x[5:] for x in c.capabilities if x.startswith('AUTH=')]
    try:
        if mech == 'external-noir':
            typ, data = c.authenticate('EXTERNAL', lambda _challenge: b'')
        elif mech == 'login':
            prompts = {b'Username:': args[0], b'Password:': args[1]}
            typ, data = c.authenticate('LOGIN', lambda challenge: prompts[challenge])
        else:
            ir = b64(args[0]) if mech == 'external' else plain(args[0], args[1])
            # imaplib has no SASL-IR: send it as a plain command (a NO comes back as typ, not raised)
            typ, data = c._simple_command('AUTHENTICATE', 'EXTERNAL' if mech == 'external' else 'PLAIN', ir)
            if typ == 'OK':
                c.state = 'AUTH'
        out['ok'] = typ == 'OK'
        out['reply'] = '%s %s' % (typ, ' '.join(d.decode() if isinstance(d, bytes) else str(d) for d in data))
        if out['ok']:
            typ, data = c.select('INBOX', readonly=True)
            out['after'] = 'INBOX %s %s' % (typ, data[0].decode())
        c.logout()
    except imaplib.IMAP4.error as e:
        out['reply'] = str(e)
elif proto == 'pop':
    if mode == 'starttls':
        c = poplib.POP3(host, port)
        c.stls(context=ctx)
    else:
        c = poplib.POP3_SSL(host, port, context=ctx)
    out['mechanisms'] = c.capa().get('SASL', [])
    try:
        ir = b64(args[0]) if mech == 'external' else plain(args[0], args[1])
        r = c._shortcmd('AUTH %s %s' % ('EXTERNAL' if mech == 'external' else 'PLAIN', ir))
        out['ok'] = True
        out['reply'] = r.decode()
        out['after'] = 'STAT %d %d' % c.stat()
        c.quit()
    except poplib.error_proto as e:
        out['reply'] = str(e)
else:
    if mode == 'starttls':
        c = smtplib.SMTP(host, port)
        c.starttls(context=ctx)
    else:
        c = smtplib.SMTP_SSL(host, port, context=ctx)
    c.ehlo('client.example')
    out['mechanisms'] = c.esmtp_features.get('auth', '').split()
    ir = b64(args[0]) if mech == 'external' else plain(args[0], args[1])
    code, msg = c.docmd('AUTH', '%s %s' % ('EXTERNAL' if mech == 'external' else 'PLAIN', ir))
    out['ok'] = code == 235
    out['reply'] = '%d %s' % (code, msg.decode())
    if out['ok']:
        code, msg = c.mail(args[1] if mech == 'external' else args[0])
        out['after'] = 'MAIL %d' % code
    c.quit()

print(json.dumps(out))
