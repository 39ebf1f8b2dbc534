import { useQuery } from "@tanstack/react-query";
import { useRef, useState } from "react";
import type { BlindComparisonOut, BlindPairOut, VoteOut } from "../../../client/types.gen";
import { Card } from "../../../components/ui/Card";
import { DownloadButton } from "../../../components/ui/DownloadButton";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { EmptyState, Loading } from "../../../components/ui/States";
import { comparisonQueries, pairsExportUrl, useVote } from "../api/queries";
import { formatShare } from "../format";
import { useShortcuts } from "../keys";
import { KeyHelp, type KeyBinding } from "./KeyHelp";

type Choice = VoteOut["choice"];

const CHOICES: { value: Choice; label: string; key: string }[] = [
  { value: "left", label: "A is better", key: "1" },
  { value: "right", label: "B is better", key: "2" },
  { value: "tie", label: "Tie", key: "3" },
  { value: "both_bad", label: "Both bad", key: "4" },
];

const BINDINGS: KeyBinding[] = [
  ...CHOICES.map(({ key, label }) => ({ keys: [key], does: label })),
  { keys: ["r"], does: "After a vote: show which model was which" },
  { keys: ["?"], does: "This list" },
];

const CHOICE_TEXT: Record<Choice, string> = { left: "A", right: "B", tie: "a tie", both_bad: "both bad" };

function Block({ label, text, testId }: { label: string; text: string; testId: string }) {
  if (text.trim() === "") return null;
  return (
    <div className="review-block">
      <div className="review-block-label">{label}</div>
      <div className="review-text" dir="auto" data-testid={testId}>
        {text}
      </div>
    </div>
  );
}

/** The two answers side by side (stacked on a phone), named only A and B. */
function Pair({ pair }: { pair: BlindPairOut }) {
  return (
    <div className="ab-pair" data-testid="ab-pair" data-pair={pair.pair_id}>
      <Block label="Instruction" text={pair.instruction} testId="ab-instruction" />
      <Block label="Input" text={pair.input} testId="ab-input" />
      <Block label="Expected answer" text={pair.expected} testId="ab-expected" />
      <div className="ab-answers">
        {(
          [
            ["A", pair.left, "ab-left"],
            ["B", pair.right, "ab-right"],
          ] as const
        ).map(([name, text, testId]) => (
          <section key={name} className="ab-answer" aria-label={`Answer ${name}`}>
            <h3 className="ab-answer-name">{name}</h3>
            {text.trim() === "" ? (
              <div className="muted small">(empty answer)</div>
            ) : (
              <div className="review-text mono-text" dir="auto" data-testid={testId}>
                {text}
              </div>
            )}
          </section>
        ))}
      </div>
    </div>
  );
}

/**
 * The running result, for the first evaluation against the second (not for a side of the pairs, whose order is
 * random): its wins, ties and losses, its win rate with a Wilson interval, the length of the answers preferred and
 * rejected.
 */
function Result({ comparison }: { comparison: BlindComparisonOut }) {
  const rate = comparison.a_win_rate;
  return (
    <div className="ab-result" data-testid="ab-result">
      <p className="ab-models small">
        <span className="muted">Counted for </span>
        <strong dir="auto">{comparison.a_name}</strong>
        <span className="muted"> against </span>
        <strong dir="auto">{comparison.b_name}</strong>
      </p>
      <dl className="review-summary-stats">
        <div>
          <dt>Votes</dt>
          <dd data-testid="ab-votes">
            {comparison.votes} of {comparison.total}
          </dd>
        </div>
        <div>
          <dt>Won · tied · lost</dt>
          <dd data-testid="ab-record">
            {comparison.a_wins} · {comparison.ties} · {comparison.b_wins}
          </dd>
        </div>
        <div>
          <dt>Both bad</dt>
          <dd data-testid="ab-both-bad">{comparison.both_bad}</dd>
        </div>
        <div>
          <dt>Win rate</dt>
          <dd data-testid="ab-win-rate">{rate ? formatShare(rate) : "needs a decisive vote"}</dd>
        </div>
        <div>
          <dt>Words, preferred vs rejected</dt>
          <dd data-testid="ab-lengths">
            {comparison.preferred_length !== null && comparison.rejected_length !== null
              ? `${comparison.preferred_length.toFixed(1)} vs ${comparison.rejected_length.toFixed(1)}`
              : "—"}
          </dd>
        </div>
      </dl>
      <p className="muted small">
        The win rate counts decisive votes only (ties and both bad left out), with a Wilson 95% interval. Longer answers tend to win more
        often than they should: compare the lengths.
      </p>
    </div>
  );
}

