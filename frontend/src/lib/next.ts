/**
 * Where to go after signing in: the page the user asked for (`?next=/runs/3`), only if it is a path of this app;
 * anything else (another site, `//evil.example`) goes to the start page.
 */
export function safeNext(next: string | null): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  if (next.startsWith("/signin") || next.startsWith("/signup")) return "/";
  return next;
}

export function signInPath(next: string): string {
  return next === "/" ? "/signin" : `/signin?next=${encodeURIComponent(next)}`;
}
