#!/usr/bin/env python3
"""Logs in with Python's imaplib or poplib from a chosen local source address.

usage: login_from.py imap|pop HOST PORT plain|tls SOURCE_IP USER PASSWORD
Connects from SOURCE_IP (e.g. 127.0.0.2: any 127/8 address is loopback on Linux), over cleartext
or implicit TLS, logs in (IMAP LOGIN, POP3 USER/PASS), runs one command and logs out.
Prints JSON: {"ok": true|false, "reply": "..."}; exit 0 either way, 1 on connection errors.
"""
import imaplib
import json
import poplib
import socket
import ssl
import sys

proto, host, port, mode, source, user, password = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def sock(timeout):
    return socket.create_connection((host, port), timeout, source_address=(source, 0))


class Imap(imaplib.IMAP4):
    def _create_socket(self, timeout):
        return sock(timeout)


class ImapTls(imaplib.IMAP4_SSL):
    def _create_socket(self, timeout):
        return self.ssl_context.wrap_socket(sock(timeout), server_hostname=self.host)


class Pop(poplib.POP3):
    def _create_socket(self, timeout):
        return sock(timeout)


class PopTls(poplib.POP3_SSL):
    def _create_socket(self, timeout):
        return self.context.wrap_socket(sock(timeout), server_hostname=self.host)


def imap():
    c = ImapTls(host, port, ssl_context=ctx, timeout=20) if mode == 'tls' else Imap(host, port, timeout=20)
    try:
        typ, data = c.login(user, password)
    except imaplib.IMAP4.error as e:
        c.logout()
        return {'ok': False, 'reply': str(e)}
    c.select('INBOX')
    c.logout()
    return {'ok': typ == 'OK', 'reply': b' '.join(data).decode('utf-8', 'replace')}


def pop():
    c = PopTls(host, port, context=ctx, timeout=20) if mode == 'tls' else Pop(host, port, timeout=20)
    try:
        c.user(user)
        reply = c.pass_(password)
    except poplib.error_proto as e:
        c.quit()
        return {'ok': False, 'reply': str(e)}
    c.stat()
    c.quit()
    return {'ok': True, 'reply': reply.decode('utf-8', 'replace')}


try:
    print(json.dumps(imap() if proto == 'imap' else pop()))
except (OSError, EOFError) as e:
    print(json.dumps({'ok': False, 'reply': 'connection error: %s' % e}))
    sys.exit(1)
