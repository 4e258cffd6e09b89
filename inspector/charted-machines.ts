// The machines the inspector page draws, one chart each. An actor is drawn with the chart of the
// machine it runs: the actor named like the machine's id (`registry`) or `<id>.<name>` (`service.vllm`).
// Another machine is one more entry here.
import type { AnyStateMachine } from 'xstate';
import { requestMachine, serviceMachine } from '../machines/index.js';
import { registryMachine } from '../machines/registry.machine.js';

export const CHARTED_MACHINES: readonly AnyStateMachine[] = [serviceMachine, requestMachine, registryMachine];
