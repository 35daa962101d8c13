/**
 * --agent: a line before each step of an episode in the live view ("step k" and the model's words in
 * that step), placed before the step's first statement, or after the statements so far while the
 * step has none yet. The saved outputs write the same lines (`outputs.step_line` in the kernel).
 */
import { Panel, Widget } from '@lumino/widgets';

import { RunState } from './state';

export class StepLines {
  private lines: Widget[] = []; // by position in state.steps

  /** `blockOf(i)`: the widget drawn for statement i, once it is released. */
  constructor(
    private blocks: Panel,
    private blockOf: (index: number) => Widget | undefined
  ) {}

  /** Add the lines of steps that began, and refresh the words of each. */
  sync(state: RunState): void {
    state.steps.forEach((step, k) => {
      let line = this.lines[k];
      if (!line) {
        line = new Widget();
        line.addClass('eager-step');
        line.node.dataset.step = String(step.step);
        const label = document.createElement('div');
        label.className = 'eager-step-label';
        label.textContent = `step ${step.step}`;
        const words = document.createElement('div');
        words.className = 'eager-step-words';
        line.node.append(label, words);
        const first = this.blockOf(step.first);
        const position = first ? this.blocks.widgets.indexOf(first) : -1;
        if (position >= 0) {
          this.blocks.insertWidget(position, line);
        } else {
          this.blocks.addWidget(line);
        }
        this.lines[k] = line;
      }
      const words = line.node.querySelector('.eager-step-words') as HTMLElement;
      const text = state.stepProse(k);
      if (words.textContent !== text) {
        words.textContent = text;
      }
    });
  }

  clear(): void {
    for (const line of this.lines) {
      line.dispose();
    }
    this.lines = [];
  }
}
