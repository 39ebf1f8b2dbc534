"""Scoring model answers against expected answers: what an evaluation reports beside the answers themselves.

- `normalise`: the one normalisation every metric compares answers under (case, spacing, Unicode forms).
- `metrics`: per-example scorers and their registry (`METRICS`), all on one scale.
- `classification`: accuracy, per-class figures and a confusion matrix when the answers are a few labels.
- `bootstrap`: a metric's mean with a 95% bootstrap interval.
- `compare`: two evaluations of the same examples, paired, per metric and per example.

Pure Python, numpy and the two scoring libraries (rouge-score, sacrebleu): nothing is downloaded.
"""
