/**
 * What a named guardrail is, as the guardrail stages read it (the config schema,
 * src/config/guardrail-schema.ts, validates the same shape from YAML). Pure data.
 */

/** The personal data and secrets the `pii` detector knows. */
export const piiEntities = [
  'email',
  'phone',
  'credit_card',
  'us_ssn',
  'iban',
  'ip_address',
  'aws_access_key',
  'api_key',
] as const;
export type PiiEntity = (typeof piiEntities)[number];

export type GuardrailAction = 'block' | 'mask' | 'flag';
export type GuardrailDirection = 'input' | 'output';

interface Common {
  readonly on: readonly GuardrailDirection[];
}

/** A guardrail the gateway checks itself (every type but `bedrock`). */
export type LocalGuardrailSettings = Common & { readonly action: GuardrailAction } & (
    | { readonly type: 'pii'; readonly entities: readonly PiiEntity[] }
    | { readonly type: 'regex'; readonly patterns: readonly string[] }
    | { readonly type: 'words'; readonly words: readonly string[] }
  );

/** Amazon Bedrock Guardrails through ApplyGuardrail (its assessment decides). */
export type BedrockGuardrailSettings = Common & {
  readonly type: 'bedrock';
  readonly provider: string;
  readonly guardrail_id: string;
  readonly guardrail_version: string;
  readonly on_error: 'block' | 'allow';
};

export type GuardrailSettings = LocalGuardrailSettings | BedrockGuardrailSettings;
