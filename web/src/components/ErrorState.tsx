import type { ApiError } from '../api';

/** What each error code the API returns means to a person, and what they can do. */
const EXPLANATIONS: Record<string, string> = {
  NOT_FOUND: 'No listed company has this symbol.',
  FAILED: 'Ingesting this company failed.',
  RATE_LIMITED: 'Too many new companies were requested from here; ask again in a minute.',
  SERVICE_UNAVAILABLE: 'The service is busy or a dependency is down; try again shortly.',
  TIMEOUT: 'The request took too long; try again.',
  BAD_USER_INPUT: 'The request was not valid.',
  GRAPHQL_VALIDATION_FAILED: 'The request was refused by the API.',
  UNAUTHENTICATED: 'This needs an administrator token.',
  NETWORK_ERROR: 'The gateway could not be reached; check the connection.',
  BAD_RESPONSE: 'The gateway sent an answer this page could not read.',
  INTERNAL_SERVER_ERROR: 'Something went wrong on the server.',
};

export function ErrorState({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  return (
    <section class="state error" role="alert" data-code={error.code}>
      <h2>
        <span class="code">{error.code}</span>
      </h2>
      <p>{EXPLANATIONS[error.code] ?? 'The request failed.'}</p>
      <p class="detail">{error.message}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </section>
  );
}
