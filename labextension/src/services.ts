/**
 * The JupyterLab services the widget and the run renderer use, handed over by the plugin at
 * activation (widget views are created by the widget manager, not by dependency injection).
 */
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';

export const services: {
  notebooks: INotebookTracker | null;
  languages: IEditorLanguageRegistry | null;
  rendermime: IRenderMimeRegistry | null;
} = { notebooks: null, languages: null, rendermime: null };

/** The notebook panel and cell index that hold `node`, if it sits in a notebook. */
export function locate(node: HTMLElement): { panel: NotebookPanel; cell: number } | null {
  const notebooks = services.notebooks;
  if (!notebooks) {
    return null;
  }
  const panel = notebooks.find(p => p.node.contains(node));
  if (!panel) {
    return null;
  }
  const cell = panel.content.widgets.findIndex(c => c.node.contains(node));
  return cell < 0 ? null : { panel, cell };
}

/** Put `code` in a new code cell right below the cell that holds `node`. */
export function insertCellBelow(node: HTMLElement, code: string): boolean {
  const where = locate(node);
  const model = where?.panel.content.model;
  if (!where || !model) {
    return false;
  }
  model.sharedModel.insertCell(where.cell + 1, { cell_type: 'code', source: code });
  const notebook = where.panel.content;
  notebook.activeCellIndex = where.cell + 1;
  const inserted = notebook.widgets[where.cell + 1];
  if (inserted) {
    // feedback: bring the new cell into view and flash it (it may land below the fold)
    void notebook.scrollToItem(where.cell + 1, 'smart').catch(() => undefined);
    inserted.node.classList.add('eager-flash');
    window.setTimeout(() => inserted.node.classList.remove('eager-flash'), 1600);
  }
  return true;
}

let highlightSeq = 0;

/** Syntax-highlight Python `code` into `target` (replacing what it holds), as JupyterLab's markdown does. */
export async function highlight(target: HTMLElement, code: string): Promise<void> {
  const seq = String(++highlightSeq);
  target.dataset.eagerSeq = seq;
  const languages = services.languages;
  if (!languages) {
    target.textContent = code;
    return;
  }
  const out = document.createElement('span');
  try {
    await languages.highlight(code, languages.findBest('python'), out);
  } catch {
    out.textContent = code;
  }
  if (target.dataset.eagerSeq === seq) {
    target.replaceChildren(...Array.from(out.childNodes));
  }
}
