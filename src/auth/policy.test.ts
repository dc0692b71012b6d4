import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anyLoginAllowed, mechanismAllowed, passwordLoginAllowed } from './policy.js';

test('SecureLogin: nothing before TLS, everything after', () => {
  assert.equal(anyLoginAllowed('SecureLogin', false), false);
  assert.equal(passwordLoginAllowed('SecureLogin', false), false);
  assert.equal(mechanismAllowed('SecureLogin', false, false), false);
  assert.equal(passwordLoginAllowed('SecureLogin', true), true);
});

test('PlainTextAuthentication: password mechanisms only over TLS, others in clear', () => {
  assert.equal(passwordLoginAllowed('PlainTextAuthentication', false), false);
  assert.equal(mechanismAllowed('PlainTextAuthentication', false, false), true);
  assert.equal(passwordLoginAllowed('PlainTextAuthentication', true), true);
});

test('PlainTextLogin: everything, and unknown values never loosen', () => {
  assert.equal(passwordLoginAllowed('PlainTextLogin', false), true);
  assert.equal(passwordLoginAllowed('Bogus' as never, false), false);
});
