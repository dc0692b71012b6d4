/**
 * The web console in a real browser: Debian's chromium driven by playwright-core. Skipped, with
 * the reason, when either is missing. Screenshots of each page go to test-artifacts/console/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configPath } from '../../../config/config.js';
import { repoRoot } from '../../../../test/helpers/paths.js';
import { startAdminFixture, type AdminFixture } from '../test-support.js';
import { attachBlocksFile } from '../../../auth/blocks-file.js';
import { MemoryThrottle } from '../../../auth/throttle.js';
import { silentLogger } from '../../../core/log.js';

const CHROMIUM = '/usr/bin/chromium';
type Playwright = typeof import('playwright-core');
let playwright: Playwright | null = null;
let skip: string | false = false;
try {
  playwright = await import('playwright-core');
} catch (err) {
  skip = `playwright-core is not installed (${(err as Error).message})`;
}
if (!skip && !existsSync(CHROMIUM)) skip = `${CHROMIUM} is missing (apt-get install chromium)`;
if (skip) process.stderr.write(`console browser test skipped: ${skip}\n`);

let fx: AdminFixture;
before(async () => { if (!skip) fx = await startAdminFixture(); });
after(async () => { if (fx) await fx.close(); });

const shots = join(repoRoot(), 'test-artifacts', 'console');
const shot = (page: import('playwright-core').Page, name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

test('log in with a token, change the IMAP login type, see the analyzer finding appear and disappear', { skip }, async (t) => {
  mkdirSync(shots, { recursive: true });
  const browser = await playwright!.chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  t.after(() => browser.close());
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

  // Not logged in: the login page. A wrong token is refused next to the field.
  await page.goto(`${fx.base}/console/`);
  assert.equal(new URL(page.url()).pathname, '/console/login');
  await page.fill('#token', 'pct_not-a-token');
  await page.click('button[type=submit]:has-text("Log in")');
  assert.match(await page.textContent('#token-error') ?? '', /not valid/);
  await shot('01-login');
  await page.fill('#token', fx.readWrite);
  await page.click('button[type=submit]:has-text("Log in")');
  assert.equal(new URL(page.url()).pathname, '/console/');
  const cookie = (await context.cookies()).find((c) => c.name === 'pc_token');
  assert.ok(cookie?.httpOnly && cookie.sameSite === 'Strict', 'token cookie is HttpOnly and SameSite=Strict');
  assert.equal(await page.getAttribute('[data-service="imap4"]', 'data-status'), 'Stopped');
  await shot('02-services');

  // Start a frontend without its backend: degraded.
  await page.click('form[action="/console/services/imap4/start"] button');
  assert.equal(await page.getAttribute('[data-service="imap4"]', 'data-status'), 'Degraded');
  assert.match(await page.textContent('main') ?? '', /Done: imap4 is now Degraded/);

  const problem = '#problems ~ [data-finding="login-type.imap4"]';
  await page.click('nav >> text=Analyzer');
  assert.equal(await page.locator(problem).count(), 0, 'SecureLogin: no finding to act on');
  await shot('03-analyzer-secure');

  // A bad value: the server's error shows next to the field, nothing saved.
  await page.click('nav >> text=Settings');
  const before = readFileSync(configPath(fx.dataDir));
  await page.fill('#f-banner', 'Grüße aus dem Mailserver');
  await page.click('button:has-text("Save")');
  assert.match(await page.textContent('#f-banner-error') ?? '', /banner: .* is not allowed \(allowed: printable ASCII/);
  assert.equal(await page.getAttribute('#f-banner', 'aria-invalid'), 'true');
  assert.deepEqual(readFileSync(configPath(fx.dataDir)), before);
  await shot('04-settings-error');

  // Change the login type.
  await page.goto(`${fx.base}/console/settings/imap`);
  await page.selectOption('#f-login-type', 'PlainTextLogin');
  await page.click('button:has-text("Save")');
  assert.match(await page.textContent('[role=status]') ?? '', /Saved and applied/);
  assert.equal((JSON.parse(readFileSync(configPath(fx.dataDir), 'utf8')) as { imap: Record<string, string> }).imap['login-type'], 'PlainTextLogin');
  await shot('05-settings-saved');

  await page.click('nav >> text=Analyzer');
  assert.equal(await page.getAttribute(problem, 'data-severity'), 'fail');
  assert.match(await page.textContent(problem) ?? '', /portcullis imap set --login-type SecureLogin/);
  await shot('06-analyzer-finding');

  await page.goto(`${fx.base}/console/settings/imap`);
  await page.selectOption('#f-login-type', 'SecureLogin');
  await page.click('button:has-text("Save")');
  await page.click('nav >> text=Analyzer');
  assert.equal(await page.locator(problem).count(), 0, 'finding gone after the fix');

  // The other pages.
  await page.click('nav >> text=Certificates');
  assert.match(await page.textContent('main table') ?? '', /mail\.example\.test/);
  await shot('07-certificates');
  await page.click('nav >> text=Users');
  await page.fill('#add-address', 'carol@example.test');
  await page.fill('#add-password', 'a long enough password');
  await page.click('button:has-text("Add")');
  assert.match(await page.textContent('main') ?? '', /Added carol@example\.test/);
  assert.ok(await fx.control.store.getAccount('carol@example.test'));
  await shot('08-users');
  await page.click('nav >> text=Insecure logins');
  assert.match(await page.textContent('main') ?? '', /No logins without TLS recorded/);
  await shot('09-logins');

  // Language switch (the script submits on change).
  // The page is already at /console/logins, so wait for the French page itself, not for the URL.
  await page.selectOption('#lang-select', 'fr');
  await page.locator('html[lang="fr"]').waitFor({ state: 'attached' });
  assert.equal(new URL(page.url()).pathname, '/console/logins');
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  assert.match(await page.textContent('h1') ?? '', /Connexions non sécurisées/);
  await shot('10-logins-fr');
});

test('a read-only token sees no write controls and cannot post', { skip }, async (t) => {
  const browser = await playwright!.chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  t.after(() => browser.close());
  const page = await (await browser.newContext({ locale: 'de-DE' })).newPage();
  await page.goto(`${fx.base}/console/login`);
  assert.equal(await page.getAttribute('html', 'lang'), 'de');
  await page.fill('#token', fx.readOnly);
  await page.click('button[type=submit]:has-text("Anmelden")');
  assert.match(await page.textContent('main') ?? '', /Nur-Lese-Token/);
  assert.equal(await page.locator('form[action^="/console/services/"]').count(), 0);
  await page.goto(`${fx.base}/console/settings/imap`);
  assert.equal(await page.locator('button:has-text("Speichern")').count(), 0);
  assert.ok(await page.isDisabled('#f-login-type'));
  // Even a hand-made form with a valid CSRF token is refused for a read-only token.
  const [response] = await Promise.all([
    page.waitForNavigation(),
    page.evaluate(`(() => {
      const f = document.createElement('form');
      f.method = 'post';
      f.action = '/console/services/imap4/start';
      f.append(document.querySelector('input[name=csrf]').cloneNode());
      document.body.append(f);
      f.submit();
    })()`),
  ]);
  assert.equal(response?.status(), 403);
  assert.match(await page.textContent('main') ?? '', /Lese-Schreib-Token/);
  assert.equal(fx.control.services().find((s) => s.name === 'imap4')?.status, 'Stopped');
});

test('users show access, quota and pin; an app password is revoked; a block is cleared', { skip }, async (t) => {
  const browser = await playwright!.chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  t.after(() => browser.close());
  const store = fx.control.store;
  await store.createAccount('dora@example.test', null);
  const dora = (await store.getAccount('dora@example.test'))!;
  await store.updateAccount(dora.id, { popEnabled: false, quotaBytes: 123456, backend: '10.1.2.3:1993' });
  await store.createAppPassword!(dora.id, 'laptop', 'not-a-real-hash', ['imap4']);
  // The server side of blocks: a real throttle persisting to the data dir, as `serve` runs it.
  let file: ReturnType<typeof attachBlocksFile> | null = null;
  const throttle = new MemoryThrottle({ ipBlockAfter: 1, onChange: () => file?.changed() });
  file = attachBlocksFile(throttle, fx.dataDir, silentLogger, 50);
  t.after(() => file?.stop());
  await throttle.recordFailure('192.0.2.7', 'someone@example.test');
  await file.poll();

  const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  await page.goto(`${fx.base}/console/login`);
  await page.fill('#token', fx.readWrite);
  await page.click('button[type=submit]:has-text("Log in")');
  await page.click('nav >> text=Users');
  const row = page.locator('tr', { hasText: 'dora@example.test' });
  assert.deepEqual((await row.locator('td').allTextContents()).slice(0, 6), ['dora@example.test', 'on', 'off', '123456', '0', '10.1.2.3:1993']);
  await shot(page, '11-users-details');
  await row.locator('a:has-text("App passwords")').click();
  assert.match(await page.textContent('h1') ?? '', /App passwords of dora@example\.test/);
  assert.match(await page.textContent('main table') ?? '', /laptop\s*imap4.*never/s);
  page.once('dialog', (d) => void d.accept());
  await page.click('form[action="/console/users/app-passwords/revoke"] button');
  assert.match(await page.textContent('[role=status]') ?? '', /Revoked the app password laptop/);
  assert.deepEqual(await store.listAppPasswords!(dora.id), []);
  await shot(page, '12-app-passwords');

  await page.click('nav >> text=Blocks');
  assert.equal(await page.locator('[data-network="192.0.2.7"]').count(), 1);
  await shot(page, '13-blocks');
  await page.click('form[action="/console/blocks/clear"]:has(input[value="192.0.2.7"]) button');
  assert.match(await page.textContent('[role=status]') ?? '', /Cleared: 192\.0\.2\.7/);
  assert.match(await page.textContent('main') ?? '', /No network is blocked/);
  assert.equal((await throttle.check('192.0.2.7', 'someone@example.test')).allowed, true);
  // The language switch keeps the user of the app-password page.
  await page.goto(`${fx.base}/console/users/app-passwords?address=dora%40example.test`);
  await page.selectOption('#lang-select', 'it');
  await page.locator('html[lang="it"]').waitFor({ state: 'attached' });
  assert.match(await page.textContent('h1') ?? '', /Password per app di dora@example\.test/);
  await page.click('nav >> text=Blocchi');
  assert.match(await page.textContent('h1') ?? '', /Reti bloccate/);
});
