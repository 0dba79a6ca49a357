import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DesiredStateSource } from '../../src/desired/index.js';
import { inSlices } from '../../src/desired/slices.js';
import type { FileTree } from '../../src/model/files.js';
import { loadDesiredState } from '../../src/render/desired-state.js';
import type { RepoSnapshot, Source } from '../../src/source/types.js';

function busyFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

test('a long computation run in slices lets timers run between its slices, and returns its result', async () => {
  function* work() {
    for (let step = 0; step < 20; step++) {
      busyFor(2);
      yield;
    }
    return 'done';
  }
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const result = await inSlices(work(), 5);
  clearInterval(timer);
  assert.equal(result, 'done');
  assert.ok(ticks >= 3, `the timer ran ${ticks} times in 40 ms of work cut in slices of 5 ms`);
});

/** A repository of `count` stacks on one template, whose stack `s0` answers `tag`. */
function files(count: number, tag: string): FileTree {
  const tree = new Map(
    Object.entries({
      'catalog/templates/app/config.yml': 'name: app\n',
      'catalog/templates/app/0/docker-compose.yml': 'web:\n  image: app:${tag}\n  ports:\n    - 80${n}:80\n',
      'catalog/templates/app/0/rancher-compose.yml':
        '.catalog:\n  version: 1.0.0\n  questions:\n    - variable: tag\n      type: string\n      default: "1"\n    - variable: n\n      type: int\n',
    }),
  );
  for (let index = 0; index < count; index++)
    tree.set(`stacks/s${index}/stack.yml`, `template: app\nanswers:\n  n: "${index % 10}"\n${index === 0 ? `  tag: "${tag}"\n` : ''}`);
  return tree;
}

class Commits implements Source {
  constructor(public current: RepoSnapshot) {}
  describe = () => 'test commits';
  refresh = async () => ({ changed: true });
  snapshot = async () => this.current;
}

test('DesiredStateSource: reads of new revisions equal fresh reads, and timers run while many stacks render', async () => {
  const repo = new Commits({ revision: 'r1', files: files(300, '1') });
  const source = await DesiredStateSource.open({ repo });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const first = await source.read();
  clearInterval(timer);
  assert.ok(ticks >= 1, 'the event loop ran during the first read');
  assert.deepStrictEqual(first.state, loadDesiredState(repo.current.files, { revision: 'r1', extraCatalogs: {}, unavailableCatalogs: {} }));
  repo.current = { revision: 'r2', files: files(300, '2') };
  const second = await source.read();
  assert.deepStrictEqual(
    second.state,
    loadDesiredState(repo.current.files, { revision: 'r2', extraCatalogs: {}, unavailableCatalogs: {} }),
  );
  assert.equal(second.state.stacks[0]?.services['web']?.compose.image, 'app:2');
  assert.equal(second.state.stacks[1]?.services, first.state.stacks[1]?.services, 'an unchanged stack is not rendered again');
});
