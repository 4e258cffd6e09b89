// Every `acode ...` the product tells a user to run (hints, messages, help) must be a command that
// exists: a hint naming `acode start vllm` when the command is `acode providers start vllm` sends the
// user to a USAGE error at the worst moment.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../cli/run.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FOLDERS = ['machines', 'actors', 'adapters', 'config', 'cli', 'inspector'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !name.endsWith('.generated.ts') ? [path] : [];
  });
}

/** The words of each backticked `acode ...` up to the first placeholder, option or argument-ish token. */
interface Mention {
  where: string;
  words: string[];
  text: string;
  escaped: boolean;
  argument: boolean;
}

function mentions(): Mention[] {
  const found: Mention[] = [];
  for (const file of FOLDERS.flatMap((f) => sources(join(ROOT, f)))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\\?`acode ([^`\\]*)\\?`/g)) {
      const words: string[] = [];
      let argument = false;
      for (const token of (m[1] ?? '').split(/\s+/).filter(Boolean)) {
        if (/^[a-z][a-z-]*$/.test(token)) {
          words.push(token);
          continue;
        }
        // A placeholder (${id}, <model>, [id]) or a quoted prompt is an argument; an option is not.
        argument = !/^\[?-/.test(token);
        break;
      }
      const line = text.slice(0, m.index).split('\n').length;
      found.push({
        where: `${relative(ROOT, file)}:${line}`,
        words,
        text: m[0],
        escaped: m[0].startsWith('\\'),
        argument,
      });
    }
  }
  return found;
}

/** What is wrong with the command the mention names, if anything. */
function problemOf(program: Command, m: Mention): string | undefined {
  let at = program;
  let rest = [...m.words];
  while (rest.length > 0 && at.commands.length > 0) {
    const word = rest[0]!;
    if (at === program && word === 'help') return undefined; // commander's implicit `help [command]`
    const next = at.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!next)
      return `'${word}' is not a subcommand of '${at.name()}' (it has: ${at.commands.map((c) => c.name()).join(', ')})`;
    at = next;
    rest = rest.slice(1);
  }
  const given = rest.length + (m.argument ? 1 : 0);
  if (given > 0 && at.commands.length === 0 && at.registeredArguments.length === 0)
    return `'${at.name()}' takes no arguments`;
  return undefined;
}

describe('commands named in hints and messages', () => {
  const program = buildProgram({
    stdout: process.stdout,
    stderr: process.stderr,
    env: {},
    cwd: '/',
    signal: new AbortController().signal,
    config: {} as never,
  });
  const all = mentions();

  it('finds the mentions (the scan itself works)', () => {
    expect(all.length).toBeGreaterThan(20);
    expect(all.some((m) => m.words.join(' ') === 'providers start')).toBe(true);
  });

  it('each names a real command', () => {
    const wrong = all.flatMap((m) => {
      // A template literal that merely starts with the word ("`acode did not start ...`") is a sentence;
      // a command is quoted inside text, so in a template its backticks are escaped.
      const quoted = m.escaped || program.commands.some((c) => c.name() === m.words[0]);
      if (!quoted) return [];
      const problem = m.words.length === 0 ? undefined : problemOf(program, m);
      return problem ? [`${m.where} ${m.text}: ${problem}`] : [];
    });
    expect(wrong).toEqual([]);
  });
});
