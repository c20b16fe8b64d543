/** One match: where it is in the text and what it is (a PII entity, `pattern` or `word`). */
export interface Finding {
  readonly start: number;
  readonly end: number;
  readonly entity: string;
}
