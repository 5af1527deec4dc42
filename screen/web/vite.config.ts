import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    // Two pages: the wall screen (/) and the operator console (/console).
    rolldownOptions: {
      input: { index: fileURLToPath(new URL('index.html', import.meta.url)), console: fileURLToPath(new URL('console.html', import.meta.url)) },
    },
  },
  server: {
    // `vite --config screen/web/vite.config.ts` during development: the screen server runs on 8080.
    proxy: { '/api': 'http://localhost:8080', '/ws': { target: 'ws://localhost:8080', ws: true } },
  },
});
