// The public APIs the chaos suite drives, from each folder's index (one place to follow renames).
export { createActorImplementations, isOurProcess, pidFilePath, readPidFile, type PidFile } from '../../actors/index.js';
export { isAcodeError } from '../../config/index.js';
