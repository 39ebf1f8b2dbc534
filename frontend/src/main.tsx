import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider } from "react-router";
import { ApiError, configureApiClient } from "./lib/api";
import { router } from "./app/router";
import { sessionQueries } from "./lib/session";
import "./styles/index.css";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      // A 4xx will not get better by asking again.
      retry: (failureCount, error) => {
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
        return failureCount < 2;
      },
    },
  },
});

// A 401 from any resource route: the sign-in expired or was revoked. No user: the shell sends the user to /signin
// with the page they were on, once, whichever request noticed first.
configureApiClient({
  onUnauthorized: () => queryClient.setQueryData(sessionQueries.me().queryKey, null),
});

const root = document.getElementById("root");
if (!root) throw new Error("#root is missing from index.html");

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
