import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { Clock } from '../../core/clock.ts';
import type { BedrockProviderConfig } from '../../config/schema.ts';
import { GatewayError } from '../../errors/gateway-error.ts';

/**
 * How the adapter authenticates to Bedrock: SigV4 with AWS credentials (static keys, a profile, an
 * assumed role, or the default chain), or a Bedrock API key sent as a bearer token (protocols.md 1.1).
 */

/** AWS credentials as the SigV4 signer takes them (structurally @smithy/types AwsCredentialIdentity). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When temporary credentials stop working; absent for long-lived keys. */
  readonly expiration?: Date;
}

export type CredentialProvider = () => Promise<AwsCredentials>;

export type BedrockAuth =
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'sigv4'; readonly credentials: CredentialProvider };

/** Refresh temporary credentials this long before they expire. */
export const credentialRefreshAheadMs = 5 * 60 * 1000;

/** Chooses the auth scheme and credential source from the provider config. */
export function resolveBedrockAuth(config: BedrockProviderConfig, clock: Clock): BedrockAuth {
  const credentials = config.credentials;
  if (credentials?.api_key !== undefined) return { kind: 'bearer', token: credentials.api_key };
  return { kind: 'sigv4', credentials: cacheCredentials(sourceProvider(config), clock) };
}

function sourceProvider(config: BedrockProviderConfig): CredentialProvider {
  const credentials = config.credentials;
  let base: CredentialProvider | undefined;
  if (credentials?.access_key_id !== undefined && credentials.secret_access_key !== undefined) {
    const fixed: AwsCredentials = {
      accessKeyId: credentials.access_key_id,
      secretAccessKey: credentials.secret_access_key,
      ...(credentials.session_token === undefined ? {} : { sessionToken: credentials.session_token }),
    };
    base = () => Promise.resolve(fixed);
  } else if (credentials?.profile !== undefined) {
    base = fromIni({ profile: credentials.profile });
  }
  if (credentials?.role_arn !== undefined) {
    return fromTemporaryCredentials({
      params: {
        RoleArn: credentials.role_arn,
        RoleSessionName: 'spillway',
        ...(credentials.external_id === undefined ? {} : { ExternalId: credentials.external_id }),
      },
      ...(base === undefined ? {} : { masterCredentials: base }),
      clientConfig: { region: config.region },
    });
  }
  return base ?? fromNodeProviderChain();
}

/**
 * Caches credentials and refreshes them `credentialRefreshAheadMs` before they expire; concurrent
 * callers share one refresh. If a refresh fails while the cached credentials are still valid, those
 * are used and the next call tries again. Failures become `upstream_auth_failed` (fallback-eligible:
 * another account may work; not retryable: the same source will fail the same way).
 */
export function cacheCredentials(source: CredentialProvider, clock: Clock): CredentialProvider {
  let current: AwsCredentials | undefined;
  let refreshing: Promise<AwsCredentials> | undefined;
  const expiresAt = (credentials: AwsCredentials): number =>
    credentials.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
  const refresh = (): Promise<AwsCredentials> => {
    refreshing ??= source()
      .then((fresh) => {
        current = fresh;
        return fresh;
      })
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  };
  return async () => {
    const now = clock.now();
    if (current !== undefined && expiresAt(current) - now > credentialRefreshAheadMs) return current;
    try {
      return await refresh();
    } catch (error) {
      if (current !== undefined && expiresAt(current) > clock.now()) return current;
      throw credentialsFailed(error);
    }
  };
}

function credentialsFailed(error: unknown): GatewayError {
  const reason = error instanceof Error ? error.message : String(error);
  return new GatewayError(`bedrock: could not resolve AWS credentials: ${reason}`, {
    code: 'upstream_auth_failed',
    cause: error,
  });
}
