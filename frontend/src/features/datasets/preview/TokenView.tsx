import { Fragment, useMemo } from "react";
import type { PreviewOut } from "../../../client/types.gen";
import { countTokens, plural, tokenRole, visibleToken, type TokenRole } from "../tokens";

const ROLE_TITLE: Record<TokenRole, string> = {
  trained: "trained on (a target of the loss)",
  prompt: "masked: prompt, not trained on (completion-only loss)",
  truncated: "cut: beyond max_seq_length, never seen in training",
};

/** The legend doubles as the summary: what the trainer learns from this example, in tokens. */
export function TokenLegend({ preview }: { preview: PreviewOut }) {
  const counts = useMemo(() => countTokens(preview.tokens), [preview.tokens]);
  return (
    <div className="token-legend" data-testid="token-legend">
      <span className="legend-item" data-testid="count-trained" data-count={counts.trained}>
        <span className="tok tok-trained legend-swatch">abc</span>
        <strong>{counts.trained.toLocaleString()}</strong> trained
      </span>
      <span className="legend-sep">·</span>
      <span className="legend-item" data-testid="count-masked" data-count={counts.prompt}>
        <span className="tok tok-prompt legend-swatch">abc</span>
        <strong>{counts.prompt.toLocaleString()}</strong> masked (prompt)
      </span>
      <span className="legend-sep">·</span>
      <span className="legend-item" data-testid="count-cut" data-count={counts.truncated}>
        <span className="tok tok-truncated legend-swatch">abc</span>
        <strong>{counts.truncated.toLocaleString()}</strong> cut
      </span>
      <span className="legend-whitespace muted">· space ↵ newline → tab</span>
    </div>
  );
}

/** One plain sentence on what this example contributes, with the problems a user must not miss. */
export function TokenSummary({
  preview,
  maxSeqLength,
  completionOnly,
}: {
  preview: PreviewOut;
  maxSeqLength: number;
  completionOnly: boolean;
}) {
  const counts = countTokens(preview.tokens);
  const notes: { tone: "ok" | "warn" | "bad"; text: string }[] = [];
  if (preview.truncated) {
    const cut = preview.num_tokens_before_truncation - preview.num_tokens;
    notes.push({
      tone: counts.trained === 0 ? "bad" : "warn",
      text: `This example has ${plural(preview.num_tokens_before_truncation, "token")}; max_seq_length ${maxSeqLength} cuts the last ${plural(cut, "token")}.`,
    });
  } else {
    notes.push({
      tone: "ok",
      text: `${plural(preview.num_tokens, "token")}, within max_seq_length ${maxSeqLength}.`,
    });
  }
  const last = preview.tokens.at(-1);
  // The last token is the end token the trainer appends; when truncation cuts it, stopping is never learnt.
  if (preview.truncated && counts.trained > 0 && last) {
    notes.push({
      tone: "warn",
      text: `The end token ${JSON.stringify(last.text)} is cut: this example does not teach the model where to stop.`,
    });
  }
  if (counts.trained === 0) {
    notes.push({
      tone: "bad",
      text: "No token is trained on: this example teaches the model nothing (the answer is masked or cut).",
    });
  } else if (completionOnly) {
    notes.push({ tone: "ok", text: "Completion-only loss: only the answer tokens (green) are targets." });
  } else {
    notes.push({
      tone: "warn",
      text: "Completion-only loss is off: the prompt is trained on too, so the model also learns to write prompts.",
    });
  }
  return (
    <ul className="token-notes" data-testid="token-summary">
      {notes.map((note, index) => (
        <li key={index} className={`token-note token-note-${note.tone}`}>
          {note.text}
        </li>
      ))}
    </ul>
  );
}

/**
 * Every token of the rendered example as a chip: trained in green, masked prompt greyed, cut tokens struck
 * in red. Whitespace is drawn (· ↵ →) so a missing space or newline between prompt and answer shows.
 */
export function TokenView({ preview }: { preview: PreviewOut }) {
  return (
    <div className="token-view" data-testid="token-preview">
      {preview.tokens.map((token, index) => {
        const role = tokenRole(token);
        const { label, breaks } = visibleToken(token.text);
        return (
          <Fragment key={index}>
            <span
              className={`tok tok-${role}`}
              data-testid="token"
              data-role={role}
              title={`#${index} · id ${token.id} · ${JSON.stringify(token.text)} · ${ROLE_TITLE[role]}`}
            >
              {label}
            </span>
            {Array.from({ length: breaks }, (_, i) => (
              <br key={i} />
            ))}
          </Fragment>
        );
      })}
    </div>
  );
}
