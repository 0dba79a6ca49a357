import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDesiredState } from '../../src/render/index.js';
import { PALETTE } from '../../src/web/assets.js';
import { catalogPage, requestedPage, templatePage } from '../../src/web/catalog-pages.js';
import { buildForm, parseFormBody } from '../../src/web/form.js';
import { escapeHtml, html } from '../../src/web/html.js';
import { renderMarkdown } from '../../src/web/markdown.js';
import { checkRequest } from '../../src/web/request.js';
import { endpointUrl, stackPage, stacksPage } from '../../src/web/stack-pages.js';
import { PASSWORD, repoFiles, status } from './fixtures.js';

const state = loadDesiredState(repoFiles());
const shop = state.catalogs[0]?.templates.find((t) => t.id === 'shop');
const shop2 = shop?.versions.find((v) => v.folder === '2');
if (!shop || !shop2) throw new Error('fixture template missing');

/** Every form control's id has a <label for=...>. */
function unlabelled(page: string): string[] {
  const ids = [...page.matchAll(/<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"/g)].map((m) => m[1] ?? '');
  return ids.filter((id) => !page.includes(`<label for="${id}"`));
}

test('html escapes every interpolated value; only Html passes as is', () => {
  const name = '<img src=x onerror=alert(1)>"\'&';
  assert.equal(
    html`<p title="${name}">${name}</p>`.text,
    `<p title="${escapeHtml(name)}">&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;</p>`,
  );
  assert.equal(html`<p>${html`<b>ok</b>`}${['a', '<']}</p>`.text, '<p><b>ok</b>a&lt;</p>');
});

test('READMEs: markdown with raw HTML shown as text, no javascript: links, no images from elsewhere', () => {
  const rendered = renderMarkdown(
    '# T\n\n<script>alert(1)</script> <b>x</b>\n\n[a](javascript:alert(1)) [b](https://example.com) [c](#here)\n\n![i](https://evil.example/i.png)',
  ).text;
  assert.ok(!rendered.includes('<script'), rendered);
  assert.ok(rendered.includes('&lt;script&gt;'));
  assert.ok(!rendered.includes('<b>'));
  assert.ok(!/href="javascript:/i.test(rendered));
  assert.match(rendered, /<a href="https:\/\/example\.com" rel="noopener noreferrer nofollow">b<\/a>/);
  assert.match(rendered, /<a href="#here">c<\/a>/);
  assert.ok(!rendered.includes('<img'));
});

test('catalog page: every template with icon, name, description, category and versions; search and category filter', () => {
  const page = catalogPage(state.catalogs, { q: '', category: '' }, (t) => Boolean(t.iconSvg)).text;
  assert.match(page, /<img class="icon" src="\/icons\/library\/shop" alt=""/);
  assert.match(page, /<h2><a href="\/catalog\/library\/shop">Shop<\/a><\/h2>/);
  assert.match(page, /A shop &lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(page, /Versions: 1\.0\.0, 2\.0\.0 \(default 2\.0\.0\)/);
  assert.match(page, /<option value="Commerce">Commerce<\/option><option value="Tools">Tools<\/option>/);
  assert.match(page, /<p id="count" role="status">2 templates<\/p>/);
  const filtered = catalogPage(state.catalogs, { q: 'plain', category: '' }, () => false).text;
  assert.match(filtered, /<p id="count" role="status">1 template<\/p>/);
  assert.match(filtered, /<li class="card"[^>]*data-categories="Commerce" hidden>/);
  const byCategory = catalogPage(state.catalogs, { q: '', category: 'Tools' }, () => false).text;
  assert.match(byCategory, /<option value="Tools" selected>/);
  assert.equal(unlabelled(page).length, 0);
});

test('template page: README of the version, and a labelled form built from its questions', () => {
  const page = templatePage({
    template: shop,
    version: shop2,
    hasIcon: true,
    groups: buildForm({ questions: shop2.questions, services: ['db/tool'] }),
    meta: {},
    metaErrors: new Map(),
    otherErrors: [],
    askAuthor: true,
    destination: 'a new branch of https://git.example.com/ops/gitops.git',
  }).text;
  assert.match(page, /<h2 id="about">About version 2\.0\.0<\/h2>/);
  assert.match(page, /<h1>Shop 2<\/h1>/);
  assert.ok(!page.includes('<script>alert'), 'README script is text');
  assert.deepEqual(unlabelled(page), []);
  assert.match(page, /<form method="post" action="\/catalog\/library\/shop\?version=2" novalidate>/);
  assert.match(page, /<input type="number" id="q1-replicas" name="answer\.replicas"[^>]* required value="1" step="1" min="1" max="5"/);
  assert.match(
    page,
    /<select id="q3-mode" name="answer\.mode"[^>]*><option value="fast">fast<\/option><option value="safe" selected>safe<\/option><\/select>/,
  );
  assert.match(
    page,
    /<input type="hidden" name="answer\.debug" value="false"><input type="checkbox" id="q4-debug" name="answer\.debug"[^>]* value="true">/,
  );
  assert.match(page, /<input type="password" id="q5-admin_password"[^>]* value="" autocomplete="new-password" minlength="8">/);
  assert.match(page, /<textarea id="q6-motd" name="answer\.motd"/);
  assert.match(
    page,
    /<select id="q7-database" name="answer\.database"[^>]*><option value="" selected>\(choose a service\)<\/option><option value="db\/tool">db\/tool<\/option>/,
  );
  assert.match(page, /<input type="date" id="q8-opens"/);
  assert.match(page, /<legend>Tuning<\/legend>/);
  assert.match(
    page,
    /<label for="q0-title">Shop title <span class="req" aria-hidden="true">\*<\/span><span class="sr"> \(required\)<\/span><\/label><p class="hint" id="q0-title-hint">Shown on every page · max_length 20<\/p>/,
  );
  assert.match(page, /<input type="text" id="meta-author_name"/);
  assert.match(page, /The request goes to a new branch of https:\/\/git\.example\.com\/ops\/gitops\.git\./);
});

test('after a bad answer: the error is next to its field, tied to it, listed in a summary; the password is not sent back', () => {
  const submitted = parseFormBody(`stack=s1&answer.replicas=9&answer.admin_password=${PASSWORD}`);
  const checked = checkRequest(
    { catalogs: state.catalogs, template: shop, version: shop2, existingStacks: new Set(), authorRequired: false, secretsSealed: true },
    submitted,
  );
  const page = templatePage({
    template: shop,
    version: shop2,
    hasIcon: false,
    groups: buildForm({ questions: shop2.questions, submitted, errors: checked.answerErrors, services: [] }),
    meta: { stack: 's1' },
    metaErrors: checked.metaErrors,
    otherErrors: checked.otherErrors,
    askAuthor: false,
  }).text;
  assert.ok(!page.includes(PASSWORD));
  const field = /<div class="field has-error">(.*?)<\/div>/s.exec(page)?.[1] ?? '';
  assert.match(field, /<p class="error" id="q1-replicas-error"><span class="sr">Error: <\/span>&quot;9&quot; is above the maximum 5/);
  assert.match(
    field,
    /<input type="number" id="q1-replicas" name="answer\.replicas" aria-describedby="q1-replicas-hint q1-replicas-error" aria-invalid="true"/,
  );
  assert.match(
    page,
    /<div class="error-summary" id="error-summary" role="alert" tabindex="-1"[^>]*>\s*<h2 id="error-summary-title">Nothing was written: one problem to fix<\/h2>\s*<ul><li><a href="#q1-replicas">Replicas: /,
  );
  assert.match(page, /Type it again: secrets are never sent back to the browser/);
  assert.match(page, /No writable remote is configured: you get the file to commit\./);
});

test('the page after a request: branch and merge request link, or the file to commit', () => {
  const file = { path: 'stacks/s1/stack.yml', text: 'template: shop\nanswers:\n  admin_password: REPLACE-WITH-THE-ADMIN_PASSWORD-VALUE\n' };
  const pushed = requestedPage({
    template: shop,
    version: shop2,
    stackName: 's1',
    file,
    secretsMasked: true,
    pushed: {
      branch: 'request/s1',
      commit: 'abcdef0123456789',
      remote: 'https://git.example.com/ops/gitops.git',
      mergeRequestUrl: 'https://git.example.com/ops/gitops/-/merge_requests/new?x=1',
    },
  }).text;
  assert.match(pushed, /<strong><code>request\/s1<\/code><\/strong>/);
  assert.match(pushed, /<a class="button" href="https:\/\/git\.example\.com\/ops\/gitops\/-\/merge_requests\/new\?x=1"/);
  assert.match(pushed, /<a href="\/stacks\/s1">its page<\/a>/);
  const local = requestedPage({ template: shop, version: shop2, stackName: 's1', file, secretsMasked: true }).text;
  assert.match(local, /No writable remote is configured, so corral wrote nothing/);
  assert.match(
    local,
    /<pre class="file"><code>template: shop\nanswers:\n {2}admin_password: REPLACE-WITH-THE-ADMIN_PASSWORD-VALUE\n<\/code><\/pre>/,
  );
  assert.match(local, /replace each placeholder with the value before committing/);
});

test('stacks page: a row per stack with sync, health, version, revision, counts and endpoints; http endpoints are links', () => {
  const statuses = Array.from({ length: 500 }, (_, i) =>
    status(`s${i}`, i === 7 ? { sync: 'Failed', health: 'Degraded', message: 'x <b>' } : {}),
  );
  const page = stacksPage(statuses).text;
  assert.equal(page.match(/<tr>\n<td data-label="Stack">/g)?.length, 500);
  assert.match(page, /<p id="summary" data-announce>500 stacks: 499 Synced, 1 Failed; 499 Healthy, 1 Degraded\.<\/p>/);
  assert.match(page, /<td data-label="Sync"><span class="badge bad" data-kind="sync">Failed<\/span><\/td>/);
  assert.match(page, /<td data-label="Message">x &lt;b&gt;<\/td>/);
  assert.match(page, /<td data-label="Revision"><code>01234567<\/code><\/td>/);
  assert.match(page, /<a href="http:\/\/10\.99\.0\.11:8080\/" rel="noopener noreferrer">10\.99\.0\.11:8080<\/a>/);
  assert.equal(
    endpointUrl({ service: 'db', host: 'h1', address: '10.0.0.1', port: 3306, containerPort: 3306, protocol: 'tcp' }),
    undefined,
  );
  assert.equal(
    endpointUrl({ service: 'w', host: 'h1', address: 'fd00::1', port: 8443, containerPort: 443, protocol: 'tcp' }),
    'https://[fd00::1]:8443/',
  );
});

test('stack page: services with desired/running(/healthy), containers per host, endpoints, events, history, sync now', () => {
  const detailed = status('shop1', {
    services: [
      {
        name: 'shop',
        desired: 2,
        running: 2,
        healthy: 1,
        containers: [
          { name: 'shop1-shop-1', host: 'h1', state: 'running', health: 'healthy' },
          { name: 'shop1-shop-2', host: 'h2', state: 'running', health: 'starting' },
        ],
      } as never,
    ],
    history: [
      { time: '2024-05-02T08:00:00.000Z', version: '1.0.0', commit: 'aaaa1111bbbb', result: 'Synced', cause: 'c1', digest: 'd1' },
      {
        time: '2024-05-02T09:00:00.000Z',
        version: '2.0.0',
        commit: 'cccc2222dddd',
        result: 'Failed',
        cause: 'PullImage x:2 on h1: not found',
        digest: 'd2',
      },
    ],
  } as never);
  const page = stackPage('shop1', detailed).text;
  assert.match(page, /<th scope="col" class="num">Healthy<\/th>/);
  assert.match(page, /<tr><th scope="row">shop<\/th><td class="num">2<\/td><td class="num">2<\/td><td class="num">1<\/td><\/tr>/);
  assert.match(page, /<h3>h1<\/h3><ul class="plain"><li><code>shop1-shop-1<\/code>/);
  assert.match(page, /<h3>h2<\/h3>/);
  // Newest first: the failed 2.0.0, then 1.0.0.
  assert.match(
    page,
    /<h2>Upgrades and rollbacks<\/h2>.*2\.0\.0 <code>cccc2222<\/code> <span class="badge [a-z]+" data-kind="sync">Failed<\/span> PullImage x:2 on h1: not found<\/li>.*1\.0\.0 <code>aaaa1111<\/code>/s,
  );
  assert.match(
    page,
    /<time datetime="2024-05-01T12:00:00.000Z">2024-05-01 12:00:00 UTC<\/time> — #1 h1 CreateContainer shop-shop-1: scale 0 → 2/,
  );
  assert.match(page, /<form id="sync" class="sync" method="post" action="\/api\/v1\/sync\?stack=shop1">/);
  assert.deepEqual(unlabelled(page), []);
  const plain = stackPage('shop1', status('shop1')).text;
  assert.match(plain, /<tr><th scope="row">shop<\/th><td class="num">2<\/td><td class="num">2<\/td><td class="num">2<\/td><\/tr>/);
  assert.ok(!plain.includes('Upgrades and rollbacks'));
  assert.match(plain, /<h3>h1<\/h3><ul class="plain"><li>shop: 10\.99\.0\.11:8080<\/li><\/ul>/);
  assert.match(stackPage('new1', undefined).text, /No status for <strong>new1<\/strong> yet/);
});

function luminance(hex: string): number {
  const channels = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

test('every text colour meets WCAG AA contrast (4.5:1) on its background', () => {
  const pairs: [string, string, string][] = [
    ['text', PALETTE.text, '#ffffff'],
    ['muted', PALETTE.muted, '#ffffff'],
    ['link', PALETTE.link, '#ffffff'],
    ['link on the notice', PALETTE.link, '#eef3fd'],
    ['good badge', PALETTE.goodText, PALETTE.goodBg],
    ['warn badge', PALETTE.warnText, PALETTE.warnBg],
    ['bad badge', PALETTE.badText, PALETTE.badBg],
    ['error text', PALETTE.badText, '#ffffff'],
    ['neutral badge', PALETTE.neutralText, PALETTE.neutralBg],
    ['button', '#ffffff', PALETTE.link],
    ['muted on header', PALETTE.muted, '#f8f9fb'],
  ];
  for (const [what, fg, bg] of pairs) assert.ok(contrast(fg, bg) >= 4.5, `${what}: ${contrast(fg, bg).toFixed(2)}:1`);
});
