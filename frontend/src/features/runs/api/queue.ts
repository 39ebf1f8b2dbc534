import { queryOptions } from "@tanstack/react-query";
import { getQueue } from "../../../client/sdk.gen";

/** The live workers with what each is on, and the training work waiting for them: polled while the page is open. */
export const queueQuery = () =>
  queryOptions({
    queryKey: ["queue"] as const,
    queryFn: async ({ signal }) => (await getQueue({ signal, throwOnError: true })).data,
    refetchInterval: 5_000,
  });
