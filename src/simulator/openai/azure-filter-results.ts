/**
 * What Azure OpenAI adds to OpenAI's answers (docs/protocols.md 2.6): the prompt's content-filter
 * results, and each choice's. The simulator's filters pass everything unless a fault says otherwise.
 */

const passed = {
  hate: { filtered: false, severity: 'safe' },
  self_harm: { filtered: false, severity: 'safe' },
  sexual: { filtered: false, severity: 'safe' },
  violence: { filtered: false, severity: 'safe' },
};

const promptFilterResults = [{ prompt_index: 0, content_filter_results: passed }];

/** A chat completion as Azure sends it: `prompt_filter_results`, and `content_filter_results` per choice. */
export function withAzureFilterResults(completion: Record<string, unknown>): Record<string, unknown> {
  const choices = Array.isArray(completion['choices']) ? (completion['choices'] as object[]) : [];
  return {
    ...completion,
    prompt_filter_results: promptFilterResults,
    choices: choices.map((choice) => ({ ...choice, content_filter_results: passed })),
  };
}

/** The first chunk of an Azure stream: no choices, an empty id and model, the prompt's filter results. */
export const azurePromptFilterChunk = `data: ${JSON.stringify({
  choices: [],
  created: 0,
  id: '',
  model: '',
  object: '',
  prompt_filter_results: promptFilterResults,
})}\n\n`;
