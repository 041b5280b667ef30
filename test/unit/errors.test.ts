/**
 * Library code throws domain errors (a class and a string code); the command line alone maps them
 * to exit codes: capture 3, recorder/environment 4, query/selection/usage 2, findings 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CaptureError, OutputError, QueryError, RecorderError, SelectionError, UsageError } from '../../src/util/errors.js';
import { CliError, EXIT, exitCodeOf } from '../../src/cli/errors.js';

test('each domain error class has its exit code', () => {
  assert.equal(exitCodeOf(new CaptureError('not-found', 'x: no such file')), EXIT.input);
  assert.equal(exitCodeOf(new RecorderError('not-root', 'needs root')), EXIT.environment);
  assert.equal(exitCodeOf(new QueryError('unknown-query', 'unknown query')), EXIT.usage);
  assert.equal(exitCodeOf(new SelectionError('ambiguous-container', 'ambiguous')), EXIT.usage);
  assert.equal(exitCodeOf(new UsageError('bad-duration', 'not a duration')), EXIT.usage);
  assert.equal(exitCodeOf(new OutputError('write-failed', 'cannot write')), EXIT.input);
});

test('codes whose exit status differs from their class keep the status they had', () => {
  assert.equal(exitCodeOf(new OutputError('exists', 'x exists')), EXIT.usage);
  assert.equal(exitCodeOf(new OutputError('disk', 'cannot write')), EXIT.environment);
  assert.equal(exitCodeOf(new RecorderError('closed', 'the recorder is closed')), EXIT.failure);
  assert.equal(exitCodeOf(new CliError('found denials', EXIT.failure)), EXIT.failure);
});

test('anything else is no user error (reported as internal), and a domain error keeps its name, code and cause', () => {
  assert.equal(exitCodeOf(new Error('bug')), undefined);
  assert.equal(exitCodeOf('a string'), undefined);
  const cause = new Error('ENOENT');
  const e = new CaptureError('not-found', 'x.arrow: no such file', { cause });
  assert.equal(e.name, 'CaptureError');
  assert.equal(e.code, 'not-found');
  assert.equal(e.cause, cause);
  assert.ok(e instanceof Error);
});
