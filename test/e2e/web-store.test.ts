/**
 * The app store end to end, in real headless Chromium: browse the catalog to a template, submit a
 * bad answer (error next to the field, nothing pushed), then good answers (branch request/<name>
 * pushed to a git server over HTTP), merge it, and watch the stack turn Synced and Healthy on its
 * page, without reloading, with its endpoint. The daemon runs on the fleet. Screenshots of every
 * page go to test-results/web/.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { HostConfig } from '../../src/config/config.js';
import { commitFiles, git, initBareRepo, initRepo, makeTempDir } from '../source/git-fixtures.js';
import { type GitHttpServer, startGitHttpServer } from '../source/git-http-server.js';
import { accessibilityProblems, type Browser, launchBrowser, screenshot } from './browser.js';
import { DAEMON_API_TOKEN, Daemon, freePort, waitFor } from './daemon-harness.js';
import { ensureFleet, IMAGES } from './fleet.js';
import { cleanup, fleetHosts } from './sync-repo.js';

const STACK = 'wst-shop';
const DB = 'wst-db';
const GIT_TOKEN = 'git-token-for-web-tests';
const WEBHOOK_SECRET = 'web-store-webhook-secret';
const PASSWORD = 'Admin-pass-4-the-shop';
/** A key pair made for this test only. */
const IDENTITY = 'AGE-SECRET-KEY-1DUKJX46PCZ4VFT93LUJYGKEQJ7P2PDKJUK5VGH8QTPMN59S4DA5Q7FWH5H';
const RECIPIENT = 'age1ty96u5uwuh7kn9dts2e0fe2pvsyrn8m5e37s2nmqqhcwtdjpmsssc4vmxk';

const SHOP_RANCHER = `.catalog:
  name: Shop
  version: 1.0.0
  questions:
    - variable: title
      label: Shop title
      description: What the front page says
      type: string
      required: true
      default: My shop
      valid_chars: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "
    - variable: scale
      label: Web servers
      type: int
      min: 1
      max: 3
      default: 1
      required: true
    - variable: color
      label: Colour
      type: enum
      options: [red, green, blue]
      default: green
    - variable: debug
      label: Debug logging
      type: boolean
      default: "false"
    - variable: admin_password
      label: Admin password
      type: password
      required: true
      min_length: 12
    - variable: motd
      label: Message of the day
      type: multiline
      group: Extras
    - variable: opens
      label: Opening day
      type: date
      group: Extras
    - variable: database
      label: Database
      type: service
      group: Extras
shop:
  scale: \${scale}
`;
const SHOP_COMPOSE = `shop:
  image: ${IMAGES.busybox}
  command: ["sh", "-c", "mkdir -p /www && echo \\"$$TITLE\\" > /www/index.html && exec httpd -f -p 80 -h /www"]
  environment:
    TITLE: \${title}
    ADMIN_PASSWORD: \${admin_password}
  ports:
    - "80"
  stop_grace_period: 1s
`;

let hosts: HostConfig[];
let temp: ReturnType<typeof makeTempDir>;
let bare: string;
let server: GitHttpServer;
let daemon: Daemon;
let browser: Browser;
let page: Page;

function requestBranches(): string {
  return git(bare, 'for-each-ref', '--format=%(refname)', 'refs/heads/request');
}

before(async () => {
  const fleet = await ensureFleet();
  hosts = await fleetHosts();
  await cleanup(hosts, [STACK, DB]);
  temp = makeTempDir('corral-web-');
  bare = join(temp.path, 'served', 'gitops.git');
  initBareRepo(bare);
  git(bare, 'config', 'http.receivepack', 'true');
  const work = join(temp.path, 'work');
  initRepo(work);
  commitFiles(work, {
    'catalog/templates/shop/config.yml': 'name: Shop\ndescription: A tiny web shop\ncategory: Commerce\nversion: 1.0.0\n',
    'catalog/templates/shop/catalogIcon-shop.svg':
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8" rx="2" fill="#0b57d0"/></svg>',
    'catalog/templates/shop/0/docker-compose.yml': SHOP_COMPOSE,
    'catalog/templates/shop/0/rancher-compose.yml': SHOP_RANCHER,
    'catalog/templates/shop/0/README.md': '# Shop 1.0.0\n\nA **web shop** on busybox httpd. <script>alert("x")</script>\n',
    'catalog/templates/store/config.yml': 'name: Store\ncategory: Databases\n',
    'catalog/templates/store/0/docker-compose.yml': `db:\n  image: ${IMAGES.busybox}\n  command: ["sleep", "3600"]\n`,
    'catalog/templates/store/0/rancher-compose.yml': '.catalog:\n  version: 0.1.0\ndb:\n  scale: 0\n',
    [`stacks/${DB}/stack.yml`]: 'template: store\n',
    '.corral/recipients.txt': `# the daemon's key\n${RECIPIENT}\n`,
  });
  git(work, 'push', '--quiet', bare, 'main');
  server = await startGitHttpServer({ projectRoot: join(temp.path, 'served'), token: GIT_TOKEN });
  const remote = server.repoUrl('gitops.git');
  const config = join(temp.path, 'corral.yml');
  writeFileSync(
    config,
    `${readFileSync(fleet.configPath, 'utf8')}\nrequests:\n  remote: ${remote}\n  provider: gitlab\n  token_env: WEB_TEST_PUSH_TOKEN\n`,
  );
  const identityFile = join(temp.path, 'identity.txt');
  writeFileSync(identityFile, `${IDENTITY}\n`);
  daemon = new Daemon({
    repo: remote,
    config,
    interval: 60,
    port: freePort(),
    webhookSecret: WEBHOOK_SECRET,
    env: { CORRAL_GIT_TOKEN: GIT_TOKEN, WEB_TEST_PUSH_TOKEN: GIT_TOKEN, CORRAL_AGE_IDENTITY: identityFile },
  }).start();
  await waitFor('the daemon to read the repository', 30_000, async () => (await daemon.stack(DB)) !== undefined);
  browser = await launchBrowser();
  page = await browser.context.newPage();
});

