import type { ReactNode } from "react";

/** A link the browser downloads rather than opens, shown as a small button with a down arrow. */
export function DownloadButton({
  href,
  testId,
  title,
  children,
}: {
  href: string;
  testId: string;
  title?: string;
  children: ReactNode;
}) {
  return (
    <a className="btn btn-sm" href={href} download data-testid={testId} title={title}>
      <svg viewBox="0 0 24 24" className="btn-icon" aria-hidden="true">
        <path
          d="M12 4v11m0 0-4-4m4 4 4-4M5 19h14"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.8"
          strokeLinecap="round"
          strokeLinejoin="round"
        />
      </svg>
      {children}
    </a>
  );
}
