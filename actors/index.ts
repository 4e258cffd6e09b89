export type * from './events.js';
export type * from './contracts.js';
