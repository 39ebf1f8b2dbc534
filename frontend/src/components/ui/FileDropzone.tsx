import { useRef, useState, type ReactNode } from "react";

/**
 * A drop zone with a "Choose file…" button and its hidden file input: one file, dropped or picked.
 * `children` lays out the zone's content and gets the button to place (e.g. next to a name input).
 * The input is emptied after each pick, so picking the same file again (after fixing it) starts over.
 */
export function FileDropzone({
  accept,
  onFile,
  disabled = false,
  className = "",
  buttonLabel = "Choose file…",
  buttonClassName = "btn",
  testId,
  inputTestId,
  children,
}: {
  accept: string;
  onFile: (file: File) => void;
  disabled?: boolean;
  className?: string;
  buttonLabel?: string;
  buttonClassName?: string;
  testId: string;
  inputTestId: string;
  children: (chooseButton: ReactNode) => ReactNode;
}) {
  const inputRef = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);

  const chooseButton = (
    <>
      <button type="button" className={buttonClassName} onClick={() => inputRef.current?.click()} disabled={disabled}>
        {buttonLabel}
      </button>
      <input
        ref={inputRef}
        type="file"
        accept={accept}
        className="visually-hidden"
        data-testid={inputTestId}
        onChange={(event) => {
          const picked = event.target.files?.[0];
          event.target.value = "";
          if (picked) onFile(picked);
        }}
      />
    </>
  );

  return (
    <div
      className={["dropzone", className, dragging ? "dropzone-active" : ""].filter(Boolean).join(" ")}
      data-testid={testId}
      onDragEnter={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragOver={(event) => {
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
      }}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(event) => {
        event.preventDefault();
        setDragging(false);
        const dropped = event.dataTransfer.files[0];
        if (dropped && !disabled) onFile(dropped);
      }}
    >
      {children(chooseButton)}
    </div>
  );
}
