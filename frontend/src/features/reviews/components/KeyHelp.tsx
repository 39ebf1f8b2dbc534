import type { Ref } from "react";

export type KeyBinding = { keys: string[]; does: string };

/**
 * The page's keys, in a modal dialog (`?` opens it, Escape closes it); the owner opens it through `ref`.
 */
export function KeyHelp({
  bindings,
  title,
  ref,
}: {
  bindings: KeyBinding[];
  title: string;
  ref: Ref<HTMLDialogElement>;
}) {
  return (
    <dialog ref={ref} className="eval-dialog review-keys" aria-labelledby="review-keys-title" data-testid="key-help">
      <form method="dialog" className="eval-dialog-form">
        <div className="eval-dialog-header">
          <h2 id="review-keys-title" className="eval-dialog-title">
            {title}
          </h2>
          <button type="submit" className="eval-dialog-close" aria-label="Close">
            ×
          </button>
        </div>
        <div className="eval-dialog-body">
          <dl className="review-key-list">
            {bindings.map(({ keys, does }) => (
              <div key={does}>
                <dt>
                  {keys.map((key, index) => (
                    <span key={key}>
                      {index > 0 ? <span className="muted"> or </span> : null}
                      <kbd>{key}</kbd>
                    </span>
                  ))}
                </dt>
                <dd>{does}</dd>
              </div>
            ))}
          </dl>
          <p className="muted small">Escape leaves a text field (its text is saved) and closes this list.</p>
        </div>
      </form>
    </dialog>
  );
}
