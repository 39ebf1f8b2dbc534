import { useState } from "react";
import type { RunListItem } from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { useUpdateRun } from "../api/queries";

/** Tags (comma-separated) and the note of a run, edited in place; Escape cancels, Enter in the tags saves. */
export function RunTagsEditor({ run, onDone }: { run: RunListItem; onDone: () => void }) {
  const [tags, setTags] = useState(run.tags.join(", "));
  const [note, setNote] = useState(run.note);
  const update = useUpdateRun(run.id);
  const save = () => {
    const list = tags
      .split(",")
      .map((tag) => tag.trim())
      .filter(Boolean);
    update.mutate({ tags: list, note }, { onSuccess: onDone });
  };
  return (
    <form
      className="run-tags-editor"
      data-testid="run-tags-editor"
      onSubmit={(event) => {
        event.preventDefault();
        save();
      }}
      onKeyDown={(event) => {
        if (event.key === "Escape") onDone();
      }}
    >
      <input
        className="input"
        aria-label="Tags, separated by commas"
        placeholder="tags, separated by commas"
        value={tags}
        onChange={(event) => setTags(event.target.value)}
        data-testid="run-tags-input"
        autoFocus
      />
      <textarea
        className="input"
        aria-label="Note"
        placeholder="note"
        rows={2}
        value={note}
        onChange={(event) => setNote(event.target.value)}
        data-testid="run-note-input"
      />
      <div className="run-tags-editor-actions">
        <button type="submit" className="btn btn-sm btn-primary" disabled={update.isPending} data-testid="run-tags-save">
          Save
        </button>
        <button type="button" className="btn btn-sm" onClick={onDone}>
          Cancel
        </button>
      </div>
      {update.isError ? <ErrorNotice error={update.error} title="Not saved" /> : null}
    </form>
  );
}
