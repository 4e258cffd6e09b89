// The one contract every provider adapter implements, whatever wire protocol it speaks.

export type Role = 'system' | 'user' | 'assistant' | 'tool';

export interface ToolCall {
  /** The server's id where it sends one (OpenAI); generated otherwise. */
  id: string;
  name: string;
  /** Parsed and validated as JSON (an object). */
  arguments: Record<string, unknown>;
}

export interface ChatMessage {
  role: Role;
  content: string;
  /** On assistant messages that called tools. */
  toolCalls?: ToolCall[];
  /** On tool messages: which call this answers. */
  toolCallId?: string;
  /** On tool messages: the tool's name (Ollama wants it). */
  toolName?: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export interface SamplingOptions {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
  seed?: number;
}

/**
 * How the server should hold the model, where its protocol lets a request say so (Ollama's
 * `options.num_ctx` and `keep_alive`); other wires ignore them (the gateway restarts or reports).
 */
export interface ServerHints {
  /** The context window to run the model with, in tokens. */
  contextSize?: number;
  /** How long the model stays loaded after this request, as Ollama reads it ("5m", 300, 0, -1). */
  keepAlive?: string | number;
}

export interface ChatRequest extends ServerHints {
  /** Defaults to the provider's configured model. */
  model?: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  /** JSON Schema for structured output; the answer is validated against it. */
  schema?: Record<string, unknown>;
  sampling?: SamplingOptions;
  /**
   * Continue the trailing assistant message instead of starting a new one (crash-safe resume):
   * vLLM's continue_final_message, Ollama's prefill of a final assistant message.
   */
  continueFinalMessage?: boolean;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'error' | 'unknown';

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export type StreamChunk =
  | { type: 'text'; text: string }
  | { type: 'tool_call_delta'; index: number; id?: string; name?: string; argumentsDelta: string }
  /** The crash-safe layer re-requested after a crash: discard what was shown so far. */
  | { type: 'restarted'; reason: string; attempt: number }
  | { type: 'final'; finishReason: FinishReason; usage?: Usage; toolCalls: ToolCall[]; model: string };

export interface ChatResponse {
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage?: Usage;
  model: string;
  /** Present when a schema was given: the parsed, validated value. */
  json?: unknown;
}

/** What a provider's model can do; `undefined` = unknown (the server has not said), never a guess. */
export interface Capabilities {
  streaming: boolean;
  /** From the server (Ollama /api/show `capabilities`); unknown until its model was looked at. */
  tools: boolean | undefined;
  structuredOutput: boolean | undefined;
  embeddings: boolean;
  vision: boolean | undefined;
  /** Tokens, where the server says (vLLM max_model_len, llama-server n_ctx, Ollama model_info). */
  maxContext?: number;
  /** The server can continue a trailing assistant message (resume after a crash). */
  continueFinalMessage: boolean;
}

export interface ModelInfo {
  id: string;
  sizeBytes?: number;
  family?: string;
  parameterSize?: string;
  quantization?: string;
  contextLength?: number;
  capabilities?: string[];
}

export interface HealthResult {
  ok: boolean;
  /** starting = up but loading (llama-server 503 Loading model); down = nothing answers. */
  status: 'ready' | 'starting' | 'down' | 'error';
  detail?: string;
  /**
   * The AcodeError code behind a failed probe (CONNECTION_REFUSED, RESPONSE_TIMEOUT ...), or the HTTP status
   * as `HTTP_<n>`; on a ready server, AUTH_FAILED: it answers, but only to the right API key.
   */
  code?: string;
}

export interface PullProgress {
  status: string;
  digest?: string;
  total?: number;
  completed?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** A raw text completion: the prompt as is (no chat template); with a suffix, fill in the middle. */
export interface TextCompletionRequest extends ServerHints {
  /** Defaults to the provider's configured model. */
  model?: string;
  prompt: string;
  /** The text after the gap: the answer is what goes between prompt and suffix. */
  suffix?: string;
  sampling?: SamplingOptions;
}

export interface EmbedOptions extends CallOptions {
  /** Defaults to the provider's configured model. */
  model?: string;
  /** Ollama only (its /api/embed carries it): how long the model stays loaded after this request. */
  keepAlive?: ServerHints['keepAlive'];
}

export interface EmbedResult {
  model: string;
  /** One vector per input, in input order. */
  embeddings: number[][];
  /** Where the server counts them. */
  promptTokens?: number;
}

export interface ModelProvider {
  readonly id: string;
  readonly capabilities: Capabilities;
  complete(req: ChatRequest, opts?: CallOptions): Promise<ChatResponse>;
  stream(req: ChatRequest, opts?: CallOptions): AsyncIterable<StreamChunk>;
  /** One cheap probe of a free route; never a completion. Never throws. */
  health(opts?: CallOptions): Promise<HealthResult>;
  listModels(opts?: CallOptions): Promise<ModelInfo[]>;
  /** Throws MODEL_NOT_FOUND when the server does not have it. */
  modelInfo(id: string, opts?: CallOptions): Promise<ModelInfo>;
  /** Throws AUTH_FAILED when the server refuses our API key (or wants one we do not have); one cheap GET. */
  checkAuth?(opts?: CallOptions): Promise<void>;
  /** Ollama only: streams pull progress; throws PULL_FAILED on an error line. */
  pull?(model: string, opts?: CallOptions): AsyncIterable<PullProgress>;
  /** One vector per input string; BAD_REQUEST when the server or model does not embed. */
  embed?(input: string[], opts?: EmbedOptions): Promise<EmbedResult>;
  /**
   * A raw completion streamed as chunks like stream(); with a suffix, fill in the middle, or BAD_REQUEST
   * naming the provider when its server cannot.
   */
  completeText?(req: TextCompletionRequest, opts?: CallOptions): AsyncIterable<StreamChunk>;
  /** Releases the connection pool. */
  close(): Promise<void>;
}
