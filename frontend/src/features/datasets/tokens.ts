/** Pure helpers for the token preview: visible whitespace and what each token does to the loss. */

/** Why a token is not trained on: masked as prompt (completion-only loss), cut by max_seq_length, or trained. */
export type TokenRole = "trained" | "prompt" | "truncated";

export function tokenRole(token: { trained: boolean; reason?: string | null }): TokenRole {
  if (token.reason === "truncated") return "truncated";
  if (token.trained) return "trained";
  return "prompt";
}

export type TokenCounts = Record<TokenRole, number>;

export function countTokens(tokens: readonly { trained: boolean; reason?: string | null }[]): TokenCounts {
  const counts: TokenCounts = { trained: 0, prompt: 0, truncated: 0 };
  for (const token of tokens) counts[tokenRole(token)] += 1;
  return counts;
}

/**
 * A token's text with whitespace made visible, split at newlines: spaces become "·", tabs "→",
 * each newline "↵" followed by a real line break (the caller renders one break per `breaks`).
 */
export function visibleToken(text: string): { label: string; breaks: number } {
  let label = "";
  let breaks = 0;
  for (const char of text) {
    if (char === "\n") {
      label += "↵";
      breaks += 1;
    } else if (char === "\r") {
      label += "␍";
    } else if (char === "\t") {
      label += "→";
    } else if (char === " ") {
      label += "·";
    } else {
      label += char;
    }
  }
  // An empty decode (a byte fragment of a multi-byte character) still occupies a position.
  return { label: label === "" ? "∅" : label, breaks };
}

export { plural } from "../../lib/format";
