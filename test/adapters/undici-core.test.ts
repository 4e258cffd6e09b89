// adapters/undici-core.ts reaches into undici's lib files to skip the index (fetch, WebSocket, cookies,
// Node's own undici copy). This pins that the files are still what the index exports, so an undici
// upgrade that moves or changes them fails here by name instead of somewhere in the transport.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import requestOn from 'undici/lib/api/api-request.js';
import { Pool, buildConnector } from '../../adapters/undici-core.js';

const undiciIndex = createRequire(import.meta.url)('undici') as typeof import('undici');

describe('undici-core: the lib files are the index exports', () => {
  it('Pool and buildConnector are the very values undici exports', () => {
    expect(Pool).toBe(undiciIndex.Pool);
    expect(buildConnector).toBe(undiciIndex.buildConnector);
  });

  it('the request the transport calls is the one the index puts on Dispatcher.prototype', () => {
    expect(requestOn).toBe(undiciIndex.Dispatcher.prototype.request);
  });
});
