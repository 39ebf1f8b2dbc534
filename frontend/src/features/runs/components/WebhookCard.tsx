import { useQuery } from "@tanstack/react-query";
import { useState, type SubmitEvent } from "react";
import type { RunOut, WebhookDeliveryOut } from "../../../client/types.gen";
import { Card } from "../../../components/ui/Card";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { FieldError } from "../../../components/ui/FormRow";
import { EmptyState } from "../../../components/ui/States";
import { ApiError, fieldMessage } from "../../../lib/api";
import { formatDateTime } from "../../../lib/format";
import { useUpdateWebhook, webhookQueries } from "../api/webhooks";

function Outcome({ delivery }: { delivery: WebhookDeliveryOut }) {
  const ok = delivery.error === null;
  return (
    <span className={ok ? "webhook-ok" : "webhook-failed"} title={delivery.error ?? undefined}>
      {delivery.status_code !== null ? `HTTP ${delivery.status_code}` : "no answer"}
      {ok ? null : <span className="webhook-error"> · {delivery.error}</span>}
    </span>
  );
}

/**
 * The run's own webhook (its end is posted there, signed; README: Webhooks) and every delivery attempt, to it and
 * to the studio's global webhook. The secret goes only from the password field to the API: never shown back.
 */
export function WebhookCard({ run }: { run: RunOut }) {
  const deliveries = useQuery(webhookQueries.deliveries(run));
  const update = useUpdateWebhook(run.id);
  const [url, setUrl] = useState(run.webhook_url ?? "");
  const [secret, setSecret] = useState("");
  const apiError = update.error instanceof ApiError ? update.error : null;
  const fieldError = (field: string) => (apiError?.field === field ? fieldMessage(apiError) : null);
  const placed = apiError?.field === "webhook_url" || apiError?.field === "webhook_secret";

  const save = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    // Blank keeps the stored secret (or the global one signs).
    update.mutate({ webhook_url: url.trim(), ...(secret ? { webhook_secret: secret } : {}) });
    setSecret("");
  };
  const remove = () => {
    update.mutate({ webhook_url: "" }, { onSuccess: () => setUrl("") });
  };

  const items = deliveries.data?.items ?? [];
  return (
    <Card title="Webhook" testId="webhook-card" actions={<span className="muted small">on succeeded, failed, cancelled</span>}>
      <form className="webhook-form" onSubmit={save} noValidate>
        <input
          className="input mono"
          aria-label="Webhook URL"
          maxLength={1000}
          placeholder="https://hooks.example.com/studio"
          value={url}
          onChange={(event) => setUrl(event.target.value)}
          aria-invalid={fieldError("webhook_url") ? true : undefined}
          data-testid="webhook-url"
        />
        <input
          className="input mono"
          type="password"
          autoComplete="new-password"
          aria-label="Webhook secret"
          maxLength={1000}
          placeholder={run.has_webhook_secret ? "A secret is stored: blank keeps it" : "Secret (blank: the studio's)"}
          value={secret}
          onChange={(event) => setSecret(event.target.value)}
          aria-invalid={fieldError("webhook_secret") ? true : undefined}
          data-testid="webhook-secret"
        />
        <div className="webhook-form-actions">
          <button type="submit" className="btn btn-primary" disabled={update.isPending || !url.trim()} data-testid="webhook-save">
            {update.isPending ? "Saving…" : "Save"}
          </button>
          {run.webhook_url ? (
            <button type="button" className="btn" disabled={update.isPending} onClick={remove} data-testid="webhook-remove">
              Remove
            </button>
          ) : null}
        </div>
      </form>
      <FieldError>{fieldError("webhook_url") ?? fieldError("webhook_secret")}</FieldError>
      {update.error && !placed ? <ErrorNotice error={update.error} title="The webhook was not saved" /> : null}
      <div className="hint">
        Signed with HMAC-SHA256 (header X-Studio-Signature); the secret is stored encrypted and never shown again.
      </div>
      {deliveries.isError ? (
        <ErrorNotice error={deliveries.error} title="Could not load the deliveries" />
      ) : items.length === 0 ? (
        <EmptyState title="No deliveries yet">Each attempt is listed here once the run ends.</EmptyState>
      ) : (
        <div className="table-wrap webhook-deliveries">
          <table className="table" data-testid="webhook-deliveries">
            <thead>
              <tr>
                <th>Event</th>
                <th>Outcome</th>
                <th className="num">Attempt</th>
                <th>Time</th>
                <th className="num">Seconds</th>
              </tr>
            </thead>
            <tbody>
              {items.map((delivery) => (
                <tr key={delivery.id} data-testid="webhook-delivery" title={delivery.url}>
                  <td className="mono">{delivery.event}</td>
                  <td>
                    <Outcome delivery={delivery} />
                  </td>
                  <td className="num mono">{delivery.attempt}</td>
                  <td className="nowrap">{formatDateTime(delivery.time)}</td>
                  <td className="num mono">{delivery.duration_seconds.toFixed(2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
