import { useState } from "react";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { FileDropzone } from "../../../components/ui/FileDropzone";
import { useUploadBenchmark } from "../api/queries";

const ACCEPT = ".jsonl,.json,.ndjson,.csv,.tsv,.parquet";

/** Drop a multiple-choice file; a rejected one lists every bad line (nothing of it is stored). */
export function BenchmarkUpload({ onUploaded }: { onUploaded: (id: number) => void }) {
  const [name, setName] = useState("");
  const upload = useUploadBenchmark();
  return (
    <div className="upload">
      <FileDropzone
        accept={ACCEPT}
        onFile={(file) =>
          upload.mutate(
            { file, name },
            {
              onSuccess: (benchmark) => {
                setName("");
                onUploaded(benchmark.id);
              },
            },
          )
        }
        disabled={upload.isPending}
        className={upload.isPending ? "dropzone-busy" : ""}
        buttonClassName="btn btn-primary"
        testId="benchmark-dropzone"
        inputTestId="benchmark-file-input"
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
              <strong>{upload.isPending ? "Checking every question…" : "Drop a multiple-choice file here"}</strong>
              <span className="muted">
                JSONL: {'{"question": "…", "choices": ["…", "…"], "answer": 1, "subject": "…"}'} (answer: an index
                from 0 or a letter; subject optional) · or MMLU's CSV: question, A, B, C, D, answer letter, and
                optionally a subject, with or without a header row · 2 to 26 choices
              </span>
            </div>
            <div className="dropzone-controls">
              <input
                className="input"
                type="text"
                placeholder="Name (optional, defaults to the file name)"
                value={name}
                maxLength={200}
                onChange={(event) => setName(event.target.value)}
                disabled={upload.isPending}
                aria-label="Benchmark name"
                data-testid="benchmark-name-input"
              />
              {chooseButton}
            </div>
          </>
        )}
      </FileDropzone>
      {upload.isError ? (
        <ErrorNotice error={upload.error} title="The file was not stored" testId="benchmark-upload-error" />
      ) : null}
    </div>
  );
}
