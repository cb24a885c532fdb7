import { defineConfig } from 'vite';

// The bundle the gateway embeds (src/http/dashboard.rs): hashed files under assets/, no
// inline script or style (the page's CSP forbids both), nothing fetched from elsewhere.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    proxy: { '/graphql': { target: 'http://127.0.0.1:8080', ws: true } },
  },
});
