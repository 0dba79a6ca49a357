import assert from 'node:assert/strict';
import { test } from 'node:test';
import winston from 'winston';
import { Controller } from '../../src/daemon/controller.js';
import { DesiredStateSource } from '../../src/desired/index.js';
import type { FileTree } from '../../src/model/files.js';
import type { RepoSnapshot, Source } from '../../src/source/types.js';

const HELLO: [string, string][] = [
  ['catalog/templates/hello/config.yml', 'name: hello\n'],
  ['catalog/templates/hello/0/docker-compose.yml', 'web:\n  image: busybox\n'],
  ['catalog/templates/hello/0/rancher-compose.yml', '.catalog:\n  version: 1.0.0\n'],
];

function tree(...stacks: string[]): FileTree {
  return new Map([...HELLO, ...stacks.map((name): [string, string] => [`stacks/${name}/stack.yml`, 'template: hello\n'])]);
}

/** A source that reports what it is told, once per refresh and snapshot. */
class ScriptedSource implements Source {
  constructor(private readonly steps: { changed: boolean; snapshot: () => RepoSnapshot }[]) {}
  private current: (() => RepoSnapshot) | undefined;
  describe(): string {
    return 'scripted';
  }
  async refresh(): Promise<{ changed: boolean }> {
    const step = this.steps.shift();
    if (!step) return { changed: false };
    this.current = step.snapshot;
    return { changed: step.changed };
  }
  async snapshot(): Promise<RepoSnapshot> {
    if (!this.current) throw new Error('no refresh yet');
    return this.current();
  }
}

test('a revision that failed to load is loaded by the next fetch, even when the source reports no further change', async () => {
  const source = new ScriptedSource([
    { changed: true, snapshot: () => ({ revision: 'r1', files: tree('a') }) },
    {
      changed: true,
      snapshot: () => {
        throw new Error('disk hiccup');
      },
    },
    { changed: false, snapshot: () => ({ revision: 'r2', files: tree('a', 'b') }) },
  ]);
  const logger = winston.createLogger({ silent: true });
  const repository = await DesiredStateSource.open({ repo: source });
  const controller = new Controller({ repository, config: { hosts: [], catalogs: [] }, logger });
  for (let i = 0; i < 3; i += 1) {
    controller.requestFetch(`fetch ${i}`);
    await controller.idle();
  }
  await controller.stop();
  assert.deepEqual(
    controller.stacks().map((s) => s.name),
    ['a', 'b'],
  );
});
