import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCatalog } from '../../src/catalog/loader.js';
import { compareVersions, pickDefaultVersion, upgradeAllowed } from '../../src/catalog/versions.js';

const catalogOf = (files: Record<string, string>) =>
  loadCatalog(new Map(Object.entries(files)), { name: 'library', displayRoot: 'catalog' });

const composeV1 = 'web:\n  image: nginx\n';
const rancherWith = (version: string, extra = '') => `.catalog:\n  name: web\n  version: "${version}"\n${extra}`;

test('loads templates/ and infra-templates/ with config.yml or template.yml, icons and READMEs', () => {
  const catalog = catalogOf({
    'templates/web/config.yml': 'name: Web\ndescription: a web server\nversion: 1.0.0\ncategory: Web\nmaintainer: ops\n',
    'templates/web/catalogIcon-web.svg': '',
    'templates/web/README.md': '# Web',
    'templates/web/0/docker-compose.yml': composeV1,
    'templates/web/0/rancher-compose.yml': rancherWith('1.0.0'),
    'templates/web/0/README.md': 'v0 notes',
    'infra-templates/dns/template.yml': 'name: DNS\ncategories: [Infra, DNS]\n',
    'infra-templates/dns/1/docker-compose.yml.tpl': composeV1,
    'infra-templates/dns/1/rancher-compose.yml': rancherWith('0.1.0'),
  });
  assert.deepEqual(
    catalog.templates.map((t) => t.id),
    ['infra*dns', 'web'],
  );
  const [dns, web] = catalog.templates;
  assert.equal(web?.icon, 'catalog/templates/web/catalogIcon-web.svg');
  assert.equal(web?.readme, '# Web');
  assert.equal(web?.versions[0]?.readme, 'v0 notes');
  assert.deepEqual(web?.categories, ['Web']);
  assert.equal(dns?.base, 'infra');
  assert.deepEqual(dns?.categories, ['Infra', 'DNS']);
  assert.equal(dns?.versions[0]?.dockerCompose.path, 'catalog/infra-templates/dns/1/docker-compose.yml.tpl');
  assert.equal(catalog.diagnostics.filter((d) => d.severity === 'error').length, 0);
});

test('finds .catalog at the top level, as catalog:, and under services:', () => {
  const catalog = catalogOf({
    'templates/a/config.yml': 'name: a\n',
    'templates/a/0/docker-compose.yml': composeV1,
    'templates/a/0/rancher-compose.yml': rancherWith('1.0.0'),
    'templates/a/1/docker-compose.yml': composeV1,
    'templates/a/1/rancher-compose.yml': 'version: "2"\ncatalog:\n  version: "2.0.0"\n',
    'templates/a/2/docker-compose.yml': composeV1,
    'templates/a/2/rancher-compose.yml': 'version: "2"\nservices:\n  .catalog:\n    version: "3.0.0"\n  web:\n    scale: 2\n',
  });
  assert.deepEqual(
    catalog.templates[0]?.versions.map((v) => v.version),
    ['1.0.0', '2.0.0', '3.0.0'],
  );
});

test('reads the .catalog section alone when template syntax breaks the whole file', () => {
  const catalog = catalogOf({
    'templates/a/config.yml': 'name: a\n',
    'templates/a/0/docker-compose.yml': composeV1,
    'templates/a/0/rancher-compose.yml':
      '.catalog:\n  version: "1.0.0"\n  questions:\n    - variable: n\n      type: int\n{{- if eq .Values.n "1" }}\nweb:\n  scale: {{ .Values.n }}\n{{- end }}\n',
  });
  assert.equal(catalog.templates[0]?.versions[0]?.questions[0]?.variable, 'n');
});

test('scalars of metadata stay the strings written (version 1.0 is "1.0", default false is "false")', () => {
  const catalog = catalogOf({
    'templates/a/config.yml': 'name: a\nversion: 1.0\n',
    'templates/a/0/docker-compose.yml': composeV1,
    'templates/a/0/rancher-compose.yml':
      '.catalog:\n  version: 1.0\n  questions:\n    - variable: flag\n      type: boolean\n      default: false\n',
  });
  const template = catalog.templates[0];
  assert.equal(template?.configuredVersion, '1.0');
  assert.equal(template?.versions[0]?.version, '1.0');
  assert.equal(template?.versions[0]?.questions[0]?.default, 'false');
});

test('labels of config.yml and .catalog: values as written, a label without a value is ""', () => {
  const catalog = catalogOf({
    'templates/a/config.yml': 'name: a\nversion: 1.0\nlabels:\n  tier: 1\n  experimental:\n',
    'templates/a/0/docker-compose.yml': composeV1,
    'templates/a/0/rancher-compose.yml': '.catalog:\n  version: 1.0\n  labels:\n    io.rancher.certified: true\n    empty:\n',
  });
  const template = catalog.templates[0];
  assert.deepEqual(template?.labels, { tier: '1', experimental: '' });
  assert.deepEqual(template?.versions[0]?.labels, { 'io.rancher.certified': 'true', empty: '' });
});

