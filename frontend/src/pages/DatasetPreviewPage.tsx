import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import type { DatasetOut, ExampleOut } from "../client/types.gen";
import { Card } from "../components/ui/Card";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { PageHeader } from "../components/ui/PageHeader";
import { EmptyState, Loading } from "../components/ui/States";
import { datasetQueries } from "../features/datasets/api/queries";
import { SplitTag } from "../features/datasets/components/ExamplesTable";
import { TokenSettingsBar } from "../features/datasets/components/TokenSettings";
import { searchTextOf } from "../features/datasets/records";
import { STARTER_TEMPLATE } from "../features/datasets/templates";
import { useTokenSettings, type TokenSettingsState } from "../features/datasets/useTokenSettings";
import { TokenLegend, TokenSummary, TokenView } from "../features/datasets/preview/TokenView";
import { useDebounced } from "../lib/useDebounced";

const LIST_SIZE = 20;

export function DatasetPreviewPage() {
  const id = Number(useParams().id);
  const dataset = useQuery({ ...datasetQueries.detail(id), enabled: Number.isInteger(id) });

  if (!Number.isInteger(id)) return <ErrorNotice error={new Error("Not a dataset id")} title="Not found" />;
  if (dataset.isPending) return <Loading />;
  if (dataset.isError) return <ErrorNotice error={dataset.error} title="Could not load the dataset" />;
  return <Preview dataset={dataset.data} />;
}

function Preview({ dataset }: { dataset: DatasetOut }) {
  const tokenState = useTokenSettings(dataset);
  return (
    <>
      <PageHeader
        breadcrumb={
          <>
            <Link to="/datasets">Datasets</Link> <span className="muted">/</span>{" "}
            <Link to={`/datasets/${dataset.id}`}>{dataset.name}</Link> <span className="muted">/</span> token preview
          </>
        }
        title="Token preview"
        subtitle="One example exactly as the trainer tokenises it: the green tokens are the targets of the loss, grey ones are only read, red ones are cut off. Check that the answer — and only the answer — is green."
      />
      {"settings" in tokenState ? (
        <PreviewBody dataset={dataset} state={tokenState} />
      ) : tokenState.error ? (
        <ErrorNotice error={tokenState.error} title="Could not load models and templates" />
      ) : (
        <Loading />
      )}
    </>
  );
}

function PreviewBody({ dataset, state }: { dataset: DatasetOut; state: TokenSettingsState }) {
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState("");
  const [offset, setOffset] = useState(0);
  const q = useDebounced(search, 300);
  const list = useQuery(datasetQueries.examples(dataset.id, { split: null, q, offset, limit: LIST_SIZE }));
  const items = list.data?.items ?? [];
  // ?example=N is the dataset's example N (ExampleOut.number, from 1), as the dataset page links to it.
  const exampleParam = Number(params.get("example"));
  const exampleNumber =
    Number.isInteger(exampleParam) && exampleParam > 0 ? exampleParam : (items[0]?.number ?? null);
  const index = items.findIndex((e) => e.number === exampleNumber);
  const current: ExampleOut | undefined = items[index];

  const select = (number: number) => {
    const next = new URLSearchParams(params);
    next.set("example", String(number));
    setParams(next, { replace: true });
  };

  const isCustom = state.effectiveTemplate === "custom";
  const [customDraft, setCustomDraft] = useState(dataset.custom_template ?? STARTER_TEMPLATE);
  const customSource = useDebounced(customDraft, 500);

  return (
    <>
      <Card>
        <TokenSettingsBar state={state} dataset={dataset} showCompletionOnly allowCustom />
        {isCustom ? (
          <details className="custom-try" open={!dataset.custom_template}>
            <summary className="small">
              Custom template — edit here to try it out; save it on the{" "}
              <Link to={`/datasets/${dataset.id}`}>dataset page</Link>
            </summary>
            <textarea
              className="textarea mono-text"
              value={customDraft}
              onChange={(event) => setCustomDraft(event.target.value)}
              rows={8}
              spellCheck={false}
              aria-label="Custom template to try"
              wrap="off"
              data-testid="preview-custom-template"
            />
          </details>
        ) : null}
      </Card>

      <div className="preview-layout">
        <Card title="Examples" flush className="preview-list-card">
          <div className="preview-search">
            <input
              className="input input-search"
              type="search"
              placeholder="Search the text…"
              value={search}
              onChange={(event) => {
                setSearch(event.target.value);
                setOffset(0);
              }}
              aria-label="Search examples"
              data-testid="preview-search"
            />
          </div>
          {list.isPending ? (
            <Loading />
          ) : list.isError ? (
            <ErrorNotice error={list.error} title="Could not load examples" />
          ) : items.length === 0 ? (
            <EmptyState title="No example matches" />
          ) : (
            <>
              <ul className="preview-list" data-testid="preview-examples">
                {items.map((example) => (
                  <li key={example.id}>
                    <button
                      type="button"
                      className={example.number === exampleNumber ? "preview-item active" : "preview-item"}
                      onClick={() => select(example.number)}
                      aria-current={example.number === exampleNumber ? "true" : undefined}
                      data-testid="preview-example"
                      data-example-id={example.id}
                      data-example-number={example.number}
                    >
                      <span className="preview-item-head">
                        <span className="mono muted">#{example.row_number}</span>
                        <SplitTag split={example.split} />
                        {example.label ? <span className="muted small truncate">{example.label}</span> : null}
                      </span>
                      <span className="preview-item-text truncate">{searchTextOf(example.record) || "(empty)"}</span>
                    </button>
                  </li>
                ))}
              </ul>
              <div className="preview-pager">
                <button
                  type="button"
                  className="btn btn-sm"
                  disabled={offset === 0}
                  onClick={() => setOffset(Math.max(0, offset - LIST_SIZE))}
                >
                  ‹
                </button>
                <span className="muted small">
                  {offset + 1}–{Math.min(list.data.total, offset + LIST_SIZE)} of {list.data.total.toLocaleString()}
                </span>
                <button
                  type="button"
                  className="btn btn-sm"
                  disabled={offset + LIST_SIZE >= list.data.total}
                  onClick={() => setOffset(offset + LIST_SIZE)}
                >
                  ›
                </button>
              </div>
            </>
          )}
        </Card>

        {exampleNumber === null ? (
          <Card>
            <EmptyState title="Pick an example" />
          </Card>
        ) : (
          <TokenCard
            dataset={dataset}
            state={state}
            exampleNumber={exampleNumber}
            example={current}
            customTemplate={isCustom ? customSource : null}
            onPrev={index > 0 ? () => select(items[index - 1]?.number ?? exampleNumber) : null}
            onNext={
              index >= 0 && index < items.length - 1 ? () => select(items[index + 1]?.number ?? exampleNumber) : null
            }
          />
        )}
      </div>
    </>
  );
}

