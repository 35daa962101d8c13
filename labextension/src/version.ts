/**
 * The widget module's name and version. The version is package.json's, which the build copies from
 * eager_jupyter/_version.py (scripts/sync-version.mjs), so the kernel's `_model_module_version` and
 * the registered module always agree.
 */
declare const require: (path: string) => { name: string; version: string };
const data = require('../package.json');

export const MODULE_NAME = 'eager-jupyter';
export const MODULE_VERSION: string = data.version;

/** The run's display while it goes on: `{model_id}` of its live widget (and what a save mid-run wrote). */
export const LIVE_MIME = 'application/vnd.eager-jupyter.live+json';
/** The post-run rendering of a run (header and timeline), saved in the notebook. */
export const RUN_MIME = 'application/vnd.eager-jupyter.run+json';

/** One statement's code block after the run (beside the plain view's Markdown of it). */
export const STATEMENT_MIME = 'application/vnd.eager-jupyter.statement+json';

/** The comm target a kernel opens at `%load_ext eager_jupyter` to learn that this extension is here. */
export const PROBE_TARGET = 'eager_jupyter.probe';
