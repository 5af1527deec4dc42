// Serves the built web app. Paths are resolved inside the root only; unknown paths under the app's
// pages fall back to index.html so /console and /?lang=en work on reload.
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticFiles {
  /** Serves the request if it names a file (or a page); returns false to let others answer. */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): boolean;
  readonly available: boolean;
}

function fileAt(path: string): { size: number; mtime: Date } | null {
  try {
    const st = statSync(path);
    return st.isFile() ? st : null;
  } catch {
    return null;
  }
}

export function createStaticFiles(root: string): StaticFiles {
  const index = join(root, 'index.html');
  const rootPrefix = root.endsWith(sep) ? root : root + sep;
  return {
    get available() {
      return fileAt(index) !== null;
    },
    serve(req, res, pathname) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      let decoded: string;
      try {
        decoded = decodeURIComponent(pathname);
      } catch {
        return false;
      }
      if (decoded.includes('\0')) return false;
      let path = normalize(join(root, decoded));
      if (path !== root && !path.startsWith(rootPrefix)) return false; // traversal
      let st = fileAt(path);
      if (!st && extname(decoded) === '') {
        // An app page (no extension): the app's router decides.
        path = fileAt(join(root, `${decoded}.html`)) ? join(root, `${decoded}.html`) : index;
        st = fileAt(path);
      }
      if (!st) return false;
      const hashed = decoded.startsWith('/assets/');
      res.writeHead(200, {
        'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
        'content-length': st.size,
        // Vite fingerprints assets: cache them for a year; pages always revalidate.
        'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
        'last-modified': st.mtime.toUTCString(),
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(path).pipe(res);
      return true;
    },
  };
}
