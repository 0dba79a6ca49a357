/**
 * What corral knows of its hosts (model/known-hosts.ts), kept in the state directory as
 * `hosts.json` and held in memory by one store per process, so that passes running side by
 * side (the daemon's stack passes) update it one after another and none loses another's marks.
 * Writes are skipped while only last-seen times move, for up to WRITE_SLACK_MS. I/O.
 */
import type { KnownHost, KnownHosts, UnitInstances } from '../model/known-hosts.js';
import { isPlainObject } from '../util/values.js';
import { changedBeyond } from './known-hosts.js';
import type { StateDir } from './state-dir.js';

const FILE = 'hosts.json';
const VERSION = 1;
/** A restart may see a host as last read up to this long before it really was. */
const WRITE_SLACK_MS = 30_000;

export class KnownHostsStore {
  private current?: KnownHosts;
  private written?: KnownHosts;
  private loading?: Promise<KnownHosts>;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly dir: StateDir) {}

  /** Where the file is, for messages. */
  describe(): string {
    return `${this.dir.path}/${FILE}`;
  }

  /** What is known now: read from the file once, then kept in memory. A missing file means nothing is known yet. */
  async load(): Promise<KnownHosts> {
    if (this.current) return this.current;
    this.loading ??= this.dir.readJson(FILE).then((raw) => {
      const known = raw === undefined ? {} : parseKnownHosts(raw, this.describe());
      this.current ??= known;
      this.written ??= known;
      return this.current;
    });
    return this.loading;
  }

  /** Applies an update to what is known (in memory at once) and writes it when it matters. */
  async update(change: (known: KnownHosts) => KnownHosts): Promise<void> {
    await this.load();
    // From here to the assignment nothing awaits: an update running beside this one sees its result.
    const next = change(this.current ?? {});
    this.current = next;
    if (this.written && !changedBeyond(this.written, next, WRITE_SLACK_MS)) return;
    // One write at a time, each of the latest knowledge; a failed write does not stop the next.
    const write = this.writing
      .catch(() => undefined)
      .then(async () => {
        const latest = this.current ?? next;
        await this.dir.writeJson(FILE, { version: VERSION, hosts: latest });
        this.written = latest;
      });
    this.writing = write;
    return write;
  }
}

/** The file's content, checked; anything else is an error naming the file. */
export function parseKnownHosts(raw: unknown, file: string): KnownHosts {
  const problem = (what: string) =>
    new Error(`${file}: ${what}; remove the file to start afresh (corral then knows nothing of hosts that are down)`);
  if (!isPlainObject(raw) || raw['version'] !== VERSION || !isPlainObject(raw['hosts']))
    throw problem(`expected {"version": ${VERSION}, "hosts": {...}}`);
  const hosts: Record<string, KnownHost> = {};
  for (const [name, value] of Object.entries(raw['hosts'])) {
    if (!isPlainObject(value) || typeof value['lastSeen'] !== 'string' || Number.isNaN(Date.parse(value['lastSeen'])))
      throw problem(`hosts.${name}: expected lastSeen (an ISO time), units and replaced`);
    const units = unitInstances(value['units']);
    const replaced = unitInstances(value['replaced'] ?? {});
    if (!units || !replaced) throw problem(`hosts.${name}: units and replaced map stack → unit → instance numbers`);
    Object.defineProperty(hosts, name, {
      value: { lastSeen: value['lastSeen'], units, replaced },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return hosts;
}

function unitInstances(raw: unknown): UnitInstances | undefined {
  if (!isPlainObject(raw)) return undefined;
  for (const byUnit of Object.values(raw)) {
    if (!isPlainObject(byUnit)) return undefined;
    for (const instances of Object.values(byUnit)) {
      if (!Array.isArray(instances) || !instances.every((n) => Number.isInteger(n) && n >= 1)) return undefined;
    }
  }
  return raw as UnitInstances;
}
