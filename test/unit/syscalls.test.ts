import { requireOrSkip } from '../helpers/env.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  normalizeArch,
  scmpArchitectures,
  syscallName,
  syscallNames,
  syscallNumber,
  syscallTableFor,
} from '../../src/syscalls/index.js';
import { dataPath } from '../../src/syscalls/data.js';

test('x86_64 table: well-known numbers, with the i386 compat table', () => {
  const t = syscallTableFor('x86_64');
  assert.equal(t.arch, 'x86_64');
  assert.equal(t.names['0'], 'read');
  assert.equal(t.names['2'], 'open');
  assert.equal(t.names['59'], 'execve');
  assert.equal(t.names['257'], 'openat');
  assert.equal(t.names['231'], 'exit_group');
  assert.equal(t.compat_arch, 'i386');
  // ia32 numbers differ from x86_64 ones: 11 is execve on i386, munmap on x86_64.
  assert.equal(t.compat_names?.['11'], 'execve');
  assert.equal(t.names['11'], 'munmap');
  assert.equal(t.compat_names?.['119'], 'sigreturn');
  assert.equal(t.compat_names?.['192'], 'mmap2');
});

test('aarch64 table: asm-generic numbering resolved as arm64 builds it', () => {
  const t = syscallTableFor('arm64');
  assert.equal(t.arch, 'aarch64');
  assert.equal(syscallNumber('aarch64', 'openat'), 56);
  assert.equal(syscallNumber('aarch64', 'execve'), 221);
  assert.equal(syscallNumber('aarch64', 'open'), undefined, 'arm64 has no open');
  assert.equal(syscallNumber('aarch64', 'fork'), undefined);
  // __NR3264_* indirections take their 64-bit names on a 64-bit arch.
  assert.equal(syscallNumber('aarch64', 'fcntl'), 25);
  assert.equal(syscallNumber('aarch64', 'fstatfs'), 44);
  assert.equal(syscallNumber('aarch64', 'lseek'), 62);
  assert.equal(syscallNumber('aarch64', 'mmap'), 222);
  assert.equal(syscallNumber('aarch64', 'newfstatat'), 79);
  assert.equal(syscallNumber('aarch64', 'fcntl64'), undefined);
  // #ifdef __ARCH_WANT_* blocks arm64 enables (renameat, clone3, memfd_secret, getrlimit).
  assert.equal(syscallNumber('aarch64', 'renameat'), 38);
  assert.equal(syscallNumber('aarch64', 'clone3'), 435);
  assert.equal(syscallNumber('aarch64', 'getrlimit'), 163);
  // time32 variants only exist on 32-bit ABIs; 244 is a range marker, not a syscall.
  assert.equal(syscallNumber('aarch64', 'clock_gettime64'), undefined);
  assert.equal(syscallName('aarch64', 244), undefined);
  assert.equal(t.compat_arch, 'arm');
  assert.equal(t.compat_names?.['11'], 'execve');
});

test('arm (EABI) table includes ARM-private calls and keeps aliases resolvable', () => {
  assert.equal(syscallNumber('arm', 'set_tls'), 0x0f0005);
  assert.equal(syscallNumber('arm', 'open'), 5);
  assert.equal(syscallNumber('arm', 'sync_file_range2'), syscallNumber('arm', 'arm_sync_file_range'));
});

test('names are unique per arch and there is no invented name', () => {
  for (const arch of ['x86_64', 'i386', 'aarch64', 'arm']) {
    const names = Object.values(syscallTableFor(arch).names);
    assert.equal(new Set(names).size, names.length, arch);
    assert.ok(names.every((n) => /^[a-z_][a-z0-9_]*$/.test(n)), arch);
    assert.ok(syscallNames(arch).length > 250, arch);
  }
});

test('normalizeArch and SCMP arch lists', () => {
  assert.equal(normalizeArch('x86_64'), 'x86_64');
  assert.equal(normalizeArch('amd64'), 'x86_64');
  assert.equal(normalizeArch('i686'), 'i386');
  assert.equal(normalizeArch('arm64'), 'aarch64');
  assert.equal(normalizeArch('armv7l'), 'arm');
  assert.equal(normalizeArch('SCMP_ARCH_AARCH64'), 'aarch64');
  assert.equal(normalizeArch('riscv64'), 'riscv64');
  assert.deepEqual(scmpArchitectures('x86_64'), ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.deepEqual(scmpArchitectures('aarch64'), ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.deepEqual(syscallTableFor('riscv64'), { arch: 'riscv64', names: {} });
});

test('committed tables match the generator (setup.sh installs the header packages)', (t) => {
  const have = ['/usr/include/x86_64-linux-gnu/asm/unistd_64.h', '/usr/aarch64-linux-gnu/include/asm/unistd.h'].every(existsSync);
  let clang = false;
  try {
    execFileSync('clang', ['--version'], { stdio: 'ignore' });
    clang = true;
  } catch {
    /* no compiler */
  }
  if (!requireOrSkip(t, have && clang, 'needs clang, linux-libc-dev and linux-libc-dev-arm64-cross (scripts/setup.sh installs them)')) return;
  const script = dataPath('..', 'scripts', 'gen-syscall-tables.mjs');
  execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' });
});
