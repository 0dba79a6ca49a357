import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredStack } from '../../src/model/desired.js';
import { formatDiagnostic } from '../../src/model/diagnostics.js';
import { MASK, redactStack } from '../../src/model/redact.js';
import { DEFAULT_POLICY } from '../../src/policy/index.js';
import { loadDesiredState } from '../../src/render/index.js';

const QUESTIONS = `
  questions:
    - variable: scale
      type: int
      min: 1
      default: 2
      required: true
    - variable: tag
      type: enum
      options: [a, b]
      default: a
      required: true
    - variable: db_password
      type: password
      required: false
    - variable: note
      type: string
      default: ""
`;

function repo(files: Record<string, string>) {
  return new Map(
    Object.entries({
      'catalog/templates/web/config.yml': 'name: web\nversion: 1.0.0\n',
      'catalog/templates/web/0/docker-compose.yml':
        'web:\n  image: nginx:${tag}\n  environment:\n    - DB_PASSWORD=${db_password}\n    - NOTE=${note}\n  labels:\n    io.rancher.sidekicks: logs\n    app: web\nlogs:\n  image: busybox\n  volumes_from: [web]\n',
      'catalog/templates/web/0/rancher-compose.yml': `.catalog:\n  version: 1.0.0\n${QUESTIONS}web:\n  scale: \${scale}\n  retain_ip: true\n`,
      'catalog/templates/web/1/docker-compose.yml.tpl':
        'version: "2"\nservices:\n{{- range $i, $e := until (atoi .Values.scale) }}\n  web{{ $i }}:\n    image: "nginx:{{ $.Values.tag }}"\n    command: {{ $.Values.note }}\n{{- end }}\n',
      'catalog/templates/web/1/rancher-compose.yml': `.catalog:\n  version: 2.0.0\n${QUESTIONS}`,
      ...files,
    }),
  );
}

function only(state: ReturnType<typeof loadDesiredState>, name: string): DesiredStack {
  const stack = state.stacks.find((s) => s.name === name);
  assert.ok(stack, JSON.stringify(state.failed, null, 2));
  return stack;
}

/** Template `id` with version folder `folder` made of these compose files (a `.catalog` section with `version` only by default). */
function templateFiles(id: string, dockerCompose: string, rancherCompose = '.catalog:\n  version: 1.0.0\n', folder = '0') {
  return {
    [`catalog/templates/${id}/config.yml`]: `name: ${id}\n`,
    [`catalog/templates/${id}/${folder}/docker-compose.yml`]: dockerCompose,
    [`catalog/templates/${id}/${folder}/rancher-compose.yml`]: rancherCompose,
  };
}

test('renders a v1 compose stack: defaults, interpolation, rancher keys merged, sidekicks linked', () => {
  const state = loadDesiredState(
    repo({ 'stacks/s1/stack.yml': 'template: web\nversion: 1.0.0\nanswers:\n  tag: b\n  db_password: hunter2\n' }),
    { plaintextSecrets: 'allow' },
  );
  const stack = only(state, 's1');
  assert.deepEqual(stack.template, { catalog: 'library', template: 'web', folder: '0', version: '1.0.0' });
  const web = stack.services['web'];
  assert.equal(web?.compose.image, 'nginx:b');
  assert.deepEqual(web?.compose.environment, { DB_PASSWORD: 'hunter2', NOTE: '' });
  assert.equal(web?.scale, 2);
  assert.deepEqual(web?.rancher, { scale: '2', retain_ip: true });
  assert.deepEqual(web?.sidekicks, ['logs']);
  assert.equal(stack.services['logs']?.primary, 'web');
  assert.equal(stack.services['logs']?.scale, 2);
  assert.deepEqual(stack.secretVariables, ['db_password']);
  assert.ok(stack.ignoredKeys.some((d) => /web\.retain_ip is kept but not acted on/.test(d.message)));
  assert.deepEqual(JSON.parse(JSON.stringify(stack)), stack, 'the model is plain JSON');
});

test('a stack without version follows the default version; Go templates render with .Values and $', () => {
  const state = loadDesiredState(repo({ 'stacks/s2/stack.yml': 'template: web\nversion: "1"\nanswers:\n  scale: 3\n  note: hi\n' }));
  const stack = only(state, 's2');
  assert.deepEqual(Object.keys(stack.services), ['web0', 'web1', 'web2']);
  assert.equal(stack.services['web2']?.compose.image, 'nginx:a');
  assert.equal(stack.services['web0']?.compose['command'], 'hi');
  const byDefault = only(loadDesiredState(repo({ 'stacks/d/stack.yml': 'template: web\n' })), 'd');
  assert.equal(byDefault.template.version, '1.0.0');
});

