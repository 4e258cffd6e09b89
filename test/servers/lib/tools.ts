// Tool calling for the fakes: a call is made when tools are offered and the last user turn asks for one
// (names a tool, or mentions "weather"), or when tool_choice forces it; arguments follow the tool's schema.

import { valueFromSchema, type JsonSchema } from './schema-value.js';
import { hash32, seededRandom, type GenerationKey } from './tokens.js';

export interface ToolSpec {
  name: string;
  description: string;
  parameters: JsonSchema;
}

function asRecord(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** Normalises OpenAI / Ollama tool declarations (`{type:'function', function:{name, parameters}}`). */
export function toolSpecs(tools: unknown): ToolSpec[] {
  if (!Array.isArray(tools)) return [];
  const out: ToolSpec[] = [];
  for (const t of tools) {
    const fn = asRecord(asRecord(t)?.function);
    if (!fn || typeof fn.name !== 'string') continue;
    const params = asRecord(fn.parameters) ?? { type: 'object', properties: {} };
    out.push({
      name: fn.name,
      description: typeof fn.description === 'string' ? fn.description : '',
      parameters: params,
    });
  }
  return out;
}

/** Which tool to call, if any, for this request. */
export function chooseTool(
  tools: ToolSpec[],
  toolChoice: unknown,
  lastRole: string,
  lastText: string,
): ToolSpec | null {
  if (tools.length === 0 || toolChoice === 'none' || lastRole !== 'user') return null;
  const forced = asRecord(asRecord(toolChoice)?.function)?.name;
  if (typeof forced === 'string') return tools.find((t) => t.name === forced) ?? null;
  const text = lastText.toLowerCase();
  const named = tools.find((t) => text.includes(t.name.toLowerCase()));
  if (named) return named;
  if (text.includes('weather')) {
    return tools.find((t) => `${t.name} ${t.description}`.toLowerCase().includes('weather')) ?? tools[0] ?? null;
  }
  return toolChoice === 'required' ? (tools[0] ?? null) : null;
}

/** Deterministic arguments valid against the tool's parameter schema. */
export function toolArguments(tool: ToolSpec, key: GenerationKey): Record<string, unknown> {
  const rnd = seededRandom(hash32(`tool\u0000${tool.name}\u0000${key.model}\u0000${key.seed ?? 0}\u0000${key.prompt}`));
  const value = valueFromSchema(tool.parameters, rnd);
  return asRecord(value) ?? {};
}

/** A short random-looking id with a stable prefix, as servers put on completions and tool calls. */
export function makeId(prefix: string): string {
  return `${prefix}${Math.random().toString(16).slice(2, 10)}${Math.random().toString(16).slice(2, 10)}`;
}
