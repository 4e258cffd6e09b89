export { printJson } from './json.js';
export { printError } from './error.js';
export { renderTable } from './table.js';
export type { Output } from './types.js';
export { OutputClosed, OUTPUT_CLOSED_EXIT, isOutputClosed } from './closed.js';
