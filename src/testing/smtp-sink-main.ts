/** `node dist/testing/smtp-sink-main.js <logFile> [delayMs]`: a sink in its own process; prints its port. */
import { startSmtpSink } from './smtp-sink.js';

const [logFile, delay] = process.argv.slice(2);
const sink = await startSmtpSink({ ...(logFile ? { logFile } : {}), delayMs: Number(delay ?? 0) });
process.stdout.write(`${sink.port}\n`);
process.on('SIGTERM', () => void sink.close().then(() => process.exit(0)));
