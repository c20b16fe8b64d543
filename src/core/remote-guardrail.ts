/**
 * A guardrail the gateway asks over the network (Amazon Bedrock's ApplyGuardrail): the stage
 * (src/stages/guardrails) acts on its verdict, the provider (src/providers/bedrock/apply-guardrail.ts)
 * makes the call, composition joins them.
 */

/** One policy finding: what it is (e.g. `topic:investment-advice`, `pii:EMAIL`, `word`) and what was done. */
export interface GuardrailFinding {
  readonly entity: string;
  readonly action: 'blocked' | 'masked' | 'detected';
}

/** The guardrail's verdict on some texts. */
export interface GuardrailVerdict {
  /** Refuse: a finding was blocked. */
  readonly blocked: boolean;
  /** The texts with the guardrail's masks applied (the same array when nothing was masked). */
  readonly texts: readonly string[];
  readonly findings: readonly GuardrailFinding[];
}

export interface RemoteGuardrail {
  /** The verdict on `texts` as a prompt (INPUT) or an answer (OUTPUT); rejects when it cannot be had. */
  apply(source: 'INPUT' | 'OUTPUT', texts: readonly string[], signal: AbortSignal): Promise<GuardrailVerdict>;
  close(): Promise<void>;
}
