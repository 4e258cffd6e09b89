// The three pieces of undici the transport uses, imported from undici's own files instead of its
// index. The index also builds fetch, WebSocket, cookies and the mocks, and reading globalThis.Headers
// there loads Node's bundled copy of undici as well: about 60 ms and 9 MB of every engine command for
// code acode never calls. The paths are undici 7's lib layout (the lock file pins the version);
// test/adapters/undici-core.test.ts checks they are the very functions the index exports, so an
// upgrade that moves them fails loudly instead of quietly.
import type { Dispatcher } from 'undici';
import PoolClass from 'undici/lib/dispatcher/pool.js';
import build from 'undici/lib/core/connect.js';
import requestOn from 'undici/lib/api/api-request.js';

export const Pool = PoolClass;
export const buildConnector = build;

/** `dispatcher.request(options)`: the index attaches it to Dispatcher.prototype; we call it directly. */
export function request(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return requestOn.call(dispatcher, options);
}
