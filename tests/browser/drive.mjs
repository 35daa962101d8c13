// Drive JupyterLab or Notebook 7 in Debian's chromium through playwright-core, for
// tests/test_widget_browser.py and tests/test_widget_notebook7.py.
//
//   node drive.mjs <config.json>
//
// config: {url, token, notebook, reopen, artifacts, chromium, eagerCell, stopCell, app?, autoCell?}
// app: "lab" (default, /lab/tree/<file>) or "notebook" (Notebook 7, /notebooks/<file>); both use
// JupyterLab's notebook DOM (.jp-Notebook, .jp-Cell, the execution indicator), so only the page differs.
// autoCell (optional, an index before "Insert as cell" added a cell): a `--view auto` run, sampled and
// inspected after the Stop step.
// runAll (optional): {notebook, cells}: a second notebook run with the Run menu's "Run All Cells" in a
// fresh kernel (its first cell loads the extension); each of `cells`, in turn, is sampled with
// wall-clock times (`wall`, ms since the epoch) until it ends: the held state, the phase, the widget.
// runAll.midSave (optional): a file name; while the first Run All cell is live (once the hold shows),
// the notebook is saved (Ctrl+S, as an autosave would) and copied there; after Run All the copy is
// opened in a fresh kernel and what the run's display draws is reported (`midSave`).
// html (optional): a file (an nbconvert export) opened at the end; the computed font of its code
// blocks is reported.
// The server is started (and stopped) by the Python test; this script only drives the browser and
// prints one JSON report on stdout: what the page showed while the eager cell ran (sampled every
// ~60 ms), what the cell shows after the run, what "Insert as cell" inserted, what the notebook shows
// when reopened in a fresh kernel, and what Stop did. Screenshots go to config.artifacts.
import { chromium } from 'playwright-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const app = config.app ?? 'lab';
const report = { app, samples: [], screenshots: [], log: [] };
const log = msg => report.log.push(`${new Date().toISOString()} ${msg}`);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function shot(page, name, cell) {
  if (typeof cell === 'number') {
    // the notebook scrolls inside its panel, so a full-page shot shows only what is scrolled to
    await page.evaluate(i => document.querySelectorAll('.jp-Notebook .jp-Cell')[i]?.scrollIntoView({ block: 'start' }), cell);
  }
  const path = join(config.artifacts, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  report.screenshots.push(path);
}

async function openNotebook(page, name) {
  const path = app === 'notebook' ? `notebooks/${name}` : `lab/tree/${name}`;
  await page.goto(`${config.url}/${path}?token=${config.token}`);
  await page.waitForSelector('.jp-Notebook .jp-Cell', { timeout: 60000 });
  await page.waitForSelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', { timeout: 60000 });
  await sleep(500);
}

// Run a cell with Ctrl+Enter. On a loaded machine the first key press can land before the editor
// takes focus and be lost (the prompt stays "[ ]:"); a queued cell shows "[*]" at once, so a prompt
// still empty after 10 s means nothing was sent, and pressing again cannot run the cell twice.
async function runCell(page, index) {
  const cell = page.locator('.jp-Notebook .jp-Cell').nth(index);
  const prompt = cell.locator('.jp-InputPrompt');
  for (let attempt = 1; ; attempt++) {
    await cell.locator('.jp-InputArea-editor').click();
    await page.keyboard.press('Control+Enter');
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      if (/\[(\*|\d+)\]/.test((await prompt.textContent()) ?? '')) {
        return;
      }
      await sleep(100);
    }
    if (attempt === 3) {
      throw new Error(`cell ${index} did not start after ${attempt} tries`);
    }
    log(`cell ${index}: Ctrl+Enter was lost, pressing again`);
  }
}

// Copy a notebook through the server's contents API (what is on disk now).
async function copyNotebook(from, to) {
  const api = `${config.url}/api/contents`;
  const headers = { Authorization: `token ${config.token}`, 'Content-Type': 'application/json' };
  const content = (await (await fetch(`${api}/${from}?content=1`, { headers })).json()).content;
  const response = await fetch(`${api}/${to}`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ type: 'notebook', format: 'json', content })
  });
  return response.status;
}

