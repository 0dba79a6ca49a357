import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DockerEndpoint } from '../../src/config/config.js';
import { describeTransportError } from '../../src/observe/transport-errors.js';

const TLS: DockerEndpoint = {
  kind: 'tcp',
  url: 'tcp://10.99.0.11:2376',
  host: '10.99.0.11',
  port: 2376,
  tls: { ca: '/tls/ca.pem', cert: '/tls/cert.pem', key: '/tls/key.pem' },
};

function codeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

test("the server's certificate: wrong CA, expired, another host's", () => {
  assert.equal(
    describeTransportError(TLS, codeError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain')),
    "tcp://10.99.0.11:2376: TLS: the server's certificate is not signed by the CA in /tls/ca.pem",
  );
  assert.equal(
    describeTransportError(TLS, codeError('CERT_HAS_EXPIRED', 'certificate has expired')),
    "tcp://10.99.0.11:2376: TLS: the server's certificate has expired",
  );
  assert.equal(
    describeTransportError(TLS, codeError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames")),
    "tcp://10.99.0.11:2376: TLS: the server's certificate is not made out to this host name or address",
  );
});

test('the client certificate refused by the server, by its TLS alert', () => {
  const alert = (text: string) =>
    codeError(
      'ERR_SSL_TLSV1_ALERT',
      `C0B7:error:0A000415:SSL routines:ssl3_read_bytes:${text}:../ssl/record/rec_layer_s3.c:1586:SSL alert number 45`,
    );
  assert.equal(
    describeTransportError(TLS, alert('sslv3 alert certificate expired')),
    'tcp://10.99.0.11:2376: TLS: the server refused the client certificate /tls/cert.pem: it has expired',
  );
  assert.equal(
    describeTransportError(TLS, alert('sslv3 alert bad certificate')),
    'tcp://10.99.0.11:2376: TLS: the server refused the client certificate /tls/cert.pem: it is not signed by a CA the server trusts',
  );
});

test('other errors keep their code and message, prefixed with the endpoint once', () => {
  assert.equal(
    describeTransportError(TLS, codeError('ECONNREFUSED', 'connect ECONNREFUSED 10.99.0.11:2376')),
    'tcp://10.99.0.11:2376: connect ECONNREFUSED 10.99.0.11:2376',
  );
  const unix: DockerEndpoint = { kind: 'unix', url: 'unix:///x.sock', socketPath: '/x.sock' };
  assert.equal(describeTransportError(unix, codeError('ENOENT', 'connect ENOENT /x.sock')), 'connect ENOENT /x.sock');
  const ssh = Object.assign(new Error('ssh root@h1:22: the server refused the key /k'), { name: 'SshTransportError' });
  assert.equal(describeTransportError({ kind: 'ssh', url: 'ssh://root@h1', host: 'h1', port: 22 }, ssh), ssh.message);
});
