/** `mailops metrics [--port 9464] [--host 127.0.0.1]`: the Prometheus endpoint, until stopped. */
import { buildContext, type GlobalFlags } from '../../cli/context.js';
import { usageError } from '../../errors.js';
import { createMetrics, serveMetrics } from '../../metrics/registry.js';
import { StateStore, stateExists } from '../../store/store.js';

export async function metricsCommand(flags: { port?: string; host?: string }, globals: GlobalFlags): Promise<number> {
  const { io, loaded } = buildContext(globals);
  const port = Number(flags.port ?? process.env.METRICS_PORT ?? 9464);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--port must be a port number (got ${flags.port})`);
  const m = createMetrics(() => (stateExists(loaded.dataDir) ? StateStore.open(loaded.dataDir) : undefined));
  const srv = await serveMetrics(m, flags.host ?? '127.0.0.1', port);
  io.info(`serving http://${flags.host ?? '127.0.0.1'}:${srv.port}/metrics (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await srv.close();
  return 0;
}
