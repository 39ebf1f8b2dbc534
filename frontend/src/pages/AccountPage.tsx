import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { ApiTokenCreated } from "../client/types.gen";
import { Card } from "../components/ui/Card";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { EmptyState, Loading } from "../components/ui/States";
import { tokenQueries, useCreateApiToken, useRevokeApiToken } from "../features/account/api/queries";
import { NewTokenForm } from "../features/account/components/NewTokenForm";
import { NewTokenNotice } from "../features/account/components/NewTokenNotice";
import { TokensTable } from "../features/account/components/TokensTable";
import { formatDateTime } from "../lib/format";
import { ROLE_HELP, ROLE_LABELS, useCurrentUser } from "../lib/session";

/** /account: who you are, and your personal API tokens for scripts. */
export function AccountPage() {
  const user = useCurrentUser();
  const tokens = useQuery(tokenQueries.list());
  const create = useCreateApiToken();
  const revoke = useRevokeApiToken();
  // The token itself comes only in the create answer: kept in this page's state until dismissed, never cached.
  const [created, setCreated] = useState<ApiTokenCreated | null>(null);

  return (
    <>
      <PageHeader
        title="Account"
        subtitle={
          user ? (
            <>
              Signed in as <strong data-testid="account-email">{user.email}</strong> ·{" "}
              <span title={ROLE_HELP[user.role]}>{ROLE_LABELS[user.role]}</span> · since{" "}
              {formatDateTime(user.created_at)}
            </>
          ) : null
        }
      />
      <Card title="API tokens" testId="tokens-card">
        <p className="muted card-intro">
          A token lets a script or the command line act as you, with your role: send it as{" "}
          <code className="mono">Authorization: Bearer &lt;token&gt;</code>. Give each use its own token, so that one
          can be revoked without breaking the others.
        </p>
        <NewTokenForm
          pending={create.isPending}
          error={create.error}
          onSubmit={(body) =>
            create.mutate(body, {
              onSuccess: (token) => {
                setCreated(token);
                create.reset();
              },
            })
          }
        />
        {created ? <NewTokenNotice token={created} onDismiss={() => setCreated(null)} /> : null}
        {revoke.isError ? <ErrorNotice error={revoke.error} title="The token was not revoked" /> : null}
      </Card>
      <Card flush testId="tokens-list">
        {tokens.isError ? (
          <ErrorNotice error={tokens.error} title="Could not load your tokens" />
        ) : !tokens.data ? (
          <Loading />
        ) : tokens.data.items.length === 0 ? (
          <EmptyState title="No API tokens yet">Create one above when a script needs to reach the studio.</EmptyState>
        ) : (
          <TokensTable
            tokens={tokens.data.items}
            revokingId={revoke.isPending ? revoke.variables : null}
            onRevoke={(token) => {
              if (window.confirm(`Revoke the token “${token.name}”? Whatever uses it stops working at once.`)) {
                revoke.mutate(token.id);
              }
            }}
          />
        )}
      </Card>
    </>
  );
}
