/**
 * Notebooks saved before the kernel sent its words and figures (`w`, `f`): what the header showed for
 * them, derived here. Used for those notebooks only; every run since gets them from the kernel.
 */
import type { RunState } from './state';

/** The words of notebooks saved before the kernel sent its own (`w`). */
export const LEGACY_WORDS: { [status: string]: string } = {
  queued: 'queued',
  held: 'held',
  running: 'running',
  done: 'done',
  error: 'failed',
  skipped: 'skipped'
};

/** Pieces over the generation. */
export function legacyTokensPerSecond(state: RunState): number | null {
  const span = (state.generationEnd ?? state.now) - (state.firstToken ?? 0);
  return span > 50 && state.pieces > 1 ? (state.pieces * 1000) / span : null;
}

/** The phase word from how the run ended, or whether generation has. */
export function legacyPhase(state: RunState): string {
  if (state.ended) {
    return { ok: 'done', error: 'failed', interrupted: 'stopped' }[state.ended.status] ?? state.ended.status;
  }
  return state.generationEnd === null ? 'generating' : 'running';
}

/** Generation end + every run time - end to end. */
export function legacySaved(state: RunState): number | null {
  if (!state.ended || state.ended.status === 'interrupted' || state.generationEnd === null || state.mode !== 'eager') {
    return null;
  }
  const finished = state.statements.filter(s => s && s.finished !== null).map(s => s.finished as number);
  const endToEnd = finished.length ? Math.max(...finished) : state.ended.t;
  return state.generationEnd + state.runTotal(endToEnd) - endToEnd;
}
