#!/usr/bin/env node
// Entry point of the `acode` binary: builds the program and maps any error to one printed line.
import { runCli } from './run.js';

process.exitCode = await runCli(process.argv);
