/**
 * How `%%eager --view auto` knows this extension is here, with no race against the next cell.
 *
 * Every notebook kernel connection of this frontend marks the execute requests it sends: their
 * metadata carries `eager_jupyter: <version>` (the connection's `requestExecute` is wrapped once).
 * The kernel reads the metadata of the request it is running (`views/probe.py`), so each cell knows
 * whether the frontend that sent it can show the widget: Run All and Restart-and-Run-All included,
 * whatever cell loaded the extension.
 *
 * The older handshake stays for kernels of earlier versions: at `%load_ext eager_jupyter` the kernel
 * opens a comm to `PROBE_TARGET`, which every notebook kernel connection registers and answers with
 * a hello.
 */
import { INotebookTracker } from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';

import { MODULE_VERSION, PROBE_TARGET } from './version';

/** The execute request metadata key that says "this frontend has the eager_jupyter extension". */
export const EXECUTE_MARK = 'eager_jupyter';

const registered = new WeakSet<Kernel.IKernelConnection>();

function register(kernel: Kernel.IKernelConnection | null | undefined): void {
  if (!kernel || registered.has(kernel)) {
    return;
  }
  registered.add(kernel);
  kernel.registerCommTarget(PROBE_TARGET, comm => {
    comm.send({ hello: MODULE_VERSION, frontend: 'jupyterlab' });
  });
  const requestExecute = kernel.requestExecute.bind(kernel);
  kernel.requestExecute = (
    content: KernelMessage.IExecuteRequestMsg['content'],
    disposeOnDone?: boolean,
    metadata?: any
  ) => requestExecute(content, disposeOnDone, { ...(metadata ?? {}), [EXECUTE_MARK]: MODULE_VERSION });
}

export function registerProbe(notebooks: INotebookTracker): void {
  notebooks.widgetAdded.connect((_, panel) => {
    const session = panel.sessionContext;
    session.kernelChanged.connect((_, change) => register(change.newValue));
    void session.ready.then(() => register(session.session?.kernel));
  });
  notebooks.forEach(panel => register(panel.sessionContext.session?.kernel));
}
