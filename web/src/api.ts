// One way to talk to the gateway: typed documents from graphql-codegen over HTTP POST, and
// the standard graphql-ws client for subscriptions. Failures become an ApiError carrying
// the API's `extensions.code` (or a transport code), which the pages show as states.

import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentString } from './gql/graphql';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Any failure as an ApiError (anything unexpected is an internal error). */
export function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError('INTERNAL_SERVER_ERROR', String(error));
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export async function execute<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
      },
      body: JSON.stringify({ query: document.toString(), variables }),
    });
  } catch {
    throw new ApiError('NETWORK_ERROR', 'The gateway could not be reached.');
  }
  let body: GraphQLResponse<TResult>;
  try {
    body = (await response.json()) as GraphQLResponse<TResult>;
  } catch {
    throw new ApiError(
      response.status === 503 ? 'SERVICE_UNAVAILABLE' : 'BAD_RESPONSE',
      `The gateway answered HTTP ${response.status}.`,
    );
  }
  const first = body.errors?.[0];
  if (first) {
    throw new ApiError(first.extensions?.code ?? 'INTERNAL_SERVER_ERROR', first.message);
  }
  if (body.data == null) {
    throw new ApiError('BAD_RESPONSE', `The gateway answered HTTP ${response.status} without data.`);
  }
  return body.data;
}

let socket: Client | undefined;

function subscriptions(): Client {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  socket ??= createClient({
    url: `${scheme}//${location.host}/graphql/ws`,
    lazy: true,
    retryAttempts: 5,
  });
  return socket;
}

/** Calls `next` with each event until the returned function is called. */
export function subscribe<TResult, TVariables extends Record<string, unknown>>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  next: (data: TResult) => void,
  fail: (error: ApiError) => void,
): () => void {
  return subscriptions().subscribe<TResult>(
    { query: document.toString(), variables },
    {
      next: (result) => {
        const first = result.errors?.[0];
        if (first) {
          const code = (first.extensions?.code as string | undefined) ?? 'INTERNAL_SERVER_ERROR';
          fail(new ApiError(code, first.message));
        } else if (result.data) {
          next(result.data);
        }
      },
      error: () => fail(new ApiError('NETWORK_ERROR', 'The live status connection failed.')),
      complete: () => undefined,
    },
  );
}
