import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { listWebhookDeliveries, updateRun } from "../../../client/sdk.gen";
import type { RunOut, RunUpdateWritable } from "../../../client/types.gen";
import { parseApiDate } from "../../../lib/format";
import { runQueries } from "./queries";

// Deliveries are retried for a few minutes after a run ends (5 attempts, waits doubling from 10 s): watch them that long.
const RETRY_WINDOW_MS = 10 * 60_000;

export const webhookQueries = {
  deliveries: (run: RunOut) =>
    queryOptions({
      queryKey: [...runQueries.detailKey(run.id), "webhook-deliveries"] as const,
      queryFn: async ({ signal }) =>
        (await listWebhookDeliveries({ path: { run_id: run.id }, signal, throwOnError: true })).data,
      refetchInterval: () =>
        run.finished_at && Date.now() - parseApiDate(run.finished_at).getTime() < RETRY_WINDOW_MS ? 5000 : false,
    }),
};

/** Set or remove the run's own webhook; the answer is the run. */
export function useUpdateWebhook(id: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: Pick<RunUpdateWritable, "webhook_url" | "webhook_secret">) =>
      (await updateRun({ path: { run_id: id }, body, throwOnError: true })).data,
    onSuccess: (run: RunOut) => queryClient.setQueryData(runQueries.detail(run.id).queryKey, run),
  });
}
