// The public face of log/: acode's own leveled, structured log (pino, loaded lazily), below actors/
// and the CLI, above config/. Small on purpose: the CLI imports it at start-up.
export {
  installProcessLogger,
  logSettings,
  openLogger,
  processLogger,
  processLogPath,
  silentLogger,
  LOG_FILE_MAX_BYTES,
  LOG_FILES_KEPT,
} from './logger.js';
export type { LogFields, Logger, LogLevel, LogThreshold, OpenLoggerOptions, ProcessLogger } from './logger.js';
