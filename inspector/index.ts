// The public API of inspector/: the inspection bus, the JSONL recorder and its format, replays of a
// recording against the service machine, the Stately WebSocket bridge and the offline inspector page.
export { createInspectionBus, type InspectionBus, type InspectionListener } from './bus.js';
export { toPlain } from './serialize.js';
export {
  RECORDING_VERSION,
  actorName,
  toRecord,
  parseRecording,
  type InspectionRecord,
  type HeaderRecord,
  type ActorRecord,
  type EventRecord,
  type SnapshotRecord,
} from './record-format.js';
export { openRecorder, type Recorder } from './recorder.js';
export { connectStatelyInspector, relayUrl, DEFAULT_STATELY_URL, type StatelyConnection } from './stately.js';
export { openInspection, type InspectionOptions, type InspectionSession } from './session.js';
export {
  replayRecording,
  replayService,
  replayActor,
  servicesIn,
  lifetimes,
  collapse,
  pathDiff,
  type ServiceReplay,
  type TimelineEntry,
} from './replay.js';
export { replayRequest, requestsIn, reviveErrors } from './replay-request.js';
export { toReplayFile, type ReplayFileJson } from './replay-convert.js';
export { chartGraph, type ChartGraph, type ChartState, type ChartTransition } from './chart.js';
export { layoutChart, type Chart, type ChartNode, type ChartEdge, type Box } from './chart-layout.js';
export { CHARTED_MACHINES } from './charted-machines.js';
export { renderPage } from './page.js';
export { busRecords, gatewayRecords, type RecordSource } from './record-source.js';
export { startInspectorServer, type InspectorServer, type InspectorServerOptions } from './server.js';
