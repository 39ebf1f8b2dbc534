import { createBrowserRouter, Navigate } from "react-router";
import { Layout } from "./Layout";
import { ConvertDatasetPage } from "../pages/ConvertDatasetPage";
import { DatasetDetailPage } from "../pages/DatasetDetailPage";
import { DatasetPreviewPage } from "../pages/DatasetPreviewPage";
import { DatasetsPage } from "../pages/DatasetsPage";
import { NewRunPage } from "../pages/NewRunPage";
import { NotFoundPage } from "../pages/NotFoundPage";
import { PresetEditorPage } from "../pages/PresetEditorPage";
import { PresetsPage } from "../pages/PresetsPage";
import { RunDetailPage } from "../pages/RunDetailPage";
import { RunsPage } from "../pages/RunsPage";

export const router = createBrowserRouter([
  {
    element: <Layout />,
    children: [
      { index: true, element: <Navigate to="/runs" replace /> },
      { path: "datasets", element: <DatasetsPage /> },
      { path: "datasets/convert", element: <ConvertDatasetPage /> },
      { path: "datasets/:id", element: <DatasetDetailPage /> },
      { path: "datasets/:id/preview", element: <DatasetPreviewPage /> },
      { path: "runs", element: <RunsPage /> },
      { path: "runs/new", element: <NewRunPage /> },
      { path: "runs/:id", element: <RunDetailPage /> },
      { path: "presets", element: <PresetsPage /> },
      { path: "presets/new", element: <PresetEditorPage /> },
      { path: "presets/:id/edit", element: <PresetEditorPage /> },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
]);
