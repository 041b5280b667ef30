/**
 * Kubernetes security-profiles-operator `SeccompProfile` (security-profiles-operator.x-k8s.io/v1beta1),
 * written by hand: the document is small and fixed, so a YAML dependency is not worth it. Every
 * string is emitted as a double-quoted YAML scalar (JSON string escaping is valid YAML), so a
 * hostile container name cannot change the document's structure. The CRD has no defaultErrnoRet
 * and no comment fields; errnoRet is a string in its current schema.
 */
import type { DockerProfile } from './types.js';

const q = (s: string) => JSON.stringify(s);

/** A DNS-1123 subdomain name for metadata.name, derived from the container name. */
export function spoName(container: string): string {
  const n = container
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .slice(0, 253);
  return n === '' ? 'contxray-profile' : n;
}

export function spoYaml(profile: DockerProfile, opts: { name: string; annotations?: Record<string, string> }): string {
  const lines = [
    'apiVersion: security-profiles-operator.x-k8s.io/v1beta1',
    'kind: SeccompProfile',
    'metadata:',
    `  name: ${q(spoName(opts.name))}`,
  ];
  const ann = Object.entries(opts.annotations ?? {});
  if (ann.length > 0) {
    lines.push('  annotations:');
    for (const [k, v] of ann) lines.push(`    ${q(k)}: ${q(v)}`);
  }
  lines.push('spec:', `  defaultAction: ${q(profile.defaultAction)}`);
  if (profile.architectures?.length) {
    lines.push('  architectures:');
    for (const a of profile.architectures) lines.push(`  - ${q(a)}`);
  }
  lines.push('  syscalls:');
  for (const rule of profile.syscalls ?? []) {
    lines.push(`  - action: ${q(rule.action)}`);
    if (rule.errnoRet !== undefined) lines.push(`    errnoRet: ${q(String(rule.errnoRet))}`);
    lines.push('    names:');
    for (const n of rule.names) lines.push(`    - ${q(n)}`);
  }
  return `${lines.join('\n')}\n`;
}
