/**
 * `docker compose` for the project's stack, through execa: the project's compose file and env file,
 * the project name "mailops". Says exactly what is missing when Docker, the compose plugin or the
 * daemon is not there (exit 5), and reads service state from `docker compose ps --format json`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { ExitCode, MailopsError } from '../errors.js';

export const PROJECT = 'mailops';

export function composeFilePath(): string {
  return fileURLToPath(new URL('../../compose/docker-compose.yml', import.meta.url));
}

export interface ComposeContext {
  envFile: string;
  profiles: string[];
  /** The docker executable (tests put a double first on PATH). */
  docker?: string;
}

export function composeArgs(ctx: ComposeContext, ...rest: string[]): string[] {
  return ['compose', '--project-name', PROJECT, '-f', composeFilePath(), '--env-file', ctx.envFile, ...ctx.profiles.flatMap((p) => ['--profile', p]), ...rest];
}

/** Docker, its compose plugin and a running daemon, or an error that says which is missing and how to fix it. */
export async function checkDocker(docker = 'docker'): Promise<void> {
  const version = await execa(docker, ['--version'], { reject: false });
  if (version.failed && (version as { code?: string }).code === 'ENOENT') {
    throw new MailopsError('docker-missing', 'Docker is not installed (no `docker` command on PATH)', {
      exitCode: ExitCode.unavailable,
      hint: 'Install Docker Engine (https://docs.docker.com/engine/install/), then run mailops up again.',
    });
  }
  const compose = await execa(docker, ['compose', 'version'], { reject: false });
  if (compose.exitCode !== 0) {
    throw new MailopsError('compose-missing', 'the Docker Compose plugin is missing (`docker compose` does not run)', {
      exitCode: ExitCode.unavailable,
      hint: 'Install it: apt-get install docker-compose-plugin (Docker repository), then run mailops up again.',
    });
  }
  const info = await execa(docker, ['info', '--format', '{{.ServerVersion}}'], { reject: false });
  if (info.exitCode !== 0) {
    const denied = /permission denied/i.test(String(info.stderr));
    throw new MailopsError('docker-daemon', denied ? 'no permission to talk to the Docker daemon' : 'the Docker daemon is not running', {
      exitCode: ExitCode.unavailable,
      hint: denied ? 'Add your user to the docker group (sudo usermod -aG docker $USER) and log in again.' : 'Start it: sudo systemctl start docker',
    });
  }
}

export interface ServiceState {
  service: string;
  state: string;
  health: string;
  status: string;
  ports: string;
}

/** `docker compose ps --format json` prints a JSON array (old) or one object per line (new). */
export function parsePs(stdout: string): ServiceState[] {
  const text = stdout.trim();
  if (!text) return [];
  const rows: Array<Record<string, unknown>> = text.startsWith('[') ? (JSON.parse(text) as Array<Record<string, unknown>>) : text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return rows.map((r) => ({
    service: String(r.Service ?? r.Name ?? ''),
    state: String(r.State ?? '').toLowerCase(),
    health: String(r.Health ?? '').toLowerCase(),
    status: String(r.Status ?? ''),
    ports: typeof r.Publishers === 'object' && Array.isArray(r.Publishers)
      ? (r.Publishers as Array<{ URL?: string; PublishedPort?: number; TargetPort?: number }>).filter((p) => p.PublishedPort).map((p) => `${p.URL ?? ''}:${p.PublishedPort}->${p.TargetPort}`).join(', ')
      : String(r.Ports ?? ''),
  }));
}

export async function compose(ctx: ComposeContext, args: string[], opts: { inherit?: boolean } = {}) {
  const r = await execa(ctx.docker ?? 'docker', composeArgs(ctx, ...args), { reject: false, ...(opts.inherit ? { stdio: 'inherit' as const } : {}) });
  return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

export async function servicesState(ctx: ComposeContext): Promise<ServiceState[]> {
  const r = await compose(ctx, ['ps', '--all', '--format', 'json']);
  if (r.exitCode !== 0) throw new MailopsError('compose', `docker compose ps failed: ${r.stderr.trim()}`, { exitCode: ExitCode.unavailable });
  return parsePs(r.stdout);
}

/** A service is ready when it runs and, if it has a healthcheck, is healthy. */
export function isReady(s: ServiceState): boolean {
  return s.state === 'running' && (s.health === '' || s.health === 'healthy');
}

export function envFileExists(file: string): boolean {
  return existsSync(file);
}

/** The token Listmonk (≥ 5) prints once at install: `export LISTMONK_ADMIN_API_TOKEN="…"`. */
export function listmonkTokenFromLogs(logs: string): string | undefined {
  return /LISTMONK_ADMIN_API_TOKEN="?([A-Za-z0-9_-]{16,})"?/.exec(logs)?.[1];
}