test('an answer with newlines and YAML printed by a template stays one string', () => {
  const hostile = 'x\n    privileged: true';
  const state = loadDesiredState(
    repo({ 'stacks/s3/stack.yml': `template: web\nversion: "1"\nanswers:\n  scale: 1\n  note: ${JSON.stringify(hostile)}\n` }),
  );
  const web = only(state, 's3').services['web0'];
  assert.equal(web?.compose['command'], hostile);
  assert.equal(web?.compose['privileged'], undefined);
});

test('an answer with newlines and YAML interpolated by ${VAR} stays one string', () => {
  const hostile = 'x\n  privileged: true';
  const state = loadDesiredState(repo({ 'stacks/s4/stack.yml': `template: web\nanswers:\n  note: ${JSON.stringify(hostile)}\n` }));
  const web = only(state, 's4').services['web'];
  assert.equal(web?.compose.environment['NOTE'], hostile);
  assert.deepEqual(Object.keys(web?.compose ?? {}).sort(), ['environment', 'image', 'labels']);
});

test('render output masks password answers wherever they appear', () => {
  const files = repo({ 'stacks/s5/stack.yml': 'template: web\nanswers:\n  db_password: hunter2\n' });
  const stack = only(loadDesiredState(files, { plaintextSecrets: 'allow' }), 's5');
  const shown = JSON.stringify(redactStack(stack));
  assert.ok(!shown.includes('hunter2'));
  assert.equal(redactStack(stack).variables['db_password'], MASK);
  assert.equal(redactStack(stack).services['web']?.compose.environment['DB_PASSWORD'], MASK);
});

test('bad stacks fail alone with a message naming file, field and what is accepted', () => {
  const state = loadDesiredState(
    repo({
      'stacks/good/stack.yml': 'template: web\n',
      'stacks/unknown/stack.yml': 'template: nosuch\n',
      'stacks/othercat/stack.yml': 'template: elsewhere:web\n',
      'stacks/badversion/stack.yml': 'template: web\nversion: 9.9.9\n',
      'stacks/badanswer/stack.yml': 'template: web\nanswers:\n  scale: 0\n  tag: c\n',
    }),
  );
  assert.deepEqual(
    state.stacks.map((s) => s.name),
    ['good'],
  );
  const byName = Object.fromEntries(state.failed.map((f) => [f.stack, f.diagnostics.filter((d) => d.severity === 'error')]));
  assert.match(byName['unknown']?.[0]?.message ?? '', /unknown template "nosuch" in catalog "library"; available: web/);
  assert.equal(byName['unknown']?.[0]?.file, 'stacks/unknown/stack.yml');
  assert.match(byName['othercat']?.[0]?.message ?? '', /unknown catalog "elsewhere"; configured catalogs: library/);
  assert.match(byName['badversion']?.[0]?.message ?? '', /has no version "9.9.9"; available: 1.0.0 \(folder 0\), 2.0.0 \(folder 1\)/);
  const answerErrors = byName['badanswer'] ?? [];
  assert.deepEqual(
    answerErrors.map((d) => [d.file, d.line, d.field]),
    [
      ['stacks/badanswer/stack.yml', 3, 'answers.scale'],
      ['stacks/badanswer/stack.yml', 4, 'answers.tag'],
    ],
  );
});

test('a catalog, template or version named like an Object member (constructor, toString) gets the ordinary unknown-name message', () => {
  const state = loadDesiredState(
    repo({
      'stacks/cat/stack.yml': 'template: constructor:web\n',
      'stacks/tpl/stack.yml': 'template: toString\n',
      'stacks/ver/stack.yml': 'template: web\nversion: constructor\n',
    }),
    { unavailableCatalogs: { broken: 'no such directory' } },
  );
  assert.deepEqual(
    state.failed.map((f) => [f.stack, f.diagnostics.map((d) => `${d.file} ${d.field}: ${d.message}`)]),
    [
      ['cat', ['stacks/cat/stack.yml template: unknown catalog "constructor"; configured catalogs: library']],
      ['tpl', ['stacks/tpl/stack.yml template: unknown template "toString" in catalog "library"; available: web']],
      ['ver', ['stacks/ver/stack.yml version: template "web" has no version "constructor"; available: 1.0.0 (folder 0), 2.0.0 (folder 1)']],
    ],
  );
});

