/**
 * What a run looks like: header (source, model, figures, buttons), timeline strip, and, in the live
 * widget, one block per statement (status beside the code, outputs under it) plus the code still
 * streaming. The live widget view and the post-run renderer both draw with `RunPanel`; it holds no
 * state of its own beyond its DOM: it draws a `RunState`.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Panel, Widget } from '@lumino/widgets';

import { div, StatementBlock } from './block';
import { highlight } from './services';
import { IChanges, IStatement, proseText, RunState } from './state';
import { StepLines } from './steps';
import { renderTimeline, seconds } from './timeline';

export interface IRunActions {
  insert(code: string): void;
  copy(code: string): void;
  stop?: () => void;
}

export { StatementBlock };

export interface IRunPanelOptions {
  live: boolean; // the live widget: statements, outputs and Stop; otherwise header and timeline only
  rendermime: IRenderMimeRegistry | null;
  actions: IRunActions;
}

function button(label: string, title: string, parent: HTMLElement, onClick: () => void): HTMLButtonElement {
  const node = document.createElement('button');
  node.className = `eager-button jp-Button jp-mod-styled jp-mod-reject eager-button-${label.split(' ')[0].toLowerCase()}`;
  node.textContent = label;
  node.title = title;
  node.addEventListener('click', event => {
    event.preventDefault();
    onClick();
  });
  parent.appendChild(node);
  return node;
}

export class RunPanel extends Panel {
  private headerNode: HTMLElement;
  private titleNode: HTMLElement;
  private figuresNode: HTMLElement;
  private stopButton: HTMLButtonElement | null = null;
  private timelineNode: HTMLElement;
  private proseNode: HTMLElement | null = null;
  private blocks: Panel | null = null;
  private tailNode: HTMLElement | null = null;
  private tailCode: HTMLElement | null = null;
  private byIndex = new Map<number, StatementBlock>();
  private lastIndex = -1; // the highest index drawn
  private steps: StepLines | null = null;

  constructor(private options: IRunPanelOptions, private state: RunState) {
    super();
    this.addClass('eager-run');
    this.toggleClass('eager-live', options.live);
    const header = new Widget();
    header.addClass('eager-header');
    this.headerNode = header.node;
    this.titleNode = div('eager-title', this.headerNode);
    this.figuresNode = div('eager-figures', this.headerNode);
    const buttons = div('eager-buttons', this.headerNode);
    const code = () => (this.state.program ?? this.state.code).replace(/\s+$/, '');
    button('Insert as cell', 'Put the generated code in a new code cell below', buttons, () =>
      options.actions.insert(code())
    );
    const copy = button('Copy', 'Copy the generated code', buttons, () => {
      options.actions.copy(code());
      copy.textContent = 'Copied ✓'; // feedback: nothing else shows that a copy happened
      window.setTimeout(() => (copy.textContent = 'Copy'), 1500);
    });
    if (options.live && options.actions.stop) {
      this.stopButton = button('Stop', 'Interrupt the kernel: stops generation and the running statement', buttons, options.actions.stop);
    }
    this.addWidget(header);

    const timeline = new Widget();
    timeline.addClass('eager-timeline');
    this.timelineNode = timeline.node;
    this.addWidget(timeline);

    if (options.live) {
      const prose = new Widget();
      prose.addClass('eager-prose');
      this.proseNode = prose.node;
      this.addWidget(prose);
      this.blocks = new Panel();
      this.blocks.addClass('eager-stmts');
      this.addWidget(this.blocks);
      this.steps = new StepLines(this.blocks, index => this.byIndex.get(index));
      const tail = new Widget();
      tail.addClass('eager-stmt');
      tail.addClass('eager-tail');
      const head = div('eager-stmt-head', tail.node);
      div('eager-badge eager-status-streaming', head, 'streaming');
      const pre = document.createElement('pre');
      pre.className = 'eager-code cm-s-jupyter';
      this.tailCode = document.createElement('code');
      pre.appendChild(this.tailCode);
      head.appendChild(pre);
      this.tailNode = tail.node;
      this.addWidget(tail);
    }
    this.redraw(state, Date.now(), Date.now() - state.now);
  }

  /** Draw everything again from `state` (first render, late join, a missed delta). */
  redraw(state: RunState, localNow: number, offset: number): void {
    this.state = state;
    if (this.blocks) {
      for (const block of this.byIndex.values()) {
        block.dispose();
      }
      this.byIndex.clear();
      this.lastIndex = -1;
      this.steps?.clear();
      for (const stmt of state.statements) {
        if (stmt) {
          this.addBlock(stmt).setOutputs(stmt.outputs);
        }
      }
    }
    this.update_(state, null, localNow, offset);
  }

  /** Apply what one delta changed. */
  update_(state: RunState, changes: IChanges | null, localNow: number, offset: number): void {
    this.state = state;
    const now = state.elapsed(localNow, offset);
    if (this.blocks) {
      for (const index of changes?.released ?? []) {
        if (!this.byIndex.has(index)) {
          this.addBlock(state.statements[index]);
        }
      }
      const touched = changes ? changes.statements : new Set(state.statements.map(s => s?.index));
      for (const index of touched) {
        const stmt = state.statements[index];
        const block = this.byIndex.get(index);
        if (stmt && block) {
          block.setStatus(stmt, now, s => state.word(s));
          block.setCode(state.blockText(index));
        }
      }
      for (const op of changes?.outputs ?? []) {
        this.byIndex.get(op[1])?.applyOutput(op);
      }
      if (!changes || changes.code || changes.released.length || changes.run) {
        this.drawTail(state);
      }
      if (state.steps.length && (!changes || changes.steps || changes.prose || changes.released.length)) {
        this.steps?.sync(state); // an episode's words go with their steps
      }
      if (this.proseNode && (!changes || changes.prose)) {
        const prose = state.steps.length ? '' : proseText(state.prose);
        this.proseNode.textContent = prose;
        this.proseNode.style.display = prose ? '' : 'none';
      }
    }
    this.drawHeader(state, now);
    this.drawTimeline(state, now);
  }

  /** Keep running clocks moving between deltas. */
  tick(localNow: number, offset: number): void {
    const state = this.state;
    if (!state.running) {
      return;
    }
    const now = state.elapsed(localNow, offset);
    for (const stmt of state.statements) {
      if (stmt && stmt.status === 'running') {
        this.byIndex.get(stmt.index)?.setStatus(stmt, now, s => state.word(s));
      }
    }
    this.drawHeader(state, now);
    this.drawTimeline(state, now);
  }

  private addBlock(stmt: IStatement): StatementBlock {
    const block = new StatementBlock(stmt, this.options.rendermime);
    // statements are released in index order (appended: constant time); one that arrives late is
    // inserted before the first block after it
    const later = stmt.index < this.lastIndex ? Array.from(this.byIndex.keys()).filter(i => i > stmt.index) : [];
    this.byIndex.set(stmt.index, block);
    this.lastIndex = Math.max(this.lastIndex, stmt.index);
    const position = later.length ? this.blocks!.widgets.indexOf(this.byIndex.get(Math.min(...later))!) : -1;
    if (position >= 0) {
      this.blocks!.insertWidget(position, block);
    } else {
      this.blocks!.addWidget(block);
    }
    block.setCode(this.state.blockText(stmt.index));
    return block;
  }

  private drawTail(state: RunState): void {
    if (!this.tailNode || !this.tailCode) {
      return;
    }
    const text = state.tail();
    this.tailNode.style.display = text ? '' : 'none';
    const badge = this.tailNode.querySelector('.eager-badge') as HTMLElement;
    const streaming = state.generationEnd === null && state.running;
    badge.textContent = state.word(streaming ? 'streaming' : 'skipped');
    badge.className = `eager-badge eager-status-${streaming ? 'streaming' : 'skipped'}`;
    if (this.tailCode.dataset.text !== text) {
      this.tailCode.dataset.text = text;
      void highlight(this.tailCode, text);
    }
  }

  private drawHeader(state: RunState, now: number): void {
    const mode = state.mode === 'eager' ? 'eager' : `eager (${state.mode})`;
    const title = [mode, state.source, state.model].filter(Boolean).join(' · ');
    let status = state.phase();
    if (status === 'generating' && !state.pieces) {
      status = 'waiting for the model';
    }
    this.titleNode.textContent = '';
    div('eager-title-text', this.titleNode, title);
    div(`eager-run-status eager-run-${status.split(' ')[0]}`, this.titleNode, status);
    const counts = state.counts();
    const ran = (counts.done ?? 0) + (counts.error ?? 0);
    const total = state.statements.filter(s => !!s).length;
    const rate = state.tokensPerSecond();
    const figures: [string, string, string][] = [
      ...(state.steps.length ? [['steps', `step ${state.steps.length}`, 'the model responses of this episode so far'] as [string, string, string]] : []),
      ['tokens', `${state.tokens()} tokens`, 'tokens generated: the model\'s count for each response that ended (else its pieces), and the pieces of the one streaming'],
      ['rate', rate === null ? '-' : `${rate.toFixed(0)} tok/s`, 'generation speed'],
      ['ran', `${ran}/${total} run`, 'statements run / released'],
      ['elapsed', seconds(now, 1), 'since the request']
    ];
    const saved = state.saved();
    if (saved !== null && saved >= 5) {
      figures.push(['saved', `${seconds(saved)} saved`, 'against running every statement after generation ended']);
    } else if (state.mode === 'eager' && state.running && state.runTotal(now) > 0) {
      figures.push(['overlap', `${seconds(state.overlapped(now), 1)} overlapped`, 'execution hidden behind generation so far']);
    }
    const unsent = state.figures?.unsent;
    if (typeof unsent === 'number' && unsent > 0) {
      const when = state.figures?.unsent_s;
      figures.push([
        'unsent',
        `${unsent} token${unsent === 1 ? '' : 's'} never generated` +
          (typeof when === 'number' && when >= 0.05 ? ` (~${when.toFixed(1)} s)` : ''),
        'the rest of the reply, which the run did not wait for once it stopped (at the run\'s rate)'
      ]);
    }
    const cost = state.figures?.cost;
    if (typeof cost === 'number') {
      figures.push(['cost', `$${cost < 0.01 ? cost.toFixed(4) : cost.toFixed(2)}`, 'what the tokens cost, at the known price']);
    }
    if (state.ended?.error) {
      figures.push(['error', state.ended.error, 'how the run ended']);
    }
    this.figuresNode.replaceChildren(
      ...figures.map(([key, text, title]) => {
        const node = document.createElement('span');
        node.className = `eager-figure eager-figure-${key}`;
        node.textContent = text;
        node.title = title;
        return node;
      })
    );
    if (this.stopButton) {
      this.stopButton.disabled = !state.running;
      this.stopButton.style.display = state.running ? '' : 'none';
    }
  }

  private drawTimeline(state: RunState, now: number): void {
    const visible = state.statements.some(s => !!s);
    this.timelineNode.style.display = visible ? '' : 'none';
    if (visible) {
      this.timelineNode.replaceChildren(renderTimeline(state, now));
    }
  }
}
