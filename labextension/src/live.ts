/**
 * The run's display while it goes on. The kernel displays `LIVE_MIME` (`{model_id}`), not a widget
 * view: `LiveRenderer` draws the live widget when its model is live in this page, and otherwise what
 * the notebook saved of the run. A notebook saved mid-run (autosave included) would otherwise reopen
 * with a dangling widget ("model not found"); here every save writes the live run's snapshot into
 * its output first (`snapshotOnSave`), so a reopened notebook draws the run as it was when saved: the
 * code, each statement's status and outputs, the header. When the run ends, the kernel replaces the
 * display by the saved outputs (`outputs.ts`), as before. Frontends without this extension show the
 * bundle's text: the code so far, as of the last save.
 *
 * To check a change: `tests/test_widget_browser.py` (a save mid-run in Run All, then the copy reopened
 * in a fresh kernel) and `tests/test_widget_kernel.py` (what the kernel displays).
 */
import { Clipboard } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IOutputAreaModel } from '@jupyterlab/outputarea';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Panel, Widget } from '@lumino/widgets';

import { RunPanel } from './panel';
import { insertCellBelow, services } from './services';
import { ISnapshot, RunState } from './state';
import { LIVE_MIME } from './version';
import { EagerModel, liveModels } from './widget';

interface ILiveData {
  model_id: string;
  snapshot?: ISnapshot; // written by a save while the run went on
  program?: string;
}

/** How long a display with nothing saved waits for its live model before saying it is gone. */
const PATIENCE_MS = 2000;

export class LiveRenderer extends Panel implements IRenderMime.IRenderer {
  private liveId: string | null = null;
  private cancel: (() => void) | null = null;
  private timer = 0;

  constructor() {
    super();
    this.addClass('eager-live-display');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[LIVE_MIME] as unknown as ILiveData;
    if (this.liveId !== null && this.liveId === data?.model_id) {
      return; // a save wrote a snapshot into this output: the live view stays
    }
    this.stopWaiting();
    const live = liveModels.models.get(data?.model_id);
    if (live) {
      await this.attach(live);
      return;
    }
    this.drawSaved(data?.snapshot ?? null, data?.program);
    if (data?.model_id) {
      // the comm may open a moment after the display arrives (a page reloaded mid-run restores it)
      this.cancel = liveModels.whenLive(data.model_id, m => void this.attach(m));
    }
  }

  private async attach(model: EagerModel): Promise<void> {
    this.stopWaiting();
    const view = await model.widget_manager.create_view(model, {});
    this.clear();
    this.liveId = model.model_id;
    this.addWidget((view as any).luminoWidget as Widget);
    // a kernel that dies mid-run closes the comm: keep showing the run as it was
    model.once('destroy', () => {
      if (!this.isDisposed && this.liveId === model.model_id) {
        this.liveId = null;
        this.drawSaved(model.run.toSnapshot(), undefined);
      }
    });
  }

  /** The run as saved; with nothing saved, say (after a moment) that the live view is gone. */
  private drawSaved(snapshot: ISnapshot | null, program: string | undefined): void {
    this.clear();
    if (!snapshot) {
      const note = new Widget();
      note.addClass('eager-saved-note');
      this.addWidget(note);
      this.timer = window.setTimeout(() => {
        note.node.textContent =
          'An %%eager run was going on here when the notebook was saved; its live view is gone and ' +
          'nothing of it was saved. Run the cell again.';
      }, PATIENCE_MS);
      return;
    }
    const state = RunState.fromSnapshot(snapshot);
    if (typeof program === 'string') {
      state.program = program;
    }
    const at = (state.now / 1000).toFixed(1);
    if (state.figures) {
      state.figures = { ...state.figures, phase: `saved at ${at} s` };
    }
    // What was going on is what was going on when saved: nothing runs or streams here now.
    state.words = { ...state.words, running: 'was running', streaming: 'unfinished' };
    const note = new Widget();
    note.addClass('eager-saved-note');
    note.node.textContent =
      `Saved while the run was still going (at ${at} s): this is the run up to then. ` +
      'Its kernel no longer runs it here; run the cell again for a live view.';
    this.addWidget(note);
    const panel = new RunPanel(
      {
        live: true, // statements with their outputs, as the live view drew them; no Stop
        rendermime: services.rendermime,
        actions: {
          insert: code => insertCellBelow(this.node, code) || Clipboard.copyToSystem(code),
          copy: code => Clipboard.copyToSystem(code)
        }
      },
      state
    );
    panel.addClass('eager-saved-run');
    this.addWidget(panel);
  }

  private clear(): void {
    window.clearTimeout(this.timer);
    for (const widget of [...this.widgets]) {
      widget.dispose();
    }
  }

  private stopWaiting(): void {
    this.cancel?.();
    this.cancel = null;
  }

  dispose(): void {
    this.stopWaiting();
    window.clearTimeout(this.timer);
    super.dispose();
  }
}

export const liveRendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [LIVE_MIME],
  defaultRank: 40,
  createRenderer: () => new LiveRenderer()
};

/** The text frontends without this extension show: the code so far and each statement's status. */
function plainText(state: RunState): string {
  const lines = [
    `%%eager run, saved while still going (at ${(state.now / 1000).toFixed(1)} s); its outputs so far ` +
      'are drawn in JupyterLab or Notebook 7 with eager_jupyter. Code so far:',
    ''
  ];
  state.statements.forEach((stmt, i) => {
    if (stmt) {
      lines.push(`# [${state.word(stmt.status)}]`, state.blockText(i));
    }
  });
  const tail = state.tail();
  if (tail) {
    lines.push('# [not run yet]', tail);
  }
  return lines.join('\n') + '\n';
}

/** Before a notebook is written, put each live run's snapshot into its display's output. */
function snapshotLiveRuns(panel: NotebookPanel): void {
  const cells = panel.content.model?.cells;
  if (!cells) {
    return;
  }
  for (let c = 0; c < cells.length; c++) {
    const cell = cells.get(c);
    if (cell.type !== 'code') {
      continue;
    }
    const outputs = (cell as unknown as { outputs: IOutputAreaModel }).outputs;
    for (let i = 0; i < outputs.length; i++) {
      const output = outputs.get(i);
      const data = output.data[LIVE_MIME] as unknown as ILiveData | undefined;
      const model = data && liveModels.models.get(data.model_id);
      if (!model) {
        continue;
      }
      const json = output.toJSON() as any;
      const saved: ILiveData = { model_id: data.model_id, snapshot: model.run.toSnapshot() };
      if (model.run.program !== null) {
        saved.program = model.run.program;
      }
      outputs.set(i, {
        ...json,
        data: { ...json.data, [LIVE_MIME]: saved as any, 'text/plain': plainText(model.run) }
      });
    }
  }
}

/** Snapshot live runs whenever a notebook starts saving (the 'started' signal comes before it is read). */
export function snapshotOnSave(notebooks: INotebookTracker): void {
  notebooks.widgetAdded.connect((_, panel) => {
    panel.context.saveState.connect((_context, state) => {
      if (state === 'started') {
        snapshotLiveRuns(panel);
      }
    });
  });
}
