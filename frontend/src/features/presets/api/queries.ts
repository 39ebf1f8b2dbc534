import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { createPreset, deletePreset, getPreset, listPresets, updatePreset } from "../../../client/sdk.gen";
import type { PresetCreate, PresetOut } from "../../../client/types.gen";
import { rememberItem } from "../../../lib/cache";

/** Every preset query key and fetcher, defined once. Mutations write their response, then invalidate. */
export const presetQueries = {
  all: () => ["presets"] as const,
  list: () =>
    queryOptions({
      queryKey: [...presetQueries.all(), "list"] as const,
      queryFn: async ({ signal }) => (await listPresets({ signal, throwOnError: true })).data,
      staleTime: 60_000,
    }),
  detail: (id: number) =>
    queryOptions({
      queryKey: [...presetQueries.all(), "detail", id] as const,
      queryFn: async ({ signal }) =>
        (await getPreset({ path: { preset_id: id }, signal, throwOnError: true })).data,
    }),
};

function useRememberPreset() {
  const queryClient = useQueryClient();
  return (preset: PresetOut) =>
    rememberItem(queryClient, preset, {
      detail: presetQueries.detail(preset.id).queryKey,
      list: presetQueries.list().queryKey,
    });
}

export function useCreatePreset() {
  const remember = useRememberPreset();
  return useMutation({
    mutationFn: async (body: PresetCreate) => (await createPreset({ body, throwOnError: true })).data,
    onSuccess: remember,
  });
}

/** Saving a preset makes its next version; runs keep the snapshot of the version they trained with. */
export function useUpdatePreset(id: number) {
  const remember = useRememberPreset();
  return useMutation({
    mutationFn: async (body: PresetCreate) =>
      (await updatePreset({ path: { preset_id: id }, body, throwOnError: true })).data,
    onSuccess: remember,
  });
}

/** `onDeleted`: what else to refresh (the page knows: runs that used the preset lose only the link). */
export function useDeletePreset({ onDeleted }: { onDeleted: () => Promise<void> }) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) => {
      await deletePreset({ path: { preset_id: id }, throwOnError: true });
    },
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: presetQueries.all() });
      await onDeleted();
    },
  });
}
