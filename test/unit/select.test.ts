/**
 * The one container selector (src/analyze/select.ts): how a `--container` value resolves, on plain
 * rows and against real captures, and that every command that takes `-c` resolves it the same way
 * (an ambiguous id prefix is always an error listing the candidates).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { containerIdsParam, hexPrefix, isUnknownContainer, matchContainers, nameMatches, resolveContainers, selectContainers, type ContainerRow } from '../../src/analyze/select.js';
import { openAnalysis, type Analysis } from '../../src/analyze/db.js';
import { CaptureError, SelectionError } from '../../src/util/errors.js';
import { writeCaptureFromRows } from '../support/fixture.js';
import { CLIENT_ID, WEB_ID, cli, scenarioRows, tempDir, writeScenario } from '../helpers/captures.js';

const row = (host: string, container_id: string, name: string | null): ContainerRow => ({ host, container_id, name, image: 'i', runtime: 'docker' });
const A = 'abc1' + '1'.repeat(60);
const B = 'abc2' + '2'.repeat(60);
const C = 'cafe' + '3'.repeat(60);
const ALL = [row('h1', A, 'web'), row('h2', C, 'web'), row('h1', B, 'db'), row('h1', 'd'.repeat(64), 'abc2')];

function selectionError(code: string, pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof SelectionError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  };
}

test('exact name, full id, unique prefix; the same name on several hosts selects all of them', () => {
  assert.deepEqual(matchContainers(ALL, 'web').map((c) => [c.host, c.container_id]), [['h1', A], ['h2', C]]);
  assert.deepEqual(matchContainers(ALL, '/web').map((c) => c.host), ['h1', 'h2'], "Docker's /name spelling");
  assert.deepEqual(matchContainers(ALL, B).map((c) => c.name), ['db']);
  assert.deepEqual(matchContainers(ALL, B.toUpperCase()).map((c) => c.name), ['db'], 'ids are hex: any case');
  assert.deepEqual(matchContainers(ALL, 'caf').map((c) => c.container_id), [C]);
  assert.deepEqual(matchContainers(ALL, 'abc1').map((c) => c.name), ['web']);
});

test('a name equal to another container\'s id prefix: the name wins', () => {
  // 'abc2' is the name of the d… container and a unique prefix of db's id
  assert.deepEqual(matchContainers(ALL, 'abc2').map((c) => c.container_id), ['d'.repeat(64)]);
});

test('an ambiguous prefix is an error listing the candidates, escaped and bounded', () => {
  assert.throws(() => matchContainers(ALL, 'abc'), selectionError('ambiguous-container', /prefix 'abc' is ambiguous: web abc111111111 on h1, db abc222222222 on h1; give more characters or the name/));
  const many = Array.from({ length: 40 }, (_, i) => row('h', `ee${i.toString(16).padStart(2, '0')}${'0'.repeat(60)}`, `svc\u001b[31m-${i}`));
  assert.throws(() => matchContainers(many, 'ee'), (e: unknown) => {
    selectionError('ambiguous-container', /ambiguous: svc\\x1b\[31m-0 ee/)(e);
    assert.match((e as Error).message, /… \(28 more\)/);
    assert.doesNotMatch((e as Error).message, /\u001b/);
    return true;
  });
});

test('an unknown selector is an error listing some known names (near ones first)', () => {
  assert.throws(() => matchContainers(ALL, 'nginx'), selectionError('unknown-container', /no container 'nginx' in the captures; containers: web .*db .*abc2/));
  assert.throws(() => matchContainers(ALL, 'we'), selectionError('unknown-container', /did you mean: web abc111111111 on h1, web cafe33333333 on h2$/));
  assert.throws(() => matchContainers(ALL, 'abcd'), selectionError('unknown-container', /no container 'abcd'/), 'a prefix of no id');
  assert.throws(() => matchContainers(ALL, ' '), selectionError('empty-selector', /--container is empty/));
  assert.throws(() => matchContainers([], 'web'), (e: unknown) => e instanceof CaptureError && e.code === 'no-containers');
  assert.ok(isUnknownContainer((() => { try { matchContainers(ALL, 'x'); } catch (e) { return e; } })()));
});

test('several selectors: the union, each container once; each selector must match', () => {
  const s = selectContainers(ALL, ['web', 'abc1', 'db']);
  assert.deepEqual(s.rows.map((c) => c.name), ['web', 'web', 'db']);
  assert.deepEqual(s.ids, [A, C, B]);
  assert.equal(s.keys.size, 3);
  assert.equal(containerIdsParam(s), JSON.stringify([A, C, B]));
  assert.equal(containerIdsParam(null), null);
  assert.throws(() => selectContainers(ALL, ['web', 'nope']), selectionError('unknown-container', /'nope'/));
});

test('the predicates record -c uses live', () => {
  assert.ok(nameMatches('web', 'web') && nameMatches('web', '/web'));
  assert.ok(!nameMatches('web', '') && !nameMatches(null, 'web') && !nameMatches('web', 'we'));
  assert.equal(hexPrefix('ABC'), 'abc');
  assert.equal(hexPrefix('abc', 12), null);
  assert.equal(hexPrefix('web'), null);
});

const work = tempDir('contxray-select-');
const one = join(work.dir, 'one.arrow');
const twoHosts = [join(work.dir, 'h1.arrow'), join(work.dir, 'h2.arrow')];
/** web and client whose ids share the prefix 'a1a1' */
const twins = join(work.dir, 'twins.arrow');
const TWIN_ID = 'a1a1' + 'c3'.repeat(30);
let hosts: Analysis;