after(async () => {
  await browser?.close();
  await daemon?.stop('SIGKILL');
  await server?.close();
  await cleanup(hosts, [STACK, DB]);
  temp?.remove();
});

test('the catalog lists the templates with icon, description, category and versions; search and category filter', async () => {
  await page.goto(`${daemon.url}/`);
  assert.equal(new URL(page.url()).pathname, '/catalog');
  assert.equal(await page.locator('#count').textContent(), '2 templates');
  const card = page.locator('li.card', { hasText: 'Shop' });
  assert.equal(await card.locator('img.icon').getAttribute('src'), '/icons/library/shop');
  assert.ok(await card.locator('img.icon').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'the icon loads');
  assert.match((await card.textContent()) ?? '', /A tiny web shop[\s\S]*Commerce[\s\S]*Versions: 1\.0\.0/);
  await page.fill('#q', 'tiny');
  assert.equal(await page.locator('#count').textContent(), '1 template');
  assert.equal(await page.locator('li.card:visible').count(), 1);
  await page.fill('#q', '');
  await page.selectOption('#category', 'Databases');
  assert.equal(await page.locator('li.card:visible h2').textContent(), 'Store');
  await page.selectOption('#category', '');
  await screenshot(page, '01-catalog');
  assert.deepEqual(await accessibilityProblems(page), []);
});

test('a bad answer: the error is shown next to its field, and nothing is pushed', async () => {
  await page.click('text=Shop');
  assert.equal(new URL(page.url()).pathname, '/catalog/library/shop');
  assert.equal(await page.locator('.readme h1').textContent(), 'Shop 1.0.0');
  assert.equal(await page.locator('.readme script').count(), 0, 'the README cannot run scripts');
  await screenshot(page, '02-template');
  await page.fill('#meta-stack', STACK);
  await page.fill('#meta-author_name', 'Ana Lima');
  await page.fill('#meta-author_email', 'ana@example.com');
  const scale = page.getByLabel('Web servers');
  await scale.fill('9');
  await page.getByLabel('Admin password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Request stack' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('#error-summary');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'error-summary', 'the summary takes the focus');
  const field = page.locator('.field.has-error');
  assert.equal(await field.count(), 1);
  assert.match((await field.locator('.error').textContent()) ?? '', /"9" is above the maximum 3/);
  assert.equal(await field.locator('input').getAttribute('name'), 'answer.scale');
  assert.equal(await scale.getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('Admin password').inputValue(), '', 'the password is not sent back');
  assert.ok(!(await page.content()).includes(PASSWORD));
  assert.equal(requestBranches(), '', 'nothing was pushed');
  await screenshot(page, '03-bad-answer');
  assert.deepEqual(await accessibilityProblems(page), []);
});

