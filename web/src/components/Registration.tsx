import { useEffect, useState } from 'preact/hooks';
import { ApiError, asApiError, execute, subscribe } from '../api';
import { CompanyStatusDocument, RequestRegistrationDocument } from '../gql/graphql';
import type { CompanyStatus } from '../gql/graphql';
import { ErrorState } from './ErrorState';
import { StatusBadge } from './StatusBadge';

interface Props {
  symbol: string;
  status: CompanyStatus;
  reason: string | null;
  /** Called once the company is READY, to load its statements in place. */
  onReady: () => void;
}

const WAITING: CompanyStatus[] = ['PENDING', 'IN_PROGRESS'];
const REQUESTABLE: CompanyStatus[] = ['FAILED', 'NOT_FOUND', 'RATE_LIMITED'];

const EXPLANATIONS: Record<CompanyStatus, string> = {
  PENDING: 'Requested; waiting for the ingestion worker.',
  IN_PROGRESS: 'A worker is fetching and storing the filings.',
  READY: 'Stored; loading the statements.',
  FAILED: 'Ingestion gave up.',
  NOT_FOUND: 'No listed company or filings were found for this symbol.',
  RATE_LIMITED: 'Not requested: too many new companies were asked for from here. Ask again in a minute.',
};

/**
 * A company that is not served yet: its status, live over the `companyStatus` subscription
 * while it waits, and a button that asks for it (again) when nothing is queued.
 */
export function Registration({ symbol, status: initial, reason: initialReason, onReady }: Props) {
  const [status, setStatus] = useState(initial);
  const [reason, setReason] = useState(initialReason);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  const waiting = WAITING.includes(status);
  useEffect(() => {
    if (!waiting) return;
    return subscribe(
      CompanyStatusDocument,
      { symbol },
      (data) => {
        setStatus(data.companyStatus.status);
        setReason(data.companyStatus.statusReason ?? null);
        if (data.companyStatus.status === 'READY') onReady();
      },
      setError,
    );
  }, [symbol, waiting, onReady]);

  const request = async () => {
    setBusy(true);
    setError(null);
    try {
      const data = await execute(RequestRegistrationDocument, { symbol });
      setStatus(data.requestRegistration.status);
      setReason(data.requestRegistration.statusReason ?? null);
      if (data.requestRegistration.status === 'READY') onReady();
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="registration state" data-status={status} aria-live="polite">
      <h2>
        <StatusBadge status={status} /> <span class="code">{status}</span>
      </h2>
      <p>{EXPLANATIONS[status]}</p>
      {reason && <p class="detail">{reason}</p>}
      {waiting && <p class="note">This page fills in by itself when the statements are stored.</p>}
      {REQUESTABLE.includes(status) && (
        <button type="button" onClick={() => void request()} disabled={busy}>
          Request registration
        </button>
      )}
      {error && <ErrorState error={error} />}
    </section>
  );
}
