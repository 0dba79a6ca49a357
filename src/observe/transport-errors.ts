/**
 * Connection failures to a Docker host, in words an operator can act on: which endpoint, and
 * for TLS which certificate is wrong (never its content); and any other error on one line.
 * Pure: an error in, a sentence out.
 */
import type { DockerEndpoint } from '../config/config.js';

/** Node's certificate checks of the server, by error code. */
const SERVER_CERTIFICATE: Record<string, (ca: string) => string> = {
  SELF_SIGNED_CERT_IN_CHAIN: (ca) => `the server's certificate is not signed by the CA in ${ca}`,
  DEPTH_ZERO_SELF_SIGNED_CERT: (ca) => `the server's certificate is self-signed, not signed by the CA in ${ca}`,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: (ca) => `the server's certificate is not signed by the CA in ${ca}`,
  UNABLE_TO_GET_ISSUER_CERT: (ca) => `the server's certificate is not signed by the CA in ${ca}`,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: (ca) => `the server's certificate is not signed by the CA in ${ca}`,
  CERT_SIGNATURE_FAILURE: (ca) => `the server's certificate is not signed by the CA in ${ca}`,
  CERT_HAS_EXPIRED: () => "the server's certificate has expired",
  CERT_NOT_YET_VALID: () => "the server's certificate is not valid yet (is the clock right?)",
  ERR_TLS_CERT_ALTNAME_INVALID: () => "the server's certificate is not made out to this host name or address",
};

/** What the server's TLS alert says about our client certificate, by words in OpenSSL's message. */
const CLIENT_CERTIFICATE: Array<[RegExp, string]> = [
  [/alert certificate expired/i, 'has expired'],
  [/alert unknown ca|alert bad certificate|alert certificate unknown|alert decrypt error/i, 'is not signed by a CA the server trusts'],
  [/alert certificate required|alert handshake failure/i, 'was not accepted (none sent, or not usable for client authentication)'],
  [/alert unsupported certificate/i, 'is not usable for client authentication'],
];

/** Any error on one line, Node's code first (`ECONNREFUSED: …`) when the message does not say it already. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  const message = oneLine(err.message);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** One line naming the endpoint and the problem; unknown errors keep Node's own message. */
export function describeTransportError(endpoint: DockerEndpoint, err: unknown): string {
  if (!(err instanceof Error)) return `${endpoint.url}: ${String(err)}`;
  if (err.name === 'SshTransportError') return err.message;
  const plain = describeError(err);
  const code = (err as NodeJS.ErrnoException).code;
  const message = oneLine(err.message);
  if (endpoint.kind !== 'tcp' || !endpoint.tls) return plain;
  const tls = endpoint.tls;
  const server = code ? SERVER_CERTIFICATE[code] : undefined;
  if (server) return `${endpoint.url}: TLS: ${server(tls.ca)}`;
  const client = CLIENT_CERTIFICATE.find(([pattern]) => pattern.test(message));
  if (client) return `${endpoint.url}: TLS: the server refused the client certificate ${tls.cert}: it ${client[1]}`;
  if (/wrong version number|packet length too long|http request/i.test(message))
    return `${endpoint.url}: TLS: the server does not speak TLS on this port`;
  if (/key values mismatch|KEY_VALUES_MISMATCH/i.test(message))
    return `${endpoint.url}: TLS: the key ${tls.key} does not belong to the certificate ${tls.cert}`;
  return plain.includes(endpoint.url) ? plain : `${endpoint.url}: ${plain}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
