/**
 * The run as the frontend knows it, rebuilt from the kernel's deltas (pure: no DOM, no JupyterLab).
 *
 * The wire format is documented in `eager_jupyter/views/widget/state.py` (its single description);
 * `wire.ts` has its types. Applying every delta in order to an empty `RunState` gives the
 * same state as `RunState.fromSnapshot(snapshot)`: a view that joins late draws the same thing.
 * The header's figures and the words for each status come from the kernel (`f`, `w`), computed from
 * the run record; this side only advances clocks between deltas. Notebooks saved before the kernel
 * sent them still draw: `legacy.ts` stands in for them there, and only there.
 */

import { LEGACY_WORDS, legacyPhase, legacySaved, legacyTokensPerSecond } from './legacy';
import type { IChanges, IDelta, IFigures, ISnapshot, IStatement, IStep, Op, Output } from './wire';

export type * from './wire';

export class RunState {
  code = '';
  program: string | null = null; // the finished program, when it differs from the code streamed
  prose = '';
  pieces = 0;
  now = 0; // the latest kernel time we were told of, ms since the request
  source = '';
  model: string | null = null;
  mode = 'eager';
  firstToken: number | null = null;
  generationEnd: number | null = null;
  stopped = false;
  outputTokens: number | null = null; // the model's count over every generation that ended
  piecesCounted = 0; // the pieces `outputTokens` covers (later pieces are still being counted)
  ended: { t: number; status: string; error: string | null } | null = null;
  repairs = 0;
  statements: IStatement[] = []; // by index (indices are dense: 0..n-1)
  steps: IStep[] = []; // --agent: the episode's steps, in order
  figures: IFigures | null = null;
  words: { [status: string]: string } = LEGACY_WORDS;
  private log: Op[] = []; // every status op applied, in order: what `toSnapshot` saves

  static fromSnapshot(snapshot: ISnapshot | null | undefined): RunState {
    const state = new RunState();
    if (!snapshot) {
      return state;
    }
    state.apply({ c: snapshot.c, p: snapshot.p, n: snapshot.n, s: snapshot.s, f: snapshot.f, w: snapshot.w });
    for (const [key, outputs] of Object.entries(snapshot.x ?? {})) {
      const stmt = state.statements[Number(key)];
      if (stmt) {
        stmt.outputs = outputs.map(o => ({ ...o }));
      }
    }
    return state;
  }

  apply(delta: IDelta): IChanges {
    const changes: IChanges = {
      code: false,
      prose: false,
      released: [],
      statements: new Set(),
      outputs: [],
      run: false,
      steps: false
    };
    if (delta.k) {
      // statements the cut reaches keep their text (their W op follows, maybe in a later delta)
      for (const stmt of this.statements) {
        if (stmt && stmt.text === undefined && stmt.start + stmt.length > delta.k[0]) {
          stmt.text = this.code.slice(stmt.start, stmt.start + stmt.length);
          changes.statements.add(stmt.index);
        }
      }
      this.code = this.code.slice(0, delta.k[0]);
      this.prose = this.prose.slice(0, delta.k[1]);
      changes.code = true;
      changes.prose = true;
    }
    if (delta.c) {
      this.code += delta.c;
      changes.code = true;
    }
    if (delta.p) {
      this.prose += delta.p;
      changes.prose = true;
    }
    if (delta.n !== undefined) {
      this.pieces = delta.n;
      changes.run = true;
    }
    for (const op of delta.s ?? []) {
      this.log.push(op);
      this.applyOp(op, changes);
    }
    for (const op of delta.x ?? []) {
      this.applyOutput(op);
      changes.outputs.push(op);
    }
    if (delta.f) {
      this.figures = { ...(this.figures ?? ({} as IFigures)), ...delta.f };
      changes.run = true;
    }
    if (delta.w) {
      this.words = delta.w;
    }
    return changes;
  }

  /** The state as a snapshot (`fromSnapshot(toSnapshot())` draws the same run): what the notebook
   * saves of a run still going when it is saved. */
  toSnapshot(): ISnapshot {
    const x: { [index: string]: Output[] } = {};
    for (const stmt of this.statements) {
      if (stmt && stmt.outputs.length) {
        x[String(stmt.index)] = stmt.outputs.map(o => ({ ...o }));
      }
    }
    return {
      c: this.code,
      p: this.prose,
      n: this.pieces,
      s: [...this.log],
      x,
      ...(this.figures ? { f: { ...this.figures } } : {}),
      w: this.words
    };
  }

