/**
 * The post-run rendering: when a run ends, the kernel replaces the live widget (through its display
 * id) with a `RUN_MIME` bundle, followed by the plain outputs (code blocks and outputs, in order).
 * This renderer draws that bundle's header and timeline with the same `RunPanel`, from data saved in
 * the notebook itself: a reopened notebook shows it without any widget state or kernel.
 */
import { Clipboard } from '@jupyterlab/apputils';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { RunPanel } from './panel';
import { insertCellBelow } from './services';
import { ISnapshot, RunState } from './state';
import { RUN_MIME } from './version';

export class RenderedRun extends Widget implements IRenderMime.IRenderer {
  private panel: RunPanel | null = null;

  constructor() {
    super();
    this.addClass('eager-rendered-run');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[RUN_MIME] as unknown as { snapshot: ISnapshot };
    const state = RunState.fromSnapshot(data?.snapshot);
    this.panel?.dispose();
    this.node.replaceChildren();
    this.panel = new RunPanel(
      {
        live: false,
        rendermime: null,
        actions: {
          insert: code => insertCellBelow(this.node, code) || Clipboard.copyToSystem(code),
          copy: code => Clipboard.copyToSystem(code)
        }
      },
      state
    );
    Widget.attach(this.panel, this.node);
  }

  dispose(): void {
    this.panel?.dispose();
    super.dispose();
  }
}

export const runRendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [RUN_MIME],
  defaultRank: 40,
  createRenderer: () => new RenderedRun()
};
