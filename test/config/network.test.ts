import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/config.js';
import { formatDiagnostic } from '../../src/model/diagnostics.js';

const hosts = (network: string) =>
  `hosts:\n  - name: h1\n    docker: unix:///run/h1.sock\n${network}  - name: h2\n    docker: unix:///run/h2.sock\n`;

test('network: overlay or bridge per host; a host without it uses bridge (no key in the parsed host)', () => {
  const result = parseConfig(hosts('    network: overlay\n'), 'corral.yml');
  assert.deepEqual(result.diagnostics, []);
  assert.deepEqual(
    result.config?.hosts.map((h) => [h.name, h.network]),
    [
      ['h1', 'overlay'],
      ['h2', undefined],
    ],
  );
  assert.equal(parseConfig(hosts('    network: bridge\n'), 'corral.yml').config?.hosts[0]?.network, 'bridge');
});

test('any other network value is refused, naming the file, line, field and the accepted values', () => {
  for (const value of ['swarm', 'Overlay', '[overlay]', 'true']) {
    const result = parseConfig(hosts(`    network: ${value}\n`), 'corral.yml');
    assert.equal(result.config, undefined, value);
    const messages = result.diagnostics.map(formatDiagnostic);
    assert.equal(messages.length, 1, value);
    assert.match(
      messages[0] ?? '',
      /^corral\.yml:4: error: hosts\[0\]\.network: expected bridge \(a network per stack on this host\) or overlay \(a network per stack across the hosts' Docker swarm\), got /,
    );
  }
});
