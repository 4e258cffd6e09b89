// One provider's lifecycle as a declaration: states, events and the names of the actors, guards,
// actions and delays that implement it (setup in service-setup.ts). No I/O here
// (docs/design.md, "Machines hold no I/O"). Where it departs from the seed's chart
// (docs/design.md, "Where the code departs from the seed's design"): a crash of a server we may not
// start (monitored, external) ends in `unavailable`, not `failed`; an external server goes
// stopped -> healthy without a probe; `failed` first stops a process we still own (start timeout,
// hung server) so nothing leaks.
import { and, not, stateIn } from 'xstate';
import { initialContext, serviceSetup } from './service-setup.js';
import { pollerInput, refInput, spawnInput, stopInput, watchInput } from './service-actors.js';

// START/RETRY, the user acting: a fresh restart budget. external is assumed up without a probe.
const userStart = [
  { guard: 'providerForbidden', target: '#service.failed', actions: 'recordModeForbidden' },
  { guard: 'assumesUp', target: '#service.healthy', actions: ['resetRestarts', 'clearError', 'forgetProcess'] },
  { target: '#service.detecting', actions: ['resetRestarts', 'clearError'] },
] as const;
const stopTransitions = [
  { guard: 'ownsProcess', target: '#service.stopping' },
  { target: '#service.stopped' },
] as const;

