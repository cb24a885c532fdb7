import type { CompanyStatus } from '../gql/graphql';

const LABELS: Record<CompanyStatus, string> = {
  PENDING: 'Pending',
  IN_PROGRESS: 'In progress',
  READY: 'Ready',
  FAILED: 'Failed',
  NOT_FOUND: 'Not found',
  RATE_LIMITED: 'Rate limited',
};

export function StatusBadge({ status }: { status: CompanyStatus }) {
  return (
    <span class={`badge status-${status.toLowerCase()}`} data-status={status}>
      {LABELS[status]}
    </span>
  );
}
