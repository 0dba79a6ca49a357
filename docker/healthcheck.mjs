// The image's HEALTHCHECK: GET $CORRAL_HEALTH_URL (default http://127.0.0.1:7480/healthz), which a
// running corral answers 200 with `ok`, or with `leader` / `standby` under leader election.
const url = process.env.CORRAL_HEALTH_URL ?? 'http://127.0.0.1:7480/healthz';
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(2500) });
  const text = (await response.text()).trim();
  process.stdout.write(`${url}: ${response.status} ${text}\n`);
  process.exit(response.ok ? 0 : 1);
} catch (err) {
  process.stdout.write(`${url}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
