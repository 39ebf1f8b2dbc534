import { useState } from "react";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { UploadDropzone } from "../../../components/ui/UploadDropzone";
import { useUploadBenchmark } from "../api/queries";

const ACCEPT = ".jsonl,.json,.ndjson,.csv,.tsv,.parquet";

/** Drop a multiple-choice file; a rejected one lists every bad line (nothing of it is stored). */
export function BenchmarkUpload({ onUploaded }: { onUploaded: (id: number) => void }) {
  const [name, setName] = useState("");
  const upload = useUploadBenchmark();
  return (
    <div className="upload">
      <UploadDropzone
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
        busy={upload.isPending}
        title={upload.isPending ? "Checking every question…" : "Drop a multiple-choice file here"}
        help={
          <>
            JSONL: {'{"question": "…", "choices": ["…", "…"], "answer": 1, "subject": "…"}'} (answer: an index from 0
            or a letter; subject optional) · or MMLU's CSV: question, A, B, C, D, answer letter, and optionally a
            subject, with or without a header row · 2 to 26 choices
          </>
        }
        name={name}
        onName={setName}
        nameLabel="Benchmark name"
        testId="benchmark-dropzone"
        inputTestId="benchmark-file-input"
        nameTestId="benchmark-name-input"
      />
      {upload.isError ? (
        <ErrorNotice error={upload.error} title="The file was not stored" testId="benchmark-upload-error" />
      ) : null}
    </div>
  );
}
