/**
 * Issue 13: `npm install -g contxray` on a production-like host with no compiler records a real
 * container. A minimal Debian 12 root filesystem (scripts/clean-host-rootfs.sh: debootstrap
 * --variant=minbase bookworm + Debian's nodejs, cached) gets the real tarball (`npm pack`, with the
 * prebuild) installed with `npm install -g` from the npm registry; then, chrooted with /proc, /sys
 * (cgroups, tracefs, bpffs), /dev and the Docker socket bound in, `contxray record -- docker run …`
 * records a container started through the host's docker CLI (bound in read-only: the CLI is a
 * client of the host's dockerd either way), and analyze, report and seccomp run on the capture.
 *
 * Node: Debian 12's nodejs is 18.20 and ships no npm; contxray needs Node >= 20 (yargs 18's
 * string-width uses the RegExp /v flag: "SyntaxError: Invalid regular expression flags" on 18),
 * so the host's Node 20 binary and its npm are copied into the rootfs (docs/install.md).
 * npm reaches the registry with the CA file the host's npm is configured with (if any).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { docker, dockerAvailable, ensureDockerd, ensureTestImage, TEST_IMAGE, TEST_LABEL } from '../helpers/docker.js';
import { IS_ROOT, requireOrSkip } from '../helpers/env.js';
import { buildPackageJs, ensurePrebuild, packTarball, PREBUILD, REPO_ROOT } from '../helpers/pack.js';

const execFileAsync = promisify(execFile);
const CHROOT_ENV = ['env', '-i', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'LANG=C.UTF-8'];

function hostHas(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command chrooted in `root` with a clean environment; never throws on a non-zero exit. */
async function inRoot(root: string, args: string[], timeoutMs = 10 * 60_000): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileAsync('chroot', [root, ...CHROOT_ENV, ...args], { maxBuffer: 64 << 20, timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}

/** Mount points under `root` (deepest first), from the kernel's own list. */
function mountsUnder(root: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .map((p) => p.replace(/\\040/g, ' '))
    .filter((p) => p === root || p.startsWith(root + '/'))
    .sort()
    .reverse();
}

test('npm install -g of the tarball on a clean Debian 12 (no compiler) records a real container', { timeout: 60 * 60_000 }, async (t) => {
  const why = !IS_ROOT
    ? 'needs root (debootstrap, chroot, bind mounts, eBPF)'
    : !hostHas('debootstrap')
      ? 'debootstrap missing (scripts/setup.sh installs it)'
      : !hostHas('clang') || !hostHas('bpftool')
        ? 'the prebuild needs clang and bpftool (scripts/setup.sh)'
        : !existsSync('/sys/kernel/btf/vmlinux')
          ? 'kernel without BTF'
          : !(await dockerAvailable().then((ok) => ok || ensureDockerd().then(() => true, () => false)))
            ? 'Docker unavailable'
            : '';
  if (!requireOrSkip(t, why === '', why)) return;
  await ensureTestImage();

  // The package as published: prebuild, compiled JS, real tarball.
  await ensurePrebuild();
  await buildPackageJs();
  const scratch = mkdtempSync(join(tmpdir(), 'cxi-install-'));
  const mounted: string[] = [];
  const root = join(scratch, 'root');
  const name = `cxi-clean-${process.pid}`;
  try {
    const tarball = await packTarball(scratch);
    const { stdout: rootfsOut } = await execFileAsync('bash', [join(REPO_ROOT, 'scripts', 'clean-host-rootfs.sh')], { timeout: 40 * 60_000 });
    const rootfs = rootfsOut.trim().split('\n').pop()!;
    mkdirSync(root, { mode: 0o700 });
    await execFileAsync('tar', ['-C', root, '-xzf', rootfs]);

    // A clean host: no compiler, no libbpf, no BPF headers.
    for (const tool of ['cc', 'gcc', 'g++', 'clang', 'make', 'bpftool', 'pkg-config']) {
      assert.notEqual((await inRoot(root, ['sh', '-c', `command -v ${tool}`])).code, 0, `${tool} present in the clean rootfs`);
    }
    assert.equal(existsSync(join(root, 'usr/include/bpf/libbpf.h')), false, 'libbpf-dev present in the clean rootfs');
    assert.match((await inRoot(root, ['node', '--version'])).stdout, /^v18\./, "Debian 12's nodejs");

    // The host's Node 20 and npm (see the header), the CA the host's npm trusts, DNS.
    copyFileSync(process.execPath, join(root, 'usr/local/bin/node'));
    const npmDir = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
    mkdirSync(join(root, 'usr/local/lib/node_modules'), { recursive: true });
    cpSync(npmDir, join(root, 'usr/local/lib/node_modules/npm'), { recursive: true });
    execFileSync('ln', ['-sf', '../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm')]);
    copyFileSync('/etc/resolv.conf', join(root, 'etc/resolv.conf'));
    const npmArgs = ['--no-fund', '--no-audit'];
    const cafile = execFileSync('npm', ['config', 'get', 'cafile'], { encoding: 'utf8' }).trim();
    if (cafile && cafile !== 'null' && cafile !== 'undefined' && existsSync(cafile)) {
      copyFileSync(cafile, join(root, 'etc/ssl/host-npm-ca.crt'));
      npmArgs.push('--cafile', '/etc/ssl/host-npm-ca.crt');
    }
    copyFileSync(tarball, join(root, 'tmp/contxray.tgz'));

    // What record needs from the host. rslave: unmounting here never propagates back to the host.
    const mount = async (...args: string[]) => {
      await execFileAsync('mount', args);
      mounted.push(args[args.length - 1]!);
    };
    await mount('-t', 'proc', 'proc', join(root, 'proc'));
    await mount('--rbind', '/sys', join(root, 'sys')); // cgroups, tracefs, bpffs, BTF
    await execFileAsync('mount', ['--make-rslave', join(root, 'sys')]);
    await mount('--rbind', '/dev', join(root, 'dev'));
    await execFileAsync('mount', ['--make-rslave', join(root, 'dev')]);
    writeFileSync(join(root, 'run/docker.sock'), '');
    await mount('--bind', '/var/run/docker.sock', join(root, 'run/docker.sock'));
    const dockerCli = execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim();
    writeFileSync(join(root, 'usr/local/bin/docker'), '');
    chmodSync(join(root, 'usr/local/bin/docker'), 0o755);
    await mount('--bind', dockerCli, join(root, 'usr/local/bin/docker'));
    await execFileAsync('mount', ['-o', 'remount,bind,ro', join(root, 'usr/local/bin/docker')]);

    const started = process.hrtime.bigint();
    const install = await inRoot(root, ['npm', 'install', '-g', ...npmArgs, '/tmp/contxray.tgz']);
    const installSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    assert.equal(install.code, 0, `npm install -g failed:\n${install.stderr.slice(-3000)}`);
    t.diagnostic(`npm install -g in the clean rootfs: ${installSeconds.toFixed(1)} s (registry downloads included)`);
    const pkg = '/usr/local/lib/node_modules/contxray';
    assert.ok(existsSync(join(root, pkg, PREBUILD)), 'the prebuild was installed');
    assert.equal(existsSync(join(root, pkg, 'native/build')), false, 'no source build was needed');

    // record a real container, started from inside the chroot
    const rec = await inRoot(root, [
      'contxray', 'record', '-o', '/tmp/clean.arrow', '--',
      'docker', 'run', '--rm', '--label', TEST_LABEL, '--name', name, TEST_IMAGE,
      'sh', '-c', 'echo hello > /tmp/x; cat /etc/passwd > /dev/null; ls / > /dev/null',
    ]);
    assert.equal(rec.code, 0, `record failed: ${rec.stderr}`);
    // other containers created on this host meanwhile are recorded too (record -- COMMAND records from
    // the command's start); ours must be among them
    assert.match(rec.stderr + rec.stdout, new RegExp(`\\d+ containers \\((.*, )?${name}(, .*)?\\)`));

    const analyze = await inRoot(root, ['contxray', 'analyze', '/tmp/clean.arrow']);
    assert.equal(analyze.code, 0, analyze.stderr);
    assert.match(analyze.stdout, new RegExp(`${name}\\s+[0-9a-f]{12}\\s+${TEST_IMAGE.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s+[1-9]`));

    const report = await inRoot(root, ['contxray', 'report', '/tmp/clean.arrow', '-o', '/tmp/clean.html']);
    assert.equal(report.code, 0, report.stderr);
    assert.match(readFileSync(join(root, 'tmp/clean.html'), 'utf8'), new RegExp(name));

    const seccomp = await inRoot(root, ['contxray', 'seccomp', '/tmp/clean.arrow', '-c', name, '-o', '/tmp/clean.seccomp.json']);
    assert.equal(seccomp.code, 0, seccomp.stderr);
    const profile = JSON.parse(readFileSync(join(root, 'tmp/clean.seccomp.json'), 'utf8')) as { syscalls: { names: string[] }[] };
    const allowed = profile.syscalls.flatMap((s) => s.names);
    assert.ok(allowed.includes('execve') && allowed.includes('openat'), `profile allows ${allowed.length} syscalls`);

    // Without the prebuild (another arch, a musl host): `record` says in one line what to install, and
    // the install script's source build fails without a compiler yet leaves npm's exit status 0.
    rmSync(join(root, pkg, 'native/prebuilds'), { recursive: true });
    const noAddon = await inRoot(root, ['contxray', 'record', '-o', '/tmp/none.arrow', '--duration', '1s']);
    assert.equal(noAddon.code, 4, noAddon.stderr);
    assert.equal(noAddon.stderr.trim().split('\n').length, 1, noAddon.stderr);
    assert.match(noAddon.stderr, /apt-get install -y clang llvm libbpf-dev/);
    const rebuild = await inRoot(root, ['npm', 'rebuild', '-g', 'contxray', '--allow-scripts=contxray', '--foreground-scripts', ...npmArgs]);
    assert.equal(rebuild.code, 0, `npm rebuild failed:\n${rebuild.stderr}`);
    assert.match(rebuild.stderr, /contxray: the recorder \(needed by `contxray record` only\) could not be built .*apt-get install -y clang/);
  } finally {
    await docker('rm', '-f', name).catch(() => undefined);
    for (const m of [...mounted].reverse()) await execFileAsync('umount', ['-l', m]).catch(() => undefined);
    const left = mountsUnder(scratch);
    if (left.length === 0) rmSync(scratch, { recursive: true, force: true });
    assert.deepEqual(left, [], `mounts left under ${scratch}: not removing it`);
  }
});
