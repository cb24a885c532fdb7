import { render } from 'preact';
import { LocationProvider, Router, Route } from 'preact-iso';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { SearchPage } from './pages/Search';
import { CompanyPage } from './pages/Company';
import { ComparePage } from './pages/Compare';
import { NotFoundPage } from './pages/NotFound';

function App() {
  return (
    <LocationProvider>
      <header class="top">
        <a href="/" class="brand">
          Finstage Market Data
        </a>
        <nav>
          <a href="/">Search</a>
          <a href="/compare">Compare</a>
          <a href="/graphql" target="_blank" rel="noopener">
            GraphiQL
          </a>
        </nav>
      </header>
      <main>
        <Router>
          <Route path="/" component={SearchPage} />
          <Route path="/companies/:symbol" component={CompanyPage} />
          <Route path="/compare" component={ComparePage} />
          <Route default component={NotFoundPage} />
        </Router>
      </main>
    </LocationProvider>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
