// One NDJSON line of /api/pull as the CLI reads it.
export interface ProgressLine {
  status?: string;
  digest?: string;
  total?: number;
  completed?: number;
  error?: string;
}
