"""Templates, the token-by-token preview and template changes of a dataset (token statistics: token_stats_service).

Everything is computed by the trainer's own code (domain.templates renders, domain.tokenize
tokenises and masks) with the base model's tokenizer.json, through the `tokenizers` library: what the preview
shows is what the trainer trains on, and the API never imports transformers.
"""

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.core.errors import Invalid, NotFound
from backend.core.params import MAX_ID, Id
from backend.datasets.rendering import choose_template, model_tokenizer, render_checked
from backend.datasets.service import get_example_by_number
from backend.models import Dataset, DatasetExample
from domain.config import TrainingConfig
from domain.records import RECORD
from domain.templates import RENDER_SECONDS, TEMPLATE_DESCRIPTIONS, TemplateContext, TemplateName
from domain.tokenize import Reason, tokenize_rendered

MAX_SEQ_LENGTH_DEFAULT: int = TrainingConfig.model_fields["max_seq_length"].default


class TemplateOut(BaseModel):
    name: TemplateName
    description: str


class PreviewRequest(BaseModel):
    example_number: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="The example to show: its number in the dataset, from 1 (`number` in GET "
        "/api/datasets/{id}/examples). Give this or example_id.",
    )
    example_id: Id | None = Field(None, description="Or the example's id, from GET /api/datasets/{id}/examples.")
    base_model: str = Field(min_length=1, description="A base model's name, as GET /api/models lists it.")
    template: TemplateName | None = Field(None, description="Empty: the dataset's template.")
    custom_template: str | None = Field(
        None, max_length=50_000, description="The Jinja template when template is 'custom'. Empty: the dataset's."
    )
    max_seq_length: int = Field(MAX_SEQ_LENGTH_DEFAULT, ge=16, le=32768, description="As the run's max_seq_length.")
    completion_only_loss: bool = True


class TokenOut(BaseModel):
    id: int
    text: str = Field(description="The characters the token stands for; all tokens' texts together give `text`.")
    trained: bool = Field(description="A target of the loss.")
    reason: Reason | None = Field(
        description="Why it is not trained: 'prompt' (masked by completion-only loss) or 'truncated' (past "
        "max_seq_length). null: trained."
    )


class PreviewOut(BaseModel):
    text: str = Field(description="The training text: the template's output with the BOS/eos the tokenizer adds.")
    tokens: list[TokenOut] = Field(description="Every token, those cut by truncation included.")
    num_tokens: int = Field(description="Tokens the trainer sees (at most max_seq_length).")
    truncated: bool
    num_tokens_before_truncation: int


def list_templates() -> list[TemplateOut]:
    return [TemplateOut(name=name, description=text) for name, text in TEMPLATE_DESCRIPTIONS.items()]


# Preview


def preview_example(session: Session, dataset: Dataset, request: PreviewRequest) -> PreviewOut:
    if request.example_number is not None:
        example = get_example_by_number(session, dataset, request.example_number)
    elif request.example_id is not None:
        by_id = session.get(DatasetExample, request.example_id)
        if by_id is None or by_id.dataset_id != dataset.id:
            raise NotFound(f"example {request.example_id} not found in dataset {dataset.id}", field="example_id")
        example = by_id
    else:
        raise Invalid("say which example: example_number (from 1) or example_id", field="example_number")
    template, custom_template = choose_template(dataset, request.template, request.custom_template)
    model = model_tokenizer(session, request.base_model)
    context = TemplateContext(chat_template=model.chat_template, custom_template=custom_template)
    record = RECORD.validate_python(example.record)
    [rendered] = render_checked(template, [(example.row_number, record)], context, seconds=RENDER_SECONDS)
    tokenized = tokenize_rendered(
        model.tokenizer,
        rendered,
        eos_token=model.eos_token,
        max_length=request.max_seq_length,
        completion_only_loss=request.completion_only_loss,
    )
    tokens = [TokenOut(id=t.id, text=t.text, trained=t.trained, reason=t.reason) for t in tokenized.tokens]
    return PreviewOut(
        text="".join(t.text for t in tokens),
        tokens=tokens,
        num_tokens=tokenized.num_tokens,
        truncated=tokenized.truncated,
        num_tokens_before_truncation=tokenized.num_tokens_before_truncation,
    )


# Changing a dataset
