// One ToolCall shape from both protocols. OpenAI streams a call in pieces keyed by `index` (id and
// name first, then argument fragments); Ollama sends each call whole with arguments as an object.
import { randomUUID } from 'node:crypto';
import { AcodeError } from '../config/index.js';
import type { ToolCall } from './types.js';
import type { WireContext } from './wire-errors.js';

interface Partial {
  id?: string;
  name: string;
  args: string;
}

/** Parses a call's arguments: must be a JSON object (an empty string means no arguments). */
export function parseArguments(raw: string, name: string, ctx: WireContext): Record<string, unknown> {
  if (raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AcodeError(
      'STRUCTURED_OUTPUT_INVALID',
      `${ctx.provider}: the model called tool "${name}" with arguments that are not a JSON object.`,
      'Retry the request; a smaller or better tool-calling model may be needed.',
      { details: { provider: ctx.provider, tool: name, raw: raw.slice(0, 2000) } },
    );
  }
  return value as Record<string, unknown>;
}

export function generatedCallId(): string {
  return `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
}

/** Collects OpenAI `delta.tool_calls` fragments; `finish()` validates and returns whole calls. */
export class ToolCallAssembler {
  private readonly calls = new Map<number, Partial>();

  add(index: number, fragment: { id?: string; name?: string; arguments?: string }): void {
    const call = this.calls.get(index) ?? { name: '', args: '' };
    if (fragment.id) call.id = fragment.id;
    if (fragment.name) call.name += fragment.name;
    if (fragment.arguments) call.args += fragment.arguments;
    this.calls.set(index, call);
  }

  get size(): number {
    return this.calls.size;
  }

  finish(ctx: WireContext): ToolCall[] {
    return [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, c]) => ({
        id: c.id ?? generatedCallId(),
        name: c.name,
        arguments: parseArguments(c.args, c.name, ctx),
      }));
  }
}
