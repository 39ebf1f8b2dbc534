import { createBrowserRouter, Navigate } from "react-router";
import { AuthGate, RequireAdmin, RequireUser } from "./AuthGate";
import { Layout } from "./Layout";
import { AccountPage } from "../pages/AccountPage";
import { BenchmarkDetailPage } from "../pages/BenchmarkDetailPage";
import { BenchmarksPage } from "../pages/BenchmarksPage";
import { ComparePage } from "../pages/ComparePage";
import { ComparisonPage } from "../pages/ComparisonPage";
import { ConvertDatasetPage } from "../pages/ConvertDatasetPage";
import { DatasetDetailPage } from "../pages/DatasetDetailPage";
import { DatasetPreviewPage } from "../pages/DatasetPreviewPage";
import { DatasetsPage } from "../pages/DatasetsPage";
import { JudgesPage } from "../pages/JudgesPage";
import { WorkersPage } from "../pages/WorkersPage";
import { NewRunPage } from "../pages/NewRunPage";
import { NotFoundPage } from "../pages/NotFoundPage";
import { PresetEditorPage } from "../pages/PresetEditorPage";
import { PresetsPage } from "../pages/PresetsPage";
import { ReviewPage } from "../pages/ReviewPage";
import { RunDetailPage } from "../pages/RunDetailPage";
import { RunsPage } from "../pages/RunsPage";
import { SignInPage } from "../pages/SignInPage";
import { SignUpPage } from "../pages/SignUpPage";
import { UsersPage } from "../pages/UsersPage";

export const router = createBrowserRouter([
  {
    element: <AuthGate />,
    children: [
      { path: "signin", element: <SignInPage /> },
      { path: "signup", element: <SignUpPage /> },
      {
        element: <RequireUser />,
        children: [
          {
            element: <Layout />,
            children: [
              { index: true, element: <Navigate to="/runs" replace /> },
              { path: "datasets", element: <DatasetsPage /> },
              { path: "datasets/convert", element: <ConvertDatasetPage /> },
              { path: "datasets/:id", element: <DatasetDetailPage /> },
              { path: "datasets/:id/preview", element: <DatasetPreviewPage /> },
              { path: "benchmarks", element: <BenchmarksPage /> },
              { path: "benchmarks/:id", element: <BenchmarkDetailPage /> },
              { path: "runs", element: <RunsPage /> },
              { path: "runs/new", element: <NewRunPage /> },
              { path: "runs/compare", element: <ComparePage /> },
              { path: "runs/:id", element: <RunDetailPage /> },
              { path: "evaluations/:id/review", element: <ReviewPage /> },
              { path: "comparisons/:id", element: <ComparisonPage /> },
              { path: "presets", element: <PresetsPage /> },
              { path: "presets/new", element: <PresetEditorPage /> },
              { path: "presets/:id/edit", element: <PresetEditorPage /> },
              { path: "judges", element: <JudgesPage /> },
              { path: "workers", element: <WorkersPage /> },
              { path: "account", element: <AccountPage /> },
              { element: <RequireAdmin />, children: [{ path: "users", element: <UsersPage /> }] },
              { path: "*", element: <NotFoundPage /> },
            ],
          },
        ],
      },
    ],
  },
]);