/**
 * Blind A/B: the caller's next pair of answers to one example, in random order and without names; keys 1–4 vote.
 * After a vote, the models behind A and B may be shown; the result so far is below.
 */
export function BlindComparison({ comparisonId }: { comparisonId: number }) {
  const next = useQuery(comparisonQueries.next(comparisonId));
  const comparison = useQuery(comparisonQueries.detail(comparisonId));
  const vote = useVote(comparisonId);
  const [last, setLast] = useState<VoteOut | null>(null);
  const [revealed, setRevealed] = useState(false);
  const help = useRef<HTMLDialogElement>(null);
  const pair = next.data ?? null;
  // Until the next pair is in, the one on screen has its vote: keys wait.
  const waiting = vote.isPending || (last !== null && pair?.pair_id === last.pair_id);

  const choose = (choice: Choice) => {
    if (!pair || waiting) return;
    vote.mutate(
      { pair_id: pair.pair_id, choice },
      {
        onSuccess: (answer) => {
          setLast(answer);
          setRevealed(false);
        },
      },
    );
  };
  useShortcuts((key) => {
    if (key === "?") {
      help.current?.showModal();
      return true;
    }
    if (key === "r" && last) {
      setRevealed(true);
      return true;
    }
    const choice = CHOICES.find((c) => c.key === key);
    if (choice && pair) {
      choose(choice.value);
      return true;
    }
    return false;
  });

  return (
    <>
      {last ? (
        <div className="notice ab-last" role="status" data-testid="ab-last-vote">
          You voted {CHOICE_TEXT[last.choice]}.{" "}
          {revealed ? (
            <span data-testid="ab-revealed" dir="auto">
              A was {last.left_model}; B was {last.right_model}.
            </span>
          ) : (
            <button type="button" className="link-button" onClick={() => setRevealed(true)} data-testid="ab-reveal">
              Show which model was which <kbd>r</kbd>
            </button>
          )}
        </div>
      ) : null}
      {next.isPending ? (
        <Loading />
      ) : next.isError ? (
        <ErrorNotice error={next.error} title="Could not load the next pair" />
      ) : pair === null ? (
        <Card testId="ab-done">
          <EmptyState title="You have voted on every pair">The result below counts every reviewer’s votes.</EmptyState>
        </Card>
      ) : (
        <Card
          title={
            <span data-testid="ab-progress">
              Pair {pair.voted + 1} of {pair.total}
            </span>
          }
          actions={
            <button type="button" className="btn btn-sm" onClick={() => help.current?.showModal()} aria-keyshortcuts="?">
              Keys <kbd>?</kbd>
            </button>
          }
          testId="ab-card"
        >
          <Pair pair={pair} />
          <div className="ab-choices" role="group" aria-label="Which answer is better" data-testid="ab-choices">
            {CHOICES.map(({ value, label, key }) => (
              <button
                key={value}
                type="button"
                className="btn"
                onClick={() => choose(value)}
                disabled={waiting}
                aria-keyshortcuts={key}
                data-choice={value}
              >
                <kbd>{key}</kbd> {label}
              </button>
            ))}
          </div>
          {vote.error ? <ErrorNotice error={vote.error} title="Could not record the vote" /> : null}
        </Card>
      )}
      <Card
        title="Result so far"
        testId="ab-result-card"
        actions={
          <DownloadButton href={pairsExportUrl(comparisonId)} testId="ab-export" title="chosen and rejected answers, decisive votes only">
            Preference pairs (JSONL)
          </DownloadButton>
        }
      >
        {comparison.isPending ? (
          <Loading />
        ) : comparison.isError ? (
          <ErrorNotice error={comparison.error} title="Could not load the result" />
        ) : (
          <Result comparison={comparison.data} />
        )}
      </Card>
      <KeyHelp ref={help} bindings={BINDINGS} title="Blind A/B keys" />
    </>
  );
}
