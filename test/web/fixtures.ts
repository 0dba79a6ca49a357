/** An inline repository for the app store's tests: one template asking every kind of question, and one stack. */
import { loadDesiredState } from '../../src/render/index.js';
import type { StackStatus } from '../../src/status/stack-status.js';
import type { WebBackend } from '../../src/web/app.js';
import { serviceStatus } from '../fixtures/status.js';

export const PASSWORD = 'pa55-Word-never-shown';
/** A key pair made for these tests only (corral secret keygen). */
export const TEST_IDENTITY = 'AGE-SECRET-KEY-1DUKJX46PCZ4VFT93LUJYGKEQJ7P2PDKJUK5VGH8QTPMN59S4DA5Q7FWH5H';
export const TEST_RECIPIENT = 'age1ty96u5uwuh7kn9dts2e0fe2pvsyrn8m5e37s2nmqqhcwtdjpmsssc4vmxk';

export const SHOP_RANCHER = `.catalog:
  name: Shop
  version: 2.0.0
  upgrade_from: ">=1.0.0"
  questions:
    - variable: title
      label: Shop title
      description: Shown on every page
      type: string
      required: true
      default: My shop
      max_length: 20
    - variable: replicas
      label: Replicas
      type: int
      min: 1
      max: 5
      default: 1
      required: true
    - variable: ratio
      label: Cache ratio
      type: float
      min: 0
      max: 1
      group: Tuning
    - variable: mode
      label: Mode
      type: enum
      options: [fast, safe]
      default: safe
      required: true
    - variable: debug
      label: Debug logging
      type: boolean
      default: "false"
    - variable: admin_password
      label: Admin password
      type: password
      required: true
      min_length: 8
    - variable: motd
      label: Message of the day
      type: multiline
      group: Tuning
    - variable: database
      label: Database
      type: service
    - variable: opens
      label: Opening day
      type: date
    - variable: port
      label: Public port
      type: int
      min: 1
      max: 65535
      default: "8080"
      required: true
shop:
  scale: \${replicas}
`;

export const SHOP_COMPOSE = `shop:
  image: busybox
  command: ["httpd", "-f", "-p", "80"]
  ports:
    - "\${port}:80"
  environment:
    TITLE: \${title}
    PASSWORD: \${admin_password}
`;

export function repoFiles(): Map<string, string> {
  return new Map([
    [
      'catalog/templates/shop/config.yml',
      'name: Shop\ndescription: A shop <script>alert(1)</script>\ncategory: Commerce\nversion: 2.0.0\n',
    ],
    [
      'catalog/templates/shop/catalogIcon-shop.svg',
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>',
    ],
    ['catalog/templates/shop/README.md', '# Shop\n'],
    ['catalog/templates/shop/2/docker-compose.yml', SHOP_COMPOSE],
    ['catalog/templates/shop/2/rancher-compose.yml', SHOP_RANCHER],
    [
      'catalog/templates/shop/2/README.md',
      '# Shop 2\n\nA **shop**. <script>alert("readme")</script>\n\n[bad](javascript:alert(1)) [good](https://example.com/docs)\n\n![logo](logo.png)\n',
    ],
    ['catalog/templates/shop/1/docker-compose.yml', SHOP_COMPOSE],
    [
      'catalog/templates/shop/1/rancher-compose.yml',
      '.catalog:\n  version: 1.0.0\n  questions:\n    - variable: port\n      type: int\n      default: "8080"\n    - variable: title\n      default: x\n    - variable: admin_password\n      type: password\n      default: changeme1\n    - variable: replicas\n      default: "1"\nshop:\n  scale: ${replicas}\n',
    ],
    ['catalog/templates/plain/config.yml', 'name: Plain\ncategory: Tools\n'],
    ['catalog/templates/plain/0/docker-compose.yml', 'tool:\n  image: busybox\n'],
    ['catalog/templates/plain/0/rancher-compose.yml', '.catalog:\n  version: 0.1.0\n'],
    ['stacks/db/stack.yml', 'template: plain\n'],
    ['.corral/recipients.txt', `# the daemon\n${TEST_RECIPIENT}\n`],
  ]);
}

export function status(name: string, overrides: Partial<StackStatus> = {}): StackStatus {
  return {
    name,
    sync: 'Synced',
    health: 'Healthy',
    revision: '0123456789abcdef0123456789abcdef01234567',
    template: 'shop',
    version: '2.0.0',
    message: 'converged',
    services: [serviceStatus('shop', 2)],
    endpoints: [{ service: 'shop', host: 'h1', address: '10.99.0.11', port: 8080, containerPort: 80, protocol: 'tcp' }],
    events: [{ time: '2024-05-01T12:00:00.000Z', message: '#1 h1 CreateContainer shop-shop-1: scale 0 → 2' }],
    ...overrides,
  };
}

/** A backend over the inline repository, with statuses the test can change; `recipients: false` drops .corral/. */
export function backend(
  statuses: StackStatus[] = [status('db', { template: 'plain' })],
  options: { recipients?: boolean } = {},
): WebBackend & { statuses: StackStatus[] } {
  const files = repoFiles();
  if (options.recipients === false) files.delete('.corral/recipients.txt');
  const state = loadDesiredState(files, { revision: 'abc' });
  return {
    statuses,
    desiredState: () => state,
    stacks: () => statuses,
    stack: (name) => statuses.find((s) => s.name === name),
    repositoryText: (path) => files.get(path),
  };
}
