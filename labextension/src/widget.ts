/**
 * The live widget: `EagerModel` owns the run's state (rebuilt from the kernel's deltas, or from the
 * synced snapshot when a view joins late); `EagerView` is thin: a `RunPanel` redrawn from the model,
 * torn down with an AbortController. `liveModels` finds the models whose kernel comm is open, by id:
 * the run's display (`live.ts`) draws one of them, or what the notebook saved when none is there.
 */
import { DOMWidgetModel, DOMWidgetView, JupyterLuminoPanelWidget } from '@jupyter-widgets/base';
import { Clipboard } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';

import { RunPanel } from './panel';
import { insertCellBelow, locate, services } from './services';
import { IChanges, IDelta, ISnapshot, RunState } from './state';
import { MODULE_NAME, MODULE_VERSION } from './version';

/** The models with an open comm to their kernel, by model id; `whenLive` waits for one. */
export const liveModels = {
  models: new Map<string, EagerModel>(),
  waiting: new Map<string, Set<(model: EagerModel) => void>>(),

  add(model: EagerModel): void {
    this.models.set(model.model_id, model);
    for (const callback of this.waiting.get(model.model_id) ?? []) {
      callback(model);
    }
    this.waiting.delete(model.model_id);
  },

  /** Call `callback` once the model `id` is live; returns a cancel function. */
  whenLive(id: string, callback: (model: EagerModel) => void): () => void {
    const callbacks = this.waiting.get(id) ?? new Set();
    callbacks.add(callback);
    this.waiting.set(id, callbacks);
    return () => {
      callbacks.delete(callback);
      if (!callbacks.size && this.waiting.get(id) === callbacks) {
        this.waiting.delete(id);
      }
    };
  }
};

export class EagerModel extends DOMWidgetModel {
  // `declare`d, not initialized: Backbone calls initialize() (and so reset()) inside the base class's
  // constructor, and a field initializer would then overwrite what reset() set
  declare run: RunState;
  /**
   * Local clock minus the kernel's (ms), for views to extrapolate the kernel's time. Every delta
   * arrives after the latest time it mentions, so `Date.now() - run.now` on arrival is an upper bound;
   * the smallest seen is the best (the first delta goes as the run starts). The latest one instead
   * would run behind by however long the pacer held that delta.
   */
  declare offset: number;

  defaults(): any {
    return {
      ...super.defaults(),
      _model_name: 'EagerModel',
      _model_module: MODULE_NAME,
      _model_module_version: MODULE_VERSION,
      _view_name: 'EagerView',
      _view_module: MODULE_NAME,
      _view_module_version: MODULE_VERSION,
      snapshot: null
    };
  }

  initialize(attributes: any, options: any): void {
    super.initialize(attributes, options);
    this.reset();
    this.on('change:snapshot', () => this.reset());
    this.on('msg:custom', (delta: IDelta) => this.applyDelta(delta));
    // models restored from a notebook's saved widget state have no comm: they are not live
    if (this.comm_live) {
      this.once('destroy', () => liveModels.models.delete(this.model_id));
      liveModels.add(this);
    }
  }

  private reset(): void {
    this.run = RunState.fromSnapshot(this.get('snapshot') as ISnapshot | null);
    this.offset = Date.now() - this.run.now;
    this.trigger('run:reset');
  }

  applyDelta(delta: IDelta): void {
    const changes: IChanges = this.run.apply(delta);
    this.offset = Math.min(this.offset, Date.now() - this.run.now);
    this.trigger('run:delta', changes);
  }
}

export class EagerView extends DOMWidgetView {
  declare model: EagerModel;
  declare luminoWidget: JupyterLuminoPanelWidget;
  private panel: RunPanel | null = null;
  private abort = new AbortController();

  _createElement(_tagName: string): HTMLElement {
    this.luminoWidget = new JupyterLuminoPanelWidget({ view: this });
    return this.luminoWidget.node;
  }

  _setElement(el: HTMLElement): void {
    if (this.el || el !== this.luminoWidget.node) {
      throw new Error('Cannot reset the DOM element.');
    }
    this.el = this.luminoWidget.node; // native views (ipywidgets 8) need no jQuery $el
  }

  render(): void {
    this.luminoWidget.addClass('eager-widget');
    const manager = this.model.widget_manager as any;
    const rendermime: IRenderMimeRegistry | null = manager?.rendermime ?? services.rendermime;
    this.panel = new RunPanel(
      {
        live: true,
        rendermime,
        actions: {
          insert: code => insertCellBelow(this.el, code) || Clipboard.copyToSystem(code),
          copy: code => Clipboard.copyToSystem(code),
          stop: () => this.stop()
        }
      },
      this.model.run
    );
    this.luminoWidget.addWidget(this.panel);
    const redraw = () => this.panel?.redraw(this.model.run, Date.now(), this.model.offset);
    this.listenTo(this.model, 'run:reset', redraw);
    this.listenTo(this.model, 'run:delta', (changes: IChanges) =>
      this.panel?.update_(this.model.run, changes, Date.now(), this.model.offset)
    );
    const timer = window.setInterval(() => this.panel?.tick(Date.now(), this.model.offset), 200);
    this.abort.signal.addEventListener('abort', () => window.clearInterval(timer));
  }

  /** Interrupt the kernel through the notebook's session: a widget message could not reach it while busy. */
  private stop(): void {
    const kernel =
      locate(this.el)?.panel.sessionContext.session?.kernel ?? (this.model.widget_manager as any)?.kernel;
    void kernel?.interrupt();
  }

  remove(): any {
    this.abort.abort();
    this.panel?.dispose();
    this.panel = null;
    return super.remove();
  }
}
