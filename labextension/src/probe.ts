/**
 * How `%%eager --view auto` knows this extension is here. At `%load_ext eager_jupyter` the kernel
 * opens a comm to `PROBE_TARGET`; every notebook kernel connection registers that target and answers
 * with a hello. The kernel handles the answer once the loading cell has finished (a busy kernel reads
 * no comm messages), so from the next cell on it knows a frontend that can show the widget is
 * attached. Frontends without the extension close the comm (JupyterLab's rule for unknown targets) or
 * ignore it (nbclient): the kernel then picks the plain view.
 */
import { INotebookTracker } from '@jupyterlab/notebook';
import { Kernel } from '@jupyterlab/services';

import { MODULE_VERSION, PROBE_TARGET } from './version';

const registered = new WeakSet<Kernel.IKernelConnection>();

function register(kernel: Kernel.IKernelConnection | null | undefined): void {
  if (!kernel || registered.has(kernel)) {
    return;
  }
  registered.add(kernel);
  kernel.registerCommTarget(PROBE_TARGET, comm => {
    comm.send({ hello: MODULE_VERSION, frontend: 'jupyterlab' });
  });
}

export function registerProbe(notebooks: INotebookTracker): void {
  notebooks.widgetAdded.connect((_, panel) => {
    const session = panel.sessionContext;
    session.kernelChanged.connect((_, change) => register(change.newValue));
    void session.ready.then(() => register(session.session?.kernel));
  });
  notebooks.forEach(panel => register(panel.sessionContext.session?.kernel));
}
