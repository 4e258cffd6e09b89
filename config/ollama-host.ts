// OLLAMA_HOST, parsed the way Ollama's envconfig.Host() does (ollama/ollama envconfig/config.go),
// so acode talks to the same address the `ollama` CLI and server would use.
import { isIP } from 'node:net';

export interface OllamaHost {
  scheme: string;
  /** As Ollama binds it (may be 0.0.0.0, ::, or a name); never bracketed. */
  host: string;
  port: number;
  /** Path after host:port, without the leading slash ('' when none). */
  path: string;
}

/** Go's net.SplitHostPort: undefined where Go returns an error. */
function splitHostPort(hostport: string): { host: string; port: string } | undefined {
  const i = hostport.lastIndexOf(':');
  if (i < 0) return undefined;
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0 || end + 1 !== i) return undefined;
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) return undefined;
  }
  if (hostport.slice(j).includes('[') || hostport.slice(k).includes(']')) return undefined;
  return { host, port: hostport.slice(i + 1) };
}

// Go's net.ParseIP + IP.String(): canonical text for an IP, undefined for anything else.
function canonicalIp(text: string): string | undefined {
  const kind = isIP(text);
  if (kind === 4) return text;
  if (kind === 6) return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  return undefined;
}

// strconv.ParseInt(port, 10, 32) then 0 ≤ n ≤ 65535.
function parsePort(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 0 && n <= 65535 ? n : undefined;
}

/** Parses an OLLAMA_HOST value; an empty or absent value gives Ollama's default 127.0.0.1:11434. */
export function parseOllamaHost(raw: string | undefined): OllamaHost {
  // envconfig.Var trims spaces and quotes.
  const value = (raw ?? '')
    .trim()
    .replace(/^["']+|["']+$/g, '')
    .trim();
  let defaultPort = 11434;
  let scheme = 'http';
  let hostport = value;
  const cut = value.indexOf('://');
  if (cut < 0) {
    if (value === 'ollama.com') {
      scheme = 'https';
      hostport = 'ollama.com:443';
    }
  } else {
    scheme = value.slice(0, cut);
    hostport = value.slice(cut + 3);
    if (scheme === 'http') defaultPort = 80;
    else if (scheme === 'https') defaultPort = 443;
  }
  const slash = hostport.indexOf('/');
  const path = slash < 0 ? '' : hostport.slice(slash + 1);
  if (slash >= 0) hostport = hostport.slice(0, slash);

  const split = splitHostPort(hostport);
  let host: string;
  let portText: string;
  if (split === undefined) {
    host = canonicalIp(hostport.replace(/^\[+|\]+$/g, '')) ?? (hostport === '' ? '127.0.0.1' : hostport);
    portText = String(defaultPort);
  } else {
    host = split.host;
    portText = split.port;
  }
  const port = parsePort(portText) ?? defaultPort;
  return { scheme, host, port, path };
}

/** Where a client should connect for a bind address: unspecified (0.0.0.0, ::, '') becomes loopback. */
export function connectableHost(host: string): string {
  if (host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

/** `http://host:port` with an IPv6 host in brackets; `path` appended when given. */
export function formatBaseUrl(scheme: string, host: string, port: number, path = ''): string {
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const suffix = path.replace(/\/+$/, '');
  return `${scheme}://${shownHost}:${port}${suffix === '' ? '' : `/${suffix}`}`;
}