test('an unanswered question named like an Object member (constructor) is reported in stack.yml, like any other', () => {
  const questions =
    '  questions:\n    - variable: constructor\n      type: int\n      required: true\n    - variable: port\n      type: int\n      required: true\n';
  const state = loadDesiredState(
    repo({
      ...templateFiles('q', 'web:\n  image: nginx\n', `.catalog:\n  version: 1.0.0\n${questions}`),
      'stacks/q/stack.yml': 'template: q\n',
    }),
  );
  assert.deepEqual(
    state.failed[0]?.diagnostics.map((d) => [d.file, d.field, d.message]),
    [
      [
        'stacks/q/stack.yml',
        'answers.constructor',
        'answers.constructor: required, but no answer was given and the question has no default (int, required)',
      ],
      [
        'stacks/q/stack.yml',
        'answers.port',
        'answers.port: required, but no answer was given and the question has no default (int, required)',
      ],
    ],
  );
});

test('an answers.txt line constructor=… or __proto__=… answers the question of that name, or gets the unknown-question message where there is none', () => {
  const state = loadDesiredState(
    repo({
      ...templateFiles(
        'c',
        'web:\n  image: nginx\n  environment:\n    SIZE: ${constructor}\n',
        '.catalog:\n  version: 1.0.0\n  questions:\n    - variable: constructor\n      type: int\n',
      ),
      'stacks/asked/stack.yml': 'template: c\n',
      'stacks/asked/answers.txt': 'constructor=3\n',
      'stacks/unasked/stack.yml': 'template: web\n',
      'stacks/unasked/answers.txt': 'tag=b\nconstructor=3\n__proto__=4\n',
    }),
  );
  assert.deepEqual(only(state, 'asked').services['web']?.compose.environment, { SIZE: '3' });
  assert.deepEqual(
    state.failed.map((f) => [f.stack, f.diagnostics.map((d) => [d.file, d.line, d.field, d.message])]),
    [
      [
        'unasked',
        [
          [
            'stacks/unasked/answers.txt',
            2,
            'answers.constructor',
            'answers.constructor: no question of this template version declares "constructor"; declared: scale, tag, db_password, note',
          ],
          [
            'stacks/unasked/answers.txt',
            3,
            'answers.__proto__',
            'answers.__proto__: no question of this template version declares "__proto__"; declared: scale, tag, db_password, note',
          ],
        ],
      ],
    ],
  );
});

test('a rancher-compose.yml entry __proto__ is warned about like any other service that is not in docker-compose.yml', () => {
  const state = loadDesiredState(
    repo({
      ...templateFiles('r', 'web:\n  image: nginx\n', '.catalog:\n  version: 1.0.0\n__proto__:\n  scale: 2\nghost:\n  scale: 2\n'),
      'stacks/r/stack.yml': 'template: r\n',
    }),
  );
  const stack = only(state, 'r');
  assert.deepEqual(Object.keys(stack.services), ['web']);
  assert.equal(stack.services['web']?.scale, 1);
  const file = 'catalog/templates/r/0/rancher-compose.yml';
  assert.deepEqual(
    stack.warnings.map((d) => [d.file, d.field, d.message]),
    [
      [
        file,
        '__proto__',
        'service "__proto__" has rancher-compose settings but is not in catalog/templates/r/0/docker-compose.yml: ignored',
      ],
      [file, 'ghost', 'service "ghost" has rancher-compose settings but is not in catalog/templates/r/0/docker-compose.yml: ignored'],
    ],
  );
});

