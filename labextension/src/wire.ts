/**
 * The wire format's types, as the frontend reads it: deltas, snapshots, status ops and the header's
 * figures. `eager_jupyter/views/widget/state.py` documents the format (its single description);
 * these mirror its TypedDicts.
 */

export type Op = any[];

/** An nbformat v4 output (stream, display_data, execute_result or error). */
export type Output = { output_type: string; [key: string]: any };

/** The header's figures, computed by the kernel from the run record. */
export interface IFigures {
  phase: string; // generating, running, done, failed, stopped
  tps: number | null; // tokens/s over the generation only
  saved: number | null; // seconds saved against the run's own serial estimate (a run that ended well)
  serial: number | null; // that estimate: end of generation + every run time
  summary: string | null; // the saved header's line, once the run has ended
  cost?: number | null; // USD, where the model's price is known, once the run has ended
  unsent?: number | null; // tokens a stopped replay never generated (unknown for a live model)
  unsent_s?: number | null; // their time at the run's own rate
}

export interface IDelta {
  k?: [number, number]; // a revision: cut code and prose to these lengths before appending c, p
  c?: string;
  p?: string;
  n?: number;
  s?: Op[];
  x?: Op[];
  f?: Partial<IFigures>; // the figures that changed
  w?: { [status: string]: string };
}

export interface ISnapshot {
  c: string;
  p: string;
  n: number;
  s: Op[];
  x: { [index: string]: Output[] };
  f?: IFigures;
  w?: { [status: string]: string };
}

export type Status = 'queued' | 'held' | 'running' | 'done' | 'error' | 'skipped' | 'interrupted';
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
  text?: string; // withdrawn by a revision: its text as it was (the code is revised past it)
}

/** --agent: one step (a model response) begins at these lengths of the code and the prose. */
export interface IStep {
  step: number;
  t: number; // its request went out (ms)
  code: number;
  prose: number;
  first: number; // its first statement's index (statements released before belong to earlier steps)
  end?: number; // its generation ended (ms); absent while it streams
}

/** What one delta changed, so a view redraws only that. */
export interface IChanges {
  code: boolean;
  prose: boolean;
  released: number[]; // new statements, in order
  statements: Set<number>; // statements whose status changed
  outputs: Op[]; // output ops, in order (the view applies them to its output areas)
  run: boolean; // header figures (source, generation end, run end)
  steps: boolean; // --agent: a step began
}
