/**
 * The saved outputs, drawn (`eager_jupyter/views/outputs.py` writes them). When a run ends, the
 * kernel replaces the live widget (through its display id) with a `RUN_MIME` bundle, followed by the
 * plain view's outputs: each statement's code block, then its outputs. A code block bundle also carries `STATEMENT_MIME`. These renderers draw both as
 * the live widget drew them (header, timeline, buttons; status beside highlighted code), from data
 * saved in the notebook itself: a reopened notebook shows them without widget state or a kernel.
 * Frontends without this extension show the bundles' Markdown instead.
 */
import { Clipboard } from '@jupyterlab/apputils';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Panel } from '@lumino/widgets';

import { RunPanel, StatementBlock } from './panel';
import { insertCellBelow } from './services';
import { ISnapshot, IStatement, RunState } from './state';
import { RUN_MIME, STATEMENT_MIME } from './version';

export class RenderedRun extends Panel implements IRenderMime.IRenderer {
  constructor() {
    super();
    this.addClass('eager-rendered-run');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[RUN_MIME] as unknown as { snapshot: ISnapshot; program?: string };
    const state = RunState.fromSnapshot(data?.snapshot);
    if (typeof data?.program === 'string') {
      state.program = data.program; // as repaired (--fix): what "Insert as cell" and "Copy" take
    }
    for (const widget of [...this.widgets]) {
      widget.dispose();
    }
    this.addWidget(
      new RunPanel(
        {
          live: false,
          rendermime: null,
          actions: {
            insert: code => insertCellBelow(this.node, code) || Clipboard.copyToSystem(code),
            copy: code => Clipboard.copyToSystem(code)
          }
        },
        state
      )
    );
  }
}

/** One statement's code block after the run: `{statement: IStatement-like fields, code}`. */
export class RenderedStatement extends Panel implements IRenderMime.IRenderer {
  constructor() {
    super();
    this.addClass('eager-rendered-statement');
    this.addClass('eager-run');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[STATEMENT_MIME] as unknown as IStatement & { code: string; label?: string };
    for (const widget of [...this.widgets]) {
      widget.dispose();
    }
    const stmt: IStatement = {
      index: data.index ?? 0,
      start: 0,
      length: data.code?.length ?? 0,
      line: data.line ?? 0,
      status: data.status ?? 'done',
      generated: data.generated ?? 0,
      released: data.released ?? 0,
      started: data.started ?? null,
      finished: data.finished ?? null,
      batch: data.batch ?? null,
      // the badge says "done 4.00 s": the saved note's "✓ done in 4.00 s" (for frontends without
      // this extension) is not said twice
      note: (data.note ?? '').split(' · ').filter(part => !part.startsWith('✓ done in')).join(' · ') || null,
      outputs: [],
      ...(typeof data.text === 'string' ? { text: data.text } : {})
    };
    const block = new StatementBlock(stmt, null);
    block.setCode((data.code ?? '').replace(/^(?:[ \t]*\r?\n)+/, '').replace(/\s+$/, ''));
    const words = new RunState().words; // notebooks saved before the kernel sent a label
    block.setStatus(stmt, stmt.finished ?? 0, s => (s === stmt.status && data.label) || words[s] || s);
    this.addWidget(block);
  }
}

export const runRendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [RUN_MIME],
  defaultRank: 40,
  createRenderer: () => new RenderedRun()
};

export const statementRendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [STATEMENT_MIME],
  defaultRank: 40,
  createRenderer: () => new RenderedStatement()
};
