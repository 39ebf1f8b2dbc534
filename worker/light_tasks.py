"""Tasks of the light queue: seconds of CPU, no GPU. Nothing here imports torch or transformers, so a light worker
starts in about a second, stays small, and runs beside the training workers without waiting behind a run."""

from celery import shared_task

from worker.token_counting import count_tokens


# A shared task: registered on whichever app imports this module, the training workers' and the light workers'.
@shared_task(name="datasets.token_stats")  # backend.core.queue.TOKEN_STATS_TASK
def token_stats(stats_id: int) -> None:
    count_tokens(stats_id)
