import { useState, type ReactNode } from "react";

/** A checkbox with its label beside it. */
export function Toggle({
  checked,
  onChange,
  testId,
  className,
  children,
}: {
  checked: boolean;
  onChange: (checked: boolean) => void;
  testId?: string;
  className?: string;
  children: ReactNode;
}) {
  // Owners may apply a change in a transition (settings kept in the URL: router navigations are transitions), and
  // React puts a controlled checkbox back until the transition commits. Show the click at once, then follow `checked`.
  const [shown, setShown] = useState(checked);
  const [followed, setFollowed] = useState(checked);
  if (checked !== followed) {
    setFollowed(checked);
    setShown(checked);
  }
  return (
    <label className={className ? `toggle ${className}` : "toggle"}>
      <input
        type="checkbox"
        checked={shown}
        onChange={(event) => {
          setShown(event.target.checked);
          onChange(event.target.checked);
        }}
        data-testid={testId}
      />
      {children}
    </label>
  );
}
