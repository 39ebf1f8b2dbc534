import type { ReactNode } from "react";
import { FileDropzone } from "./FileDropzone";

/**
 * The upload of a file that becomes a named thing (a dataset, a benchmark): a large drop zone with an upload icon,
 * what to drop and what the file may hold, and a name field next to the "Choose file…" button. The name is the
 * caller's (it sends it with the file and clears it after a success); while `busy`, nothing can be dropped or picked.
 */
export function UploadDropzone({
  accept,
  onFile,
  busy,
  title,
  help,
  name,
  onName,
  nameLabel,
  testId,
  inputTestId,
  nameTestId,
}: {
  accept: string;
  onFile: (file: File) => void;
  busy: boolean;
  title: ReactNode;
  help: ReactNode;
  name: string;
  onName: (name: string) => void;
  nameLabel: string;
  testId: string;
  inputTestId: string;
  nameTestId: string;
}) {
  return (
    <FileDropzone
      accept={accept}
      onFile={onFile}
      disabled={busy}
      className={busy ? "dropzone-busy" : ""}
      buttonClassName="btn btn-primary"
      testId={testId}
      inputTestId={inputTestId}
    >
      {(chooseButton) => (
        <>
          <svg className="dropzone-icon" viewBox="0 0 24 24" aria-hidden="true">
            <path
              d="M12 16V4m0 0-4 4m4-4 4 4M4 16v2a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-2"
              fill="none"
              stroke="currentColor"
              strokeWidth="1.6"
              strokeLinecap="round"
              strokeLinejoin="round"
            />
          </svg>
          <div className="dropzone-text">
            <strong>{title}</strong>
            <span className="muted">{help}</span>
          </div>
          <div className="dropzone-controls">
            <input
              className="input"
              type="text"
              placeholder="Name (optional, defaults to the file name)"
              value={name}
              maxLength={200}
              onChange={(event) => onName(event.target.value)}
              disabled={busy}
              aria-label={nameLabel}
              data-testid={nameTestId}
            />
            {chooseButton}
          </div>
        </>
      )}
    </FileDropzone>
  );
}
