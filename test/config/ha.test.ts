import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/config.js';

const HOSTS = 'hosts:\n  - name: h1\n    docker: unix:///var/run/docker.sock\n';

function parse(ha: string) {
  return parseConfig(`${HOSTS}ha:\n${ha}`, 'corral.yml');
}

function messages(ha: string): string[] {
  return parse(ha).diagnostics.map((d) => `${d.line ?? '-'} ${d.message}`);
}

test('ha: endpoints with the defaults: a 10 s lease, key corral/leader, 1 s safety margin', () => {
  assert.deepEqual(parse('  endpoints: [http://10.0.0.21:2379, "http://etcd-2:2379/"]\n').config?.ha, {
    endpoints: ['http://10.0.0.21:2379', 'http://etcd-2:2379'],
    leaseTtlSeconds: 10,
    electionKey: 'corral/leader',
    safetyMarginMs: 1000,
  });
  assert.equal(parseConfig(HOSTS, 'corral.yml').config?.ha, undefined);
});

test('ha: every setting, with TLS files for https endpoints', () => {
  const text =
    '  endpoints: https://etcd.example.com:2379\n  lease_ttl: 4\n  election_key: teams/a/corral\n  safety_margin: 0.5\n  tls: {ca: ca.pem, cert: c.pem, key: k.pem}\n';
  assert.deepEqual(parse(text).config?.ha, {
    endpoints: ['https://etcd.example.com:2379'],
    leaseTtlSeconds: 4,
    electionKey: 'teams/a/corral',
    safetyMarginMs: 500,
    tls: { ca: 'ca.pem', cert: 'c.pem', key: 'k.pem' },
  });
  assert.equal(
    parse('  endpoints: [http://e:2379]\n  lease_ttl: 2\n').config?.ha?.safetyMarginMs,
    500,
    'the default margin is at most a quarter of the TTL',
  );
});

test('ha: every mistake names the key and what is accepted', () => {
  assert.deepEqual(messages('  lease_ttl: 10\n'), [
    '4 ha.endpoints: expected a list of etcd client URLs, e.g. [http://10.0.0.21:2379, http://10.0.0.22:2379]',
  ]);
  assert.deepEqual(messages('  endpoints: [etcd:2379, "http://u:p@e:2379", http://e:2379/v3]\n'), [
    '5 ha.endpoints[0]: "etcd:2379" is not an http(s) URL; expected a list of etcd client URLs, e.g. [http://10.0.0.21:2379, http://10.0.0.22:2379]',
    '5 ha.endpoints[1]: credentials do not belong in the URL: corral authenticates to etcd with TLS client certificates (tls:)',
    '5 ha.endpoints[2]: "http://e:2379/v3" has a path; expected only scheme, host and port',
  ]);
  assert.deepEqual(
    messages('  endpoints: [http://e:2379, http://e:2379, https://f:2379]\n  lease_ttl: 1\n  safety_margin: 9\n  colour: red\n'),
    [
      '8 ha.colour: unknown key; accepted: endpoints, lease_ttl, election_key, safety_margin, tls',
      '5 ha.endpoints: lists one endpoint twice',
      '5 ha.endpoints: mixes http:// and https://; use one scheme for all',
      '6 ha.lease_ttl: expected a whole number of seconds from 2 to 300, got 1',
      '7 ha.safety_margin: expected seconds from 0 to less than half of lease_ttl (5), got 9',
    ],
  );
  assert.deepEqual(messages('  endpoints: [http://e:2379]\n  election_key: "bad key"\n  tls: {cert: c.pem}\n'), [
    "6 ha.election_key: expected an etcd key of letters, digits, '.', '_', '-' and '/', e.g. corral/leader",
    '7 ha.tls: cert and key go together: give both or neither',
    '7 ha.tls: TLS files are for https:// endpoints; write every endpoint as https://HOST:2379',
  ]);
  assert.deepEqual(messages('  - http://e:2379\n'), [
    '4 ha: expected a mapping with endpoints (and optionally lease_ttl, election_key, safety_margin, tls)',
  ]);
});
