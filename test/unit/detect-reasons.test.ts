/**
 * A window's reasons never repeat one text: features that tell the same fact (tcp_peers, tcp_ports
 * and tcp_ports_one_peer when a container scans one host) give one reason carrying their weights.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeMultiContainerCapture } from '../support/samples.js';
import { cli, tempDir } from '../helpers/captures.js';

test('detect: no window lists the same reason text twice (the port scan of one host)', async () => {
  const work = tempDir('contxray-detect-reasons-');
  try {
    const file = join(work.dir, 'mc.arrow');
    await writeMultiContainerCapture(file);
    const r = cli(['detect', file, '--window', '5s', '-f', 'json']);
    assert.equal(r.status, 1, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<{ container: string; reasons: Array<{ text: string }> }>;
    const scan = rows.filter((x) => x.reasons.some((y) => /30 ports on 1 host/.test(y.text)));
    assert.ok(scan.length > 0, 'the scan window has a reason naming its ports');
    for (const x of rows) {
      const texts = x.reasons.map((y) => y.text);
      assert.equal(new Set(texts).size, texts.length, `${x.container}: ${JSON.stringify(texts)}`);
    }
  } finally {
    work.cleanup();
  }
});