test('a version folder without a version string is skipped with a warning naming the file', () => {
  const catalog = catalogOf({
    'templates/a/config.yml': 'name: a\n',
    'templates/a/0/docker-compose.yml': composeV1,
    'templates/a/0/rancher-compose.yml': '.catalog:\n  name: a\n',
    'templates/a/1/docker-compose.yml': composeV1,
    'templates/a/1/rancher-compose.yml': rancherWith('1.1.0'),
  });
  assert.deepEqual(
    catalog.templates[0]?.versions.map((v) => v.folder),
    ['1'],
  );
  const skipped = catalog.diagnostics.find((d) => d.file === 'catalog/templates/a/0/rancher-compose.yml');
  assert.equal(skipped?.severity, 'warning');
  assert.match(skipped?.message ?? '', /no \.catalog\.version/);
});

test('typos, unknown and duplicate keys are warnings; the template still loads', () => {
  const catalog = catalogOf({
    'templates/a/config.yml': 'name: a\ndescrition: typo\nname: b\n',
    'templates/a/0/docker-compose.yml': composeV1,
    'templates/a/0/rancher-compose.yml': '.catalog:\n  version: "1.0.0"\n  minimun_rancher_version: v1.0\n',
  });
  assert.equal(catalog.templates[0]?.name, 'b');
  const messages = catalog.diagnostics.map((d) => `${d.severity} ${d.file}:${d.line} ${d.message}`);
  assert.ok(
    messages.some((m) => /^warning catalog\/templates\/a\/config.yml:2 unknown key "descrition"/.test(m)),
    messages.join('\n'),
  );
  assert.ok(
    messages.some((m) => /^warning catalog\/templates\/a\/config.yml:3 duplicate key "name"/.test(m)),
    messages.join('\n'),
  );
  assert.ok(
    messages.some((m) => /^warning catalog\/templates\/a\/0\/rancher-compose.yml:3 unknown key "minimun_rancher_version"/.test(m)),
    messages.join('\n'),
  );
  assert.ok(catalog.diagnostics.every((d) => d.severity === 'warning'));
});

test('a YAML syntax error in config.yml is an error with its line', () => {
  const catalog = catalogOf({
    'templates/a/config.yml': 'name: a\ndescription: [unclosed\n',
    'templates/a/0/docker-compose.yml': composeV1,
    'templates/a/0/rancher-compose.yml': rancherWith('1.0.0'),
  });
  assert.equal(catalog.templates.length, 0);
  const syntax = catalog.diagnostics.find((d) => d.severity === 'error');
  assert.equal(syntax?.file, 'catalog/templates/a/config.yml');
  assert.ok((syntax?.line ?? 0) >= 2);
});

test('default version: the version string equal to config.yml version, else the highest semver', () => {
  const versions = [{ version: '1.0.0' }, { version: 'v2.1.0' }, { version: '2.0.0-rancher1' }, { version: '10.0.0' }];
  assert.equal(pickDefaultVersion(versions, '2.0.0-rancher1')?.version, '2.0.0-rancher1');
  assert.equal(pickDefaultVersion(versions, 'no-such')?.version, '10.0.0');
  assert.equal(pickDefaultVersion(versions, undefined)?.version, '10.0.0');
  assert.equal(pickDefaultVersion<{ version: string }>([], '1'), undefined);
  assert.ok(compareVersions('v2.1.0', '10.0.0') < 0);
  assert.ok(compareVersions('1.2.0-rancher1', '1.2.0') < 0);
});

test('the default folder follows the default-version rule across numeric folders', () => {
  const catalog = catalogOf({
    'templates/a/config.yml': 'name: a\nversion: 1.5.0\n',
    'templates/a/0/docker-compose.yml': composeV1,
    'templates/a/0/rancher-compose.yml': rancherWith('1.5.0'),
    'templates/a/1/docker-compose.yml': composeV1,
    'templates/a/1/rancher-compose.yml': rancherWith('2.0.0'),
    'templates/b/config.yml': 'name: b\n',
    'templates/b/9/docker-compose.yml': composeV1,
    'templates/b/9/rancher-compose.yml': rancherWith('0.9.0'),
    'templates/b/10/docker-compose.yml': composeV1,
    'templates/b/10/rancher-compose.yml': rancherWith('0.10.0'),
  });
  assert.equal(catalog.templates[0]?.defaultFolder, '0');
  assert.equal(catalog.templates[1]?.defaultFolder, '10');
});

test('upgrade_from: an upgrade is allowed only from a version inside the range', () => {
  const cases: [string | undefined, string, boolean][] = [
    [undefined, '0.1.0', true],
    ['1.0.0', '1.0.0', true],
    ['1.0.0', '1.0.1', false],
    ['>=1.0.0', '1.4.2', true],
    ['>=1.0.0', '0.9.9', false],
    ['>1.0.0 <2.0.0 || >3.0.0', '1.5.0', true],
    ['>1.0.0 <2.0.0 || >3.0.0', '2.5.0', false],
    ['>1.0.0 <2.0.0 || >3.0.0', '3.0.1', true],
    ['>=v1.0.0', 'v1.2.0', true],
    ['>=1.0.0', 'not-a-version', false],
  ];
  for (const [range, current, allowed] of cases) assert.equal(upgradeAllowed(range, current), allowed, `${range} from ${current}`);
});

test('an invalid upgrade_from range is a warning naming the field', () => {
  const catalog = catalogOf({
    'templates/a/config.yml': 'name: a\n',
    'templates/a/0/docker-compose.yml': composeV1,
    'templates/a/0/rancher-compose.yml': rancherWith('1.0.0', '  upgrade_from: "what?"\n'),
  });
  const found = catalog.diagnostics.find((d) => d.field === '.catalog.upgrade_from');
  assert.match(found?.message ?? '', /not a semver range/);
});
