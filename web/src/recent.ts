// The companies this browser opened last, newest first (localStorage, at most 8).

const KEY = 'finstage.recent';
const MAX = 8;

export function recentCompanies(): string[] {
  try {
    const stored: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(stored) ? stored.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberCompany(symbol: string): void {
  const list = [symbol, ...recentCompanies().filter((s) => s !== symbol)].slice(0, MAX);
  try {
    localStorage.setItem(KEY, JSON.stringify(list));
  } catch {
    // Storage may be full or disabled; recent companies are a convenience.
  }
}