test('good answers: branch request/<name> is pushed with the request, the password encrypted', async () => {
  await page.getByLabel('Web servers').fill('2');
  await page.getByLabel('Shop title').fill('Hello from the shop');
  await page.getByLabel('Colour').selectOption('blue');
  await page.getByLabel('Debug logging').check();
  await page.getByLabel('Admin password').fill(PASSWORD);
  await page.getByLabel('Message of the day').fill('Open\nevery day');
  await page.getByLabel('Opening day').fill('2024-06-01');
  await page.getByLabel('Database').selectOption(`${DB}/db`);
  await page.getByRole('button', { name: 'Request stack' }).click();
  await page.waitForSelector('h1:has-text("Request sent")');
  assert.equal(await page.locator('strong code').first().textContent(), `request/${STACK}`);
  const link = await page.getByRole('link', { name: 'Open the merge request' }).getAttribute('href');
  assert.equal(
    link,
    `${server.repoUrl('gitops')}/-/merge_requests/new?merge_request%5Bsource_branch%5D=request%2F${STACK}&merge_request%5Btarget_branch%5D=main`,
  );
  assert.ok(!(await page.content()).includes(PASSWORD));
  await screenshot(page, '04-requested');
  assert.equal(requestBranches(), `refs/heads/request/${STACK}`);
  const file = git(bare, 'show', `request/${STACK}:stacks/${STACK}/stack.yml`);
  assert.match(file, /^template: shop\nversion: 1\.0\.0\nanswers:\n/m);
  assert.match(file, /title: Hello from the shop\n/);
  assert.match(file, /scale: "2"\n/);
  assert.match(file, /admin_password: ENC\[age,/);
  assert.match(file, /database: wst-db\/db$/m);
  assert.ok(!file.includes(PASSWORD));
  assert.equal(git(bare, 'log', '-1', '--format=%an <%ae>', `request/${STACK}`), 'Ana Lima <ana@example.com>');
});

test('merged: the stack turns Synced and Healthy on its page, live, with its endpoint', async () => {
  await page.getByRole('link', { name: 'its page' }).click();
  assert.equal(new URL(page.url()).pathname, `/stacks/${STACK}`);
  assert.match((await page.locator('#live').textContent()) ?? '', /No status for wst-shop yet/);
  await page.evaluate(() => {
    (window as unknown as { notReloaded: boolean }).notReloaded = true;
  });
  await screenshot(page, '05-stack-before-merge');
  git(bare, 'update-ref', 'refs/heads/main', `refs/heads/request/${STACK}`);
  const hook = await fetch(`${daemon.url}/api/v1/webhook`, {
    method: 'POST',
    headers: { 'x-gitlab-token': WEBHOOK_SECRET },
    body: JSON.stringify({ ref: 'refs/heads/main' }),
  });
  assert.equal(hook.status, 202);
  await page
    .waitForFunction(
      () => {
        const word = (kind: string) => document.querySelector(`#live [data-kind="${kind}"]`)?.textContent;
        return (
          word('sync') === 'Synced' && word('health') === 'Healthy' && document.querySelector('#live a[href^="http://10.99.0."]') !== null
        );
      },
      undefined,
      { timeout: 60_000 },
    )
    .catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await page.locator('#live').textContent()}\n${daemon.log.slice(-3000)}`);
    });
  assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true, 'updated in place');
  const endpoints = await page
    .locator('#live a[href^="http://10.99.0."]')
    .evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
  assert.equal(endpoints.length, 2);
  for (const endpoint of endpoints) assert.equal((await (await fetch(endpoint)).text()).trim(), 'Hello from the shop');
  assert.match((await page.locator('#live').textContent()) ?? '', /CreateContainer wst-shop-shop-1/);
  await screenshot(page, '06-stack-synced');
  assert.deepEqual(await accessibilityProblems(page), []);
  const status = await (await fetch(`${daemon.url}/api/v1/stacks/${STACK}`)).text();
  assert.ok(!status.includes(PASSWORD));
  assert.ok(!daemon.log.includes(PASSWORD));
});

test('the stacks page lists it; sync now works from the page; pages fit a phone', async () => {
  // POST /api/v1/sync needs the daemon's API token; the page sends what is typed here.
  await page.getByLabel(/API token/).fill(DAEMON_API_TOKEN);
  await page.getByRole('button', { name: 'Sync now' }).click();
  await page.waitForFunction(() => /Sync requested/.test(document.getElementById('sync-result')?.textContent ?? ''));
  await page.goto(`${daemon.url}/stacks`);
  const row = page.locator('tr', { hasText: STACK });
  assert.match((await row.textContent()) ?? '', /Synced[\s\S]*Healthy[\s\S]*shop[\s\S]*1\.0\.0[\s\S]*shop 2\/2/);
  await screenshot(page, '07-stacks');
  assert.deepEqual(await accessibilityProblems(page), []);
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [path, name] of [
    ['/stacks', '08-stacks-phone'],
    [`/stacks/${STACK}`, '09-stack-phone'],
    ['/catalog/library/shop', '10-template-phone'],
  ] as const) {
    await page.goto(`${daemon.url}${path}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${path} is ${overflow}px wider than a phone`);
    await screenshot(page, name);
  }
});