// What a run's display saved mid-run draws when its live model is not there.
function inspectSaved(index) {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
  const display = cell && cell.querySelector('.eager-live-display');
  if (!display) {
    return { display: false, text: cell ? cell.textContent : null };
  }
  return {
    display: true,
    live: !!display.querySelector('.eager-widget'),
    note: display.querySelector('.eager-saved-note')?.textContent ?? null,
    tail: (t => (t && t.style.display !== 'none' ? t.querySelector('.eager-badge')?.textContent : null))(
      display.querySelector('.eager-tail')
    ),
    badges: Array.from(display.querySelectorAll('.eager-stmt[data-index] .eager-badge')).map(b => b.textContent),
    header: display.querySelector('.eager-header')?.textContent ?? null,
    stmts: Array.from(display.querySelectorAll('.eager-stmt[data-index]')).map(el => ({
      status: el.dataset.status,
      code: el.querySelector('.eager-code')?.textContent ?? '',
      stdout: Array.from(el.querySelectorAll('[data-mime-type="application/vnd.jupyter.stdout"]')).map(o => o.textContent).join('')
    })),
    text: cell.textContent
  };
}

// What an eager cell shows right now (the live widget, or the rendering after the takeover).
function inspect(index) {
  const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[index];
  if (!cell) {
    return null;
  }
  const text = el => (el ? el.textContent : null);
  const widget = cell.querySelector('.eager-widget');
  const stmts = widget
    ? Array.from(widget.querySelectorAll('.eager-stmt[data-index]')).map(el => {
        const outputs = el.querySelector('.eager-outputs');
        return {
          index: Number(el.dataset.index),
          status: el.dataset.status,
          badge: text(el.querySelector('.eager-badge')),
          note: text(el.querySelector('.eager-note')),
          code: text(el.querySelector('.eager-code')),
          stdout: outputs ? Array.from(outputs.querySelectorAll('[data-mime-type="application/vnd.jupyter.stdout"]')).map(o => o.textContent).join('') : '',
          stderr: outputs ? Array.from(outputs.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]')).map(o => o.textContent).join('') : '',
          images: outputs ? outputs.querySelectorAll('img').length : 0,
          sliders: outputs ? outputs.querySelectorAll('.widget-slider').length : 0
        };
      })
    : [];
  const tail = widget ? widget.querySelector('.eager-tail') : null;
  const outputs = Array.from(cell.querySelectorAll('.jp-OutputArea-child')).filter(el => !el.closest('.eager-widget') || el.querySelector('.eager-widget'));
  const kinds = outputs.map(el => {
    if (el.querySelector('.eager-widget')) return { kind: 'widget' };
    if (el.querySelector('.widget-slider')) return { kind: 'slider' };
    if (el.querySelector('.eager-rendered-run')) return { kind: 'header', text: text(el.querySelector('.eager-header')) };
    const block = el.querySelector('.eager-rendered-statement');
    if (block) return { kind: 'statement', status: block.querySelector('.eager-stmt')?.dataset.status, text: text(block) };
    if (el.querySelector('img')) return { kind: 'image' };
    const md = el.querySelector('.jp-RenderedMarkdown');
    if (md) return { kind: 'markdown', text: md.textContent };
    const out = el.querySelector('[data-mime-type="application/vnd.jupyter.stdout"]');
    if (out) return { kind: 'stdout', text: out.textContent };
    const err = el.querySelector('[data-mime-type="application/vnd.jupyter.stderr"]');
    if (err) return { kind: 'stderr', text: err.textContent };
    const plain = el.querySelector('.jp-RenderedText');
    if (plain) return { kind: 'text', text: plain.textContent };
    return { kind: 'other', text: el.textContent };
  });
  return {
    t: performance.now(),
    wall: Date.now(),
    phase: widget ? text(widget.querySelector('.eager-run-status')) : null,
    prompt: text(cell.querySelector('.jp-InputPrompt')),
    live: !!widget,
    header: widget ? text(widget.querySelector('.eager-header')) : null,
    stmts,
    tail: tail && tail.style.display !== 'none' ? text(tail.querySelector('.eager-code')) : '',
    timeline: widget ? widget.querySelectorAll('.eager-tl-row').length : 0,
    outputs: kinds
  };
}

const finished = s => s && /\[\d+\]/.test(s.prompt ?? '');

