// A reader that stops early (acode demo | head -3) closes our stdout, and the next write fails with
// EPIPE. Unix tools end quietly then (killed by SIGPIPE: exit 141); acode does the same, but unwinds
// first: the command is cancelled with this reason, so it stops what it started and removes its temp
// files, and nothing more is printed.

/** The abort reason of a command whose stdout (or stderr) reader went away. */
export class OutputClosed extends Error {
  constructor(options?: ErrorOptions) {
    super('the reader of the output went away', options);
    // An abort like Ctrl-C to every layer below (they check the name, as for a DOMException).
    this.name = 'AbortError';
  }
}

/** What a shell reports for a tool that SIGPIPE ended: 128 + 13. */
export const OUTPUT_CLOSED_EXIT = 141;

export function isOutputClosed(reason: unknown): reason is OutputClosed {
  return reason instanceof OutputClosed;
}
