import { queryOptions } from "@tanstack/react-query";
import { listBaseModels, listHyperparameters } from "../client/sdk.gen";

/** What runs and previews are built from, shared by every feature: base models and the hyperparameters. */
export const catalogQueries = {
  models: () =>
    queryOptions({
      queryKey: ["models"] as const,
      queryFn: async ({ signal }) => (await listBaseModels({ signal, throwOnError: true })).data,
      staleTime: 60_000,
    }),
  hyperparameters: () =>
    queryOptions({
      queryKey: ["hyperparameters"] as const,
      queryFn: async ({ signal }) => (await listHyperparameters({ signal, throwOnError: true })).data,
      staleTime: Infinity,
    }),
};
