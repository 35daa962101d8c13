/**
 * One statement as the live view and the saved outputs draw it: its status beside its highlighted
 * code, its outputs under it (JupyterLab's own output area).
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { OutputArea, OutputAreaModel } from '@jupyterlab/outputarea';
import { Panel, Widget } from '@lumino/widgets';

import { highlight } from './services';
import { IStatement, Op } from './state';
import { seconds } from './timeline';

export function div(className: string, parent?: HTMLElement, text?: string): HTMLDivElement {
  const node = document.createElement('div');
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  parent?.appendChild(node);
  return node;
}


/** Below this a run time is noise: a quick statement just says done. */
const QUICK_MS = 50;

/** One statement: status beside its code, its outputs under it. */
export class StatementBlock extends Panel {
  readonly index: number;
  private badge: HTMLElement;
  private codeNode: HTMLElement;
  private outputs: OutputAreaModel | null = null;
  private area: OutputArea | null = null;

  constructor(stmt: IStatement, private rendermime: IRenderMimeRegistry | null) {
    super();
    this.index = stmt.index;
    this.addClass('eager-stmt');
    this.node.dataset.index = String(stmt.index);
    const head = new Widget();
    head.addClass('eager-stmt-head');
    this.badge = div('eager-badge', head.node);
    const pre = document.createElement('pre');
    pre.className = 'eager-code cm-s-jupyter';
    this.codeNode = document.createElement('code');
    pre.appendChild(this.codeNode);
    head.node.appendChild(pre);
    this.addWidget(head);
  }

  setCode(text: string): void {
    if (this.codeNode.dataset.text === text) {
      return;
    }
    this.codeNode.dataset.text = text;
    if (!this.codeNode.firstChild) {
      this.codeNode.textContent = text;
    }
    void highlight(this.codeNode, text);
  }

  /** Draw the status; `word` gives what people read for a status (the kernel's words). */
  setStatus(stmt: IStatement, now: number, word: (status: string) => string): void {
    this.node.dataset.status = stmt.status;
    this.toggleClass('eager-revised', stmt.text !== undefined); // withdrawn by a revision
    let text = word(stmt.status);
    if (stmt.status === 'running' && stmt.started !== null) {
      text = `${word('running')} ${seconds(now - stmt.started, 1)}`;
    } else if (
      (stmt.status === 'done' || stmt.status === 'error') &&
      stmt.started !== null &&
      stmt.finished !== null &&
      stmt.finished - stmt.started >= QUICK_MS
    ) {
      text = `${word(stmt.status)} ${seconds(stmt.finished - stmt.started)}`;
    }
    this.badge.textContent = text;
    this.badge.className = `eager-badge eager-status-${stmt.status}`;
    this.badge.title = [`statement ${stmt.index + 1}, line ${stmt.line}`, stmt.note ?? '']
      .filter(Boolean)
      .join(': ');
    let note = this.node.querySelector(':scope > .eager-stmt-head > .eager-note') as HTMLElement | null;
    // the reason shows on the statement the gate held; those that only waited behind it say so in
    // their badge's tooltip, not in a line each (while held, and once they ran)
    const waitsBehind = (stmt.note ?? '').startsWith('after a held statement');
    if (stmt.note && stmt.status !== 'error' && !waitsBehind) {
      note = note ?? div('eager-note', this.widgets[0].node);
      note.textContent = stmt.note;
    } else {
      note?.remove();
    }
  }

  private ensureArea(): OutputAreaModel | null {
    if (!this.outputs && this.rendermime) {
      this.outputs = new OutputAreaModel({ trusted: true });
      this.area = new OutputArea({
        model: this.outputs,
        rendermime: this.rendermime,
        contentFactory: OutputArea.defaultContentFactory
      });
      this.area.addClass('eager-outputs');
      this.addWidget(this.area);
    }
    return this.outputs;
  }

  setOutputs(outputs: any[]): void {
    if (!outputs.length && !this.outputs) {
      return;
    }
    const model = this.ensureArea();
    model?.fromJSON(outputs);
  }

  applyOutput(op: Op): void {
    const model = this.ensureArea();
    if (!model) {
      return;
    }
    switch (op[0]) {
      case 'a':
        model.add(op[2]);
        break;
      case 's':
        model.add({ output_type: 'stream', name: op[2], text: op[3] });
        break;
      case 'u':
        if (op[2] < model.length) {
          model.set(op[2], op[3]);
        }
        break;
      case 'c':
        model.clear();
        break;
    }
  }

  dispose(): void {
    this.outputs?.dispose();
    super.dispose();
  }
}

