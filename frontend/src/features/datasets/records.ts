/** Records of every shape, read the same way by the tables and the preview. */
import type { AlpacaRecord, ChatRecord, ExampleOut, PromptCompletionRecord } from "../../client/types.gen";

export type Turn = { role: string; content: string };
/** A stored record, or one the conversion preview returns (where `shape` may be left out for alpaca). */
export type AnyRecord = ExampleOut["record"] | AlpacaRecord | PromptCompletionRecord | ChatRecord;

/** Every shape as turns: what the model reads, then the answer it is trained to give. */
export function turnsOf(record: AnyRecord): { context: Turn[]; answer: string } {
  if ("messages" in record) {
    const messages = record.messages;
    const last = messages.length - 1;
    return { context: messages.slice(0, last), answer: messages[last]?.content ?? "" };
  }
  if ("prompt" in record) {
    return { context: [{ role: "prompt", content: record.prompt }], answer: record.completion };
  }
  const context = [{ role: "instruction", content: record.instruction }];
  if (record.input) context.push({ role: "input", content: record.input });
  return { context, answer: record.output };
}

/**
 * The most distinctive short piece of an example, to search for it (and its duplicates): the input when there
 * is one, else the instruction / prompt / last user turn; first line, at most 80 characters.
 */
export function searchTextOf(record: AnyRecord): string {
  let text: string;
  if ("messages" in record) {
    text = [...record.messages].reverse().find((m) => m.role === "user")?.content ?? record.messages[0]?.content ?? "";
  } else if ("prompt" in record) {
    text = record.prompt;
  } else {
    text = record.input?.trim() ? record.input : record.instruction;
  }
  const line = text.trim().split("\n")[0]?.trim() ?? "";
  return line.slice(0, 80);
}
