import { queryOptions } from "@tanstack/react-query";
import { getHealth, listWorkers } from "../../../client/sdk.gen";

/** The API's health and the live workers, polled for the sidebar; a failure shows, it is not retried. */
export const systemQueries = {
  health: () =>
    queryOptions({
      queryKey: ["health"] as const,
      queryFn: async ({ signal }) => (await getHealth({ signal, throwOnError: true })).data,
      refetchInterval: 30_000,
      retry: false,
    }),
  workers: () =>
    queryOptions({
      queryKey: ["workers"] as const,
      queryFn: async ({ signal }) => (await listWorkers({ signal, throwOnError: true })).data,
      refetchInterval: 15_000,
      retry: false,
    }),
};