function TokenCard({
  dataset,
  state,
  exampleNumber,
  example,
  customTemplate,
  onPrev,
  onNext,
}: {
  dataset: DatasetOut;
  state: TokenSettingsState;
  exampleNumber: number;
  example: ExampleOut | undefined;
  customTemplate: string | null;
  onPrev: (() => void) | null;
  onNext: (() => void) | null;
}) {
  const { settings, effectiveTemplate } = state;
  const preview = useQuery(
    datasetQueries.preview(dataset.id, {
      example_number: exampleNumber,
      base_model: settings.baseModel,
      template: effectiveTemplate,
      custom_template: customTemplate?.trim() ? customTemplate : null,
      max_seq_length: settings.maxSeqLength,
      completion_only_loss: settings.completionOnly,
    }),
  );
  const [showText, setShowText] = useState(false);

  return (
    <Card
      className="token-card"
      testId="token-card"
      title={
        <span className="title-with-badge">
          {example ? (
            <>
              Row {example.row_number} <SplitTag split={example.split} />
            </>
          ) : (
            `Example ${exampleNumber}`
          )}
          <span className="muted small">
            {settings.baseModel} · {effectiveTemplate} · max {settings.maxSeqLength}
          </span>
        </span>
      }
      actions={
        <>
          <button type="button" className="btn btn-sm" disabled={!onPrev} onClick={onPrev ?? undefined} data-testid="preview-prev">
            ‹ Previous
          </button>
          <button type="button" className="btn btn-sm" disabled={!onNext} onClick={onNext ?? undefined} data-testid="preview-next">
            Next ›
          </button>
        </>
      }
    >
      {preview.isPending ? (
        <Loading label="Tokenising…" />
      ) : preview.isError ? (
        <ErrorNotice error={preview.error} title="Could not render this example" testId="preview-error" />
      ) : (
        <div className={preview.isPlaceholderData ? "is-refreshing" : undefined}>
          <TokenLegend preview={preview.data} />
          <TokenSummary
            preview={preview.data}
            maxSeqLength={settings.maxSeqLength}
            completionOnly={settings.completionOnly}
          />
          <TokenView preview={preview.data} />
          <div className="token-footer">
            <button type="button" className="link-button small" onClick={() => setShowText((v) => !v)}>
              {showText ? "Hide" : "Show"} the rendered text
            </button>
          </div>
          {showText ? (
            <pre className="rendered-text" data-testid="rendered-text">
              {preview.data.text}
            </pre>
          ) : null}
        </div>
      )}
    </Card>
  );
}
