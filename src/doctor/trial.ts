/**
 * The one check that touches the kernel: load and attach the BPF programs for a moment, exactly as
 * `record` does, then detach. It proves what the file checks can only suggest (the verifier accepts
 * the programs on this kernel, no seccomp filter or LSM blocks bpf()). Root only; the addon is
 * imported here, lazily, so the rest of doctor runs without it.
 */
import type { Check } from './checks.js';

export async function checkBpfLoad(): Promise<Check> {
  const { NativeRecorder } = await import('../record/native.js');
  const started = process.hrtime.bigint();
  try {
    const rec = NativeRecorder.open({ opens: 'none', ringBufferBytes: 4096 });
    rec.close();
  } catch (err) {
    return { id: 'bpf-load', status: 'fail', found: (err as Error).message, fix: 'see the checks above; CONTXRAY_LIBBPF_DEBUG=1 contxray doctor shows libbpf\'s and the verifier\'s output' };
  }
  const ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
  return { id: 'bpf-load', status: 'ok', found: `the BPF programs load and attach (${ms} ms)`, fix: null };
}
