// Preloaded into the built CLI (NODE_OPTIONS=--import) by tests that need a host name that does not
// resolve. Every lookup in the process fails the way getaddrinfo reports an unknown name (ENOTFOUND),
// so no DNS query leaves the machine whatever name the test uses. Asked names are appended to
// $ACODE_TEST_LOOKUPS, so the test can see the lookup really happened.
import dns from 'node:dns';
import { appendFileSync } from 'node:fs';

dns.lookup = function lookup(hostname, options, callback) {
  const cb = typeof options === 'function' ? options : callback;
  if (process.env.ACODE_TEST_LOOKUPS) appendFileSync(process.env.ACODE_TEST_LOOKUPS, `${hostname}\n`);
  const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
    code: 'ENOTFOUND',
    errno: -3008,
    syscall: 'getaddrinfo',
    hostname,
  });
  process.nextTick(cb, err);
};
