import { useMutation, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { createFirstAdmin, signIn, signOut, signUp } from "../../../client/sdk.gen";
import type { SignIn, SignUp, UserOut } from "../../../client/types.gen";
import { sessionQueries } from "../../../lib/session";

/** Everything cached belongs to whoever was signed in: drop it, keep only the session's own queries. */
function forgetOtherUsersData(queryClient: QueryClient) {
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== sessionQueries.all()[0] });
}

/** Setup, sign-in and sign-up all answer with the user and set the session cookie: the app is signed in. */
function useSignedIn() {
  const queryClient = useQueryClient();
  return async (user: UserOut) => {
    forgetOtherUsersData(queryClient);
    queryClient.setQueryData(sessionQueries.me().queryKey, user);
    await queryClient.invalidateQueries({ queryKey: sessionQueries.state().queryKey });
  };
}

export function useCreateFirstAdmin() {
  const signedIn = useSignedIn();
  return useMutation({
    mutationFn: async (body: SignUp) => (await createFirstAdmin({ body, throwOnError: true })).data,
    onSuccess: signedIn,
  });
}

export function useSignIn() {
  const signedIn = useSignedIn();
  return useMutation({
    mutationFn: async (body: SignIn) => (await signIn({ body, throwOnError: true })).data,
    onSuccess: signedIn,
  });
}

export function useSignUp() {
  const signedIn = useSignedIn();
  return useMutation({
    mutationFn: async (body: SignUp) => (await signUp({ body, throwOnError: true })).data,
    onSuccess: signedIn,
  });
}

/** Signed out (or the session was already gone): the shell sees no user and shows the sign-in page. */
export function useSignOut() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      await signOut({ throwOnError: true });
    },
    onSettled: () => {
      forgetOtherUsersData(queryClient);
      queryClient.setQueryData(sessionQueries.me().queryKey, null);
    },
  });
}