const userDataDir = mkdtempSync(join(tmpdir(), 'eager-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: config.chromium,
  headless: true,
  viewport: { width: 1280, height: 1000 },
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-dev-shm-usage'
  ]
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', msg => {
    if (msg.type() === 'error') {
      report.log.push(`console: ${msg.text()}`);
    }
  });
  await openNotebook(page, config.notebook);
  log('notebook open');

  // 1. %load_ext, which also asks the frontend whether it has the labextension
  await runCell(page, 0);
  await page.waitForFunction(() => /\[\d+\]/.test(document.querySelectorAll('.jp-Notebook .jp-Cell')[0].querySelector('.jp-InputPrompt').textContent));
  report.loadExt = await page.evaluate(inspect, 0);

  // 2. the eager run: sample the live widget until the cell ends
  await runCell(page, config.eagerCell);
  const started = Date.now();
  let shotRunning = false;
  let last = null;
  while (Date.now() - started < 120000) {
    const s = await page.evaluate(inspect, config.eagerCell);
    report.samples.push(s);
    last = s;
    if (!shotRunning && s && s.live && s.stmts.some(x => x.status === 'running') && s.tail) {
      shotRunning = true;
      await shot(page, '1-live-running');
    }
    if (finished(s)) {
      break;
    }
    await sleep(60);
  }
  const liveSamples = report.samples.filter(s => s && s.live);
  report.lastLive = liveSamples[liveSamples.length - 1] ?? null;
  await sleep(1000);
  report.after = await page.evaluate(inspect, config.eagerCell);
  await page.locator('.jp-Notebook .jp-Cell').nth(config.eagerCell).scrollIntoViewIfNeeded();
  await shot(page, '2-after-run');
  log(`eager cell ended: ${last && last.prompt}`);

  // 3. "Insert as cell" in the post-run header
  const cellsBefore = await page.locator('.jp-Notebook .jp-Cell').count();
  await page.locator('.jp-Notebook .jp-Cell').nth(config.eagerCell).locator('.eager-rendered-run .eager-button-insert').click();
  await sleep(800);
  const cellsAfter = await page.locator('.jp-Notebook .jp-Cell').count();
  const inserted = await page.evaluate(i => {
    const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[i];
    const box = cell.getBoundingClientRect();
    return {
      type: cell.classList.contains('jp-CodeCell') ? 'code' : 'other',
      text: cell.querySelector('.cm-content')?.innerText ?? '',
      flashing: cell.classList.contains('eager-flash'), // feedback: it flashes ...
      inView: box.top < window.innerHeight && box.bottom > 0 // ... where it can be seen
    };
  }, config.eagerCell + 1);
  // Copy says it copied (nothing else shows that a copy happened)
  const copy = page.locator('.jp-Notebook .jp-Cell').nth(config.eagerCell).locator('.eager-rendered-run .eager-button-copy');
  await copy.click();
  const copied = await copy.textContent();
  report.insert = { cellsBefore, cellsAfter, inserted, copied };
  await shot(page, '3-inserted-cell');

  // 4. Stop: interrupt a run that would go on for a long time
  if (config.stopCell !== null && config.stopCell !== undefined) {
    const stopIndex = config.stopCell + 1; // the inserted cell moved it down
    await runCell(page, stopIndex);
    const t0 = Date.now();
    let running = null;
    while (Date.now() - t0 < 60000) {
      running = await page.evaluate(inspect, stopIndex);
      if (running && running.live && running.stmts.some(x => x.status === 'running')) break;
      await sleep(60);
    }
    report.stopBefore = running;
    report.stopColour = await page
      .locator('.jp-Notebook .jp-Cell').nth(stopIndex).locator('.eager-widget .eager-button-stop')
      .evaluate(b => getComputedStyle(b).backgroundColor);
    await shot(page, '4-before-stop');
    await page.locator('.jp-Notebook .jp-Cell').nth(stopIndex).locator('.eager-widget .eager-button-stop').click();
    const t1 = Date.now();
    let s = null;
    while (Date.now() - t1 < 30000) {
      s = await page.evaluate(inspect, stopIndex);
      if (finished(s)) break;
      await sleep(60);
    }
    await sleep(800);
    report.stopAfter = await page.evaluate(inspect, stopIndex);
    await shot(page, '5-after-stop');
  }

  // 4b. a `--view auto` run (after %load_ext ran in its own cell): sample it until the cell ends
  if (config.autoCell !== null && config.autoCell !== undefined) {
    const autoIndex = config.autoCell + 1; // the inserted cell moved it down
    await runCell(page, autoIndex);
    const t0 = Date.now();
    report.autoSamples = [];
    while (Date.now() - t0 < 60000) {
      const s = await page.evaluate(inspect, autoIndex);
      report.autoSamples.push(s);
      if (finished(s)) break;
      await sleep(60);
    }
    await sleep(1000);
    report.autoAfter = await page.evaluate(inspect, autoIndex);
    await page.locator('.jp-Notebook .jp-Cell').nth(autoIndex).scrollIntoViewIfNeeded();
    await shot(page, '5b-auto-view');
  }

  // 4c. Run All on a second notebook, in its own tab and kernel: the widget, the held state, the phase
  if (config.runAll) {
    const page3 = await context.newPage();
    await openNotebook(page3, config.runAll.notebook);
    await page3.locator('.lm-MenuBar-itemLabel', { hasText: /^Run$/ }).click();
    await page3.locator('.lm-Menu-itemLabel', { hasText: /^Run All Cells$/ }).click();
    // every cell is sampled on every tick, from the start: a cell that starts while the one before
    // is being sampled is seen from its first moments
    const cells = config.runAll.cells;
    const samples = new Map(cells.map(cell => [cell, []]));
    const shotHeld = new Set();
    const shotPhase = new Set();
    const t0 = Date.now();
    while (Date.now() - t0 < 180000) {
      let last = null;
      for (const cell of cells) {
        const s = await page3.evaluate(inspect, cell);
        samples.get(cell).push(s);
        last = s;
        if (!shotHeld.has(cell) && s && s.live && s.stmts.some(x => x.status === 'held')) {
          shotHeld.add(cell);
          await shot(page3, `7-run-all-cell${cell}-held`, cell);
          if (config.runAll.midSave && !report.midSaveCopy) {
            await page3.keyboard.press('Control+s');
            await sleep(700);
            report.midSaveCopy = await copyNotebook(config.runAll.notebook, config.runAll.midSave);
            report.midSaveLive = await page3.evaluate(inspectSaved, cell);
          }
        }
        if (!shotPhase.has(cell) && s && s.live && s.phase === 'running') {
          shotPhase.add(cell);
          await shot(page3, `8-run-all-cell${cell}-running-after-generation`, cell);
        }
      }
      if (finished(last)) break;
      await sleep(60);
    }
    await sleep(500);
    report.runAll = [];
    for (const cell of cells) {
      report.runAll.push({ cell, samples: samples.get(cell), after: await page3.evaluate(inspect, cell) });
    }
    await page3.keyboard.press('Control+s');
    await sleep(1500);
    await page3.close();
    if (report.midSaveCopy) {
      const page5 = await context.newPage();
      await openNotebook(page5, config.runAll.midSave);
      await sleep(1500);
      report.midSave = await page5.evaluate(inspectSaved, config.runAll.cells[0]);
      await page5.locator('.jp-Notebook .jp-Cell').nth(config.runAll.cells[0]).scrollIntoViewIfNeeded();
      await shot(page5, '10-saved-mid-run-reopened');
      await page5.close();
    }
  }

  // 5. save, then open a copy in a fresh kernel: no widget state, only what the file holds
  await page.keyboard.press('Control+s');
  await sleep(1500);
  report.copyStatus = await copyNotebook(config.notebook, config.reopen);
  const page2 = await context.newPage();
  await openNotebook(page2, config.reopen);
  await sleep(1500);
  report.reopened = await page2.evaluate(inspect, config.eagerCell);
  await page2.locator('.jp-Notebook .jp-Cell').nth(config.eagerCell).scrollIntoViewIfNeeded();
  await shot(page2, '6-reopened');

  // 6. an nbconvert HTML export: are the code blocks monospace?
  if (config.html) {
    const page4 = await context.newPage();
    await page4.goto(`file://${config.html}`);
    report.htmlFonts = await page4.evaluate(() =>
      Array.from(document.querySelectorAll('pre.eager-code')).map(el => getComputedStyle(el).fontFamily)
    );
    await page4.locator('pre.eager-code').first().scrollIntoViewIfNeeded();
    await shot(page4, '9-html-export');
  }
} catch (error) {
  report.error = String(error && error.stack ? error.stack : error);
  for (const p of context.pages()) {
    await shot(p, `error-${context.pages().indexOf(p)}`).catch(() => undefined);
  }
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(report));