  /** What people read for a status (the kernel's words). */
  word(status: string): string {
    return this.words[status] ?? status;
  }

  private seen(t: number | null | undefined): void {
    if (typeof t === 'number') {
      this.now = Math.max(this.now, t);
    }
  }

  private applyOp(op: Op, changes: IChanges): void {
    const [kind, a, b, c, d] = op;
    const stmt = kind !== 'R' && typeof a === 'number' ? this.statements[a] : undefined;
    switch (kind) {
      case 'B':
        [this.source, this.model, this.mode] = [a, b, c];
        changes.run = true;
        return;
      case 'T':
        this.firstToken = a;
        this.seen(a);
        changes.run = true;
        return;
      case 'R': {
        // ["R", gap, length, gen, delay, started, batch, run, error, line, rerunOf?] (merged S/D/F)
        const index = this.statements.length;
        const prev = this.statements[index - 1];
        const start = (prev ? prev.start + prev.length : 0) + (a ?? 0);
        const stmt: IStatement = {
          index,
          start,
          length: b,
          line: op[9] ?? this.code.slice(0, start).split('\n').length,
          status: 'queued',
          generated: c,
          released: c + d,
          started: null,
          finished: null,
          batch: null,
          // issue 18: it re-runs statement op[10], which ran and was then revised (as outputs.note says)
          note: typeof op[10] === 'number' ? `re-ran after a revision (statement ${op[10] + 1})` : null,
          outputs: []
        };
        this.statements[index] = stmt;
        this.seen(c + d);
        if (typeof op[5] === 'number') {
          this.startOp(stmt, op.slice(5, 9));
        }
        changes.released.push(index);
        changes.statements.add(index);
        return;
      }
      case 'P':
        this.repairs = a;
        changes.run = true;
        return;
      case 'N':
        this.steps.push({
          step: a,
          t: b,
          code: c ?? this.code.length,
          prose: d ?? this.prose.length,
          first: this.statements.length
        });
        this.seen(b);
        changes.steps = true;
        changes.run = true;
        return;
      case 'G':
        this.generationEnd = a;
        if (this.steps.length) {
          this.steps[this.steps.length - 1].end = a;
        }
        this.stopped = !!b;
        this.outputTokens = c ?? null;
        this.piecesCounted = typeof op[4] === 'number' ? op[4] : this.pieces;
        this.seen(a);
        changes.run = true;
        return;
      case 'E':
        this.ended = { t: a, status: b, error: c ?? null };
        this.seen(a);
        changes.run = true;
        return;
    }
    if (!stmt) {
      return;
    }
    changes.statements.add(stmt.index);
    switch (kind) {
      case 'H':
        stmt.status = 'held';
        stmt.note = b;
        break;
      case 'S':
        this.startOp(stmt, op.slice(2));
        break;
      case 'D':
        stmt.status = 'done';
        stmt.finished = (stmt.started ?? 0) + b;
        this.seen(stmt.finished);
        break;
      case 'F':
        stmt.status = d ? 'interrupted' : 'error';
        stmt.finished = b === null || b === undefined || stmt.started === null ? null : stmt.started + b;
        stmt.note = c ?? null;
        this.seen(stmt.finished);
        break;
      case 'X':
        stmt.status = 'skipped';
        stmt.note = b ?? null;
        break;
      case 'W':
        stmt.text = c;
        stmt.note = b ?? null;
        if (d) {
          stmt.status = 'skipped';
        }
        break;
    }
  }

  /** [started, batch, run?, error?]: started; finished after `run` ms; failed if `error`. */
  private startOp(stmt: IStatement, [started, batch, run, error]: any[]): void {
    stmt.status = 'running';
    stmt.started = started;
    stmt.batch = batch ?? null;
    this.seen(started);
    if (typeof run === 'number') {
      stmt.finished = started + run;
      stmt.status = error ? 'error' : 'done';
      stmt.note = error ?? stmt.note;
      this.seen(stmt.finished);
    } else if (error) {
      stmt.status = 'error';
      stmt.note = error;
    }
  }

