// Mounts GraphiQL into #graphiql. Loaded as a file (never inline) so the page works under
// `script-src 'self'`. Expects the React, ReactDOM and GraphiQL UMD globals loaded before it.
(function () {
  'use strict';

  var DEFAULT_QUERY = [
    '# Finstage Market Data. Ctrl-Enter (Cmd-Enter) runs it;',
    '# the book icon (top left) opens the schema docs.',
    '{',
    '  company(symbol: "AAPL") {',
    '    symbol',
    '    name',
    '    status',
    '    incomeStatements(last: 2) {',
    '      fiscalYear',
    '      revenue',
    '      netIncome',
    '      epsDiluted',
    '      metrics {',
    '        grossMargin',
    '        netMargin',
    '      }',
    '    }',
    '  }',
    '}',
    ''
  ].join('\n');

  var location = window.location;
  var wsScheme = location.protocol === 'https:' ? 'wss:' : 'ws:';

  var fetcher = GraphiQL.createFetcher({
    url: '/graphql',
    subscriptionUrl: wsScheme + '//' + location.host + '/graphql/ws'
  });

  var container = document.getElementById('graphiql');
  container.textContent = '';
  ReactDOM.createRoot(container).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY
    })
  );
})();