test('a link to a service the stack does not have fails the stack, naming the compose file, the service, links and the services there are', () => {
  const state = loadDesiredState(
    repo({
      ...templateFiles(
        'l',
        'web:\n  image: nginx\n  links:\n    - db:database\n    - ghost\n    - ghost:spook\n    - toString\n    - other/db:remote\ndb:\n  image: postgres\n',
      ),
      ...templateFiles(
        'l',
        'web:\n  image: nginx\n  links: [db:database, other/db]\ndb:\n  image: postgres\n',
        '.catalog:\n  version: 2.0.0\n',
        '1',
      ),
      'stacks/ghost/stack.yml': 'template: l\nversion: 1.0.0\n',
      'stacks/fine/stack.yml': 'template: l\nversion: 2.0.0\n',
    }),
  );
  assert.deepEqual(
    state.stacks.map((s) => s.name),
    ['fine'],
  );
  const file = 'catalog/templates/l/0/docker-compose.yml';
  const services = 'services: web, db (a service of another stack is linked as <stack>/<service>)';
  assert.deepEqual(
    state.failed.map((f) => [f.stack, f.diagnostics.map((d) => [d.file, d.field, d.message])]),
    [
      [
        'ghost',
        [
          [file, 'web.links', `service "web" links to "ghost", which is not a service of this stack; ${services}`],
          [file, 'web.links', `service "web" links to "toString", which is not a service of this stack; ${services}`],
        ],
      ],
    ],
  );
});

test('a YAML error in a rendered compose file names the file and fails only that stack', () => {
  const state = loadDesiredState(
    repo({
      'catalog/templates/broken/config.yml': 'name: broken\n',
      'catalog/templates/broken/0/docker-compose.yml': 'web:\n  image: [nginx\n',
      'catalog/templates/broken/0/rancher-compose.yml': '.catalog:\n  version: 1.0.0\n',
      'stacks/b/stack.yml': 'template: broken\n',
      'stacks/ok/stack.yml': 'template: web\n',
    }),
  );
  assert.deepEqual(
    state.stacks.map((s) => s.name),
    ['ok'],
  );
  const [failure] = state.failed[0]?.diagnostics ?? [];
  assert.equal(failure?.file, 'catalog/templates/broken/0/docker-compose.yml');
  assert.match(failure?.message ?? '', /YAML syntax error/);
  assert.ok(failure?.line);
});

test('a template error names the file and line', () => {
  const state = loadDesiredState(
    repo({
      'catalog/templates/tpl/config.yml': 'name: tpl\n',
      'catalog/templates/tpl/0/docker-compose.yml.tpl': 'web:\n  image: nginx\n{{ if .Values.x }}\n',
      'catalog/templates/tpl/0/rancher-compose.yml': '.catalog:\n  version: 1.0.0\n',
      'stacks/t/stack.yml': 'template: tpl\n',
    }),
  );
  const [failure] = state.failed[0]?.diagnostics ?? [];
  assert.equal(failure?.file, 'catalog/templates/tpl/0/docker-compose.yml.tpl');
  assert.match(failure?.message ?? '', /^template error: /);
  assert.equal(typeof failure?.line, 'number');
});

test('#notemplating files are not templated', () => {
  const state = loadDesiredState(
    repo({
      'catalog/templates/raw/config.yml': 'name: raw\n',
      'catalog/templates/raw/0/docker-compose.yml': '#notemplating\nweb:\n  image: nginx\n  command: echo "{{ not a template }}"\n',
      'catalog/templates/raw/0/rancher-compose.yml': '# notemplating\n.catalog:\n  version: 1.0.0\n  description: "%{{service_name}}"\n',
      'stacks/r/stack.yml': 'template: raw\n',
    }),
  );
  assert.equal(only(state, 'r').services['web']?.compose['command'], 'echo "{{ not a template }}"');
});

test('a sidekick that is not a service, and a bad scale, fail the stack naming the field', () => {
  const state = loadDesiredState(
    repo({
      'catalog/templates/sk/config.yml': 'name: sk\n',
      'catalog/templates/sk/0/docker-compose.yml': 'web:\n  image: nginx\n  labels:\n    io.rancher.sidekicks: ghost\n',
      'catalog/templates/sk/0/rancher-compose.yml': '.catalog:\n  version: 1.0.0\nweb:\n  scale: many\n',
      'stacks/k/stack.yml': 'template: sk\n',
    }),
  );
  const messages = state.failed[0]?.diagnostics.map((d) => `${d.file} ${d.field}: ${d.message}`) ?? [];
  assert.ok(
    messages.some((m) => m.includes('web.scale: web.scale must be a whole number')),
    messages.join('\n'),
  );
  assert.ok(
    messages.some((m) => m.includes('lists sidekick "ghost"')),
    messages.join('\n'),
  );
});

