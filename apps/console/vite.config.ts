import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
/** `npm run dev:console` proxies the API and sign-in to a broker on this address. */
const broker = process.env.DOORMAN_BROKER_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: here('.'),
  base: '/console/',
  plugins: [react()],
  resolve: { alias: { '@doorman/contracts': here('../../libs/contracts/src') } },
  build: {
    outDir: here('../../dist/console'),
    emptyOutDir: true,
    // Nothing inlined as data: URLs or inline scripts: the broker's CSP allows files from itself.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: { proxy: { '/api': broker, '/auth': broker } },
});