export const serviceMachine = serviceSetup.createMachine({
  id: 'service',
  initial: 'stopped',
  context: ({ input }) => initialContext(input),
  on: {
    // A reloaded config applies to this service only where it changed something (registry.reconfigure).
    RECONFIGURE: [
      // Our server runs with the old model/port/argv: stop it, then detect and start with the new.
      { guard: 'reloadRestartsOwned', target: '.reloading', actions: 'holdConfig' },
      // Someone else's server, or none yet: look again at the new endpoint (a detection or a start
      // under way was looking at the old one; a spawn cancelled here kills what it made).
      { guard: and([stateIn('healthy'), 'reloadChangesLaunch']), target: '.detecting', actions: 'applyConfig' },
      { guard: and([stateIn('starting'), 'reloadChangesLaunch']), target: '.detecting', actions: 'applyConfig' },
      { guard: and([stateIn('detecting'), 'reloadChangesLaunch']), target: '.detecting', actions: 'applyConfig' },
      // Only timings changed: re-enter, so the probes and the model check run on the new settings.
      { guard: stateIn('healthy'), target: '.healthy', actions: 'applyConfig' },
      { guard: stateIn('unavailable'), target: '.unavailable', actions: 'applyConfig' },
      // Anywhere else the next step reads the new settings.
      { actions: 'applyConfig' },
    ],
  },
  states: {
    stopped: {
      on: {
        START: [...userStart],
        ENSURE: [
          { guard: 'providerForbidden', target: 'failed', actions: 'recordModeForbidden' },
          { guard: 'assumesUp', target: 'healthy', actions: ['clearError', 'forgetProcess'] },
          { target: 'detecting', actions: 'clearError' },
        ],
      },
    },
    detecting: {
      invoke: {
        src: 'detect',
        input: refInput,
        onDone: [
          { guard: { type: 'detected', params: { kind: 'running' } }, target: 'healthy', actions: 'adoptDetected' },
          {
            guard: 'detectedOwnedLoading',
            target: ['#service.starting.proc.watching', '#service.starting.readiness.loading'],
            actions: 'adoptDetected',
          },
          {
            guard: { type: 'detected', params: { kind: 'loading' } },
            target: ['#service.starting.proc.adopted', '#service.starting.readiness.loading'],
            actions: 'adoptDetected',
          },
          { guard: { type: 'detected', params: { kind: 'foreign' } }, target: 'failed', actions: 'recordPortTaken' },
          { guard: 'mayStart', target: 'starting', actions: 'forgetProcess' },
          { guard: 'maySpawn', target: 'failed', actions: 'recordAirgapStart' },
          { target: 'unavailable', actions: 'recordUnavailable' },
        ],
        onError: { target: 'failed', actions: 'recordActorError' },
      },
      on: { STOP: 'stopped' },
    },
    starting: {
      type: 'parallel',
      states: {
        proc: {
          initial: 'routing',
          states: {
            routing: {
              always: [
                { guard: 'checksGpus', target: 'checkingGpus' },
                { guard: 'fetchesModel', target: 'pulling' },
                { target: 'spawning' },
              ],
            },
            // vLLM: refuse a start its GPUs cannot hold now, instead of a CUDA OOM minutes into its load.
            checkingGpus: {
              invoke: {
                src: 'checkGpus',
                input: refInput,
                onDone: [{ guard: 'fetchesModel', target: 'pulling' }, { target: 'spawning' }],
                onError: { target: '#service.failed', actions: 'recordActorError' },
              },
            },
            // vLLM: the hub model into the cache first (asked, refused, or pulled with progress), so vLLM
            // starts offline on a complete copy. The start timeout begins once this is done.
            pulling: {
              entry: 'clearPull',
              invoke: {
                src: 'fetchModel',
                input: refInput,
                onDone: { target: ['#service.starting.proc.spawning', '#service.starting.readiness.booting'] },
                onError: { target: '#service.failed', actions: 'recordActorError' },
              },
              on: { PULL_PROGRESS: { actions: 'recordPullProgress' } },
            },
            spawning: {
              invoke: {
                src: 'spawnServer',
                input: spawnInput,
                onDone: [
                  { guard: 'spawnedOwnPid', target: 'watching', actions: 'recordSpawn' },
                  { target: 'adopted', actions: 'recordSpawn' },
                ],
                onError: { target: '#service.failed', actions: 'recordActorError' },
              },
            },
            watching: {
              invoke: [
                {
                  src: 'watchProcess',
                  input: watchInput,
                  onError: { target: '#service.failed', actions: 'recordActorError' },
                },
                {
                  src: 'healthPoller',
                  input: pollerInput('starting'),
                  onError: { target: '#service.failed', actions: 'recordActorError' },
                },
                {
                  src: 'watchLog',
                  input: watchInput,
                  onError: { target: '#service.failed', actions: 'recordActorError' },
                },
              ],
            },
            adopted: {
              invoke: {
                src: 'healthPoller',
                input: pollerInput('starting'),
                onError: { target: '#service.failed', actions: 'recordActorError' },
              },
            },
          },
        },
        readiness: {
          initial: 'routing',
          entry: 'clearLoad',
          states: {
            // A model fetched before the spawn has no timeout of ours: the pull fails a stalled download.
            routing: { always: [{ guard: 'fetchesModel', target: 'awaitingModel' }, { target: 'booting' }] },
            awaitingModel: {},
            // start_timeout_seconds covers spawning and the first answer; a server that says it is
            // loading gets model_load_timeout_seconds instead: llama-server's 503 while loading, or our
            // own process logging download/load progress (vLLM refuses connections until loaded).
            booting: {
              after: { startTimeout: { target: '#service.failed', actions: 'recordStartTimeout' } },
              on: {
                PROBE_LOADING: 'loading',
                LOAD_PROGRESS: { target: 'loading', actions: 'recordLoadProgress' },
              },
            },
            loading: {
              after: { modelLoadTimeout: { target: '#service.failed', actions: 'recordModelLoadTimeout' } },
              on: { LOAD_PROGRESS: { actions: 'recordLoadProgress' } },
            },
          },
        },
      },
      on: {
        PROBE_OK: 'healthy',
        PROCESS_SPAWNED: { actions: 'recordPid' },
        PROCESS_EXITED: { target: 'failed', actions: 'recordStartExit' },
        STOP: [...stopTransitions],
      },
    },
    healthy: {
      type: 'parallel',
      entry: 'markHealthy',
      states: {
        model: {
          initial: 'unknown',
          states: {
            unknown: { after: { settle: 'checking' } },
            checking: {
              invoke: {
                src: 'checkModel',
                input: refInput,
                onDone: [
                  { guard: 'modelPresent', target: 'ready' },
                  { guard: 'mayPull', target: 'pulling' },
                  // Our own server, adopted, still serving the model an earlier config named: the same
                  // stop-then-start a reload takes. One we spawned here would only come back the same.
                  { guard: 'relaunchLoadsModel', target: '#service.reloading' },
                  { target: 'missing', actions: 'recordModelMissing' },
                ],
                onError: [
                  { guard: 'connectionLost', target: '#service.crashed', actions: 'recordActorError' },
                  { target: 'missing', actions: 'recordActorError' },
                ],
              },
            },
            pulling: {
              entry: 'clearPull',
              invoke: {
                src: 'pullModel',
                input: refInput,
                onError: { target: 'missing', actions: 'recordActorError' },
              },
              on: {
                PULL_PROGRESS: { actions: 'recordPullProgress' },
                PULL_DONE: 'checking',
                PULL_FAILED: { target: 'missing', actions: 'recordPullFailed' },
              },
            },
            ready: { entry: ['clearError', 'clearPull'] },
            missing: { on: { ENSURE: 'checking', RETRY: 'checking' } },
          },
        },
        // vLLM's GPUs, probed at the health-check interval: a fault marks it degraded (status, TUI, --json).
        gpu: {
          initial: 'routing',
          states: {
            routing: { always: [{ guard: 'watchesGpus', target: 'watching' }, { target: 'off' }] },
            watching: { invoke: { src: 'watchGpus', input: refInput } },
            off: {},
          },
        },
        // Not part of the contract: how the live server is watched while healthy.
        probe: {
          initial: 'routing',
          states: {
            routing: {
              always: [
                { guard: 'assumesUp', target: 'idle' },
                { guard: 'hasPid', target: 'watching' },
                { target: 'polling' },
              ],
            },
            watching: {
              invoke: [
                {
                  src: 'watchProcess',
                  input: watchInput,
                  onError: { target: '#service.crashed', actions: 'recordActorError' },
                },
                {
                  src: 'healthPoller',
                  input: pollerInput('healthy'),
                  onError: { target: '#service.crashed', actions: 'recordActorError' },
                },
              ],
              on: { REQUEST_FAILED: 'reprobing' },
            },
            polling: {
              invoke: {
                src: 'healthPoller',
                input: pollerInput('healthy'),
                onError: { target: '#service.crashed', actions: 'recordActorError' },
              },
              on: { REQUEST_FAILED: 'reprobing' },
            },
            idle: { on: { REQUEST_FAILED: 'reprobing' } },
            // One immediate probe after a request failed: back to watching if it answers, else crashed.
            reprobing: {
              invoke: {
                src: 'detect',
                input: refInput,
                onDone: [
                  { guard: { type: 'detected', params: { kind: 'running' } }, target: 'routing' },
                  { target: '#service.crashed', actions: 'recordGone' },
                ],
                onError: { target: '#service.crashed', actions: 'recordActorError' },
              },
            },
          },
        },
      },
      on: {
        PROCESS_EXITED: { target: 'crashed', actions: 'recordExit' },
        PROBE_FAILED: { target: 'crashed', actions: 'recordProbeFailed' },
        GPU_FAULT: { actions: 'recordGpuFault' },
        GPU_OK: { actions: 'clearGpuFault' },
        STOP: [
          { guard: 'mayStopOwned', target: 'stopping' },
          { target: 'stopped', actions: 'forgetProcess' },
        ],
      },
    },
    crashed: {
      // Rests for a 0-ms delay so the state is observable (docs/design.md, "State names are the contract"), then applies the restart policy.
      entry: 'markCrashed',
      after: {
        settle: [
          { guard: 'mayRestart', target: 'restarting' },
          { guard: 'mayStart', target: 'failed', actions: 'recordCrashLoop' },
          { guard: 'maySpawn', target: 'failed', actions: 'recordAirgapStart' },
          { target: 'unavailable', actions: 'recordUnavailable' },
        ],
      },
      on: { STOP: [...stopTransitions] },
    },
    restarting: {
      entry: 'recordRestart',
      initial: 'routing',
      states: {
        routing: { always: [{ guard: 'ownsProcess', target: 'reaping' }, { target: 'backingOff' }] },
        // Failed probes with our process still alive: it hangs, so stop it before starting another.
        reaping: {
          invoke: {
            src: 'stopServer',
            input: stopInput,
            onDone: { target: 'backingOff', actions: 'forgetProcess' },
            onError: { target: 'backingOff', actions: 'forgetProcess' },
          },
        },
        backingOff: { after: { backoff: '#service.starting' } },
      },
      on: { STOP: [...stopTransitions] },
    },
    // A reload changed how our server is launched, or our adopted server serves another model than the
    // config names: stop it (found by its old settings), then adopt the new ones (if any) and detect
    // again, which starts it anew if the lifecycle allows.
    reloading: {
      invoke: {
        src: 'stopServer',
        input: stopInput,
        onDone: { target: 'detecting', actions: ['forgetProcess', 'applyPendingConfig'] },
        onError: { target: 'failed', actions: ['recordActorError', 'forgetProcess', 'applyPendingConfig'] },
      },
      on: {
        RECONFIGURE: { actions: 'holdConfig' },
        STOP: 'stopping',
      },
    },
    stopping: {
      invoke: {
        src: 'stopServer',
        input: stopInput,
        onDone: { target: 'stopped', actions: ['forgetProcess', 'applyPendingConfig'] },
        // The stop actor refuses a pid that is no longer ours; never signal it again.
        onError: { target: 'failed', actions: ['recordActorError', 'forgetProcess', 'applyPendingConfig'] },
      },
    },
    failed: {
      initial: 'routing',
      states: {
        routing: { always: [{ guard: 'ownsProcess', target: 'reaping' }, { target: 'idle' }] },
        // We gave up on a process we started (start timeout, hung after a crash loop): do not leak it.
        reaping: {
          invoke: {
            src: 'stopServer',
            input: stopInput,
            onDone: { target: 'idle', actions: 'forgetProcess' },
            onError: { target: 'idle', actions: 'forgetProcess' },
          },
        },
        // Only once the reap is done: a start or detect now would meet (or adopt) the process being stopped.
        idle: {
          on: {
            RETRY: [...userStart],
            START: [...userStart],
            // ENSURE retries only failures the user may have fixed meanwhile (policy.ensureRetries).
            ENSURE: [
              { guard: not('ensureRetries') },
              { guard: 'providerForbidden', target: '#service.failed', actions: 'recordModeForbidden' },
              { target: '#service.detecting', actions: 'clearError' },
            ],
          },
        },
      },
      on: {
        // While reaping, the process is still ours: let stopping finish the job rather than abandon it.
        STOP: [...stopTransitions],
      },
    },
    unavailable: {
      // monitored: poll at the health-check interval until it answers; external: wait for a request.
      after: { pollInterval: { guard: 'pollsWhileDown', target: 'detecting' } },
      on: {
        START: { target: 'detecting', actions: 'resetRestarts' },
        RETRY: { target: 'detecting', actions: 'resetRestarts' },
        ENSURE: 'detecting',
        STOP: 'stopped',
      },
    },
  },
});
