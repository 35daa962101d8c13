// Apply the kernel's deltas with the labextension's own RunState (labextension/lib/state.js), and
// rebuild the same run from the kernel's snapshot and from the frontend's own (`toSnapshot`, what a save
// mid-run writes); print all three, for tests/test_widget_state.py to compare.
//   node replay_state.mjs <labextension/lib/state.js>  < {"deltas": [...], "snapshot": {...}}
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';

// lib/ is ES modules without "type": "module" in reach, and its relative imports name no extension
// (webpack resolves them): load a copy that says what it is and names them
const lib = mkdtempSync(join(tmpdir(), 'eager-lib-'));
let RunState, proseText;
try {
  for (const name of readdirSync(dirname(process.argv[2])).filter(n => n.endsWith('.js'))) {
    const text = readFileSync(join(dirname(process.argv[2]), name), 'utf8');
    writeFileSync(join(lib, name), text.replace(/(from\s+'\.\/[\w-]+)'/g, "$1.js'"));
  }
  writeFileSync(join(lib, 'package.json'), '{"type": "module"}');
  ({ RunState, proseText } = await import(pathToFileURL(join(lib, basename(process.argv[2]))).href));
} finally {
  rmSync(lib, { recursive: true, force: true });
}
const input = JSON.parse(readFileSync(0, 'utf8'));

const plain = state => ({
  code: state.code,
  prose: state.prose,
  shownProse: proseText(state.prose),
  pieces: state.pieces,
  tokens: state.tokens(),
  overlapped: state.overlapped(state.elapsed(0, 0)),
  windows: state.generationWindows(state.elapsed(0, 0)),
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
const tokens = []; // the header's token count after each delta
for (const delta of input.deltas) {
  live.apply(delta);
  tokens.push(live.tokens());
}
process.stdout.write(
  JSON.stringify({
    live: plain(live),
    tokens,
    snapshot: plain(RunState.fromSnapshot(input.snapshot)),
    saved: plain(RunState.fromSnapshot(JSON.parse(JSON.stringify(live.toSnapshot()))))
  })
);
