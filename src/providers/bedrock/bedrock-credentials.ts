import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { Clock } from '../../core/clock.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { ConnectionSettings } from '../shared/upstream-pool.ts';

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

/** Where Bedrock credentials come from (a provider's `credentials` config, as plain values). */
export interface BedrockCredentialSettings {
  /** Static keys (both or neither) and an optional session token. */
  readonly access_key_id?: string | undefined;
  readonly secret_access_key?: string | undefined;
  readonly session_token?: string | undefined;
  /** A profile of the shared AWS config files. */
  readonly profile?: string | undefined;
  /** A role to assume (with the credentials above, or the default chain, as the source). */
  readonly role_arn?: string | undefined;
  readonly external_id?: string | undefined;
  /** A Bedrock API key, sent as a bearer token instead of SigV4. */
  readonly api_key?: string | undefined;
}

/** How to reach one Bedrock provider (its config entry's fields, as plain values). */
export interface BedrockProviderSettings extends ConnectionSettings {
  /** The AWS region (signing and the default endpoint). */
  readonly region: string;
  /** Another endpoint (a simulator, a VPC endpoint); default the region's public one. */
  readonly endpoint?: string | undefined;
  /** Default: the AWS default credential chain. */
  readonly credentials?: BedrockCredentialSettings | undefined;
}

/** Refresh temporary credentials this long before they expire. */
export const credentialRefreshAheadMs = 5 * 60 * 1000;

/** Chooses the auth scheme and credential source from the provider config. */
export function resolveBedrockAuth(config: BedrockProviderSettings, clock: Clock): BedrockAuth {
  const credentials = config.credentials;
  if (credentials?.api_key !== undefined) return { kind: 'bearer', token: credentials.api_key };
  return { kind: 'sigv4', credentials: cacheCredentials(sourceProvider(config), clock) };
}

function sourceProvider(config: BedrockProviderSettings): CredentialProvider {
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