before(async () => {
  await writeScenario(one);
  await writeScenario(twoHosts[0]!, 'h1');
  await writeScenario(twoHosts[1]!, 'h2');
  const rows = scenarioRows().map((r) => (r.container_id === CLIENT_ID ? { ...r, container_id: TWIN_ID, cgroup_path: `/docker/${TWIN_ID}` } : r));
  await writeCaptureFromRows(twins, { host: { hostname: 'testhost' }, rows });
  hosts = await openAnalysis(twoHosts);
});
after(() => {
  hosts?.close();
  work.cleanup();
});

test('resolved against loaded captures: a name or prefix covers every host the container was recorded on', async () => {
  assert.equal(await resolveContainers(hosts, undefined), null);
  assert.equal(await resolveContainers(hosts, []), null);
  const web = (await resolveContainers(hosts, ['web']))!;
  assert.deepEqual(web.rows.map((c) => c.host).sort(), ['h1', 'h2']);
  assert.deepEqual(web.ids, [WEB_ID]);
  const byPrefix = (await resolveContainers(hosts, [CLIENT_ID.slice(0, 6)]))!;
  assert.deepEqual(byPrefix.rows.map((c) => c.name), ['client', 'client'], 'one id on two hosts is not ambiguous');
  const warnings: string[] = [];
  const lenient = (await resolveContainers(hosts, ['nope', 'web'], { onUnknown: (m) => warnings.push(m) }))!;
  assert.deepEqual(lenient.ids, [WEB_ID]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /no container 'nope'/);
  await assert.rejects(resolveContainers(hosts, ['nope']), selectionError('unknown-container', /containers: client .*web/));
});

function oneLine(r: ReturnType<typeof cli>, status: number, pattern: RegExp) {
  assert.equal(r.status, status, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, pattern);
}

test('every command that takes -c refuses an ambiguous prefix the same way', () => {
  const ambiguous = /^contxray: container id prefix 'a1a1' is ambiguous: (web a1a1a1a1a1a1|client a1a1c3c3c3c3) on testhost, (web|client) .*give more characters or the name$/;
  const out = join(work.dir, 'r.html');
  oneLine(cli(['analyze', twins, '-c', 'a1a1']), 2, ambiguous);
  oneLine(cli(['analyze', twins, '-q', 'top-syscalls', '-c', 'a1a1']), 2, ambiguous);
  oneLine(cli(['analyze', twins, '-q', 'finding-sensitive-paths', '-c', 'a1a1']), 2, ambiguous);
  oneLine(cli(['report', twins, '-c', 'a1a1', '-o', out]), 2, ambiguous);
  oneLine(cli(['seccomp', twins, '-c', 'a1a1']), 2, ambiguous);
  oneLine(cli(['detect', twins, '-c', 'a1a1']), 2, ambiguous);
  // one more digit is unique, everywhere
  const web = cli(['analyze', twins, '-q', 'top-syscalls', '-c', 'a1a1a', '-f', 'json']);
  assert.equal(web.status, 0, web.stderr);
  assert.deepEqual([...new Set(JSON.parse(web.stdout).map((r: { container: string }) => r.container))], ['web']);
});

test('-c is repeatable and not greedy: a capture may follow it', () => {
  const r = cli(['analyze', '-c', 'web', one, '-c', 'client', '-q', 'top-syscalls', '-f', 'json']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual([...new Set(JSON.parse(r.stdout).map((x: { container: string }) => x.container))].sort(), ['client', 'web']);
  const out = join(work.dir, 'web.html');
  const rep = cli(['report', '-c', 'web', one, '-o', out]);
  assert.equal(rep.status, 0, rep.stderr);
  assert.match(rep.stderr, /1 containers in detail/);
  oneLine(cli(['seccomp', one, '-c', 'web', '-c', 'client']), 2, /a profile is for one container/);
});

test('an unknown container: an error for report, seccomp and detect; an empty answer with a warning for analyze', () => {
  const unknown = /no container 'nosuch' in the captures; containers: client b2b2b2b2b2b2 on testhost, web a1a1a1a1a1a1 on testhost/;
  oneLine(cli(['report', one, '-c', 'nosuch', '-o', join(work.dir, 'x.html')]), 2, unknown);
  oneLine(cli(['seccomp', one, '-c', 'nosuch']), 2, unknown);
  oneLine(cli(['detect', one, '-c', 'nosuch']), 2, unknown);
  const a = cli(['analyze', one, '-q', 'exec-timeline', '-c', 'nosuch', '-f', 'json']);
  assert.equal(a.status, 0, a.stderr);
  assert.deepEqual(JSON.parse(a.stdout), []);
  assert.match(a.stderr, /^contxray: warning: no container 'nosuch' in the captures; containers: /);
});
