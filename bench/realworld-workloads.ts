/**
 * Real servers for `npm run bench -- realworld`, from Debian bookworm packages (images built by
 * scripts/realworld-images.sh). Each has its command, the traffic a client sends it (from the host
 * or a client container of the same image on the bench's network) and its lifecycle (docker exec
 * commands such as `nginx -s reload`, which run under the container's profile too; a graceful
 * docker stop). `drive` returns what a user would see, so runs compare as strings.
 */
import { docker } from '../test/helpers/docker.js';

export interface RealWorkload {
  id: string;
  image: string;
  runArgs: string[];
  args: string[];
  drive: (name: string, net: string) => Promise<string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = (err as Error).message.split('\n')[0] ?? '';
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ` (${last})` : ''}`);
    await sleep(200);
  }
}

const ipOf = (name: string) => docker('inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name);

/** A command's exit status and output, never throwing (a failure is an observation). */
async function attempt(...args: string[]): Promise<string> {
  try {
    return `ok ${(await docker(...args)).trim()}`;
  } catch (err) {
    return `failed ${((err as { code?: number }).code ?? '?')}`;
  }
}

async function http(url: string, init?: RequestInit): Promise<string> {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  const body = await r.text();
  return `${r.status} ${body.length}`;
}

async function httpSeries(name: string, port: number, paths: string[]): Promise<string[]> {
  const base = `http://${await ipOf(name)}:${port}`;
  const seen = [await waitFor(`${base} to answer`, () => http(`${base}${paths[0]}`))];
  for (const p of paths.slice(1)) seen.push(await http(`${base}${p}`).catch((e: Error) => `error ${e.message}`));
  return seen;
}

/** `docker stop` with a short grace period, then the container's exit status. */
async function stop(name: string, seconds: number): Promise<string> {
  await docker('stop', '--time', String(seconds), name);
  return `exit ${await docker('inspect', '--format', '{{.State.ExitCode}}', name)}`;
}

const clientRun = (net: string, image: string, ...cmd: string[]) => attempt('run', '--rm', '--label', 'contxray.test=1', '--network', net, image, ...cmd);

export const REAL_WORKLOADS: RealWorkload[] = [
  {
    id: 'nginx',
    image: 'contxray-rw/nginx:bookworm',
    runArgs: [],
    args: ['nginx', '-g', 'daemon off;'],
    drive: async (name) => {
      const seen = await httpSeries(name, 80, ['/', '/', '/nope', '/index.nginx-debian.html']);
      const base = `http://${await ipOf(name)}:80`;
      seen.push(await http(`${base}/`, { method: 'POST', body: 'x'.repeat(64 * 1024) }).catch((e: Error) => `error ${e.message}`));
      seen.push(`reload ${await attempt('exec', name, 'nginx', '-s', 'reload')}`);
      await sleep(500);
      seen.push(...(await httpSeries(name, 80, ['/', '/nope'])));
      seen.push(await stop(name, 10));
      return seen.join('\n');
    },
  },
  {
    id: 'redis',
    image: 'contxray-rw/redis:bookworm',
    runArgs: [],
    args: ['redis-server', '/etc/redis/redis.conf'],
    drive: async (name, net) => {
      const img = 'contxray-rw/redis:bookworm';
      const seen = [await waitFor('redis to answer', async () => {
        const r = await clientRun(net, img, 'redis-cli', '-h', name, 'PING');
        return r === 'ok PONG' ? r : undefined;
      })];
      seen.push(await clientRun(net, img, 'redis-cli', '-h', name, 'SET', 'k', 'v'));
      seen.push(await clientRun(net, img, 'redis-cli', '-h', name, 'INCR', 'n'));
      seen.push(await clientRun(net, img, 'redis-cli', '-h', name, 'GET', 'k'));
      seen.push(`bgsave ${await attempt('exec', name, 'redis-cli', 'BGSAVE')}`);
      await sleep(1000);
      seen.push(await clientRun(net, img, 'redis-cli', '-h', name, 'DBSIZE'));
      seen.push(await stop(name, 10));
      return seen.join('\n');
    },
  },
  {
    id: 'postgres',
    image: 'contxray-rw/postgres:bookworm',
    runArgs: ['--user', 'postgres'],
    args: ['sh', '-c', 'exec /usr/lib/postgresql/*/bin/postgres -D /var/lib/postgresql/$(ls /usr/lib/postgresql)/main -c config_file=/etc/postgresql/$(ls /usr/lib/postgresql)/main/postgresql.conf'],
    drive: async (name, net) => {
      const img = 'contxray-rw/postgres:bookworm';
      const psql = (sql: string) => clientRun(net, img, 'psql', '-h', name, '-U', 'postgres', '-tAc', sql);
      const seen = [await waitFor('postgres to answer', async () => {
        const r = await psql('select 1');
        return r === 'ok 1' ? r : undefined;
      }, 60_000)];
      seen.push(await psql('create table t (id serial primary key, v text)'));
      seen.push(await psql("insert into t (v) select 'row ' || g from generate_series(1, 1000) g"));
      seen.push(await psql('select count(*), max(id) from t'));
      seen.push(`checkpoint ${await attempt('exec', '-u', 'postgres', name, 'psql', '-tAc', 'checkpoint')}`);
      seen.push(await stop(name, 20));
      return seen.join('\n');
    },
  },
  {
    id: 'python',
    image: 'contxray-rw/python:bookworm',
    runArgs: ['--workdir', '/usr/share'],
    args: ['python3', '-m', 'http.server', '8000'],
    drive: async (name) => {
      const seen = await httpSeries(name, 8000, ['/', '/nope', '/doc/', '/']);
      seen.push(await stop(name, 2));
      return seen.join('\n');
    },
  },
  {
    id: 'node',
    image: 'contxray-rw/node:bookworm',
    runArgs: [],
    args: ['node', '-e', "require('http').createServer((q, s) => { let n = 0; q.on('data', (d) => (n += d.length)); q.on('end', () => s.end(`hi ${q.method} ${q.url} ${n}`)); }).listen(8000); process.on('SIGTERM', () => process.exit(0));"],
    drive: async (name) => {
      const seen = await httpSeries(name, 8000, ['/', '/a', '/b']);
      const base = `http://${await ipOf(name)}:8000`;
      seen.push(await http(`${base}/up`, { method: 'POST', body: 'x'.repeat(100_000) }).catch((e: Error) => `error ${e.message}`));
      seen.push(await stop(name, 10));
      return seen.join('\n');
    },
  },
];
