/**
 * The run as the frontend knows it, rebuilt from the kernel's deltas (pure: no DOM, no JupyterLab).
 *
 * The wire format is documented in `eager_jupyter/views/widget_wire.py` (the single description of
 * it, short status ops included); these types mirror `widget_state.py`'s TypedDicts. Applying every
 * delta in order to an empty `RunState` gives the same state as `RunState.fromSnapshot(snapshot)`: a
 * view that joins late draws the same thing.
 */

export type Op = any[];

/** An nbformat v4 output (stream, display_data, execute_result or error). */
export type Output = { output_type: string; [key: string]: any };

export interface IDelta {
  c?: string;
  p?: string;
  n?: number;
  s?: (string | Op)[]; // short ops ("R1,23,66;D4,7") and arrays
  x?: Op[];
}

export interface ISnapshot {
  c: string;
  p: string;
  n: number;
  s: Op[];
  x: { [index: string]: Output[] };
}

export type Status = 'queued' | 'held' | 'running' | 'done' | 'error' | 'skipped';

export interface IStatement {
  index: number;
  start: number;
  length: number;
  line: number;
  status: Status;
  generated: number; // ms since the request
  released: number;
  started: number | null;
  finished: number | null;
  batch: number | null;
  note: string | null;
  outputs: Output[];
}

/** What one delta changed, so a view redraws only that. */
export interface IChanges {
  code: boolean;
  prose: boolean;
  released: number[]; // new statements, in order
  statements: Set<number>; // statements whose status changed
  outputs: Op[]; // output ops, in order (the view applies them to its output areas)
  run: boolean; // header figures (source, generation end, run end)
}

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
  outputTokens: number | null = null;
  ended: { t: number; status: string; error: string | null } | null = null;
  repairs = 0;
  statements: IStatement[] = []; // by index (indices are dense: 0..n-1)

  static fromSnapshot(snapshot: ISnapshot | null | undefined): RunState {
    const state = new RunState();
    if (!snapshot) {
      return state;
    }
    state.apply({ c: snapshot.c, p: snapshot.p, n: snapshot.n, s: snapshot.s });
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
      run: false
    };
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
      if (typeof op === 'string') {
        for (const short of op.split(';')) {
          this.applyOp(this.decode(short), changes);
        }
      } else {
        this.applyOp(op, changes);
      }
    }
    for (const op of delta.x ?? []) {
      this.applyOutput(op);
      changes.outputs.push(op);
    }
    return changes;
  }

  /** A short op (widget_wire.encode) as the array it stands for; times relative to what it names. */
  private decode(short: string): Op {
    const kind = short[0];
    const f = short
      .slice(1)
      .split(',')
      .map(v => (v === '' ? null : Number(v)));
    switch (kind) {
      case 'R': {
        const prev = this.statements[this.statements.length - 1];
        const gen = (prev ? prev.generated : 0) + (f[2] ?? 0);
        const delay = f[3] ?? 0;
        const since = f[4] ?? null;
        const started = since === null ? null : gen + delay + since;
        return ['R', f[0] ?? 0, f[1], gen, delay, started, f[5] ?? null, f[6] ?? null, null, f[8] ?? null];
      }
      case 'S': {
        const stmt = this.statements[f[0] ?? -1];
        return ['S', f[0], (stmt ? stmt.released : 0) + (f[1] ?? 0), f[2] ?? null, f[3] ?? null];
      }
      default:
        return [kind, ...f];
    }
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
        // ["R", gap, length, gen, delay, started, batch, run, error, line] (merged S/D/F; line if not the code's)
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
          note: null,
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
      case 'G':
        this.generationEnd = a;
        this.stopped = !!b;
        this.outputTokens = c ?? null;
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
        stmt.status = 'error';
        stmt.finished = b === null || b === undefined || stmt.started === null ? null : stmt.started + b;
        stmt.note = c ?? null;
        this.seen(stmt.finished);
        break;
      case 'X':
        stmt.status = 'skipped';
        stmt.note = b ?? null;
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
    const prev = index > 0 ? this.statements[index - 1] : undefined;
    const from = prev ? prev.start + prev.length : 0;
    return trimBlank(this.code.slice(Math.min(from, stmt.start), stmt.start + stmt.length));
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

  tokens(): number {
    return this.outputTokens ?? this.pieces;
  }

  tokensPerSecond(elapsed: number): number | null {
    const end = this.generationEnd ?? elapsed;
    const span = end - (this.firstToken ?? 0);
    return span > 50 && this.pieces > 1 ? (this.pieces * 1000) / span : null;
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

  /**
   * Time saved against generating everything first and running it after (ms), the paper's serial
   * model without its setup term: generation end + every run time - end to end. Null until known.
   */
  saved(): number | null {
    if (!this.ended || this.ended.status === 'interrupted' || this.generationEnd === null || this.mode !== 'eager') {
      return null;
    }
    const finished = this.statements.filter(s => s && s.finished !== null).map(s => s.finished as number);
    const endToEnd = finished.length ? Math.max(...finished) : this.ended.t;
    return this.generationEnd + this.runTotal(endToEnd) - endToEnd;
  }

  /** Execution already hidden behind generation (ms): what ran while the model was still writing. */
  overlapped(now: number): number {
    const genEnd = this.generationEnd ?? now;
    let total = 0;
    for (const s of this.statements) {
      if (s && s.started !== null) {
        total += Math.max(0, Math.min(s.finished ?? now, genEnd) - s.started);
      }
    }
    return total;
  }
}

function trimBlank(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, '').replace(/\s+$/, '');
}
