import type { ChatHistoryItem, ChatWrapper, LlamaModel, LlamaText, Token } from "node-llama-cpp";
import type { ChatMessage } from "../../llms/types.js";

/** A prompt ready for llama.cpp: its tokens and what ends the answer. */
export interface PreparedPrompt {
  tokens: Token[];
  stopTokens: Set<Token>;
  stopTexts: string[];
}

/**
 * Renders chat messages with the model's chat template (node-llama-cpp's chat wrapper, resolved from the GGUF's
 * `tokenizer.chat_template` and name) and collects the template's end-of-turn markers: control tokens become stop
 * tokens, plain-text markers stop texts.
 */
export function chatPrompt(model: LlamaModel, wrapper: ChatWrapper, messages: ChatMessage[]): PreparedPrompt {
  const history: ChatHistoryItem[] = messages.map((m): ChatHistoryItem => {
    if (m.role === "system") return { type: "system", text: m.content };
    if (m.role === "assistant") return { type: "model", response: [m.content] };
    return { type: "user", text: m.content };
  });
  // An empty model turn to answer in; a trailing assistant message is continued instead.
  if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
  const state = wrapper.generateContextState({ chatHistory: history });
  const stopTokens = new Set<Token>();
  const stopTexts: string[] = [];
  for (const trigger of state.stopGenerationTriggers) addTrigger(model, trigger, stopTokens, stopTexts);
  return { tokens: state.contextText.tokenize(model.tokenizer), stopTokens, stopTexts };
}

/** A raw completion prompt: BOS (when the model wants one) and the text; only end-of-generation tokens stop it. */
export function completionPrompt(model: LlamaModel, prompt: string): PreparedPrompt {
  const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
  const text = model.tokenize(prompt, false, bos === null ? undefined : "trimLeadingSpace");
  return { tokens: bos === null ? text : [bos, ...text], stopTokens: new Set(), stopTexts: [] };
}

function addTrigger(
  model: LlamaModel,
  trigger: LlamaText,
  stopTokens: Set<Token>,
  stopTexts: string[],
): void {
  if (trigger.values.every((v) => typeof v === "string")) {
    const text = trigger.values.join("");
    if (text !== "" && !stopTexts.includes(text)) stopTexts.push(text);
    return;
  }
  const tokens = trigger.tokenize(model.tokenizer);
  const first = tokens[0];
  if (first === undefined) return;
  // A control token (`<|im_end|>`, `<end_of_turn>`) ends the turn by itself; what may follow it is irrelevant.
  if (model.isSpecialToken(first)) {
    stopTokens.add(first);
    return;
  }
  const text = model.detokenize(tokens, false);
  if (text !== "" && !stopTexts.includes(text)) stopTexts.push(text);
}
