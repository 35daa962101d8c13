// Apply the kernel's deltas with the labextension's own RunState (labextension/lib/state.js), and
// rebuild the same run from the kernel's snapshot and from the frontend's own (`toSnapshot`, what a save
// mid-run writes); print all three, for tests/test_widget_state.py to compare.
//   node replay_state.mjs <labextension/lib/state.js>  < {"deltas": [...], "snapshot": {...}}
import { readFileSync } from 'node:fs';

const source = readFileSync(process.argv[2], 'utf8');
const { RunState } = await import('data:text/javascript,' + encodeURIComponent(source));
const input = JSON.parse(readFileSync(0, 'utf8'));

const plain = state => ({
  code: state.code,
  prose: state.prose,
  pieces: state.pieces,
  source: state.source,
  model: state.model,
  mode: state.mode,
  firstToken: state.firstToken,
  generationEnd: state.generationEnd,
  ended: state.ended,
  statements: state.statements.map(s => ({ ...s })),
  tail: state.tail(),
  blocks: state.statements.map(s => state.blockText(s.index)),
  saved: state.saved(),
  phase: state.phase(),
  figures: state.figures,
  steps: state.steps.map((step, k) => ({ ...step, words: state.stepProse(k) }))
});

const live = new RunState();
for (const delta of input.deltas) {
  live.apply(delta);
}
process.stdout.write(
  JSON.stringify({
    live: plain(live),
    snapshot: plain(RunState.fromSnapshot(input.snapshot)),
    saved: plain(RunState.fromSnapshot(JSON.parse(JSON.stringify(live.toSnapshot()))))
  })
);