test('a service named __proto__ and a sidekick named like an Object member fail the stack with a message, not a TypeError', () => {
  const state = loadDesiredState(
    repo({
      'catalog/templates/proto/config.yml': 'name: proto\n',
      'catalog/templates/proto/0/docker-compose.yml':
        'web:\n  image: nginx\n  labels:\n    io.rancher.sidekicks: toString\n__proto__:\n  image: nginx\nconstructor:\n  image: nginx\n',
      'catalog/templates/proto/0/rancher-compose.yml': '.catalog:\n  version: 1.0.0\n',
      'stacks/p/stack.yml': 'template: proto\n',
    }),
  );
  const messages = state.failed[0]?.diagnostics.map((d) => `${d.file} ${d.field}: ${d.message}`) ?? [];
  assert.ok(!messages.some((m) => m.includes('TypeError')), messages.join('\n'));
  assert.ok(
    messages.some((m) => m.includes('docker-compose.yml __proto__: service "__proto__": not a usable service name')),
    messages.join('\n'),
  );
  assert.ok(
    messages.some((m) => m.includes('lists sidekick "toString"') && m.includes('services: web, constructor')),
    messages.join('\n'),
  );
});

test('compose v2 named volumes and labels/environment lists are normalised', () => {
  const state = loadDesiredState(
    repo({
      'catalog/templates/v2/config.yml': 'name: v2\n',
      'catalog/templates/v2/0/docker-compose.yml':
        'version: "2"\nservices:\n  db:\n    image: redis\n    labels: ["a=1", "b"]\n    environment: ["X=1", "Y"]\n    volumes: ["data:/data", "/host:/host", "cache:/cache"]\nvolumes:\n  data:\n    driver: local\n',
      'catalog/templates/v2/0/rancher-compose.yml': 'version: "2"\ncatalog:\n  version: 1.0.0\nservices:\n  db:\n    scale: 1\n',
      'stacks/v/stack.yml': 'template: v2\n',
    }),
    { policy: { ...DEFAULT_POLICY, bindMounts: ['/host'] } },
  );
  const stack = only(state, 'v');
  assert.deepEqual(stack.services['db']?.compose.labels, { a: '1', b: '' });
  assert.deepEqual(stack.services['db']?.compose.environment, { X: '1', Y: null });
  assert.deepEqual(stack.volumes, { data: { driver: 'local' }, cache: {} });
});

test("what corral will not apply of a service's compose values is a warning on the stack request, each once; a key named like an Object member is one of them", () => {
  const compose = [
    'services:',
    '  web:',
    '    image: nginx',
    '    ports: ["${port}"]',
    '    frobnicate: 1',
    '    constructor: x',
    '    __proto__: {a: 1}',
    '    labels: {io.rancher.sidekicks: log}',
    '  log:',
    '    image: busybox',
    '    toString: y',
    '',
  ].join('\n');
  const state = loadDesiredState(
    new Map([
      ['catalog/templates/odd/config.yml', 'name: odd\nversion: 1.0.0\n'],
      ['catalog/templates/odd/0/docker-compose.yml', `version: "2"\n${compose}`],
      [
        'catalog/templates/odd/0/rancher-compose.yml',
        '.catalog:\n  version: 1.0.0\n  questions:\n    - variable: port\n      type: string\n',
      ],
      ['stacks/s/stack.yml', 'template: odd\nanswers:\n  port: "99999"\n'],
    ]),
  );
  const stack = only(state, 's');
  assert.equal(stack.services['web']?.compose['frobnicate'], 1);
  const composeFile = 'catalog/templates/odd/0/docker-compose.yml';
  const warnings = (state.stackDiagnostics['s'] ?? []).filter((d) => d.file === 'stacks/s/stack.yml').map(formatDiagnostic);
  assert.deepEqual(warnings, [
    `stacks/s/stack.yml:1: warning: service "web": ports: "99999" is not a port mapping; expected [[ip:]host_port:]container_port[/protocol], ports or equal-length ranges; not applied (${composeFile})`,
    `stacks/s/stack.yml:1: warning: service "web": frobnicate: not supported by corral; ignored (${composeFile})`,
    `stacks/s/stack.yml:1: warning: service "web": constructor: not supported by corral; ignored (${composeFile})`,
    `stacks/s/stack.yml:1: warning: service "web": __proto__: not supported by corral; ignored (${composeFile})`,
    `stacks/s/stack.yml:1: warning: service "log": toString: not supported by corral; ignored (${composeFile})`,
  ]);
});
