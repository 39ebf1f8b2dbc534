import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import {
  createInvitation,
  createUser,
  getAccessPolicy,
  listInvitations,
  listUsers,
  setAccessPolicy,
  updateUser,
  withdrawInvitation,
} from "../../../client/sdk.gen";
import type { InvitationCreate, UserCreate, UserOut, UserUpdate } from "../../../client/types.gen";
import { upsertItem } from "../../../lib/cache";
import { sessionQueries } from "../../../lib/session";

/** The admin's view of accounts: users, invitations and the sign-up policy; keys and fetchers defined once. */
export const userQueries = {
  all: () => ["users"] as const,
  list: () =>
    queryOptions({
      queryKey: [...userQueries.all(), "list"] as const,
      queryFn: async ({ signal }) => (await listUsers({ signal, throwOnError: true })).data,
    }),
  invitations: () =>
    queryOptions({
      queryKey: [...userQueries.all(), "invitations"] as const,
      queryFn: async ({ signal }) => (await listInvitations({ signal, throwOnError: true })).data,
    }),
  policy: () =>
    queryOptions({
      queryKey: [...userQueries.all(), "access-policy"] as const,
      queryFn: async ({ signal }) => (await getAccessPolicy({ signal, throwOnError: true })).data,
    }),
};

function useRememberUser() {
  const queryClient = useQueryClient();
  return (user: UserOut) => queryClient.setQueryData(userQueries.list().queryKey, (page) => upsertItem(page, user));
}

export function useCreateUser() {
  const remember = useRememberUser();
  return useMutation({
    mutationFn: async (body: UserCreate) => (await createUser({ body, throwOnError: true })).data,
    onSuccess: remember,
  });
}

export function useUpdateUser() {
  const remember = useRememberUser();
  return useMutation({
    mutationFn: async ({ id, body }: { id: number; body: UserUpdate }) =>
      (await updateUser({ path: { user_id: id }, body, throwOnError: true })).data,
    onSuccess: remember,
  });
}

/** The answer carries the invitation's secret, this once: the page shows the link; the list is refetched. */
export function useCreateInvitation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: InvitationCreate) => (await createInvitation({ body, throwOnError: true })).data,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: userQueries.invitations().queryKey }),
  });
}

export function useWithdrawInvitation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) => {
      await withdrawInvitation({ path: { invitation_id: id }, throwOnError: true });
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: userQueries.invitations().queryKey }),
  });
}

/** Sign-up's openness also shows on the sign-in page (the "auth state"): refresh both. */
export function useSetAccessPolicy() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (openSignup: boolean) =>
      (await setAccessPolicy({ body: { open_signup: openSignup }, throwOnError: true })).data,
    onSuccess: async (policy) => {
      queryClient.setQueryData(userQueries.policy().queryKey, policy);
      await queryClient.invalidateQueries({ queryKey: sessionQueries.state().queryKey });
    },
  });
}
