// Where command output goes: process.stdout/stderr in the binary, string buffers in tests.
export interface Output {
  write(chunk: string): unknown;
}
