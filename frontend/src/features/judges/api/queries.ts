import { useMutation, useQueryClient } from "@tanstack/react-query";
import { checkJudge, createJudge, deleteJudge, updateJudge } from "../../../client/sdk.gen";
import type { JudgeCreateWritable, JudgeOut, JudgeUpdateWritable } from "../../../client/types.gen";
import { upsertItem } from "../../../lib/cache";
import { judgeQueries } from "../../../lib/judges";

/** The answer (never holding the key) goes into the cached list; the list is then marked stale. */
function useRememberJudge() {
  const queryClient = useQueryClient();
  return async (judge: JudgeOut) => {
    queryClient.setQueryData(judgeQueries.list().queryKey, (page) => upsertItem(page, judge));
    await queryClient.invalidateQueries({ queryKey: judgeQueries.list().queryKey, refetchType: "none" });
  };
}

export function useCreateJudge() {
  const remember = useRememberJudge();
  return useMutation({
    mutationFn: async (body: JudgeCreateWritable) => (await createJudge({ body, throwOnError: true })).data,
    onSuccess: remember,
  });
}

export function useUpdateJudge(id: number) {
  const remember = useRememberJudge();
  return useMutation({
    mutationFn: async (body: JudgeUpdateWritable) =>
      (await updateJudge({ path: { judge_id: id }, body, throwOnError: true })).data,
    onSuccess: remember,
  });
}

export function useDeleteJudge() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) => {
      await deleteJudge({ path: { judge_id: id }, throwOnError: true });
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: judgeQueries.all() }),
  });
}

/** One test prompt to the judge; the answer says whether it replied with a usable score. */
export function useCheckJudge() {
  return useMutation({
    mutationFn: async (id: number) => (await checkJudge({ path: { judge_id: id }, throwOnError: true })).data,
  });
}
