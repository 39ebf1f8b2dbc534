import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { listBaseModels, listHyperparameters, registerBaseModel } from "../client/sdk.gen";
import type { BaseModelOut } from "../client/types.gen";

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

/** Register a local model directory (admins, under STUDIO_MODEL_ROOTS) or a hub id; a registered name is returned as is. */
export function useRegisterBaseModel() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (nameOrPath: string): Promise<BaseModelOut> =>
      (await registerBaseModel({ body: { name_or_path: nameOrPath }, throwOnError: true })).data,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: catalogQueries.models().queryKey }),
  });
}
