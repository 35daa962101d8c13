/**
 * The JupyterLab plugin only registers: the widget module (EagerModel, EagerView) with the widget
 * manager, the post-run renderer with rendermime, and the probe comm target on notebook kernels.
 */
import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';

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
    rendermime?.addFactory(runRendererFactory, runRendererFactory.defaultRank);
    rendermime?.addFactory(statementRendererFactory, statementRendererFactory.defaultRank);
    if (notebooks) {
      registerProbe(notebooks);
    }
  }
};

export default plugin;
