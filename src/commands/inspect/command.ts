/** Flags → options for `mailops inspect`. */
import { buildContext, type GlobalFlags } from '../../cli/context.js';
import { runInspect } from './run.js';
import { renderInspect } from './render.js';

export async function inspectCommand(file: string, globals: GlobalFlags): Promise<number> {
  const { io, loaded } = buildContext(globals);
  const c = loaded.config;
  const { llmSettings } = await import('../ingest/command.js');
  const analysis = await runInspect({ file, ownDomains: c.OWN_DOMAINS, replyLocalpart: c.REPLY_LOCALPART, defaultRegion: c.PHONE_DEFAULT_REGION, llm: llmSettings(c) });
  renderInspect(io, analysis);
  return 0;
}
