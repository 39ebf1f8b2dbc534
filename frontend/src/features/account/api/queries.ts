import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { createApiToken, listApiTokens, revokeApiToken } from "../../../client/sdk.gen";
import type { ApiTokenCreate, ApiTokenOut } from "../../../client/types.gen";
import { upsertItem } from "../../../lib/cache";

/** The signed-in user's personal API tokens: keys and fetchers, defined once. */
export const tokenQueries = {
  all: () => ["api-tokens"] as const,
  list: () =>
    queryOptions({
      queryKey: [...tokenQueries.all(), "list"] as const,
      queryFn: async ({ signal }) => (await listApiTokens({ signal, throwOnError: true })).data,
    }),
};

function useRememberToken() {
  const queryClient = useQueryClient();
  return async (token: ApiTokenOut) => {
    queryClient.setQueryData(tokenQueries.list().queryKey, (page) => upsertItem(page, token));
    await queryClient.invalidateQueries({ queryKey: tokenQueries.all(), refetchType: "none" });
  };
}

/** The answer holds the token itself, this once: the page shows it; the cached list keeps only what it lists. */
export function useCreateApiToken() {
  const remember = useRememberToken();
  return useMutation({
    mutationFn: async (body: ApiTokenCreate) => (await createApiToken({ body, throwOnError: true })).data,
    onSuccess: async (created) =>
      remember({
        id: created.id,
        name: created.name,
        prefix: created.prefix,
        created_at: created.created_at,
        expires_at: created.expires_at,
        last_used_at: created.last_used_at,
        revoked_at: created.revoked_at,
      }),
  });
}

export function useRevokeApiToken() {
  const remember = useRememberToken();
  return useMutation({
    mutationFn: async (id: number) => (await revokeApiToken({ path: { token_id: id }, throwOnError: true })).data,
    onSuccess: remember,
  });
}
