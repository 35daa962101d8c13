/**
 * The JupyterLab plugin only registers: the widget module (EagerModel, EagerView) with the widget
 * manager, the live display's and the post-run renderers with rendermime, the probe on notebook
 * kernels, and the snapshot of live runs when a notebook is saved.
 */
import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';

import { liveRendererFactory, snapshotOnSave } from './live';
import { registerProbe } from './probe';
import { services } from './services';
import { runRendererFactory, statementRendererFactory } from './outputs';
import { MODULE_NAME, MODULE_VERSION } from './version';
import { EagerModel, EagerView } from './widget';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'eager-jupyter:plugin',
  description: 'The live %%eager widget and the post-run rendering of eager runs.',
  requires: [IJupyterWidgetRegistry],
  optional: [INotebookTracker, IEditorLanguageRegistry, IRenderMimeRegistry],
  autoStart: true,
  activate: (
    _app: JupyterFrontEnd,
    widgets: IJupyterWidgetRegistry,
    notebooks: INotebookTracker | null,
    languages: IEditorLanguageRegistry | null,
    rendermime: IRenderMimeRegistry | null
  ) => {
    services.notebooks = notebooks;
    services.languages = languages;
    services.rendermime = rendermime;
    widgets.registerWidget({
      name: MODULE_NAME,
      version: MODULE_VERSION,
      exports: { EagerModel, EagerView }
    });
    rendermime?.addFactory(liveRendererFactory, liveRendererFactory.defaultRank);
    rendermime?.addFactory(runRendererFactory, runRendererFactory.defaultRank);
    rendermime?.addFactory(statementRendererFactory, statementRendererFactory.defaultRank);
    if (notebooks) {
      registerProbe(notebooks);
      snapshotOnSave(notebooks);
    }
  }
};

export default plugin;
