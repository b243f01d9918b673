import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readLocalConfig } from '../../functions/local/config.js';
import { startLocalBroker, type LocalBroker } from '../../functions/local/runner.js';

/**
 * The web console in real Chromium (Debian's package, driven by playwright-core) against the
 * local broker: one browser, one context per person. Screenshots of every page go to
 * .local/test-output/console (git-ignored); with UPDATE_DOCS_SCREENSHOTS=1 the dashboard and
 * the audit explorer are also written to docs/ for the README.
 */

/** Polls until the assertion holds: a busy two-core machine can take seconds per step. */
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 20_000, interval: 200 });

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = resolve('.local/test-output/console');
const DOCS = resolve('docs');

/** The example policy plus a person the policy names but gives no role. */
function policyWithOutsider(): string {
  const text = readFileSync('policy/example.yaml', 'utf8').replace(
    'people:\n',
    'people:\n  visitors:\n    users: [U0VIS00001]\n',
  );
  const path = join(tmpdir(), `console-policy-${randomUUID()}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('the web console in Chromium', () => {
  let broker: LocalBroker;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    broker = await startLocalBroker({
      config: readLocalConfig({
        PORT: '0',
        AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
        TABLE_PREFIX: `console-${randomUUID().slice(0, 8)}-`,
        POLICY_PATH: policyWithOutsider(),
        SWEEP_INTERVAL_SECONDS: '3600',
        LOCAL_QUIET: 'true',
      }),
    });
    // playwright-core gives each launch a fresh temporary --user-data-dir of its own.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    mkdirSync(SHOTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await broker?.stop();
  });

  /** A new context signed in (development sign-in) as `person`; console errors fail the test. */
  async function signedIn(person: string, options: { readonly shell?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    contexts.push(context);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of (4\d\d)/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    (page as Page & { problems: string[] }).problems = problems;
    await page.goto(broker.consoleUrl);
    await page.getByLabel('Sign in as').selectOption(person);
    await page.getByRole('button', { name: 'Sign in' }).click();
    if (options.shell !== false) await eventually(() => page.getByTestId('me').textContent()).toBe(person);
    return page;
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  it('serves the console with a strict CSP and no token in any URL', async () => {
    const response = await fetch(broker.consoleUrl);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(await response.text()).not.toMatch(/<script>|<style>|style="/);
  });

  it('a requester requests, an approver approves in another context, the grant appears in the first', async () => {
    const requester = await signedIn('U0DEV00001');
    const approver = await signedIn('U0LEAD0001');

    // The same inline messages as the Slack modal: first the form's own, then the policy's.
    await requester.getByLabel('Target').selectOption('developers');
    await requester.getByLabel('Duration').fill('soon');
    await requester.getByRole('button', { name: 'Request', exact: true }).click();
    await expect
      .poll(() => requester.getByTestId('duration-error').textContent())
      .toContain('"soon" is not a duration (try 30m, 1h or 1h30m).');
    await requester.getByLabel('Duration').fill('2h');
    await requester.getByRole('button', { name: 'Request', exact: true }).click();
    await expect
      .poll(() => requester.getByTestId('reason-error').textContent())
      .toContain('Say why you need this access.');
    await requester.getByLabel('Reason').fill('deploy the hotfix to staging');
    await requester.getByRole('button', { name: 'Request', exact: true }).click();
    await eventually(() => requester.getByTestId('pending').textContent()).toContain('developers');
    await shot(requester, 'my-access-pending');

    await approver.getByRole('link', { name: 'Approvals' }).click();
    const card = approver.locator('[data-request="developers"]');
    await eventually(() => card.count()).toBe(1);
    await eventually(() => card.textContent()).toContain('Approvals 0 of 1');
    await shot(approver, 'approvals');
    await approver.getByRole('button', { name: 'Approve developers for U0DEV00001' }).click();
    await eventually(() => approver.getByTestId('status').textContent()).toContain('approved');

    // No reload: the requester's page picks the grant up on its own.
    await eventually(() => requester.getByTestId('live').textContent()).toMatch(
      /developers · (approved|active)/,
    );
    await eventually(() => requester.getByTestId('pending').textContent()).not.toContain('developers');
    await shot(requester, 'my-access-live');
    expect((requester as Page & { problems: string[] }).problems).toEqual([]);
  }, 60_000);

  it('a requester ticks two accounts of a permission set; once approved, one live grant per account, each named', async () => {
    const requester = await signedIn('U0DEV00001');
    const approver = await signedIn('U0LEAD0001');
    // The request form alone: the live grants of the earlier test carry Extend forms of their own.
    const form = requester.getByRole('form', { name: 'Request access' });

    await form.getByLabel('Target').selectOption('shop-admin');
    const accounts = form.getByRole('group', { name: 'Accounts' });
    // The picker offers the target's accounts by name and id (the sandbox organization's names).
    await eventually(() => accounts.getByRole('checkbox').count()).toBe(2);
    // The account rule inline, before anything is sent.
    await form.getByLabel('Reason').fill('rotate the shop database credentials');
    await form.getByRole('button', { name: 'Request', exact: true }).click();
    await eventually(() => requester.getByTestId('accounts-error').count()).toBe(1);
    await accounts.getByRole('checkbox', { name: 'shop-staging (444455556666)' }).check();
    await accounts.getByRole('checkbox', { name: 'shop-production (777788889999)' }).check();
    await form.getByRole('button', { name: 'Request', exact: true }).click();
    await eventually(() => requester.getByTestId('pending').textContent()).toContain('shop-admin');
    expect(await requester.getByTestId('pending').textContent()).toContain(
      'shop-staging (444455556666), shop-production (777788889999)',
    );
    await shot(requester, 'my-access-accounts-pending');

    await approver.getByRole('link', { name: 'Approvals' }).click();
    const card = approver.locator('[data-request="shop-admin"]');
    await eventually(() => card.count()).toBe(1);
    await eventually(() => card.textContent()).toContain('shop-production (777788889999)');
    await approver.getByRole('button', { name: 'Approve shop-admin for U0DEV00001' }).click();
    await eventually(() => approver.getByTestId('status').textContent()).toContain('approved');

    // One live grant per account under the one approval, each naming its own account only.
    const grants = requester.locator('[data-grant="shop-admin"]');
    await eventually(() => grants.count()).toBe(2);
    const scopes = await requester.getByTestId('grant-scope').allTextContents();
    expect(scopes.map((s) => s.replace(/^ · /, '')).sort()).toEqual([
      'AdministratorAccess in shop-production (777788889999)',
      'AdministratorAccess in shop-staging (444455556666)',
    ]);
    await eventually(() => grants.first().textContent()).toMatch(/· (approved|active) ·/);
    // Their buttons say which grant they act on.
    expect(
      await requester
        .getByRole('button', { name: 'Release shop-admin in shop-staging (444455556666)' })
        .count(),
    ).toBe(1);
    await shot(requester, 'my-access-accounts-live');
    expect((requester as Page & { problems: string[] }).problems).toEqual([]);
  }, 90_000);

  it('shows credentials in a dialog whose content leaves the DOM when it closes', async () => {
    const requester = await signedIn('U0SEC00001');
    const approver = await signedIn('U0SEC00002');
    await requester.getByLabel('Target').selectOption('auditor');
    await requester.getByLabel('Reason').fill('quarterly access review');
    await requester.getByRole('button', { name: 'Request', exact: true }).click();
    await eventually(() => requester.getByTestId('pending').textContent()).toContain('auditor');
    await approver.getByRole('link', { name: 'Approvals' }).click();
    await approver.getByRole('button', { name: 'Approve auditor for U0SEC00001' }).click();
    const getCredentials = requester.getByRole('button', { name: 'Get credentials for auditor' });
    await eventually(() => getCredentials.count()).toBe(1);
    await getCredentials.click();
    const dialog = requester.getByRole('dialog');
    await eventually(() => requester.getByTestId('credentials').count()).toBe(1);
    const lines = await requester.locator('#cli-lines').inputValue();
    expect(lines).toMatch(/AWS_SECRET_ACCESS_KEY=\S+/);
    const secret = /AWS_SECRET_ACCESS_KEY=(\S+)/.exec(lines)?.[1] ?? '';
    await shot(requester, 'credentials-dialog');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await eventually(() => requester.getByRole('dialog').count()).toBe(0);
    const html = await requester.content();
    expect(html).not.toContain(secret);
    expect(html).not.toContain('AWS_SECRET_ACCESS_KEY');
  }, 60_000);

  it('an auditor filters the audit trail and exports a CSV whose rows match the API', async () => {
    const auditor = await signedIn('U0AUD00001');
    await auditor.getByRole('link', { name: 'Audit explorer' }).click();
    await eventually(() => auditor.getByTestId('verify').textContent()).toContain('Chain verified');
    await auditor.getByLabel('Target').fill('developers');
    await auditor.getByRole('button', { name: 'Search' }).click();
    await eventually(() => auditor.getByTestId('events').locator('tbody tr').count()).toBeGreaterThan(2);
    await shot(auditor, 'audit-explorer');
    if (process.env.UPDATE_DOCS_SCREENSHOTS) {
      await auditor.screenshot({ path: join(DOCS, 'console-audit-explorer.png') });
    }

    const [download] = await Promise.all([
      auditor.waitForEvent('download'),
      auditor.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = readFileSync((await download.path()) as string, 'utf8')
      .trim()
      .split('\n');
    expect(csv[0]).toMatch(/^at,type,actor,subject/);

    // The API's own answer for the same filter, page by page through a session of the same person.
    const session = (await (
      await fetch(`${broker.consoleUrl}api/dev/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ person: 'U0AUD00001' }),
      })
    ).json()) as { token: string };
    const from = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
    const api = (await (
      await fetch(`${broker.consoleUrl}api/audit/events?target=developers&from=${from}&limit=1000`, {
        headers: { authorization: `Bearer ${session.token}` },
      })
    ).json()) as { items: { at: string; type: string; requestId: string }[] };
    const rows = csv.slice(1).map((line) => line.split(',').slice(0, 2).join(','));
    expect(rows).toEqual(api.items.map((e) => `${e.at},${e.type}`));
    expect(api.items.length).toBeGreaterThan(2);

    // The per-request timeline, oldest first.
    await auditor
      .getByRole('button', { name: /Timeline of request/ })
      .first()
      .click();
    await eventually(() => auditor.locator('.timeline li').count()).toBeGreaterThan(2);
  }, 60_000);

  it('the dashboard draws its charts with their data tables', async () => {
    const auditor = await signedIn('U0AUD00001');
    await auditor.getByRole('link', { name: 'Dashboard' }).click();
    await eventually(() => auditor.getByTestId('dashboard').textContent()).toContain('Who has access now');
    await eventually(() => auditor.locator('canvas').count()).toBe(2);
    expect(await auditor.getByTestId('dashboard').textContent()).toContain('U0DEV00001');
    await shot(auditor, 'dashboard');
    if (process.env.UPDATE_DOCS_SCREENSHOTS) {
      await auditor.screenshot({ path: join(DOCS, 'console-dashboard.png'), fullPage: true });
    }
    // At phone width the same page works.
    await auditor.setViewportSize({ width: 390, height: 844 });
    await shot(auditor, 'dashboard-phone');
  }, 60_000);

  it('shows 403 pages, not data, to people without the role', async () => {
    // The outsider is named by the policy but has no role: the whole console is a 403 page.
    const outsider = await signedIn('U0VIS00001', { shell: false });
    await eventually(() => outsider.locator('.forbidden').textContent()).toContain('no role');
    expect(await outsider.getByTestId('me').count()).toBe(0);
    await shot(outsider, 'forbidden');

    const tester = await signedIn('U0QA000001');
    await tester.getByRole('link', { name: 'Dashboard' }).click();
    await eventually(() => tester.locator('.forbidden').textContent()).toContain('403');
    expect(await tester.locator('canvas').count()).toBe(0);
    await tester.getByRole('link', { name: 'Approvals' }).click();
    await eventually(() => tester.locator('.forbidden').count()).toBe(1);
  }, 60_000);
});
