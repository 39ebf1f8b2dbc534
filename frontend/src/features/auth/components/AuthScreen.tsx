import type { ReactNode } from "react";
import { Brand } from "../../../components/ui/Brand";

/** The signed-out screens: the studio's name above one centred card, nothing else reachable. */
export function AuthScreen({
  title,
  subtitle,
  children,
  testId,
}: {
  title: string;
  subtitle?: ReactNode;
  children: ReactNode;
  testId: string;
}) {
  return (
    <div className="auth-screen" data-testid={testId}>
      <div className="auth-column">
        <Brand />
        <section className="card auth-card">
          <h1 className="auth-title">{title}</h1>
          {subtitle ? <p className="auth-subtitle">{subtitle}</p> : null}
          {children}
        </section>
      </div>
    </div>
  );
}
