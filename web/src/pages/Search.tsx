import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { ApiError, asApiError, execute } from '../api';
import { RequestRegistrationDocument, SearchListingsDocument } from '../gql/graphql';
import type { SearchListingsQuery } from '../gql/graphql';
import { ErrorState } from '../components/ErrorState';
import { StatusBadge } from '../components/StatusBadge';
import { recentCompanies } from '../recent';

type Result = SearchListingsQuery['searchListings']['nodes'][number];

/** Waits this long after the last keystroke before searching. */
const DEBOUNCE_MS = 120;

export function SearchPage() {
  const { route } = useLocation();
  const [text, setText] = useState('');
  const [results, setResults] = useState<Result[]>([]);
  const [active, setActive] = useState(-1);
  const [error, setError] = useState<ApiError | null>(null);
  const [requesting, setRequesting] = useState<string | null>(null);
  const latest = useRef(0);

  useEffect(() => {
    const query = text.trim();
    const ticket = ++latest.current;
    if (!query) {
      setResults([]);
      setActive(-1);
      return;
    }
    const timer = setTimeout(() => {
      execute(SearchListingsDocument, { query })
        .then((data) => {
          if (ticket !== latest.current) return;
          const found = data.searchListings.nodes;
          setResults(found);
          setActive(found.length > 0 ? 0 : -1);
          setError(null);
        })
        .catch((e: unknown) => {
          if (ticket === latest.current) setError(asApiError(e));
        });
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text]);

  const open = (symbol: string) => route(`/companies/${encodeURIComponent(symbol)}`);

  const request = async (symbol: string) => {
    setRequesting(symbol);
    try {
      await execute(RequestRegistrationDocument, { symbol });
      open(symbol);
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setRequesting(null);
    }
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      setActive((i) => Math.min(i + 1, results.length - 1));
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      setActive((i) => Math.max(i - 1, 0));
    } else if (event.key === 'Enter') {
      const chosen = results[active];
      if (chosen) open(chosen.symbol);
      else if (text.trim()) open(text.trim().toUpperCase());
    } else if (event.key === 'Escape') {
      setResults([]);
      setActive(-1);
    }
  };

  const recent = recentCompanies();
  const activeId = active >= 0 ? `result-${active}` : undefined;

  return (
    <section class="search">
      <h1>Find a company</h1>
      <label for="search-input">Symbol or name</label>
      <input
        id="search-input"
        type="search"
        aria-controls="search-results"
        aria-activedescendant={activeId}
        aria-autocomplete="list"
        autocomplete="off"
        placeholder="AAPL, Apple, Marvell…"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={onKeyDown}
        autoFocus
      />
      {error && <ErrorState error={error} />}
      <ul id="search-results" role="listbox" class="results" aria-label="Search results">
        {results.map((result, i) => (
          <li
            key={result.symbol}
            id={`result-${i}`}
            role="option"
            aria-selected={i === active}
            class={i === active ? 'active' : undefined}
            onMouseEnter={() => setActive(i)}
          >
            <a href={`/companies/${encodeURIComponent(result.symbol)}`} tabIndex={-1}>
              <span class="symbol">{result.symbol}</span>
              <span class="name">{result.name}</span>
              {result.exchange && <span class="exchange">{result.exchange}</span>}
            </a>
            {result.company ? (
              <StatusBadge status={result.company.status} />
            ) : (
              <button
                type="button"
                class="request"
                disabled={requesting === result.symbol}
                onClick={() => void request(result.symbol)}
              >
                Request data
              </button>
            )}
          </li>
        ))}
      </ul>
      {recent.length > 0 && (
        <section class="recent">
          <h2>Recent companies</h2>
          <ul>
            {recent.map((symbol) => (
              <li key={symbol}>
                <a href={`/companies/${encodeURIComponent(symbol)}`}>{symbol}</a>
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}
