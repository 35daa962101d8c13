/**
 * The timeline strip: per statement, when it was generated, released and run, on one time axis, so
 * the overlap of running with generating is a picture. Pure DOM (SVG) from a RunState.
 */
import { RunState } from './state';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 600;

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: { [key: string]: string | number },
  parent?: Element
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) {
    node.setAttribute(key, String(value));
  }
  parent?.appendChild(node);
  return node;
}

export function seconds(ms: number | null | undefined, digits = 2): string {
  return ms === null || ms === undefined ? '-' : `${(ms / 1000).toFixed(digits)} s`;
}

/** Tick spacing (ms) for an axis `end` ms long: about five ticks at 1, 2 or 5 x 10^k. */
function tickStep(end: number): number {
  const raw = end / 5;
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  return [1, 2, 5, 10].map(m => m * power).find(step => step >= raw) ?? power * 10;
}

/** Draw the strip for `state` at kernel time `now` (ms): a fixed height (rows thin out as statements
 * come, so nothing below moves), a time axis in seconds and a legend. */
export function renderTimeline(state: RunState, now: number): SVGSVGElement {
  const stmts = state.statements.filter(s => !!s);
  const n = Math.max(stmts.length, 1);
  const height = 96;
  const top = 12;
  const axis = height - 14;
  const row = Math.max(0.5, Math.min(9, (axis - top - 2) / n));
  const end = Math.max(now, state.generationEnd ?? 0, ...stmts.map(s => s.finished ?? s.started ?? s.released), 1);
  const x = (t: number | null) => 4 + ((WIDTH - 8) * Math.max(0, t ?? 0)) / end;

  const svg = el('svg', {
    class: 'eager-timeline-svg',
    viewBox: `0 0 ${WIDTH} ${height}`,
    preserveAspectRatio: 'none',
    height,
    role: 'img'
  });
  el('line', { class: 'eager-tl-axis', x1: 4, x2: WIDTH - 4, y1: axis, y2: axis }, svg);
  const step = tickStep(end);
  for (let t = 0; t <= end; t += step) {
    el('line', { class: 'eager-tl-axis', x1: x(t), x2: x(t), y1: axis, y2: axis + 3 }, svg);
    const nearEnd = x(t) > WIDTH - 40; // a label there would run off the strip: end it at its tick
    const label = el('text', { class: 'eager-tl-tick', x: nearEnd ? x(t) - 2 : x(t) + 2, y: height - 2, ...(nearEnd ? { 'text-anchor': 'end' } : {}) }, svg);
    label.textContent = `${(t / 1000).toFixed(step < 1000 ? 1 : 0)} s`;
  }
  const legend = el('text', { class: 'eager-tl-legend', x: WIDTH - 4, y: 9, 'text-anchor': 'end' }, svg);
  legend.textContent = 'top bar: generation · light: written · dark: ran · dashed: generation ended';
  el('title', {}, svg).textContent =
    'Timeline: light bars are when each statement was being generated, dark bars when it ran';

  // the top bar: when the model wrote; in an --agent episode one bar per step, from its request to
  // its generation's end (between steps the model waits for the code, and the code for the model)
  const genStart = state.firstToken ?? 0;
  state.generationWindows(now).forEach(([from, to], k) => {
    const bar = el('rect', { class: 'eager-tl-gen', x: x(from), y: 2, width: Math.max(1, x(to) - x(from)), height: 6 }, svg);
    const what = state.steps.length ? `step ${state.steps[k].step}` : 'generation';
    el('title', {}, bar).textContent = `${what}: ${seconds(from)} to ${seconds(to)}`;
  });
  const stepStarts = new Map(state.steps.map(step => [step.first, step.t]));

  let prevGenerated = genStart;
  stmts.forEach((s, i) => {
    if (stepStarts.has(s.index)) {
      prevGenerated = stepStarts.get(s.index)!; // a step's first statement was written after its request
    }
    const y = top + i * row;
    const g = el('g', { class: `eager-tl-row eager-status-${s.status}`, 'data-index': s.index }, svg);
    el('title', {}, g).textContent =
      `statement ${s.index + 1} (line ${s.line}): generated ${seconds(s.generated)}, released ${seconds(s.released)}` +
      (s.started !== null ? `, ran ${seconds(s.started)} to ${seconds(s.finished ?? now)}` : '') +
      (s.note ? ` - ${s.note}` : '');
    const from = Math.min(prevGenerated, s.generated);
    el('rect', { class: 'eager-tl-genseg', x: x(from), y, width: Math.max(1, x(s.generated) - x(from)), height: Math.max(1, row - 1) }, g);
    el('rect', { class: 'eager-tl-release', x: x(s.released), y, width: 1.5, height: Math.max(1, row - 1) }, g);
    if (s.started !== null) {
      el('rect', {
        class: 'eager-tl-run',
        x: x(s.started),
        y,
        width: Math.max(1.5, x(s.finished ?? now) - x(s.started)),
        height: Math.max(1, row - 1)
      }, g);
    }
    prevGenerated = Math.max(prevGenerated, s.generated);
  });
  const ends = state.steps.length
    ? state.steps.map(step => step.end).filter((t): t is number => typeof t === 'number')
    : state.generationEnd !== null ? [state.generationEnd] : [];
  for (const t of ends) {
    el('line', { class: 'eager-tl-genend', x1: x(t), x2: x(t), y1: 0, y2: height }, svg);
  }
  return svg;
}
