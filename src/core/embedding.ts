/** Canonical embeddings request; `model` is the model group. */
export interface EmbeddingRequest {
  readonly model: string;
  readonly input: readonly string[];
  readonly dimensions?: number | undefined;
  readonly user?: string | undefined;
}

export interface EmbeddingResponse {
  readonly model: string;
  /** One vector per input, in input order. */
  readonly embeddings: readonly (readonly number[])[];
  readonly inputTokens: number;
}
