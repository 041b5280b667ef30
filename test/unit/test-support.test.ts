/**
 * The test event builder follows the column table: a field the kind does not declare is refused,
 * and a column a builder leaves out is written as null (so adding a column needs no fixture edit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CaptureWriter } from '../../src/capture/writer.js';
import { columnsOf } from '../../src/capture/schema.js';
import { syscallTableFor } from '../../src/syscalls/index.js';
import { openAnalysis } from '../../src/analyze/db.js';
import { batch, event, rowsToColumns } from '../support/events.js';
import { defaultHost } from '../support/fixture.js';
import { tempDir } from '../helpers/captures.js';

test('fields a kind does not declare are refused, by name', () => {
  assert.throws(() => event('exec', { flags: 1 }), /exec event has no column flags/);
  assert.throws(() => rowsToColumns('close', [{ kind: 'close', uid: 0 }]), /close event has no column uid/);
  assert.throws(() => batch('open', 1, { open_flag: [0] }), /open event has no column open_flag/);
  assert.deepEqual(event('fork', { pid: 1, ppid: 0 }), { pid: 1, ppid: 0, kind: 'fork' });
});

test('columns a batch leaves out are null, and the capture reads back', async () => {
  const cols = batch('exec', 2, { ts: [1n, 2n], cgroup_id: [7n, 7n], filename: ['/bin/a', '/bin/b'] });
  assert.deepEqual(Object.keys(cols).sort(), columnsOf('exec').map((c) => c.name).filter((n) => n !== 'kind').sort());
  assert.deepEqual(cols.argv, [null, null]);
  const tmp = tempDir();
  try {
    const file = join(tmp.dir, 'sparse.arrow');
    const w = await CaptureWriter.create(file, { host: defaultHost(), syscalls: syscallTableFor('x86_64'), options: {}, recorder: { version: 't', started_at_ns: '0' } }, { force: true });
    w.writeBatch('exec', 2, cols);
    w.close();
    const a = await openAnalysis([file]);
    try {
      const rows = await a.all('SELECT filename, argv, uid FROM execs ORDER BY filename');
      assert.deepEqual(rows, [
        { filename: '/bin/a', argv: null, uid: null },
        { filename: '/bin/b', argv: null, uid: null },
      ]);
    } finally {
      a.close();
    }
  } finally {
    tmp.cleanup();
  }
});
