// Secrets live in the environment only. A config file is committed, copied and pasted into issues,
// so a key that looks like a credential is refused before anything else is checked.
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ConfigProblem } from './problems.js';
import { formatPath, toPosition, type KeyPath } from './yaml-nodes.js';

// `max_tokens`-style counts are numbers, not credentials: a trailing "tokens" is exempt.
const SECRET_KEY = /token|api[_-]?key|apikey|secret|password|passwd/i;
const COUNT_KEY = /tokens$/i;
// `api_key_env: VLLM_API_KEY` names the variable that holds the key: that is what we ask for.
const VARIABLE_NAME_KEY = /_env$/i;
// Servers also take credentials as flags (llama-server and vLLM `--api-key K`).
const SECRET_FLAG = /^--?(api[-_]?key|hf[-_]?token|token|secret|password)(=.*)?$/i;

export interface SecretFinding {
  problem: ConfigProblem;
  /** The environment variable to use instead. */
  envVar: string;
}

function isSecretKeyName(key: string): boolean {
  return SECRET_KEY.test(key) && !COUNT_KEY.test(key) && !VARIABLE_NAME_KEY.test(key);
}

const GENERIC = new Set(['TOKEN', 'API_KEY', 'APIKEY', 'SECRET', 'PASSWORD', 'PASSWD', 'ACCESS_TOKEN', 'AUTH_TOKEN']);

function envName(text: string): string {
  return text
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
}

/** The env var a user should set for `key` found under `path` (hf_token → HF_TOKEN, vllm.api_key → VLLM_API_KEY). */
function envVarForSecret(path: KeyPath, key: string): string {
  const name = envName(key);
  const provider = path[0] === 'providers' && typeof path[1] === 'string' ? path[1] : undefined;
  if (!GENERIC.has(name)) return name;
  if (provider === 'llamacpp') return 'LLAMA_API_KEY';
  return provider === undefined ? `ACODE_${name}` : `${envName(provider)}_${name}`;
}

function flagEnvVar(path: KeyPath, flag: string): string {
  const bare = flag.replace(/^-+/, '').replace(/=.*$/, '');
  return envVarForSecret(path.slice(0, -1), bare);
}

/** Every secret-looking key (at any depth) and every credential flag in an args list. */
export function findSecrets(doc: Document, lineCounter: LineCounter, file: string): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const at = (offset: number, path: KeyPath, message: string, envVar: string): void => {
    findings.push({ problem: { file, ...toPosition(lineCounter, offset), path: formatPath(path), message }, envVar });
  };
  const walk = (node: unknown, path: KeyPath): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const keyPath = [...path, key];
        if (isSecretKeyName(key)) {
          const envVar = envVarForSecret(path, key);
          at(
            (pair.key as Node).range?.[0] ?? 0,
            keyPath,
            `looks like a secret; set ${envVar} in the environment instead`,
            envVar,
          );
        }
        walk(pair.value, keyPath);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const value = isScalar(item) ? String(item.value) : undefined;
        if (value !== undefined && path[path.length - 1] === 'args' && SECRET_FLAG.test(value)) {
          const envVar = flagEnvVar(path, value);
          at(
            (item as Node).range?.[0] ?? 0,
            [...path, index],
            `passes a credential on the command line; set ${envVar} in the environment instead`,
            envVar,
          );
        }
        walk(item, [...path, index]);
      });
    }
  };
  walk(doc.contents, []);
  return findings;
}