  private applyOutput(op: Op): void {
    const [kind, index] = op;
    const stmt = this.statements[index];
    if (!stmt) {
      return;
    }
    switch (kind) {
      case 'a':
        stmt.outputs.push(op[2]);
        break;
      case 's': {
        const last = stmt.outputs[stmt.outputs.length - 1];
        if (last && last.output_type === 'stream' && last.name === op[2]) {
          last.text += op[3];
        } else {
          stmt.outputs.push({ output_type: 'stream', name: op[2], text: op[3] });
        }
        break;
      }
      case 'u':
        stmt.outputs[op[2]] = op[3];
        break;
      case 'c':
        stmt.outputs = [];
        break;
    }
  }

  // ---- what views show ------------------------------------------------------------------------

  /** The text shown for statement i: from the end of the one before (comments, blank lines) to its end. */
  blockText(index: number): string {
    const stmt = this.statements[index];
    if (stmt.text !== undefined) {
      return trimBlank(stmt.text);
    }
    const prev = index > 0 ? this.statements[index - 1] : undefined;
    const from = prev ? prev.start + prev.length : 0;
    return trimBlank(this.code.slice(Math.min(from, stmt.start), stmt.start + stmt.length));
  }

  /** --agent: the words of step k (the prose written between its request and the next one's). */
  stepProse(k: number): string {
    const next = this.steps[k + 1];
    return proseText(this.prose.slice(this.steps[k].prose, next ? next.prose : undefined));
  }

  /** Code after the last released statement: still streaming, or never run. */
  tail(): string {
    const last = this.statements[this.statements.length - 1];
    return trimBlank(this.code.slice(last ? last.start + last.length : 0));
  }

  get running(): boolean {
    return this.ended === null;
  }

  /** Kernel time now (ms), extrapolated while the run goes on (`offset`: local clock minus the kernel's). */
  elapsed(localNow: number, offset: number): number {
    if (this.ended) {
      return this.ended.t;
    }
    return Math.max(this.now, localNow - offset);
  }

  /** Tokens so far: the model's count for the generations that ended (every step of an episode),
   * plus the pieces of the one going on. */
  tokens(): number {
    return this.outputTokens === null ? this.pieces : this.outputTokens + this.pieces - this.piecesCounted;
  }

  tokensPerSecond(): number | null {
    return this.figures ? this.figures.tps : legacyTokensPerSecond(this);
  }

  /** The header's phase word. */
  phase(): string {
    if (this.figures) {
      return this.figures.phase;
    }
    return legacyPhase(this);
  }

  counts(): { [status: string]: number } {
    const counts: { [status: string]: number } = {};
    for (const s of this.statements) {
      if (s) {
        counts[s.status] = (counts[s.status] ?? 0) + 1;
      }
    }
    return counts;
  }

  /** Run time of every statement that ran (ms); a running one counts up to `now`. */
  runTotal(now: number): number {
    let total = 0;
    for (const s of this.statements) {
      if (s && s.started !== null) {
        total += (s.finished ?? now) - s.started;
      }
    }
    return total;
  }

  /** Time saved against the run's own serial estimate (ms): the kernel's figure; null until known. */
  saved(): number | null {
    if (this.figures) {
      return this.figures.saved === null ? null : this.figures.saved * 1000;
    }
    return legacySaved(this);
  }

  /** When the model wrote (ms): [from, to] from the first token to generation's end (or `now`); in
   * an --agent episode one window per step, from its request to its generation's end. */
  generationWindows(now: number): Array<[number, number]> {
    if (!this.steps.length) {
      return [[this.firstToken ?? 0, Math.min(this.generationEnd ?? now, now)]];
    }
    const last = this.steps.length - 1;
    return this.steps.map((step, k): [number, number] => [step.t, Math.min(step.end ?? (k === last ? now : step.t), now)]);
  }

  /** Execution hidden behind generation (ms): what ran while the model was still writing (a clock
   * that stops when generation ends). In an episode the model writes in steps: from each step's
   * request to its generation's end; what runs between steps is not hidden behind anything. */
  overlapped(now: number): number {
    const windows = this.generationWindows(now);
    let total = 0;
    for (const s of this.statements) {
      if (s && s.started !== null) {
        const finished = s.finished ?? now;
        for (const [start, end] of windows) {
          total += Math.max(0, Math.min(finished, end) - Math.max(s.started, start));
        }
      }
    }
    return total;
  }
}

/** The model's words to show: without the fence lines that framed the code (as `outputs.prose_text`). */
export function proseText(text: string): string {
  return text
    .split('\n')
    .filter(line => !/^ {0,3}(?:`{3,}|~{3,})[^`\n]*$/.test(line))
    .join('\n')
    .trim();
}

function trimBlank(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, '').replace(/\s+$/, '');
}
