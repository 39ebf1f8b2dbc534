/** A starting point for a custom template: ChatML written out, in the variables the renderer passes. */
export const STARTER_TEMPLATE = `{% for message in messages %}<|im_start|>{{ message.role }}
{{ message.content }}<|im_end|>
{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant
{% endif %}`;
