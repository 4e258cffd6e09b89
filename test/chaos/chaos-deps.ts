// The public APIs the chaos suite drives, from each folder's index (one place to follow renames).
export { createActorImplementations, logFilePath, pidFilePath, readPidFile } from '../../actors/index.js';
export { isAcodeError } from '../../config/index.js';
export { isOurProcess, type PidFile } from '../../actors/index.js';
