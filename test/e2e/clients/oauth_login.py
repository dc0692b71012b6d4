#!/usr/bin/env python3
"""Logs in with a bearer token (SASL XOAUTH2 or OAUTHBEARER, RFC 7628) using Python's imaplib,
poplib and smtplib as they are, and prints what the client saw as one JSON object.

usage: oauth_login.py imap|pop|smtp HOST PORT TLS MECH NAME TOKEN [FROM]
  TLS   implicit | starttls (STLS for POP3, STARTTLS for SMTP; IMAP here is implicit only)
  MECH  xoauth2      the message is user=NAME^Aauth=Bearer TOKEN^A^A
        oauthbearer  the message is n,a=NAME,^Ahost=..^Aport=..^Aauth=Bearer TOKEN^A^A ("n,," when NAME is "")
        xoauth2-ir   XOAUTH2 with the message as an initial response on the command line, as
                     Thunderbird sends it (POP3: longer than the 255 octets RFC 5034 allows;
                     IMAP: SASL-IR, for a token that is accepted only)
  FROM  SMTP only: after a successful AUTH, MAIL FROM:<FROM> is sent.
On an error challenge (a JSON document) the client answers as the RFC says (OAUTHBEARER: ^A,
XOAUTH2: an empty response) and records the challenge.
Output: {"mechanisms": [...], "ok": bool, "challenge": "..." or null, "reply": "...", "after": "..."}
"""
import base64
import imaplib
import json
import poplib
import smtplib
import ssl
import sys

proto, host, port, mode, mech, name, token = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
sender = sys.argv[8] if len(sys.argv) > 8 else ''

ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

initial_response = mech.endswith('-ir')
mech = mech[:-3] if initial_response else mech
if mech == 'xoauth2':
    MECH = 'XOAUTH2'
    message = 'user=%s\x01auth=Bearer %s\x01\x01' % (name, token)
    after_error = ''
else:
    MECH = 'OAUTHBEARER'
    gs2 = 'n,a=%s,' % name if name else 'n,,'
    message = '%s\x01host=%s\x01port=%d\x01auth=Bearer %s\x01\x01' % (gs2, host, port, token)
    after_error = '\x01'

out = {'mechanisms': [], 'ok': False, 'challenge': None, 'reply': '', 'after': ''}


def b64(s):
    return base64.b64encode(s.encode()).decode()


if proto == 'imap':
    c = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
    out['mechanisms'] = [x[5:] for x in c.capabilities if x.startswith('AUTH=')]
    sent = []

    def answer(challenge):
        # imaplib sends no initial response: the first (empty) challenge asks for the message
        if not sent:
            sent.append(1)
            return message
        out['challenge'] = challenge.decode()
        return after_error

    try:
        if initial_response:
            # imaplib has no SASL-IR: a plain command (a NO comes back as typ, not raised)
            typ, data = c._simple_command('AUTHENTICATE', MECH, b64(message))
            if typ != 'OK':
                raise imaplib.IMAP4.error(b' '.join(data).decode())
            c.state = 'AUTH'
        else:
            typ, data = c.authenticate(MECH, answer)
        out['ok'] = typ == 'OK'
        out['reply'] = '%s %s' % (typ, b' '.join(data).decode())
        typ, data = c.select('INBOX', readonly=True)
        out['after'] = 'INBOX %s %s' % (typ, data[0].decode())
    except imaplib.IMAP4.error as e:
        # authenticate() raises a NO as its text alone; a BAD as "... command error: BAD ..."
        out['reply'] = str(e) if 'command error' in str(e) else 'NO %s' % e
        # the session stays usable after a refused login
        typ, _ = c.noop()
        out['after'] = 'NOOP %s' % typ
    c.logout()
elif proto == 'pop':
    if mode == 'starttls':
        c = poplib.POP3(host, port)
        c.stls(context=ctx)
    else:
        c = poplib.POP3_SSL(host, port, context=ctx)
    out['mechanisms'] = c.capa().get('SASL', [])
    try:
        # A token makes the line longer than the 255 octets RFC 5034 allows for AUTH with an
        # initial response: send AUTH alone and the message after the (empty) challenge.
        if initial_response:
            r = c._shortcmd('AUTH %s %s' % (MECH, b64(message))).decode()
        else:
            r = c._shortcmd('AUTH %s' % MECH).decode()
        if r.rstrip() == '+':
            r = c._shortcmd(b64(message)).decode()
        if r.startswith('+ '):
            out['challenge'] = base64.b64decode(r[2:]).decode()
            r = c._shortcmd(b64(after_error) if after_error else '').decode()
        out['ok'] = r.startswith('+OK')
        out['reply'] = r
        out['after'] = 'STAT %d %d' % c.stat()
    except poplib.error_proto as e:
        out['reply'] = e.args[0].decode() if isinstance(e.args[0], bytes) else str(e)
        out['after'] = 'CAPA %s' % ('SASL' in c.capa())
    c.quit()
else:
    if mode == 'starttls':
        c = smtplib.SMTP(host, port)
        c.starttls(context=ctx)
    else:
        c = smtplib.SMTP_SSL(host, port, context=ctx)
    c.ehlo('client.example')
    out['mechanisms'] = c.esmtp_features.get('auth', '').split()

    def answer(challenge=None):
        if challenge is None:
            return message  # the initial response
        out['challenge'] = challenge.decode()
        return after_error

    try:
        code, msg = c.auth(MECH, answer)
        out['ok'] = code == 235
        out['reply'] = '%d %s' % (code, msg.decode())
        code, msg = c.mail(sender)
        out['after'] = 'MAIL %d' % code
    except smtplib.SMTPAuthenticationError as e:
        out['reply'] = '%d %s' % (e.smtp_code, e.smtp_error.decode())
        code, _ = c.noop()
        out['after'] = 'NOOP %d' % code
    c.quit()

print(json.dumps(out))
