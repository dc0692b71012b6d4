#!/usr/bin/env python3
"""Observes what a client sees of the login policy, with Python's ssl-wrapped sockets.

usage: login_matrix.py imap|pop HOST PLAIN_PORT TLS_PORT USER PASSWORD
Prints JSON: capabilities before TLS, the reply to a login before TLS, capabilities after
STARTTLS/STLS, the reply to a login after it, and the reply to a login on the implicit-TLS port.
"""
import json
import socket
import ssl
import sys

proto, host, plain_port, tls_port, user, password = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b''

    def line(self):
        while b'\r\n' not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError('connection closed')
            self.buf += data
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line.decode('utf-8', 'replace')

    def send(self, text):
        self.sock.sendall(text.encode() + b'\r\n')

    def imap(self, tag, command):
        self.send('%s %s' % (tag, command))
        lines = []
        while True:
            l = self.line()
            lines.append(l)
            if l.startswith(tag + ' '):
                return lines

    def pop(self, command, multi=False):
        self.send(command)
        first = self.line()
        lines = [first]
        if multi and first.startswith('+OK'):
            while True:
                l = self.line()
                if l == '.':
                    break
                lines.append(l)
        return lines


def imap_caps(c, tag):
    lines = c.imap(tag, 'CAPABILITY')
    return [l for l in lines if l.startswith('* CAPABILITY')][0].split()[2:]


def imap_session(c, tls_upgrade):
    out = {}
    c.line()  # greeting
    out['caps'] = imap_caps(c, 'a1')
    out['login'] = c.imap('a2', 'LOGIN "%s" "%s"' % (user, password))[-1]
    if tls_upgrade and ' OK' not in out['login']:
        out['starttls'] = c.imap('a3', 'STARTTLS')[-1]
        c.sock = ctx.wrap_socket(c.sock)
        out['caps_after'] = imap_caps(c, 'b1')
        out['login_after'] = c.imap('b2', 'LOGIN "%s" "%s"' % (user, password))[-1]
    c.imap('z', 'LOGOUT')
    return out


def pop_session(c, tls_upgrade):
    out = {}
    c.line()
    out['caps'] = c.pop('CAPA', multi=True)[1:]
    out['login'] = c.pop('USER %s' % user)[0]
    if out['login'].startswith('+OK'):
        out['login'] = c.pop('PASS %s' % password)[0]
    if tls_upgrade and not out['login'].startswith('+OK'):
        out['starttls'] = c.pop('STLS')[0]
        c.sock = ctx.wrap_socket(c.sock)
        out['caps_after'] = c.pop('CAPA', multi=True)[1:]
        r = c.pop('USER %s' % user)[0]
        out['login_after'] = c.pop('PASS %s' % password)[0] if r.startswith('+OK') else r
    c.pop('QUIT')
    return out


session = imap_session if proto == 'imap' else pop_session
result = {'plain': session(Conn(socket.create_connection((host, plain_port))), True)}
implicit = session(Conn(ctx.wrap_socket(socket.create_connection((host, tls_port)))), False)
result['implicit'] = implicit
print(json.dumps(result))
