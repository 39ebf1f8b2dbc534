import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Card } from "../components/ui/Card";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { EmptyState, Loading } from "../components/ui/States";
import { useCreateJudge, useDeleteJudge } from "../features/judges/api/queries";
import { JudgeForm } from "../features/judges/components/JudgeForm";
import { JudgesTable } from "../features/judges/components/JudgesTable";
import { catalogQueries } from "../lib/catalog";
import { judgeQueries } from "../lib/judges";
import { useCanCreate } from "../lib/session";

/** /judges: the LLMs that grade evaluations' answers, each with its endpoint and (encrypted, never shown) key. */
export function JudgesPage() {
  const judges = useQuery(judgeQueries.list());
  const models = useQuery(catalogQueries.models());
  const create = useCreateJudge();
  const remove = useDeleteJudge();
  const canCreate = useCanCreate();
  // A new form after each judge added: it starts empty, the key field included.
  const [formKey, setFormKey] = useState(0);
  const modelItems = models.data?.items ?? [];

  return (
    <>
      <PageHeader
        title="Judges"
        subtitle="Another LLM grades each answer from 0 to 100 against the expected one, or says which of two answers is better. Loss does not see an answer in the right format with the wrong facts; a judge does, and a judge can be wrong: read its explanations."
      />
      {canCreate ? (
        <Card title="Add a judge" testId="new-judge">
          <JudgeForm
            key={formKey}
            models={modelItems}
            pending={create.isPending}
            error={create.error}
            onCreate={(body) =>
              create.mutate(body, {
                onSuccess: () => {
                  create.reset();
                  setFormKey(formKey + 1);
                },
              })
            }
          />
        </Card>
      ) : null}
      {remove.isError ? <ErrorNotice error={remove.error} title="The judge was not deleted" /> : null}
      <Card flush testId="judges-list">
        {judges.isError ? (
          <ErrorNotice error={judges.error} title="Could not load your judges" />
        ) : !judges.data ? (
          <Loading />
        ) : judges.data.items.length === 0 ? (
          <EmptyState title="No judges yet">
            Add one above, then use it from a run's Evaluation section: “Judge with…”.
          </EmptyState>
        ) : (
          <JudgesTable
            judges={judges.data.items}
            models={modelItems}
            deletingId={remove.isPending ? remove.variables : null}
            onDelete={(judge) => {
              if (window.confirm(`Delete the judge “${judge.name}”? Judgings it made keep its name and their scores.`)) {
                remove.mutate(judge.id);
              }
            }}
          />
        )}
      </Card>
    </>
  );
}
