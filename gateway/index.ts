// The gateway's public API: `acode serve`'s HTTP server over the engine, and the protocol pieces.
export { createGateway, unsentPart, type Gateway, type GatewayOptions, type GatewayControl } from './server.js';
export { createEngine, type Engine, type Route, type AnswerEvents } from './engine.js';
export { httpStatusOf } from './errors.js';
export type { GatewayModel } from './openai-protocol.js';
